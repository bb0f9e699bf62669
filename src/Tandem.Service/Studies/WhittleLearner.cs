using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Rmab.History;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Service.Studies;

/// <summary>
/// A <c>whittle</c> study (seed 001's planner, as deployed programmes run it): the study's arms are the beneficiaries, a
/// "decision" is one step's plan (<c>POST /v1/studies/{id}/plan</c> with every beneficiary's current state), and its
/// reward carries each beneficiary's engagement observed afterwards (<c>realizedContext</c>: the next states). The learner
/// keeps, per beneficiary, the transitions observed from each (state, action) pair and re-estimates the dynamics before
/// every plan with the library's pooled Beta–Binomial estimator (<see cref="HistoryEstimator"/>, pooled by
/// <c>options.groups</c>); the plan is the library's call list under the Whittle index (<see cref="CallList"/>,
/// <see cref="WhittlePlanner"/>): the B beneficiaries with the largest index for their current state, ties broken by the
/// plan's own seeded stream.
/// </summary>
internal sealed class WhittleLearner : StudyLearner
{
    /// <summary>The state kind of a whittle study's learner.</summary>
    public const string StateKind = "service-whittle";

    /// <summary>Its format version.</summary>
    public const int StateVersion = 1;

    private readonly int _n;
    private readonly int _budget;
    private readonly double _discount;
    private readonly RewardTable _rewards;
    private readonly string[] _groups;
    private readonly HistoryEstimateOptions _estimate;
    private readonly Dictionary<string, int> _index;
    private int[][] _visits;
    private int[][] _engaged;
    private long _nextId = 1;
    private SortedSet<long> _pendingIds = [];
    private long _sequence;

