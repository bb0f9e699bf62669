using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using Tandem.Cli.Console;
using Tandem.Cli.Llm;
using Tandem.Core.Running;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;

namespace Tandem.Cli.Gambit;

/// <summary>How a bank is built with a language model (validated by <see cref="BankBuildCliOptions.Read"/>).</summary>
/// <param name="Spec">The chat model that writes and (for ratings) scores the messages.</param>
/// <param name="Option">The option that named it (--llm or --generator), for messages.</param>
/// <param name="EmbeddingModel">The embedding model of <c>--encoder embeddings:MODEL</c>, or null for ratings.</param>
/// <param name="PerCell">Responses per (prompt, context) cell.</param>
/// <param name="Prompts">Prompts to generate for.</param>
/// <param name="Calibration">Messages rated to fit the embedding probe.</param>
/// <param name="Temperature">Generation temperature.</param>
/// <param name="Seed">Seed of the sampling seeds.</param>
/// <param name="Call">Timeouts, retries, concurrency, recording.</param>
public sealed record BankBuildSettings(LlmSpec Spec, string Option, string? EmbeddingModel, int PerCell, IReadOnlyList<StylePrompt> Prompts,
    int Calibration, float Temperature, ulong Seed, LlmCallSettings Call)
{
    /// <summary>"ratings" or "embeddings:MODEL".</summary>
    public string EncoderText => EmbeddingModel is null ? "ratings" : "embeddings:" + EmbeddingModel;

    /// <summary>Model calls a build needs when nothing fails: one generation per response, plus one rating per response
    /// (ratings) or one embedding per response and a rating and an embedding per calibration message (embeddings).</summary>
    public long PlannedCalls
    {
        get
        {
            long responses = (long)Prompts.Count * GambitContext.Count * PerCell;
            return EmbeddingModel is null ? 2 * responses : 2 * responses + 2L * Math.Min(Calibration, responses);
        }
    }
}

/// <summary>The options of a bank build, shared by `gambitts bank build` and `gambitts --generator`.</summary>
public sealed class BankBuildCliOptions
{
    /// <summary>`--per-cell N`.</summary>
    public Option<int> PerCell { get; } = new("--per-cell") { Description = "Responses generated per (prompt, context) cell, N (1-10000).", DefaultValueFactory = _ => 5 };

    /// <summary>`--prompts LIST`.</summary>
    public Option<string?> Prompts { get; } = new("--prompts") { Description = "Prompts to generate for: dimensions (optimism = both directions) or prompts (optimism:high), comma-separated (default: all 40 = 20 dimensions x high/low)." };

    /// <summary>`--encoder ratings|embeddings:MODEL`.</summary>
    public Option<string> Encoder { get; } = new("--encoder") { Description = "How messages get style scores: ratings (the model rates each of the 20 dimensions 0-10; one call per message) or embeddings:MODEL (the provider's embedding model plus a ridge probe fitted on --calibration rated messages).", DefaultValueFactory = _ => "ratings" };

    /// <summary>`--calibration N`.</summary>
    public Option<int> Calibration { get; } = new("--calibration") { Description = "With --encoder embeddings:MODEL: messages rated to fit the probe (8-100000).", DefaultValueFactory = _ => 60 };

    /// <summary>`--temperature T`.</summary>
    public Option<double> Temperature { get; } = new("--temperature") { Description = "Generation temperature in [0, 2] (ratings use 0).", DefaultValueFactory = _ => 0.8 };

