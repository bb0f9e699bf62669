using Spectre.Console;
using Tandem.Core.Reports;
using Tandem.Llm.Gambit;
using Tandem.Reporting;

namespace Tandem.Cli.Gambit;

/// <summary>Runs `tandem gambitts bank build`: builds and writes the bank (<see cref="LlmBankBuild"/>), prints the summary.</summary>
public static class BankBuildCommandRunner
{
    /// <summary>Run; returns the exit code.</summary>
    public static async Task<int> RunAsync(BankBuildSettings settings, string outFile, bool json, CliIo io, System.CommandLine.ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(io);
        string full = Path.GetFullPath(outFile);
        string dir = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out '{outFile}': the folder cannot be created: {ex.Message}");
        }
        settings = settings.WithOutputs(Path.Combine(dir, Path.GetFileNameWithoutExtension(full) + ".audit.jsonl"), full);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        BankBuildSummary summary = (await BankBuildRunner.BuildAsync(settings, io, json, cancellationToken).ConfigureAwait(false)).Summary;
        if (json)
        {
            Tandem.Cli.Hosting.StudyOutput.Print(io, Tandem.Cli.Hosting.StudyOutput.Envelope(parse, settings.Options.Seed, started, summary));
            return CliApp.Ok;
        }
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(io.Output);
        console.MarkupLine($"[bold]GAMBITTS bank[/]: {summary.Responses} responses of {summary.Requested} asked ({summary.Prompts.Count} prompts x 12 contexts x {summary.PerCell}), {summary.Dimensions.Count} dimensions, encoder {Markup.Escape(summary.Encoder)}");
        ModelUse llm = summary.Llm;
        string fallbacks = llm.Fallbacks.Count == 0 ? "none" : string.Join(", ", llm.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"));
        console.MarkupLine(Markup.Escape($"model {summary.Model}: {llm.Calls} calls, {llm.CacheHits} cache hits, {llm.PromptTokens} prompt + {llm.CompletionTokens} completion tokens, fallbacks: {fallbacks}"));
        console.MarkupLine($"{summary.WallSeconds:F1} s. Bank: {Markup.Escape(full)} (use it with: tandem gambitts --experiment ... --bank FILE)");
        return CliApp.Ok;
    }
}
