using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Core.Decisions;
using Tandem.Core.Logging;

namespace Tandem.Service.Studies;

/// <summary>
/// The decision-log line of a served decision, in the format the CLI's <c>--log</c> writes (docs/decision-log.md): run
/// 0, step = the service's decision number − 1, decisionId = the id the learner issued. A served study has no ground
/// truth, so <c>expectedReward</c> and <c>optimalReward</c> are null and <c>expectedRewards</c> holds K nulls;
/// <c>reward</c> is null until the reward is committed (the log endpoint fills it in).
/// </summary>
/// <remarks>The decision's fields come from <see cref="DecisionLogFile.WriteDecision{TState}"/>, the writer of the CLI's
/// lines; only the run, step and truth fields differ.</remarks>
internal static class DecisionLine
{
    public static string Write(string study, long sequence, string policy, Decision decision, StudyLearner learner, object context)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("study"u8, study);
            w.WriteNumber("run"u8, 0);
            w.WriteNumber("step"u8, sequence - 1);
            w.WriteString("policy"u8, policy);
            DecisionLogFile.WriteDecision(w, decision, (learner, context), static (w, s) => s.learner.WriteContext(w, s.context));
            w.WriteNull("reward"u8);
            w.WriteNull("expectedReward"u8);
            w.WriteNull("optimalReward"u8);
            w.WriteStartArray("expectedRewards"u8);
            for (int a = 0; a < learner.ArmCount; a++) w.WriteNullValue();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>How <see cref="Write"/> begins a line of decision <paramref name="sequence"/> of <paramref name="study"/>
    /// (study, run and step), so a line written for decision 0 by a worker is renumbered by the writer without parsing it.</summary>
    public static string Prefix(string study, long sequence)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("study"u8, study);
            w.WriteNumber("run"u8, 0);
            w.WriteNumber("step"u8, sequence - 1);
            w.WriteString("policy"u8, "");
            w.Flush();
        }
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return text[..(text.LastIndexOf(",\"policy\"", StringComparison.Ordinal) + 1)]; // up to the comma after step
    }

    /// <summary>The committed line with its reward filled in (null while pending).</summary>
    public static string WithReward(string line, double? reward)
    {
        if (reward is null) return line;
        var node = JsonNode.Parse(line)!.AsObject();
        node["reward"] = reward.Value;
        return node.ToJsonString();
    }
}

/// <summary>The study's declared safe default, made by the service when the learner throws (issue 16 §4): a uniformly
/// random arm (from the decision's own stream) or a named arm. The learner did not make it and does not learn from it.</summary>
internal sealed record SafeDefaultDecision : Decision
{
    /// <summary>The note every safe-default decision carries.</summary>
    public const string Note = "safe-default";

    /// <summary>A whittle study's safe-default plan: B distinct beneficiaries drawn uniformly (in draw order; empty for
    /// the other kinds).</summary>
    public System.Collections.Immutable.ImmutableArray<int> Calls { get; init; } = [];

    /// <summary>The safe default for decision <paramref name="sequence"/> of a study.</summary>
    public static SafeDefaultDecision Create(StudySpec spec, long sequence, DateTimeOffset time, Exception failure)
    {
        int k = spec.Arms.Count;
        Random random = Tandem.Core.Randomness.Seeds.CreateRandom(Tandem.Core.Randomness.Seeds.Derive(Tandem.Core.Randomness.Seeds.Derive(spec.Seed, "safe-default"), sequence));
        System.Collections.Immutable.ImmutableArray<int> calls = [];
        if (spec.Kind == "whittle")
        {
            // A partial Fisher–Yates shuffle: the first B of a uniformly random order (so the first call is uniform too).
            int[] order = [.. Enumerable.Range(0, k)];
            int budget = spec.Options["budget"]!.GetValue<int>();
            for (int i = 0; i < budget; i++)
            {
                int j = i + random.Next(k - i);
                (order[i], order[j]) = (order[j], order[i]);
            }
            calls = [.. order.Take(budget)];
        }
        int arm = spec.SafeDefaultArm ?? (calls.IsEmpty ? random.Next(k) : calls[0]);
        return new SafeDefaultDecision
        {
            Id = new DecisionId(0),
            Time = time,
            Arm = arm,
            Probabilities = spec.SafeDefaultArm is null ? ProbabilityVectors.Uniform(k) : ProbabilityVectors.OneHot(k, arm),
            Notes = DecisionNotes.Of(Note) | DecisionNotes.Of("safe-default-reason:" + failure.GetType().Name),
            Calls = calls,
            CallNames = [.. calls.Select(c => spec.Arms[c])],
        };
    }

    /// <summary>The names of <see cref="Calls"/>.</summary>
    public System.Collections.Immutable.ImmutableArray<string> CallNames { get; init; } = [];

    /// <inheritdoc />
    public override void WritePayload(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Calls.IsEmpty) return;
        writer.WriteStartArray("calls"u8);
        foreach (string name in CallNames) writer.WriteStringValue(name);
        writer.WriteEndArray();
        writer.WriteStartArray("callIndices"u8);
        foreach (int c in Calls) writer.WriteNumberValue(c);
        writer.WriteEndArray();
    }
}