    public WhittleLearner(StudySpec spec)
        : base(spec)
    {
        _n = spec.Arms.Count;
        _budget = spec.Options["budget"]!.GetValue<int>();
        _discount = spec.Option("discount");
        var stateRewards = spec.Options["stateRewards"]!.AsArray();
        double r0 = stateRewards[0]!.GetValue<double>(), r1 = stateRewards[1]!.GetValue<double>();
        _rewards = new RewardTable(Enumerable.Repeat(r0, _n).ToArray(), Enumerable.Repeat(r1, _n).ToArray());
        _groups = spec.Options["groups"] is System.Text.Json.Nodes.JsonArray g ? [.. g.Select(x => x!.GetValue<string>())] : Enumerable.Repeat("all", _n).ToArray();
        _estimate = new HistoryEstimateOptions { ClusterColumn = "group", PriorStrength = spec.Option("priorStrength") };
        _estimate.Validate();
        new PlanningProblem(new ArmDynamics[_n], _rewards, _budget, _discount).Validate();
        _index = spec.Arms.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i, StringComparer.Ordinal);
        (_visits, _engaged) = (NewCounts(_n), NewCounts(_n));
    }

    public override string PolicyName => "Whittle (re-estimated)";

    /// <summary>Transitions observed from each pair (2·action + state) of each beneficiary (a copy).</summary>
    public int[][] Visits => [.. _visits.Select(v => (int[])v.Clone())];

    protected override void PrepareDecision(long sequence, string? recordedAux) => _sequence = sequence;

    /// <summary>The states: N numbers each 0 or 1 in the study's beneficiary order, or an object naming every beneficiary once.</summary>
    public override object ReadContext(JsonElement context)
    {
        var states = new byte[_n];
        if (context.ValueKind == JsonValueKind.Object)
        {
            var seen = new bool[_n];
            foreach (JsonProperty p in context.EnumerateObject())
            {
                if (!_index.TryGetValue(p.Name, out int i)) throw RequestException.Invalid("states." + p.Name, $"Unknown beneficiary '{p.Name}'.");
                states[i] = ReadState(p.Value, "states." + p.Name);
                seen[i] = true;
            }
            int missing = Array.IndexOf(seen, false);
            if (missing >= 0) throw RequestException.Invalid("states." + Spec.Arms[missing], $"Beneficiary '{Spec.Arms[missing]}' has no state.");
            return states;
        }
        ReadStates(context, "states", states);
        return states;
    }

    private void ReadStates(JsonElement array, string field, byte[] into)
    {
        if (array.ValueKind == JsonValueKind.Undefined) throw RequestException.Invalid(field, $"{field} is required: {_n} numbers, each 0 (not engaged) or 1 (engaged).");
        if (array.ValueKind != JsonValueKind.Array) throw RequestException.Invalid(field, $"{field} must be an array of {_n} states (0 or 1) or an object naming every beneficiary.");
        if (array.GetArrayLength() != _n) throw RequestException.Invalid(field, $"{field} has {array.GetArrayLength()} values; the study has {_n} beneficiaries.");
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            into[i] = ReadState(item, $"{field}[{i}]");
            i++;
        }
    }

    private static byte ReadState(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int s) && s is 0 or 1 ? (byte)s
            : throw RequestException.Invalid(field, $"{field} must be 0 (not engaged) or 1 (engaged).");

    public override void WriteContext(Utf8JsonWriter writer, object context)
    {
        writer.WriteStartArray();
        foreach (byte s in (byte[])context) writer.WriteNumberValue(s);
        writer.WriteEndArray();
    }

    public override object ReadLoggedContext(JsonElement logged)
    {
        var states = new byte[logged.GetArrayLength()];
        int i = 0;
        foreach (JsonElement s in logged.EnumerateArray()) states[i++] = (byte)s.GetInt32();
        return states;
    }

    /// <summary>The dynamics a plan uses now: the pooled Beta–Binomial posterior means of the transitions observed.</summary>
    public ArmDynamics[] EstimateDynamics()
    {
        var people = new BeneficiaryHistory[_n];
        for (int i = 0; i < _n; i++)
            people[i] = new BeneficiaryHistory(Spec.Arms[i], [], _visits[i], _engaged[i], 0, 0, _groups[i]);
        HistoryEstimate estimate = HistoryEstimator.Estimate(new HistorySet(Spec.Id, people, [], 0), _estimate);
        return [.. estimate.Beneficiaries.Select(b => b.Mean)];
    }

    protected override ValueTask<Decision> DecideCoreAsync(object context, CancellationToken cancellationToken)
    {
        var states = (byte[])context;
        var problem = new PlanningProblem(EstimateDynamics(), _rewards, _budget, _discount);
        // The tie-break among equal indices at the boundary draws from the plan's own stream (study seed, plan number).
        IReadOnlyList<CallListEntry> list = CallList.Plan(problem, states, Seeds.Derive(Spec.Seed, _sequence), new WhittlePlanner(), cancellationToken);
        var index = new double[_n];
        int nonIndexable = 0;
        foreach (CallListEntry e in list)
        {
            index[e.Arm] = e.Index;
            if (!e.Indexable) nonIndexable++;
        }
        ImmutableArray<int> calls = [.. list.Where(e => e.Call).Select(e => e.Arm)];
        long id = _nextId++;
        _pendingIds.Add(id);
        return ValueTask.FromResult<Decision>(new PlanDecision
        {
            Id = new DecisionId(id),
            Time = Clock.GetUtcNow(),
            Arm = list[0].Arm,
            // A plan is a joint action: no per-beneficiary distribution sums to 1 over it, so the vector is stated unknown.
            Probabilities = ProbabilityVectors.Unknown(_n),
            Notes = DecisionNotes.Of("whittle-plan"),
            Calls = calls,
            CallNames = [.. calls.Select(c => Spec.Arms[c])],
            Index = [.. index],
            NonIndexable = nonIndexable,
        });
    }

    /// <summary>The next states (each beneficiary's engagement observed after the plan): required, N values of 0 or 1.</summary>
    public override ImmutableArray<double> ReadRealized(JsonElement realized, Decision decision)
    {
        if (realized.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            throw RequestException.Invalid("realizedContext", $"realizedContext is required: each beneficiary's engagement observed after the plan ({_n} values, 0 or 1).");
        var next = new byte[_n];
        ReadStates(realized, "realizedContext", next);
        return [.. next.Select(s => (double)s)];
    }

    /// <summary>Count each beneficiary's transition from (state, action of the plan) to its observed next state.</summary>
    public override ValueTask LearnAsync(object context, Decision decision, double reward, ImmutableArray<double> realized, CancellationToken cancellationToken)
    {
        var plan = (PlanDecision)decision;
        if (!_pendingIds.Contains(plan.Id.Value)) throw new UnknownDecisionException($"Plan {plan.Id} is not pending in this learner.");
        var states = (byte[])context;
        var called = new bool[_n];
        foreach (int c in plan.Calls) called[c] = true;
        for (int i = 0; i < _n; i++)
        {
            int pair = BeneficiaryHistory.Pair(states[i], called[i] ? 1 : 0);
            _visits[i][pair]++;
            if (realized[i] == 1) _engaged[i][pair]++;
        }
        _pendingIds.Remove(plan.Id.Value);
        return ValueTask.CompletedTask;
    }

    public override Decision ReadLoggedDecision(JsonElement line)
    {
        JsonElement payload = line.GetProperty("payload");
        ImmutableArray<int> calls = [.. payload.GetProperty("callIndices").EnumerateArray().Select(c => c.GetInt32())];
        return new PlanDecision
        {
            Id = new DecisionId(line.GetProperty("decisionId").GetInt64()),
            Time = line.GetProperty("time").GetDateTimeOffset(),
            Arm = line.GetProperty("arm").GetInt32(),
            Probabilities = ProbabilityVectors.Unknown(_n),
            Notes = ReadNotes(line),
            Calls = calls,
            CallNames = [.. calls.Select(c => Spec.Arms[c])],
            Index = [.. payload.GetProperty("index").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN)],
            NonIndexable = payload.GetProperty("nonIndexable").GetInt32(),
        };
    }

    public override PolicyState Export() =>
        PolicyStates.Pack(StateKind, StateVersion, new WhittleState(_nextId, [.. _pendingIds], [.. _visits.Select(v => (int[])v.Clone())], [.. _engaged.Select(v => (int[])v.Clone())]));

    public override void Import(PolicyState state)
    {
        WhittleState data = PolicyStates.Unpack<WhittleState>(state, StateKind, StateVersion);
        if (data.Visits is null || data.Engaged is null || data.Pending is null || data.Visits.Length != _n || data.Engaged.Length != _n)
            throw new PolicyStateException($"A whittle state must hold counts for {_n} beneficiaries.");
        for (int i = 0; i < _n; i++)
        {
            if (data.Visits[i] is not { Length: BeneficiaryHistory.Pairs } v || data.Engaged[i] is not { Length: BeneficiaryHistory.Pairs } e)
                throw new PolicyStateException($"Beneficiary {i}: counts must have {BeneficiaryHistory.Pairs} pairs.");
            for (int p = 0; p < BeneficiaryHistory.Pairs; p++)
                if (v[p] < 0 || e[p] < 0 || e[p] > v[p]) throw new PolicyStateException($"Beneficiary {i}, pair {p}: engaged ({e[p]}) must lie in 0..visits ({v[p]}).");
        }
        if (data.NextId < 1 || data.Pending.Any(id => id < 1 || id >= data.NextId)) throw new PolicyStateException("Pending plan ids must lie in 1..nextId − 1.");
        _visits = [.. data.Visits.Select(v => (int[])v.Clone())];
        _engaged = [.. data.Engaged.Select(v => (int[])v.Clone())];
        _nextId = data.NextId;
        _pendingIds = [.. data.Pending];
    }

    private static int[][] NewCounts(int n) => [.. Enumerable.Range(0, n).Select(_ => new int[BeneficiaryHistory.Pairs])];

    private sealed record WhittleState(long NextId, long[] Pending, int[][] Visits, int[][] Engaged);
}

