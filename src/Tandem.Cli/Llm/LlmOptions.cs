using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using Tandem.Cli.Hosting;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Llm.Providers.Gguf;

namespace Tandem.Cli.Llm;

/// <summary>How every command calls a language model (validated; the same for libra, dlm and gambitts).</summary>
/// <param name="Record">Record answers to this cassette, or null.</param>
/// <param name="TimeoutSeconds">Deadline of one attempt.</param>
/// <param name="Retries">Retries of a transient failure.</param>
/// <param name="Concurrency">Calls in flight at most across the study.</param>
/// <param name="MaxCalls">Model calls allowed before the study stops, or null for no limit.</param>
/// <param name="MaxResponseBytes">Bytes read of one HTTP response at most (<see cref="LlmClientOptions.MaxResponseBytes"/>).</param>
/// <param name="AllowKeyOverHttp">Send an API key over plain http to another machine (<see cref="LlmClientOptions.AllowKeyOverHttp"/>).</param>
/// <param name="MaxFallbackRate">Stop a study when more than this share of a model's answers were fallbacks
/// (<see cref="LlmClientOptions.MaxFallbackRate"/>); null = no guard (bank builds, whose fallbacks are retried, never kept).</param>
/// <param name="ContextSize">Tokens of context of an in-process <c>gguf:</c> model (<see cref="GgufOptions.ContextSize"/>).</param>
/// <param name="Format">Whether decoding follows each port's answer grammar where the provider can (<see cref="LlmClientOptions.Format"/>).</param>
public sealed record LlmCallSettings(string? Record = null, double TimeoutSeconds = 30, int Retries = 2, int Concurrency = 4, long? MaxCalls = null,
    long MaxResponseBytes = LlmClientOptions.DefaultMaxResponseBytes, bool AllowKeyOverHttp = false, double? MaxFallbackRate = null,
    int ContextSize = GgufOptions.DefaultContextSize, AnswerFormat Format = AnswerFormat.Constrained)
{
    /// <summary>The library's options for a client of <paramref name="spec"/> (no recording for a replay spec; null = any
    /// spec that records) writing its audit log to <paramref name="auditPath"/> (null = none).</summary>
    public LlmClientOptions ClientOptions(LlmSpec? spec, string? auditPath) =>
        new()
        {
            Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(TimeoutSeconds), MaxRetries = Retries, MaxConcurrency = Concurrency },
            RecordPath = spec is { Kind: LlmKind.Replay } ? null : Record,
            AuditPath = auditPath,
            MaxCalls = MaxCalls,
            MaxResponseBytes = MaxResponseBytes,
            AllowKeyOverHttp = AllowKeyOverHttp,
            MaxFallbackRate = MaxFallbackRate,
            Gguf = new GgufOptions { ContextSize = ContextSize },
            Format = Format,
        };
}

/// <summary>The `--record`, `--llm-timeout`, `--llm-retries`, `--llm-concurrency`, `--llm-max-calls`,
/// `--llm-max-response-bytes` and `--allow-key-over-http` options, shared by the commands that can call a language model.</summary>
public sealed class LlmOptions
{
    /// <summary>Create the options; <paramref name="role"/> names the option that takes a model, e.g. "--advisor".</summary>
    public LlmOptions(string role)
    {
        Role = role;
        Record = new("--record") { Description = $"With a language model in {role}: record every answer to this cassette (replay it later with {role} replay:FILE).", Recursive = true };
    }

    /// <summary>The option that takes a model spec (for messages).</summary>
    public string Role { get; }

    /// <summary>`--record FILE`.</summary>
    public Option<string?> Record { get; }

    /// <summary>`--llm-timeout SECONDS`.</summary>
    public Option<double> Timeout { get; } = new("--llm-timeout") { Description = "Seconds an LLM call may take before it counts as a timeout fallback.", DefaultValueFactory = _ => 30.0, Recursive = true };

