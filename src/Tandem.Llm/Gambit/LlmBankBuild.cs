using System.Globalization;
using Microsoft.Extensions.AI;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;

namespace Tandem.Llm.Gambit;

/// <summary>
/// What `gambitts bank build` (and `gambitts --generator`) asks for: the model, the encoder, the size of the bank and
/// how the model is called. Pure data (no delegates), immutable; <see cref="Validate"/> names the first option out of
/// range by its parameter name.
/// </summary>
public sealed record LlmBankBuildOptions
{
    /// <summary>The <see cref="Encoder"/> value of the rating encoder (the default).</summary>
    public const string Ratings = "ratings";

    /// <summary>The prefix of <see cref="Encoder"/> values naming an embedding model.</summary>
    public const string EmbeddingsPrefix = "embeddings:";

    /// <summary>The chat model that writes (and, for ratings, scores) the messages. Required.</summary>
    public LlmSpec? Model { get; init; }

    /// <summary>How messages get style scores: <see cref="Ratings"/> (the model rates each dimension 0-10, one call
    /// per message) or <c>embeddings:MODEL</c> (the provider's embedding model plus a ridge probe fitted on
    /// <see cref="Calibration"/> rated messages). Default <see cref="Ratings"/>.</summary>
    public string Encoder { get; init; } = Ratings;

    /// <summary>Responses per (prompt, context) cell, N. Range: 1-10,000. Default 5.</summary>
    public int PerCell { get; init; } = 5;

    /// <summary>The prompts to generate for (seed 002 App. F.1); null = all 40 (<see cref="StylePrompt.All"/>). No repeats.</summary>
    public IReadOnlyList<StylePrompt>? Prompts { get; init; }

    /// <summary>With an embedding encoder: messages rated to fit the probe. Range: <see cref="ProbeCalibration.MinimumLabelled"/>-100,000. Default 60.</summary>
    public int Calibration { get; init; } = 60;

    /// <summary>Generation temperature (ratings use 0). Range: [0, 2]. Default 0.8.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Random seed of the per-request sampling seeds: the same seed and cassette give the same bank. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>How the model is called: deadlines, retries, concurrency, call budget, response cap, key rules, the
    /// cassette (<see cref="LlmClientOptions.RecordPath"/>, ignored for a replay spec) and the audit log.</summary>
    public LlmClientOptions Client { get; init; } = new();

    /// <summary>Write the bank CSV here (<see cref="GeneratedBankCsv.Write(ResponseBank, string)"/>), or null to only return it.</summary>
    public string? OutFile { get; init; }

    /// <summary>The prompts built for: <see cref="Prompts"/> or all 40.</summary>
    public IReadOnlyList<StylePrompt> PromptList => Prompts ?? StylePrompt.All;

    /// <summary>The embedding model of an <c>embeddings:MODEL</c> encoder, or null for ratings (after <see cref="Validate"/>).</summary>
    public string? EmbeddingModel =>
        Encoder.Trim().StartsWith(EmbeddingsPrefix, StringComparison.OrdinalIgnoreCase) ? Encoder.Trim()[EmbeddingsPrefix.Length..].Trim() : null;

    /// <summary>"ratings" or "embeddings:MODEL".</summary>
    public string EncoderText => EmbeddingModel is { } model ? EmbeddingsPrefix + model : Ratings;

    /// <summary>Responses asked for: prompts × 12 contexts × N.</summary>
    public int Requested => PromptList.Count * GambitContext.Count * PerCell;

