using System.CommandLine;
using Tandem.Cli.Console;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Llm.Gambit;
using Tandem.Llm.Providers;

namespace Tandem.Cli.Gambit;

/// <summary>A parsed bank build: the library's options and the option that named the model (--llm or --generator),
/// for messages.</summary>
/// <param name="Options">What to build (<see cref="LlmBankBuild"/>).</param>
/// <param name="Option">The option that named the model.</param>
public sealed record BankBuildSettings(LlmBankBuildOptions Options, string Option)
{
    /// <summary>The chat model.</summary>
    public LlmSpec Spec => Options.Model!;

    /// <summary>"ratings" or "embeddings:MODEL".</summary>
    public string EncoderText => Options.EncoderText;

    /// <summary>Responses per cell.</summary>
    public int PerCell => Options.PerCell;

    /// <summary>The same build writing its audit log to <paramref name="auditPath"/> and the bank to <paramref name="outFile"/>.</summary>
    public BankBuildSettings WithOutputs(string auditPath, string outFile) =>
        this with { Options = Options with { OutFile = outFile, Client = Options.Client with { AuditPath = auditPath } } };
}

/// <summary>The options of a bank build, shared by `gambitts bank build` and `gambitts --generator`.</summary>
public sealed class BankBuildCliOptions
{
    /// <summary>`--per-cell N`.</summary>
    public Option<int> PerCell { get; } = new("--per-cell") { Description = "Responses generated per (prompt, context) cell, N (1-10000).", DefaultValueFactory = _ => 5 };

    /// <summary>`--prompts LIST`.</summary>
    public Option<string?> Prompts { get; } = new("--prompts") { Description = "Prompts to generate for: dimensions (optimism = both directions) or prompts (optimism:high), comma-separated (default: all 40 = 20 dimensions x high/low)." };

    /// <summary>`--encoder ratings|embeddings:MODEL`.</summary>
    public Option<string> Encoder { get; } = new("--encoder") { Description = "How messages get style scores: ratings (the model rates each of the 20 dimensions 0-10; one call per message) or embeddings:MODEL (the provider's embedding model plus a ridge probe fitted on --calibration rated messages).", DefaultValueFactory = _ => LlmBankBuildOptions.Ratings };

    /// <summary>`--calibration N`.</summary>
    public Option<int> Calibration { get; } = new("--calibration") { Description = "With --encoder embeddings:MODEL: messages rated to fit the probe (8-100000).", DefaultValueFactory = _ => 60 };

    /// <summary>`--temperature T`.</summary>
    public Option<double> Temperature { get; } = new("--temperature") { Description = "Generation temperature in [0, 2] (ratings use 0).", DefaultValueFactory = _ => 0.8 };

    /// <summary>Add the options to a command.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option o in new Option[] { PerCell, Prompts, Encoder, Calibration, Temperature }) command.Add(o);
    }

    /// <summary>Parse into the library's options and validate them there; throws <see cref="UsageException"/> naming the option.</summary>
    public BankBuildSettings Read(ParseResult parse, LlmSpec spec, string option, ulong seed, LlmCallSettings call)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(call);
        IReadOnlyList<StylePrompt>? prompts = null;
        if (parse.GetValue(Prompts) is { } text)
        {
            try { prompts = StylePrompt.ParseList(text); }
            catch (FormatException ex) { throw new UsageException("--prompts: " + ex.Message); }
        }
        var options = new LlmBankBuildOptions
        {
            Model = spec,
            Encoder = parse.GetValue(Encoder)!,
            PerCell = parse.GetValue(PerCell),
            Prompts = prompts,
            Calibration = parse.GetValue(Calibration),
            Temperature = parse.GetValue(Temperature),
            Seed = seed,
            Client = call.ClientOptions(spec, null),
        };
        try { options.Validate(); }
        catch (ArgumentException ex) { throw BankBuildRunner.Names(option).Translate(ex); }
        return new BankBuildSettings(options, option);
    }
}

/// <summary>Runs a bank build for the CLI: the progress line, the notes on stderr, and the library's failures as
/// one-line usage errors naming the option (the work is <see cref="LlmBankBuild"/>).</summary>
public static class BankBuildRunner
{
    /// <summary>Parameter names of <see cref="LlmBankBuildOptions"/> (and its client options) → option names, with the
    /// model named by <paramref name="modelOption"/>.</summary>
    public static OptionMap Names(string modelOption) => new(new Dictionary<string, string>
    {
        ["Model"] = modelOption, ["Encoder"] = "--encoder", ["PerCell"] = "--per-cell", ["Prompts"] = "--prompts", ["Calibration"] = "--calibration",
        ["Temperature"] = "--temperature", ["OutFile"] = "--out", ["MaxCalls"] = "--llm-max-calls", ["MaxResponseBytes"] = "--llm-max-response-bytes",
        ["AttemptTimeout"] = "--llm-timeout", ["MaxRetries"] = "--llm-retries", ["MaxConcurrency"] = "--llm-concurrency",
    });

    /// <summary>Build the bank (and write it when the options name a file). A setup problem, a cassette miss, too few
    /// calibration labels, a cell with no usable response or a used-up call budget is a <see cref="UsageException"/>.</summary>
    public static async Task<LlmBankBuildResult> BuildAsync(BankBuildSettings settings, CliIo io, bool quiet, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(io);
        LlmBankBuildOptions options = settings.Options;
        string label = $"bank: {options.PromptList.Count} prompts x 12 contexts x {options.PerCell} with {settings.Spec} ({settings.EncoderText})";
        try
        {
            // Opened first, so a setup problem is one line before any work or progress.
            using BankBuildSession session = LlmBankBuild.Open(options);
            foreach (string note in session.Notes) io.Error.WriteLine("note: " + ConsoleText.Safe(note));
            return await ProgressReporter.RunAsync(io, label, quiet, progress => session.RunAsync(progress, cancellationToken)).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw Names(settings.Option).Translate(ex);
        }
        catch (LlmConfigurationException ex)
        {
            throw new UsageException($"{settings.Option}: {LlmOptions.Message(ex)}");
        }
        catch (Tandem.Core.Ports.StudyStopException ex)
        {
            throw new UsageException($"{settings.Option}: {ex.Message}");
        }
        catch (Exception ex) when (options.OutFile is not null && ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out '{ConsoleText.Safe(options.OutFile, 300)}' cannot be written: {ex.Message}");
        }
    }
}