    /// <summary>`--llm-retries N`.</summary>
    public Option<int> Retries { get; } = new("--llm-retries") { Description = "Retries of a failed LLM call (timeouts, connection errors, 429/5xx) before it falls back.", DefaultValueFactory = _ => 2, Recursive = true };

    /// <summary>`--llm-max-calls N`.</summary>
    public Option<long?> MaxCalls { get; } = new("--llm-max-calls") { Description = "Stop the study (exit 2) instead of making more than N calls to a model (per model, retries included; a cost guard; answers so far stay in the --record cassette, and a rerun with the same --record answers them from it for free). Default: no limit.", Recursive = true };

    /// <summary>`--llm-concurrency N`.</summary>
    public Option<int> Concurrency { get; } = new("--llm-concurrency") { Description = "LLM calls in flight at most, across all runs.", DefaultValueFactory = _ => 4, Recursive = true };

    /// <summary>`--llm-max-response-bytes N`.</summary>
    public Option<long> MaxResponseBytes { get; } = new("--llm-max-response-bytes") { Description = $"Bytes read of one model response at most (1024-1073741824); a larger answer is a parse fallback. Default {LlmClientOptions.DefaultMaxResponseBytes} (4 MiB).", DefaultValueFactory = _ => LlmClientOptions.DefaultMaxResponseBytes, Recursive = true };

    /// <summary>`--allow-key-over-http`.</summary>
    public Option<bool> AllowKeyOverHttp { get; } = new("--allow-key-over-http") { Description = "Send TANDEM_LLM_API_KEY over plain http to a host that is not this machine (it crosses the network in clear text; refused without this flag).", Recursive = true };

    /// <summary>`--max-fallback-rate R` (studies only: a bank build retries its fallbacks and never keeps one).</summary>
    public Option<double?> MaxFallbackRate { get; } = new("--max-fallback-rate") { Description = $"Stop the study (exit 2) when more than this share of a model's answers were fallbacks (timeouts, errors, unreadable or refused answers), checked from the {FallbackGuard.DefaultMinConsultations}th consultation on; per model, in [0, 1] (1 turns the guard off). A study never presents fallback behaviour as the model's.", DefaultValueFactory = _ => FallbackGuard.DefaultMaxRate, Recursive = true };

    /// <summary>`--llm-context N` (in-process gguf: models).</summary>
    public Option<int> ContextSize { get; } = new("--llm-context") { Description = $"Tokens of context of an in-process gguf:PATH model (prompt plus answer; {GgufOptions.MinContextSize}-{GgufOptions.MaxContextSize} and at most what the model was trained for). A prompt that does not fit stops the study (exit 2). Default {GgufOptions.DefaultContextSize}.", DefaultValueFactory = _ => GgufOptions.DefaultContextSize, Recursive = true };

    /// <summary>`--llm-format constrained|free`.</summary>
    public Option<string> Format { get; } = new("--llm-format") { Description = "constrained: decoding follows each answer's grammar or schema where the provider declares support (gguf: and llamacpp:URL, a GBNF grammar for every answer; ollama:, a JSON schema for the ratings, other answers free); openai: servers declare none and get free-form requests. free: never constrained. The parsers check every answer either way; the report says which format each model was sent. Default constrained.", DefaultValueFactory = _ => "constrained", Recursive = true };

    /// <summary>All of them but <see cref="MaxFallbackRate"/>, in help order.</summary>
    public IReadOnlyList<Option> All => [Record, Timeout, Retries, Concurrency, MaxCalls, MaxResponseBytes, AllowKeyOverHttp, ContextSize, Format];