    /// <summary>Model calls a build needs when nothing fails: one generation per response, plus one rating per response
    /// (ratings) or one embedding per response and a rating and an embedding per calibration message (embeddings).</summary>
    public long PlannedCalls => EmbeddingModel is null ? 2L * Requested : 2L * Requested + 2L * Math.Min(Calibration, Requested);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Model is null) throw new ArgumentNullException(nameof(Model), "Name the chat model that writes the messages.");
        ArgumentNullException.ThrowIfNull(Encoder, nameof(Encoder));
        string encoder = Encoder.Trim();
        if (encoder.StartsWith(EmbeddingsPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string model = encoder[EmbeddingsPrefix.Length..].Trim();
            if (model.Length == 0 || model.Any(char.IsWhiteSpace))
                throw new ArgumentOutOfRangeException(nameof(Encoder), Encoder, $"Encoder '{Encoder}' names no embedding model (e.g. embeddings:text-embedding-3-small).");
        }
        else if (!encoder.Equals(Ratings, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentOutOfRangeException(nameof(Encoder), Encoder, $"Encoder '{Encoder}' is unknown; allowed: ratings, embeddings:MODEL.");
        if (PerCell is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(PerCell), PerCell, "Responses per cell must lie in 1-10000.");
        if (Prompts is { } prompts)
        {
            if (prompts.Count == 0) throw new ArgumentException("Name at least one prompt.", nameof(Prompts));
            if (prompts.Distinct().Count() != prompts.Count) throw new ArgumentException("A prompt is listed twice.", nameof(Prompts));
        }
        if (Calibration < ProbeCalibration.MinimumLabelled || Calibration > 100_000)
            throw new ArgumentOutOfRangeException(nameof(Calibration), Calibration, $"Calibration messages must lie in {ProbeCalibration.MinimumLabelled}-100000.");
        if (!(Temperature >= 0 && Temperature <= 2)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must lie in [0, 2].");
        ArgumentNullException.ThrowIfNull(Client, nameof(Client));
        Client.Validate();
        if (OutFile is not null && string.IsNullOrWhiteSpace(OutFile)) throw new ArgumentException("The bank file path is empty.", nameof(OutFile));
    }
}

/// <summary>The `tandem gambitts bank build --json` object.</summary>
/// <param name="Command">"gambitts bank build".</param>
/// <param name="Out">The bank CSV written (full path), or null when none was written.</param>
/// <param name="Model">The chat model's spec (credentials masked).</param>
/// <param name="Encoder">"ratings" or "embeddings:MODEL".</param>
/// <param name="PerCell">N.</param>
/// <param name="Prompts">Prompt names.</param>
/// <param name="Contexts">12.</param>
/// <param name="Dimensions">Style dimensions scored.</param>
/// <param name="Requested">Responses asked for.</param>
/// <param name="Generated">Messages generated.</param>
/// <param name="Responses">Rows in the bank.</param>
/// <param name="Truncated">Messages cut to the length limit.</param>
/// <param name="ProbeR2">In-sample R² of the embedding probe per dimension (embeddings encoder only).</param>
/// <param name="Seed">Seed of the sampling seeds.</param>
/// <param name="WallSeconds">Wall time.</param>
/// <param name="Llm">Model use (calls, tokens, cache hits, fallbacks by reason, latency).</param>
/// <param name="Formats">Model requests by the answer format they were sent with (<see cref="Middleware.AnswerFormats"/>:
/// grammar, json-schema, free; <see cref="LlmLedger.Formats"/>); empty when every answer came from a cassette.</param>
public sealed record BankBuildSummary(string Command, string? Out, string Model, string Encoder, int PerCell, IReadOnlyList<string> Prompts, int Contexts,
    IReadOnlyList<string> Dimensions, int Requested, int Generated, int Responses, int Truncated, IReadOnlyDictionary<string, double>? ProbeR2, ulong Seed,
    double WallSeconds, ModelUse Llm, IReadOnlyDictionary<string, long> Formats);

/// <summary>A build that cannot give a bank without holes: a (prompt, context) cell has no usable response after every
/// attempt, a replay cassette lacks an answer, or the probe had too few labels. Nothing was written.</summary>
public sealed class BankBuildStopException(string message, Exception? innerException = null) : Tandem.Core.Ports.StudyStopException(message, innerException);

/// <summary>What a bank build produced: the bank and its summary; it reports itself.</summary>
public sealed class LlmBankBuildResult : IReportable
{
    internal LlmBankBuildResult(ResponseBank bank, BankBuildSummary summary, IReadOnlyList<string> notes)
    {
        Bank = bank;
        Summary = summary;
        Notes = notes;
    }

    /// <summary>The bank (scores and texts).</summary>
    public ResponseBank Bank { get; }

    /// <summary>The summary object.</summary>
    public BankBuildSummary Summary { get; }

    /// <summary>What the hosts must say besides the summary: a torn cassette tail that was skipped or cut off
    /// (<see cref="CassetteChatClient.TornTail"/>). Empty when there is nothing.</summary>
    public IReadOnlyList<string> Notes { get; }

    object IReportable.Summary => Summary;

    /// <inheritdoc />
    public Report ToReport()
    {
        BankBuildSummary s = Summary;
        CultureInfo inv = CultureInfo.InvariantCulture;
        string fallbacks = s.Llm.Fallbacks.Count == 0 ? "none" : string.Join(", ", s.Llm.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"));
        string formats = s.Formats.Count == 0 ? "no request reached a model" : string.Join(", ", s.Formats.Select(kv => $"{kv.Key} {kv.Value}"));
        var body = new List<ReportBlock>
        {
            new HeadingBlock("GAMBITTS response bank"),
            new ParagraphBlock($"{s.Responses} responses of {s.Requested} asked ({s.Prompts.Count} prompts × {s.Contexts} contexts × {s.PerCell}), " +
                $"{s.Dimensions.Count} style dimensions, encoder {ReportText.Code(s.Encoder)}, model {ReportText.Code(s.Model)}, seed {s.Seed}. " +
                $"{s.Generated} messages generated, {s.Truncated} cut to the length limit. Wall time {s.WallSeconds.ToString("F1", inv)} s."),
            new ParagraphBlock($"Model use: {s.Llm.Calls} calls, {s.Llm.CacheHits} cassette answers, {s.Llm.PromptTokens} prompt + {s.Llm.CompletionTokens} completion tokens; " +
                $"fallbacks (answers the bank does not hold): {ReportText.Code(fallbacks)}; answer format of the requests: {ReportText.Code(formats)} " +
                "(a grammar for gguf: and llamacpp:, a JSON schema for ollama: ratings, free-form where the provider declares neither or with --llm-format free)."),
        };
        foreach (string note in Notes) body.Add(new CodeBlock(note));
        var files = new List<ReportFile>();
        if (s.ProbeR2 is { } r2)
        {
            body.Add(new TableBlock(["dimension", "probe R² (in sample)"], r2.Select(kv => (IReadOnlyList<string>)[kv.Key, ReportText.Number(kv.Value)]).ToArray(),
                "How well the embedding probe reproduces the model's ratings on the calibration messages."));
            files.Add(new RowTable("probe-r2.csv", ["dimension", "r2"], r2.Select(kv => (IReadOnlyList<object?>)[kv.Key, kv.Value]).ToArray()));
        }
        return new Report("Tandem — GAMBITTS bank", s, files, body);
    }
}

/// <summary>
/// The library entry point of `gambitts bank build` (seed 002 App. F: responses are generated first, then scored):
/// opens the model's pipeline (and the embedding model's), generates prompts × 12 contexts × N messages
/// (<see cref="BankBuilder.GenerateAsync"/>), fits the embedding probe when asked (<see cref="ProbeCalibration"/>),
/// scores every message (<see cref="BankBuilder.EncodeAsync"/>) and writes the CSV atomically. Hosts parse and render.
/// </summary>
public static class LlmBankBuild
{
    /// <summary>The summary's command name.</summary>
    public const string Command = "gambitts bank build";

    /// <summary>Open the model pipelines of a build, so that every setup problem is raised before any work; then call
    /// <see cref="BankBuildSession.RunAsync"/> and dispose the session (which completes the audit log and lets go of
    /// the cassette).</summary>
    /// <param name="options">What to build (validated here).</param>
    /// <param name="environment">Reads environment variables (API keys); the process environment when null.</param>
    /// <param name="timeProvider">Clock of the wall time and the middleware; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">An option is out of range (its parameter name is the option's).</exception>
    /// <exception cref="LlmConfigurationException">The model cannot be set up: a missing key, an unreadable cassette, an
    /// unwritable cassette or audit log, a cassette another study records to.</exception>
    public static BankBuildSession Open(LlmBankBuildOptions options, Func<string, string?>? environment = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new BankBuildSession(options, environment, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Open, run and close a build (<see cref="Open"/>, <see cref="BankBuildSession.RunAsync"/>).</summary>
    /// <param name="options">What to build (validated here).</param>
    /// <param name="progress">Receives completed/total model steps (generations, calibrations, encodings).</param>
    /// <param name="environment">Reads environment variables (API keys); the process environment when null.</param>
    /// <param name="timeProvider">Clock of the wall time and the middleware; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Stops the build.</param>
    public static async Task<LlmBankBuildResult> RunAsync(LlmBankBuildOptions options, IProgress<StudyProgress>? progress = null,
        Func<string, string?>? environment = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        using BankBuildSession session = Open(options, environment, timeProvider);
        return await session.RunAsync(progress, cancellationToken).ConfigureAwait(false);
    }

    internal static string MissingMessage(IReadOnlyList<MissingCell> missing, string what)
    {
        string cells = string.Join("; ", missing.Take(3).Select(m => m.ToString())) + (missing.Count > 3 ? $"; and {missing.Count - 3} more" : "");
        return $"{missing.Count} (prompt, context) cell(s) have no {what} response after {new BankBuildOptions().MaxAttempts} attempts each, so no bank was written: {cells}.";
    }
}

/// <summary>A bank build whose model pipelines are open (<see cref="LlmBankBuild.Open"/>). Run it once; dispose it to
/// complete the audit log and let go of the cassette.</summary>
public sealed class BankBuildSession : IDisposable
{
    private readonly LlmBankBuildOptions _options;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly LlmLedger _ledger = new();
    private readonly IChatClient _chat;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embeddings;
    private readonly List<string> _notes = [];

    internal BankBuildSession(LlmBankBuildOptions options, Func<string, string?>? environment, TimeProvider time)
    {
        _options = options;
        _time = time;
        _start = time.GetTimestamp();
        LlmSpec spec = options.Model!;
        LlmClientOptions client = options.Client with { RecordPath = spec.Kind == LlmKind.Replay ? null : options.Client.RecordPath };
        LlmClients.CheckOutputs(client);
        _chat = LlmClients.Create(spec, _ledger, client, environment, time);
        try
        {
            if (_chat.GetService<CassetteChatClient>()?.TornTail is { } chatTail) _notes.Add(chatTail);
            if (options.EmbeddingModel is { } embeddingModel)
            {
                _embeddings = LlmEmbeddings.Create(spec, embeddingModel, _ledger, client, environment, time);
                if (_embeddings.GetService<CassetteEmbeddingGenerator>()?.TornTail is { } embeddingTail) _notes.Add(embeddingTail);
            }
        }
        catch
        {
            _chat.Dispose();
            throw;
        }
    }

    /// <summary>The model use so far.</summary>
    public LlmLedger Ledger => _ledger;

    /// <summary>What the hosts must say besides the summary: a torn cassette tail that was skipped or cut off when the
    /// cassettes were opened (<see cref="CassetteChatClient.TornTail"/>). Empty when there is nothing.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Build the bank, and write it when <see cref="LlmBankBuildOptions.OutFile"/> is set.</summary>
    /// <param name="progress">Receives completed/total model steps (generations, calibrations, encodings).</param>
    /// <param name="cancellationToken">Stops the build.</param>
    /// <exception cref="BankBuildStopException">A cell has no usable response, a replay cassette lacks an answer, the
    /// call budget is used up, a record cannot be written, or the probe had too few labels. Nothing was written.</exception>
    /// <exception cref="LlmUnavailableException">The chat model or the embedding model did not answer the up-front check
    /// (<see cref="ModelCheck.RunAsync"/>, <see cref="ModelCheck.RunEmbeddingAsync"/>); nothing was generated.</exception>
    /// <exception cref="IOException">The bank file cannot be written.</exception>
    public async Task<LlmBankBuildResult> RunAsync(IProgress<StudyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        LlmBankBuildOptions options = _options;
        IReadOnlyList<StylePrompt> prompts = options.PromptList;
        // Issue 14, loud failures: a model that cannot answer stops the build before any generation (LlmUnavailableException).
        await ModelCheck.RunAsync(_chat, options.Model!.ToString(), options.Client.Resilience.AttemptTimeout, _time, cancellationToken).ConfigureAwait(false);
        if (_embeddings is not null)
            await ModelCheck.RunEmbeddingAsync(_embeddings, options.EncoderText + " (" + options.Model + ")", options.Client.Resilience.AttemptTimeout, _time, cancellationToken).ConfigureAwait(false);
        var generator = new MessageGenerator(_chat, _ledger, new MessageGeneratorOptions { Temperature = (float)options.Temperature });
        var ratings = new RatingEncoder(_chat, _ledger, StyleDimensions.All);
        var build = new BankBuildOptions { PerCell = options.PerCell, Seed = options.Seed };
        int requested = options.Requested;
        int calibration = _embeddings is null ? 0 : Math.Min(options.Calibration, requested);
        long total = 2L * requested + calibration;
        long calibrated = 0;
        try
        {
            var generation = new SyncProgress<BankBuildProgress>(p => progress?.Report(new StudyProgress(p.Done, total)));
            GeneratedMessages messages = await BankBuilder.GenerateAsync(generator, prompts, build, generation, cancellationToken).ConfigureAwait(false);
            if (messages.Missing.Count > 0) throw new BankBuildStopException(LlmBankBuild.MissingMessage(messages.Missing, "generated"));

            IStyleEncoder encoder = ratings;
            IReadOnlyDictionary<string, double>? r2 = null;
            if (_embeddings is not null)
            {
                EmbeddingProbeEncoder probe = await ProbeCalibration.FitAsync(_embeddings, ratings, messages.Sample(calibration, options.Seed), _ledger,
                    progress: () => progress?.Report(new StudyProgress(requested + Interlocked.Increment(ref calibrated), total)), cancellationToken: cancellationToken).ConfigureAwait(false);
                r2 = probe.Dimensions.Select((d, k) => (d, probe.Probe.TrainingR2[k])).ToDictionary(x => x.d, x => x.Item2, StringComparer.Ordinal);
                encoder = probe;
            }
            var encoding = new SyncProgress<BankBuildProgress>(p => progress?.Report(new StudyProgress(requested + calibration + p.Done, total)));
            BankBuildResult result = await BankBuilder.EncodeAsync(messages, encoder, build, encoding, cancellationToken).ConfigureAwait(false);
            if (result.Bank is null) throw new BankBuildStopException(LlmBankBuild.MissingMessage(result.Missing, "scored"));

            string? written = null;
            if (options.OutFile is { } file)
            {
                written = Path.GetFullPath(file);
                GeneratedBankCsv.Write(result.Bank, written);
            }
            double wall = _time.GetElapsedTime(_start).TotalSeconds;
            var summary = new BankBuildSummary(LlmBankBuild.Command, written, options.Model!.ToString(), options.EncoderText, options.PerCell,
                prompts.Select(p => p.Name).ToArray(), GambitContext.Count, result.Bank.Dimensions, result.Requested, result.Generated, result.Encoded,
                result.Truncated, r2, options.Seed, wall, ModelUses.From(_ledger), _ledger.Formats);
            return new LlmBankBuildResult(result.Bank, summary, _notes.ToArray());
        }
        catch (BankSetupException ex)
        {
            throw new BankBuildStopException(ex.Message, ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _embeddings?.Dispose();
        _chat.Dispose();
    }

    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
