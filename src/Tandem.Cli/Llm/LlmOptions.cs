using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;

namespace Tandem.Cli.Llm;

/// <summary>How every command calls a language model (validated; the same for libra, dlm and gambitts).</summary>
/// <param name="Record">Record answers to this cassette, or null.</param>
/// <param name="TimeoutSeconds">Deadline of one attempt.</param>
/// <param name="Retries">Retries of a transient failure.</param>
/// <param name="Concurrency">Calls in flight at most across the study.</param>
/// <param name="MaxCalls">Model calls allowed before the study stops, or null for no limit.</param>
public sealed record LlmCallSettings(string? Record = null, double TimeoutSeconds = 30, int Retries = 2, int Concurrency = 4, long? MaxCalls = null);

/// <summary>The `--record`, `--llm-timeout`, `--llm-retries`, `--llm-concurrency` and `--llm-max-calls` options, shared
/// by the commands that can call a language model.</summary>
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

    /// <summary>Add the four options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Add(Record);
        command.Add(Timeout);
        command.Add(Retries);
        command.Add(Concurrency);
        command.Add(MaxCalls);
    }

    /// <summary>Read and validate; <paramref name="anyLiveModel"/> says whether some model spec can be recorded
    /// (a provider, not a replay cassette). Throws <see cref="UsageException"/> naming the option.</summary>
    public LlmCallSettings Read(ParseResult parse, bool anyLiveModel)
    {
        string? record = parse.GetValue(Record);
        if (record is not null && !anyLiveModel) throw new UsageException($"--record needs {Role} to be a language model (openai:... or ollama:...).");
        double timeout = parse.GetValue(Timeout);
        if (!double.IsFinite(timeout) || timeout <= 0 || timeout > 3600) throw new UsageException($"--llm-timeout {timeout.ToString(CultureInfo.InvariantCulture)} must lie in (0, 3600] seconds.");
        int retries = parse.GetValue(Retries);
        if (retries is < 0 or > 10) throw new UsageException($"--llm-retries {retries} must lie in 0-10.");
        int concurrency = parse.GetValue(Concurrency);
        if (concurrency is < 1 or > 256) throw new UsageException($"--llm-concurrency {concurrency} must lie in 1-256.");
        long? maxCalls = parse.GetValue(MaxCalls);
        if (maxCalls is < 1) throw new UsageException($"--llm-max-calls {maxCalls} must be at least 1.");
        return new LlmCallSettings(record, timeout, retries, concurrency, maxCalls);
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

    /// <summary>Build the client pipeline for a spec (audit log in the output folder, optional recording); a
    /// missing key or unreadable cassette is a usage error naming the option. The audit log's file name is
    /// <c>auditName</c> (default audit.jsonl).</summary>
    public static IChatClient CreateClient(LlmSpec spec, LlmCallSettings settings, LlmLedger ledger, string outDir, string option, string auditName = "audit.jsonl")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            return LlmClients.Create(spec, ledger, new LlmClientOptions
            {
                Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(settings.TimeoutSeconds), MaxRetries = settings.Retries, MaxConcurrency = settings.Concurrency },
                RecordPath = spec.Kind == LlmKind.Replay ? null : settings.Record,
                AuditPath = Path.Combine(outDir, auditName),
                MaxCalls = settings.MaxCalls,
            });
        }
        catch (LlmConfigurationException ex)
        {
            throw new UsageException(option + ": " + ex.Message);
        }
    }
}

/// <summary>The model clients one command opens (one per spec), closed together when the command ends so their
/// audit logs and cassettes are complete.</summary>
public sealed class LlmSession(LlmCallSettings settings, string outDir, string option) : IDisposable
{
    private readonly List<IChatClient> _clients = [];

    /// <summary>Open the pipeline of <paramref name="spec"/> (see <see cref="LlmOptions.CreateClient"/>).</summary>
    public IChatClient Open(LlmSpec spec, LlmLedger ledger, string auditName = "audit.jsonl")
    {
        IChatClient client = LlmOptions.CreateClient(spec, settings, ledger, outDir, option, auditName);
        _clients.Add(client);
        return client;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (IChatClient client in _clients) client.Dispose();
        _clients.Clear();
    }
}