    /// <summary>Parameter names of <see cref="LlmClientOptions"/> and <see cref="ResilienceOptions"/> → option names.</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["MaxCalls"] = "--llm-max-calls", ["MaxResponseBytes"] = "--llm-max-response-bytes", ["AttemptTimeout"] = "--llm-timeout",
        ["MaxRetries"] = "--llm-retries", ["MaxConcurrency"] = "--llm-concurrency", ["MaxFallbackRate"] = "--max-fallback-rate",
        ["ContextSize"] = "--llm-context",
    });

    /// <summary>Add the options of a study command to it (<see cref="All"/> and <see cref="MaxFallbackRate"/>).</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All) command.Add(option);
        command.Add(MaxFallbackRate);
        _study = true;
    }

    private bool _study;

    /// <summary>Read and validate; <paramref name="anyLiveModel"/> says whether some model spec can be recorded
    /// (a provider, not a replay cassette). Throws <see cref="UsageException"/> naming the option.</summary>
    public LlmCallSettings Read(ParseResult parse, bool anyLiveModel)
    {
        string? record = parse.GetValue(Record);
        if (record is not null && !anyLiveModel) throw new UsageException($"--record needs {Role} to be a language model (openai:..., ollama:... or gguf:...).");
        double timeout = parse.GetValue(Timeout);
        if (!double.IsFinite(timeout) || timeout <= 0 || timeout > 3600) throw new UsageException($"--llm-timeout {timeout.ToString(CultureInfo.InvariantCulture)} must lie in (0, 3600] seconds.");
        int retries = parse.GetValue(Retries);
        if (retries is < 0 or > 10) throw new UsageException($"--llm-retries {retries} must lie in 0-10.");
        int concurrency = parse.GetValue(Concurrency);
        if (concurrency is < 1 or > 256) throw new UsageException($"--llm-concurrency {concurrency} must lie in 1-256.");
        long? maxCalls = parse.GetValue(MaxCalls);
        if (maxCalls is < 1) throw new UsageException($"--llm-max-calls {maxCalls} must be at least 1.");
        // Only study commands take --max-fallback-rate (AddTo); elsewhere the guard is off.
        double? maxFallbackRate = _study ? parse.GetValue(MaxFallbackRate) : null;
        AnswerFormat format = parse.GetValue(Format)?.Trim().ToLowerInvariant() switch
        {
            "constrained" => AnswerFormat.Constrained,
            "free" => AnswerFormat.Free,
            var other => throw new UsageException($"--llm-format '{Tandem.Cli.Console.ConsoleText.Safe(other ?? "", 40)}' is unknown; use constrained or free."),
        };
        var settings = new LlmCallSettings(record, timeout, retries, concurrency, maxCalls, parse.GetValue(MaxResponseBytes), parse.GetValue(AllowKeyOverHttp), maxFallbackRate,
            parse.GetValue(ContextSize), format);
        // The ranges of the new options are the library's (LlmClientOptions.Validate).
        try { settings.ClientOptions(null, null).Validate(); }
        catch (ArgumentException ex) { throw Names.Translate(ex); }
        return settings;
    }

    /// <summary>Parse a model spec given to <paramref name="option"/>; a malformed spec is a usage error.</summary>
    public static LlmSpec ParseSpec(string text, string option)
    {
        try
        {
            return LlmSpec.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new UsageException(option + ": " + ex.Message);
        }
    }

    /// <summary>Build the client pipeline for a spec (audit log in the output folder, optional recording) after
    /// checking that its cassette and audit log can be written (<see cref="LlmClients.CheckOutputs"/>); a missing key, an
    /// unreadable cassette or an unwritable record is a usage error naming the option. The audit log's file name is
    /// <c>auditName</c> (default audit.jsonl).</summary>
    public static IChatClient CreateClient(LlmSpec spec, LlmCallSettings settings, LlmLedger ledger, string outDir, string option, string auditName = "audit.jsonl")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(settings);
        LlmClientOptions options = settings.ClientOptions(spec, Path.Combine(outDir, auditName));
        try
        {
            LlmClients.CheckOutputs(options);
            return LlmClients.Create(spec, ledger, options);
        }
        catch (LlmConfigurationException ex)
        {
            throw new UsageException(option + ": " + Message(ex));
        }
    }

    /// <summary>A setup error's message in the command line's words (the library names its option properties).</summary>
    public static string Message(LlmConfigurationException ex) =>
        (ex ?? throw new ArgumentNullException(nameof(ex))).Message
            .Replace("opt in with AllowKeyOverHttp", "opt in with --allow-key-over-http", StringComparison.Ordinal)
            .Replace("ContextSize", "--llm-context", StringComparison.Ordinal);

    /// <summary>What was done about a torn cassette tail when <paramref name="client"/> opened its cassette, or null.</summary>
    public static string? TornTail(IChatClient client) => client?.GetService<CassetteChatClient>()?.TornTail;
}

