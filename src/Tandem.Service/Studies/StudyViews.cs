using System.Text.Json;

namespace Tandem.Service.Studies;

/// <summary>A served decision (the body of <c>POST /v1/studies/{id}/decisions</c>).</summary>
/// <param name="DecisionId">The service's decision id (its number in the study, as a string); send it back with the reward.</param>
/// <param name="Arm">The chosen arm, 0-based.</param>
/// <param name="ArmName">Its name.</param>
/// <param name="Propensity">P(arm | context, history), or null when it cannot be stated (the notes say why).</param>
/// <param name="Probabilities">P(a | context, history) for every arm (null entries where unknown).</param>
/// <param name="Notes">How the decision was reached (docs/decisions-and-state.md).</param>
/// <param name="ModelVersion">The model version the decision was made with (rewards learned + states restored).</param>
/// <param name="Payload">The paper's payload: the recommended recourse and its confidence width for linucb/glrb, the
/// propensity draws for stdts.</param>
public sealed record DecisionView(string DecisionId, int Arm, string ArmName, double? Propensity, double?[] Probabilities, string[] Notes, long ModelVersion, JsonElement Payload)
{
    /// <summary>The view of a decision just made (without parsing its log line back).</summary>
    public static DecisionView Of(long sequence, Tandem.Core.Decisions.Decision decision, long modelVersion, IReadOnlyList<string> arms)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            decision.WritePayload(writer);
            writer.WriteEndObject();
        }
        using var payload = JsonDocument.Parse(buffer.WrittenMemory);
        double propensity = decision.Propensity;
        return new DecisionView(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), decision.Arm, arms[decision.Arm],
            double.IsFinite(propensity) ? propensity : null,
            [.. decision.Probabilities.Select(p => double.IsFinite(p) ? p : (double?)null)],
            [.. decision.Notes.Items], modelVersion, payload.RootElement.Clone());
    }

    /// <summary>The view of a committed decision-log line.</summary>
    public static DecisionView FromLine(long sequence, string line, long modelVersion, IReadOnlyList<string> arms)
    {
        using var document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        int arm = root.GetProperty("arm").GetInt32();
        JsonElement propensity = root.GetProperty("propensity");
        return new DecisionView(
            sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), arm, arms[arm],
            propensity.ValueKind == JsonValueKind.Number ? propensity.GetDouble() : null,
            [.. root.GetProperty("probabilities").EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Number ? p.GetDouble() : (double?)null)],
            [.. root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!)],
            modelVersion, root.GetProperty("payload").Clone());
    }
}

/// <summary>An accepted reward (the body of <c>POST /v1/studies/{id}/rewards</c>).</summary>
/// <param name="DecisionId">The decision rewarded.</param>
/// <param name="Reward">The reward kept.</param>
/// <param name="Learned">False when the learner did not learn it (a safe-default decision, or a decision the learner does not
/// know after a state was restored); the notes say why.</param>
/// <param name="Notes">Why it was not learned, when it was not.</param>
/// <param name="ModelVersion">The model version after it.</param>
public sealed record RewardView(string DecisionId, double Reward, bool Learned, string[] Notes, long ModelVersion);

/// <summary>A study's counts and spec (<c>GET /v1/studies/{id}</c>).</summary>
/// <param name="Id">The study id.</param>
/// <param name="Kind">The learner kind.</param>
/// <param name="Policy">The policy's name.</param>
/// <param name="Decisions">Decisions committed.</param>
/// <param name="Rewards">Rewards committed.</param>
/// <param name="Pending">Decisions without a reward.</param>
/// <param name="ModelVersion">Rewards learned + states restored.</param>
/// <param name="Events">Events committed (decisions, rewards, restores).</param>
/// <param name="SnapshotEvent">The last event the latest snapshot covers (startup replays the events after it).</param>
/// <param name="ModelCalls">Advisor calls (libra), null for kinds that consult no advisor.</param>
/// <param name="Spec">The policy spec as created, options resolved.</param>
public sealed record StudyStatus(string Id, string Kind, string Policy, long Decisions, long Rewards, long Pending, long ModelVersion, long Events,
    long SnapshotEvent, ModelCallUsage? ModelCalls, JsonElement Spec);

/// <summary>A decision request, as parsed from the body.</summary>
/// <param name="Context">The learner's context, already checked.</param>
/// <param name="Subject">The client's opaque subject id (not stored in the learner; kept for the caller).</param>
/// <param name="RequestId">The idempotency key, or null.</param>
public sealed record DecideCommand(object Context, string? Subject, string? RequestId);

/// <summary>A reward request, as parsed from the body.</summary>
/// <param name="DecisionId">The decision id as sent.</param>
/// <param name="Reward">The reward (finite).</param>
/// <param name="RealizedContext">The realized context as sent (checked by the writer against the decision), or undefined.</param>
public sealed record RewardCommand(string DecisionId, double Reward, JsonElement RealizedContext);
