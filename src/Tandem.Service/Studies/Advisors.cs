using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tandem.Core.Ports;
using Tandem.Recourse.Advisors;

namespace Tandem.Service.Studies;

/// <summary>Advisor calls of a libra study (<c>GET /v1/studies/{id}</c>, <c>modelCalls</c>).</summary>
/// <param name="Queries">Times the advisor was asked (the gate found the bandit unsure).</param>
/// <param name="Followed">Its pair was implemented as given.</param>
/// <param name="Projected">Its recourse was projected onto the feasible set first.</param>
/// <param name="Fallbacks">Fallbacks to the bandit's pair, by reason (e.g. "abstained: deadline …").</param>
/// <param name="LateAnswers">Answers that came after the decision's deadline: logged, not used.</param>
public sealed record ModelCallUsage(int Queries, int Followed, int Projected, IReadOnlyDictionary<string, int> Fallbacks, int LateAnswers)
{
    /// <summary>A language-model advisor's calls in this process (attempts, failures, tokens, fallbacks by reason), or
    /// null for the simulated advisor.</summary>
    public LlmUsage? Model { get; init; }
}

/// <summary>What a language-model advisor cost in this process (from the library's <see cref="Tandem.Llm.Middleware.LlmLedger"/>).</summary>
/// <param name="Spec">The model spec (no key: keys come from the environment).</param>
/// <param name="Calls">Attempts that reached the provider (retries included).</param>
/// <param name="Failures">Attempts that failed (timeouts, HTTP errors).</param>
/// <param name="PromptTokens">Prompt tokens the provider reported.</param>
/// <param name="CompletionTokens">Completion tokens the provider reported.</param>
/// <param name="Fallbacks">The port's fallbacks by reason (unreadable, infeasible or failed answers).</param>
/// <param name="Unavailable">Why the model could not be set up when the study was opened (every decision then falls
/// back to the bandit's pair), or null.</param>
public sealed record LlmUsage(string Spec, long Calls, long Failures, long PromptTokens, long CompletionTokens, IReadOnlyDictionary<string, int> Fallbacks, string? Unavailable);

/// <summary>
/// The advisor as a served LIBRA decision sees it (issue 16 §4): an answer that does not come within the decision's
/// deadline is an abstention ("deadline"), so the gate returns the bandit's pair; the late answer, when it comes, is
/// logged and not used. Every answer used is recorded, and a replay gets the recorded answer back instead of asking
/// again, so replaying a study never calls a model and reproduces the gate exactly. Not <c>IStateful</c>: the gate
/// keeps no advisor state (the simulated advisor's generator is reset before every decision).
/// </summary>
internal sealed class RecordingAdvisor(IRecourseAdvisor inner, TimeSpan deadline, string study, ILogger logger) : IRecourseAdvisor
{
    private PortAnswer<Advice>? _replay;
    private PortAnswer<Advice>? _recorded;
    private long _decision;
    private int _late;

    public string Name => inner.Name;

    /// <summary>Late answers so far in this process (logged, not used).</summary>
    public int LateAnswers => Volatile.Read(ref _late);

    /// <summary>Before decision <paramref name="sequence"/>: what to answer in a replay (null: ask live).</summary>
    public void Prepare(long sequence, string? recorded)
    {
        _decision = sequence;
        _recorded = null;
        _replay = recorded is null ? null : Read(recorded);
    }

    /// <summary>The answer used by the last decision, serialized, or null when the advisor was not asked.</summary>
    public string? TakeRecorded()
    {
        string? text = _recorded is { } answer ? Write(answer) : null;
        _recorded = null;
        return text;
    }

    public async ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
    {
        if (_replay is { } replayed)
        {
            _recorded = replayed;
            return replayed;
        }
        Task<PortAnswer<Advice>> call = AskAsync(request, cancellationToken);
        Task finished = await Task.WhenAny(call, Task.Delay(deadline, cancellationToken)).ConfigureAwait(false);
        PortAnswer<Advice> answer;
        if (finished == call)
        {
            answer = await call.ConfigureAwait(false);
        }
        else
        {
            long decision = _decision;
            _ = call.ContinueWith(t =>
            {
                Interlocked.Increment(ref _late);
                string what = t.IsCompletedSuccessfully ? (t.Result.TryGetValue(out Advice? a) ? $"arm {a.Arm}" : "abstained: " + t.Result.Reason) : "failed";
                logger.LogWarning("Study {Study}: the advisor answered decision {Decision} after its {Deadline} ms deadline ({Answer}); the bandit's pair was served and the late answer is not used",
                    study, decision, deadline.TotalMilliseconds, what);
            }, TaskScheduler.Default);
            answer = Advice.Abstain($"deadline: no answer within {deadline.TotalMilliseconds:0} ms");
        }
        _recorded = answer;
        return answer;
    }