/// <summary>The model clients one command opens (one per spec), closed together when the command ends so their
/// audit logs and cassettes are complete. Each model is checked before the study (<see cref="CheckModelsAsync"/>), and
/// its fallbacks by reason are said on <paramref name="notes"/> (stderr) and in the report's first lines after it
/// (<see cref="CheckFallbacks"/>, <see cref="WithNotes"/>). A cassette whose torn last line was skipped or cut off when
/// it was opened is said on <paramref name="notes"/> as a "note:" line and kept in <see cref="Notes"/> for the report.</summary>
public sealed class LlmSession(LlmCallSettings settings, string outDir, string option, TextWriter? notes = null) : IDisposable
{
    private readonly List<(string Name, IChatClient Client, LlmLedger Ledger)> _clients = [];
    private readonly List<string> _notes = [];

    /// <summary>What the opened cassettes reported (torn tails), in opening order.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Open the pipeline of <paramref name="spec"/> (see <see cref="LlmOptions.CreateClient"/>).</summary>
    public IChatClient Open(LlmSpec spec, LlmLedger ledger, string auditName = "audit.jsonl")
    {
        ArgumentNullException.ThrowIfNull(spec);
        IChatClient client = LlmOptions.CreateClient(spec, settings, ledger, outDir, option, auditName);
        _clients.Add((spec.ToString(), client, ledger));
        if (LlmOptions.TornTail(client) is { } tail) Note(tail);
        return client;
    }

    /// <summary>Send every opened model the one tiny request of <c>tandem llm check</c> (<see cref="ModelCheck"/>) before
    /// anything is simulated; a model that does not answer within <c>--llm-timeout</c> is a <see cref="UsageException"/>
    /// (exit 2) naming the option, the model and the reason. Replay cassettes are not checked.</summary>
    public async Task CheckModelsAsync(CancellationToken cancellationToken = default)
    {
        foreach (var (name, client, _) in _clients)
        {
            try
            {
                await ModelCheck.RunAsync(client, name, TimeSpan.FromSeconds(settings.TimeoutSeconds), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (LlmUnavailableException ex)
            {
                throw new UsageException(option + ": " + ex.Message);
            }
            catch (LlmConfigurationException ex)
            {
                throw new UsageException(option + ": " + LlmOptions.Message(ex));
            }
        }
    }

    /// <summary>One line per opened model: its consultations, how many became fallbacks and by reason, and the answer
    /// format its requests were sent with (<see cref="FormatText"/>), e.g. "ollama:llama3.1:8b: 40 of 40 answers were
    /// fallbacks (http 40); each was replaced by the algorithm's own choice; answer format: free 40 (...)".</summary>
    public IReadOnlyList<string> FallbackLines() => _clients.Select(c => c.Name + ": " + FallbackText(c.Client, c.Ledger) + FormatText(c.Client, c.Ledger, settings.Format)).ToArray();

    /// <summary>"; answer format: grammar 40" and, when some requests were free-form, why: the provider declares no
    /// support (the safe default) or <c>--llm-format free</c>. Empty for a replay cassette (no request reached a model)
    /// or when no port request was sent.</summary>
    public static string FormatText(IChatClient client, LlmLedger ledger, AnswerFormat format)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ledger);
        if (client.GetService<AnswerFormatChatClient>() is not { } stage) return "";
        IReadOnlyDictionary<string, long> formats = ledger.Formats;
        if (formats.Count == 0) return "";
        string counts = string.Join(", ", formats.Select(kv => $"{kv.Key} {kv.Value}"));
        if (!formats.ContainsKey(AnswerFormats.Free)) return "; answer format: " + counts;
        string why = format == AnswerFormat.Free ? "--llm-format free"
            : stage.Decoding switch
            {
                ConstrainedDecoding.JsonSchema => "the provider follows JSON schemas only, so answers that are not JSON were free-form",
                ConstrainedDecoding.Grammar => "requests without a grammar",
                _ => "the provider declares no grammar or schema support, so requests were free-form (use gguf: or llamacpp:URL for grammars)",
            };
        return $"; answer format: {counts} ({why})";
    }