/// <summary>One step's plan of a whittle study: the beneficiaries to call (in rank order) and every beneficiary's Whittle
/// index for its current state. <see cref="Decision.Arm"/> is the top-ranked beneficiary.</summary>
internal sealed record PlanDecision : Decision
{
    /// <summary>The beneficiaries to call (indices, in rank order; B of them).</summary>
    public required ImmutableArray<int> Calls { get; init; }

    /// <summary>Their names.</summary>
    public required ImmutableArray<string> CallNames { get; init; }

    /// <summary>Each beneficiary's Whittle index for its current state, in the study's order.</summary>
    public required ImmutableArray<double> Index { get; init; }

    /// <summary>Beneficiaries whose arm is not indexable (their index is the planner's fallback).</summary>
    public int NonIndexable { get; init; }

    /// <inheritdoc />
    public override void WritePayload(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray("calls"u8);
        foreach (string name in CallNames) writer.WriteStringValue(name);
        writer.WriteEndArray();
        writer.WriteStartArray("callIndices"u8);
        foreach (int c in Calls) writer.WriteNumberValue(c);
        writer.WriteEndArray();
        writer.WriteStartArray("index"u8);
        foreach (double x in Index)
        {
            if (double.IsFinite(x)) writer.WriteNumberValue(x);
            else writer.WriteNullValue();
        }
        writer.WriteEndArray();
        writer.WriteNumber("nonIndexable"u8, NonIndexable);
    }
}