    /// <summary>Add the options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { PerCell, Prompts, Encoder, Calibration, Temperature }) command.Add(o);
    }

    /// <summary>Read and validate; throws <see cref="UsageException"/> naming the option.</summary>
    public BankBuildSettings Read(ParseResult parse, LlmSpec spec, string option, ulong seed, LlmCallSettings call)
    {
        int perCell = parse.GetValue(PerCell);
        if (perCell is < 1 or > 10_000) throw new UsageException($"--per-cell {perCell} must lie in 1-10000.");
        IReadOnlyList<StylePrompt> prompts = StylePrompt.All;
        if (parse.GetValue(Prompts) is { } text)
        {
            try { prompts = StylePrompt.ParseList(text); }
            catch (FormatException ex) { throw new UsageException("--prompts: " + ex.Message); }
        }
        string encoder = parse.GetValue(Encoder)!.Trim();
        string? embeddingModel = null;
        if (encoder.StartsWith("embeddings:", StringComparison.OrdinalIgnoreCase))
        {
            embeddingModel = encoder["embeddings:".Length..].Trim();
            if (embeddingModel.Length == 0 || embeddingModel.Any(char.IsWhiteSpace)) throw new UsageException($"--encoder '{encoder}' names no embedding model (e.g. embeddings:text-embedding-3-small).");
        }
        else if (!encoder.Equals("ratings", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--encoder '{encoder}' is unknown; allowed: ratings, embeddings:MODEL.");
        int calibration = parse.GetValue(Calibration);
        if (calibration is < ProbeCalibration.MinimumLabelled or > 100_000) throw new UsageException($"--calibration {calibration} must lie in {ProbeCalibration.MinimumLabelled}-100000.");
        double temperature = parse.GetValue(Temperature);
        if (!(temperature >= 0 && temperature <= 2)) throw new UsageException($"--temperature {temperature.ToString(CultureInfo.InvariantCulture)} must lie in [0, 2].");
        return new BankBuildSettings(spec, option, embeddingModel, perCell, prompts, calibration, (float)temperature, seed, call);
    }
}

/// <summary>What a build produced besides the bank, for summaries.</summary>
/// <param name="Requested">Responses asked for (prompts × 12 × N).</param>
/// <param name="Generated">Messages generated.</param>
/// <param name="Encoded">Responses in the bank.</param>
/// <param name="Truncated">Messages cut to the length limit.</param>
/// <param name="ProbeR2">With the embedding encoder: the probe's in-sample R² per dimension on the calibration set.</param>
public sealed record BankBuildReport(int Requested, int Generated, int Encoded, int Truncated, IReadOnlyDictionary<string, double>? ProbeR2);

/// <summary>Builds a response bank with a language model for the CLI (the composition; the work is <see cref="BankBuilder"/>).</summary>
public static class BankBuildRunner
{
    /// <summary>Build the bank. Model use is counted in <paramref name="ledger"/>; the audit log is written to
    /// <paramref name="auditDir"/>/<paramref name="auditName"/>. A missing key, a cassette miss, too few calibration
    /// labels or a cell with no usable response is a <see cref="UsageException"/>.</summary>
    public static async Task<(ResponseBank Bank, BankBuildReport Report)> BuildAsync(BankBuildSettings settings, LlmLedger ledger, string auditDir, string auditName,
        CliIo io, bool quiet, CancellationToken cancellationToken)
    {
        // Disposed at the end so the audit log is complete (it flushes on dispose).
        using IChatClient client = LlmOptions.CreateClient(settings.Spec, settings.Call, ledger, auditDir, settings.Option, auditName);
        var generator = new MessageGenerator(client, ledger, new MessageGeneratorOptions { Temperature = settings.Temperature });
        var ratings = new RatingEncoder(client, ledger, StyleDimensions.All);
        using IEmbeddingGenerator<string, Embedding<float>>? embeddings = settings.EmbeddingModel is null ? null : CreateEmbeddings(settings, ledger);
        var options = new BankBuildOptions { PerCell = settings.PerCell, Seed = settings.Seed };
        int requested = settings.Prompts.Count * GambitContext.Count * settings.PerCell;
        int calibration = embeddings is null ? 0 : Math.Min(settings.Calibration, requested);
        long total = 2L * requested + calibration;
        string label = $"bank: {settings.Prompts.Count} prompts x 12 contexts x {settings.PerCell} with {settings.Spec} ({settings.EncoderText})";

        try
        {
            return await ProgressReporter.RunAsync(io, label, quiet, async progress =>
            {
                long calibrated = 0;
                var generation = new SyncProgress<BankBuildProgress>(p => progress.Report(new StudyProgress(p.Done, total)));
                GeneratedMessages messages = await BankBuilder.GenerateAsync(generator, settings.Prompts, options, generation, cancellationToken).ConfigureAwait(false);
                if (messages.Missing.Count > 0) throw new UsageException(MissingMessage(settings, messages.Missing, "generated"));

                IStyleEncoder encoder = ratings;
                IReadOnlyDictionary<string, double>? r2 = null;
                if (embeddings is not null)
                {
                    EmbeddingProbeEncoder probe = await ProbeCalibration.FitAsync(embeddings, ratings, messages.Sample(calibration, settings.Seed), ledger,
                        progress: () => progress.Report(new StudyProgress(requested + Interlocked.Increment(ref calibrated), total)), cancellationToken: cancellationToken).ConfigureAwait(false);
                    r2 = probe.Dimensions.Select((d, k) => (d, probe.Probe.TrainingR2[k])).ToDictionary(x => x.d, x => x.Item2, StringComparer.Ordinal);
                    encoder = probe;
                }
                var encoding = new SyncProgress<BankBuildProgress>(p => progress.Report(new StudyProgress(requested + calibration + p.Done, total)));
                BankBuildResult result = await BankBuilder.EncodeAsync(messages, encoder, options, encoding, cancellationToken).ConfigureAwait(false);
                if (result.Bank is null) throw new UsageException(MissingMessage(settings, result.Missing, "scored"));
                return (result.Bank, new BankBuildReport(result.Requested, result.Generated, result.Encoded, result.Truncated, r2));
            }).ConfigureAwait(false);
        }
        catch (BankSetupException ex)
        {
            throw new UsageException($"{settings.Option}: {ex.Message}");
        }
    }

    private static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddings(BankBuildSettings settings, LlmLedger ledger)
    {
        try
        {
            return LlmEmbeddings.Create(settings.Spec, settings.EmbeddingModel!, ledger, new LlmClientOptions
            {
                Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(settings.Call.TimeoutSeconds), MaxRetries = settings.Call.Retries, MaxConcurrency = settings.Call.Concurrency },
                RecordPath = settings.Spec.Kind == LlmKind.Replay ? null : settings.Call.Record,
            });
        }
        catch (LlmConfigurationException ex)
        {
            throw new UsageException("--encoder: " + ex.Message);
        }
    }

    private static string MissingMessage(BankBuildSettings settings, IReadOnlyList<MissingCell> missing, string what)
    {
        string cells = string.Join("; ", missing.Take(3).Select(m => m.ToString())) + (missing.Count > 3 ? $"; and {missing.Count - 3} more" : "");
        return $"{settings.Option}: {missing.Count} (prompt, context) cell(s) have no {what} response after {BankBuildDefaults.MaxAttempts} attempts each, so no bank was written: {cells}.";
    }

    private static class BankBuildDefaults
    {
        public static readonly int MaxAttempts = new BankBuildOptions().MaxAttempts;
    }

    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