    private static string FallbackText(IChatClient client, LlmLedger ledger)
    {
        IReadOnlyDictionary<string, int> reasons = ledger.Fallbacks;
        long fallbacks = reasons.Values.Sum(n => (long)n);
        long? consultations = client.GetService<FallbackGuardChatClient>()?.Guard.Consultations;
        string byReason = string.Join(", ", reasons.Select(kv => $"{kv.Key} {kv.Value}"));
        if (fallbacks == 0) return consultations is { } none ? $"no fallbacks in {none} answers" : "no fallbacks";
        string share = consultations is { } n ? $"{fallbacks} of {n} answers were fallbacks" : $"{fallbacks} answers were fallbacks";
        return $"{share} ({byReason}); each was replaced by the algorithm's own choice";
    }

    /// <summary>Make the final check of every opened model's fallback share (<see cref="FallbackGuard.Check"/> with
    /// <c>final: true</c>; its message names the fallbacks by reason), then say each model's fallbacks by reason on the
    /// notes writer (stderr) as "model answers:" lines; call it after the study. Throws <see cref="LlmFallbackRateException"/>.</summary>
    public void CheckFallbacks()
    {
        foreach (var (_, client, _) in _clients) client.GetService<FallbackGuardChatClient>()?.Guard.Check(final: true);
        foreach (string line in FallbackLines()) notes?.WriteLine("model answers: " + Tandem.Cli.Console.ConsoleText.Safe(line));
    }

    /// <summary>Say <paramref name="note"/> on the notes writer and keep it.</summary>
    public void Note(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        _notes.Add(note);
        notes?.WriteLine("note: " + Tandem.Cli.Console.ConsoleText.Safe(note));
    }

    /// <summary><paramref name="report"/> with each model's fallbacks by reason as its first lines (<see cref="FallbackLines"/>)
    /// and the notes appended as a section; unchanged when no model was opened and there are no notes.</summary>
    public Tandem.Core.Reports.Report WithNotes(Tandem.Core.Reports.Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        IEnumerable<Tandem.Core.Reports.ReportBlock> first = _clients.Count == 0 ? []
            : [new Tandem.Core.Reports.ParagraphBlock("**Model answers.** " + string.Join(" ", _clients.Select(c =>
                Tandem.Core.Reports.ReportText.Code(c.Name) + ": " + FallbackText(c.Client, c.Ledger) + FormatText(c.Client, c.Ledger, settings.Format) + ".")))];
        IEnumerable<Tandem.Core.Reports.ReportBlock> last = _notes.Count == 0 ? []
            : [new Tandem.Core.Reports.HeadingBlock("Model records"), .. _notes.Select(n => new Tandem.Core.Reports.CodeBlock(n))];
        if (_clients.Count == 0 && _notes.Count == 0) return report;
        return report with { Body = [.. first, .. report.Body, .. last] };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, client, _) in _clients) client.Dispose();
        _clients.Clear();
    }
}