    // A model's failure is the decision's recorded fallback, never the study's failure: anything the advisor throws (a
    // stop of the model layer included) becomes an abstention naming the exception type.
    private async Task<PortAnswer<Advice>> AskAsync(AdviceRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.AdviseAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Study {Study}: the advisor failed on decision {Decision}: {Reason}", study, _decision, ex.GetType().Name);
            return Advice.Abstain("failed: " + ex.GetType().Name);
        }
    }

    private static string Write(PortAnswer<Advice> answer)
    {
        if (!answer.TryGetValue(out Advice? advice)) return new JsonObject { ["given"] = false, ["reason"] = answer.Reason }.ToJsonString();
        var values = advice?.MutableValues is { } v ? new JsonArray([.. v.Select(x => double.IsFinite(x) ? (JsonNode)x : null)]) : null;
        return new JsonObject { ["given"] = true, ["arm"] = advice?.Arm, ["values"] = values }.ToJsonString();
    }

    private static PortAnswer<Advice> Read(string text)
    {
        using var document = JsonDocument.Parse(text);
        JsonElement root = document.RootElement;
        if (!root.GetProperty("given").GetBoolean()) return Advice.Abstain(root.GetProperty("reason").GetString()!);
        double[]? values = root.GetProperty("values").ValueKind == JsonValueKind.Array
            ? [.. root.GetProperty("values").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN)]
            : null;
        return Advice.Give(root.GetProperty("arm").GetInt32(), values);
    }
}

/// <summary>A simulated advisor that answers after a fixed latency (to exercise the deadline). The answer is computed
/// at once, on the caller's thread, so the simulation's generator is never used concurrently; only its delivery waits.</summary>
internal sealed class LatentAdvisor(IRecourseAdvisor inner, TimeSpan latency) : IRecourseAdvisor
{
    public string Name => inner.Name;

    public async ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
    {
        PortAnswer<Advice> answer = await inner.AdviseAsync(request, cancellationToken).ConfigureAwait(false);
        await Task.Delay(latency, CancellationToken.None).ConfigureAwait(false);
        return answer;
    }
}

/// <summary>
/// A libra study's language-model advisor: the library's LIBRA advisor port (<see cref="Tandem.Llm.Libra.LlmRecourseAdvisor"/>,
/// seed 000 Figure 2's prompt, its answer parsed and checked) over the library's client pipeline for the spec
/// (<see cref="Tandem.Llm.Providers.LlmClients"/>: deadline per attempt = the decision's deadline, retries, concurrency,
/// circuit breaker, accounting). The key is read from the service's environment by the library (TANDEM_LLM_API_KEY, or
/// OPENAI_API_KEY for OpenAI's host) and is never stored, logged or shown; no audit log or cassette is written (the
/// answers used are stored with their decisions). A model that cannot be set up when a stored study opens becomes an
/// advisor that abstains with the reason, so every decision falls back to the bandit's pair, recorded.
/// </summary>
internal sealed class ServedLlmAdvisor : IDisposable
{
    private readonly Microsoft.Extensions.AI.IChatClient? _client;
    private readonly Tandem.Llm.Middleware.LlmLedger _ledger;
    private readonly string _spec;
    private readonly string? _unavailable;

    private ServedLlmAdvisor(string spec, Tandem.Llm.Middleware.LlmLedger ledger, Microsoft.Extensions.AI.IChatClient? client, IRecourseAdvisor advisor, string? unavailable)
    {
        _spec = spec;
        _ledger = ledger;
        _client = client;
        Advisor = advisor;
        _unavailable = unavailable;
    }

    /// <summary>The advisor the gate asks.</summary>
    public IRecourseAdvisor Advisor { get; }

    /// <summary>What it cost so far.</summary>
    public LlmUsage Usage => new(_spec, _ledger.Calls, _ledger.Failures, _ledger.PromptTokens, _ledger.CompletionTokens, _ledger.Fallbacks, _unavailable);

    /// <summary>Open the advisor of a resolved <c>{"kind":"llm",...}</c> spec.</summary>
    public static ServedLlmAdvisor Open(string study, JsonObject advisor, TimeSpan deadline, bool creating, ILogger logger)
    {
        string text = advisor["model"]!.GetValue<string>();
        var spec = Tandem.Llm.Providers.LlmSpec.Parse(text);
        var options = new Tandem.Llm.Providers.LlmClientOptions
        {
            Resilience = new Tandem.Llm.Middleware.ResilienceOptions { AttemptTimeout = deadline, MaxRetries = advisor["retries"]!.GetValue<int>() },
        };
        var advisorOptions = new Tandem.Llm.Libra.LlmAdvisorOptions
        {
            Temperature = (float)advisor["temperature"]!.GetValue<double>(), MaxOutputTokens = advisor["maxOutputTokens"]!.GetValue<int>(),
        };
        var ledger = new Tandem.Llm.Middleware.LlmLedger();
        try
        {
            Microsoft.Extensions.AI.IChatClient client = Tandem.Llm.Providers.LlmClients.Create(spec, ledger, options);
            return new ServedLlmAdvisor(text, ledger, client, new Tandem.Llm.Libra.LlmRecourseAdvisor(client, ledger, text, advisorOptions), null);
        }
        catch (Tandem.Llm.Providers.LlmConfigurationException ex)
        {
            if (creating) throw RequestException.Invalid("options.advisor.model", ex.Message);
            logger.LogWarning("Study {Study}: the advisor {Model} cannot be set up ({Reason}); every decision falls back to the bandit's pair", study, text, ex.Message);
            return new ServedLlmAdvisor(text, ledger, null, new UnavailableAdvisor(text, "unavailable: " + ex.Message), ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client?.Dispose();

    private sealed class UnavailableAdvisor(string name, string reason) : IRecourseAdvisor
    {
        public string Name => name;

        public ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Advice.Abstain(reason));
    }
}
