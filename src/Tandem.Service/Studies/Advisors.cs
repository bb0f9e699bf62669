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
public sealed record ModelCallUsage(int Queries, int Followed, int Projected, IReadOnlyDictionary<string, int> Fallbacks, int LateAnswers);

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
        Task<PortAnswer<Advice>> call = inner.AdviseAsync(request, cancellationToken).AsTask();
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
