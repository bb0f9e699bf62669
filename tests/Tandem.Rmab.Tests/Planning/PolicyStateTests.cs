using System.Text.Json;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Tests.Planning;

/// <summary>Plans as data (stable-baselines3 style): plan, run some weeks, snapshot, restore into a fresh object, and
/// the next 100 weeks' call lists are identical; a snapshot that does not fit is refused and changes nothing.</summary>
public class PolicyStateTests
{
    private static (RmabInstance Instance, PlanningProblem Problem) Problem(int arms, int budget, ulong seed)
    {
        RmabInstance instance = CohortGenerator.Sample(Fixtures.Generator.Population(1), arms, budget, seed);
        RewardTable table = Fixtures.Tasks.Tasks[2].BaseExpression.Tabulate(instance.FeatureRows);
        return (instance, new PlanningProblem(instance.Dynamics, table, budget, 0.9));
    }

    private static PpoPolicy TrainPpo(PlanningProblem problem, ulong seed, int hidden = 16) =>
        new PpoPlanner(new PpoOptions { Epochs = 4, HiddenWidth = hidden }, seed).Train(problem).Policy;

    // Weeks of a programme: each week the policy calls its arms, then every arm moves by its true dynamics drawn from
    // the environment's own stream. Returns the called arm indices of each week.
    private static List<int[]> Weeks(PlannedPolicy policy, RmabInstance instance, byte[] states, Xoshiro256 environment, int weeks)
    {
        var calls = new List<int[]>();
        var actions = new byte[states.Length];
        for (int w = 0; w < weeks; w++)
        {
            policy.Act(states, actions);
            calls.Add(Enumerable.Range(0, actions.Length).Where(i => actions[i] == 1).ToArray());
            for (int i = 0; i < states.Length; i++)
                states[i] = environment.NextDouble() < instance.Dynamics[i].ToEngaged(states[i], actions[i]) ? (byte)1 : (byte)0;
        }
        return calls;
    }

    private static void AssertSnapshotRestoresTheNextHundredWeeks(RmabInstance instance, PlannedPolicy original, Func<PolicyState, PlannedPolicy> fresh)
    {
        var environment = new Xoshiro256(77);
        var states = new byte[instance.ArmCount];
        Weeks(original, instance, states, environment, 37);
        PolicyState snapshot = PolicyStates.Deserialize(PolicyStates.Serialize(original.ExportState()));
        PlannedPolicy restored = fresh(snapshot);
        byte[] statesCopy = [.. states];
        var environmentCopy = new Xoshiro256(1);
        environmentCopy.SetState(environment.GetState());

        List<int[]> expected = Weeks(original, instance, states, environment, 100);
        List<int[]> actual = Weeks(restored, instance, statesCopy, environmentCopy, 100);
        Assert.Equal(expected, actual);
        Assert.All(expected, c => Assert.Equal(instance.Budget, c.Length));
    }

    [Fact]
    public void Whittle_SnapshotThenRestore_NextHundredWeeksCallTheSameArms()
    {
        (RmabInstance instance, PlanningProblem problem) = Problem(16, 5, 3);
        var original = new PlannedPolicy(new WhittlePlanner().Plan(problem), 11);
        AssertSnapshotRestoresTheNextHundredWeeks(instance, original, PlannedPolicy.Restore);
        // Into a fresh object of the same shape (zero indices, another stream) through ImportState.
        var original2 = new PlannedPolicy(new WhittlePlanner().Plan(problem), 11);
        AssertSnapshotRestoresTheNextHundredWeeks(instance, original2, s =>
        {
            var blank = new PlannedPolicy(new IndexPolicy(new double[16], new double[16], new bool[16], 5), 999);
            blank.ImportState(s);
            return blank;
        });
    }

    [Fact]
    public void TiedIndices_TheTieBreakStreamIsPartOfTheState()
    {
        // Every arm has the same index in each state, so every week's call list is a random subset: a restored policy
        // that did not carry the stream (bug: stream re-seeded on restore) would call other arms.
        (RmabInstance instance, _) = Problem(16, 5, 4);
        var tied = new IndexPolicy(new double[16], Enumerable.Repeat(1.0, 16).ToArray(), Enumerable.Repeat(true, 16).ToArray(), 5);
        AssertSnapshotRestoresTheNextHundredWeeks(instance, new PlannedPolicy(tied, 5), PlannedPolicy.Restore);

        var a = new PlannedPolicy(new IndexPolicy(new double[16], new double[16], new bool[16], 5), 5);
        var b = PlannedPolicy.Restore(a.ExportState());
        var c = new PlannedPolicy(new IndexPolicy(new double[16], new double[16], new bool[16], 5), 6);
        var env = new Xoshiro256(1);
        Assert.Equal(Weeks(a, instance, new byte[16], new Xoshiro256(2), 20), Weeks(b, instance, new byte[16], new Xoshiro256(2), 20));
        Assert.NotEqual(Weeks(b, instance, new byte[16], env, 20), Weeks(c, instance, new byte[16], new Xoshiro256(1), 20));
    }

    [Fact]
    public void Ppo_SnapshotThenRestore_NextHundredWeeksCallTheSameArms_AndTheActorIsRestoredBitForBit()
    {
        (RmabInstance instance, PlanningProblem problem) = Problem(16, 5, 5);
        PpoPolicy trained = TrainPpo(problem, 21);
        AssertSnapshotRestoresTheNextHundredWeeks(instance, new PlannedPolicy(trained, 8), PlannedPolicy.Restore);

        // Into a policy trained with another seed (other network weights): the import replaces them.
        PpoPolicy other = TrainPpo(problem, 22);
        Assert.NotEqual(trained.Index1, other.Index1);
        AssertSnapshotRestoresTheNextHundredWeeks(instance, new PlannedPolicy(TrainPpo(problem, 21), 8), s =>
        {
            var p = new PlannedPolicy(TrainPpo(problem, 22), 3);
            p.ImportState(s);
            return p;
        });
        PpoPolicy restored = PpoPolicy.Restore(PolicyStates.Deserialize(PolicyStates.Serialize(trained.ExportState())));
        Assert.Equal(trained.Index0, restored.Index0);
        Assert.Equal(trained.Index1, restored.Index1);
        Assert.Equal(trained.Lambda, restored.Lambda);
        Assert.Equal(PolicyStates.Serialize(trained.ExportState()), PolicyStates.Serialize(restored.ExportState()));
    }

    public static TheoryData<string> Mismatches => new() { "kind", "version", "arms", "budget", "index0 length", "index finite", "truncated json", "zero stream" };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Whittle_ASnapshotThatDoesNotFit_IsRefusedNamingTheMismatch_AndChangesNothing(string mismatch)
    {
        (_, PlanningProblem problem) = Problem(16, 5, 3);
        var policy = new PlannedPolicy(new WhittlePlanner().Plan(problem), 11);
        policy.Act(new byte[16], new byte[16]);
        string before = PolicyStates.Serialize(policy.ExportState());

        PolicyState good = policy.ExportState();
        (Func<PolicyState> make, string named) = mismatch switch
        {
            "kind" => ((Func<PolicyState>)(() => good with { Kind = "rmab-ppo" }), "rmab-ppo"),
            "version" => (() => good with { Version = 2 }, "version 2"),
            "arms" => (() => new PlannedPolicy(new WhittlePlanner().Plan(Problem(12, 5, 3).Problem), 11).ExportState(), "12 arms"),
            "budget" => (() => new PlannedPolicy(new WhittlePlanner().Plan(Problem(16, 4, 3).Problem), 11).ExportState(), "budget 4"),
            "index0 length" => (() => EditInner(good, "index0", JsonSerializer.SerializeToElement(new double[15])), "index0"),
            "index finite" => (() => EditInner(good, "index1", JsonSerializer.SerializeToElement(Enumerable.Repeat("NaN", 16))), "index1[0]"),
            "truncated json" => (() => PolicyStates.Deserialize(before[..(before.Length / 2)]), "truncated"),
            "zero stream" => (() => EditOuter(good, "random", JsonSerializer.SerializeToElement(new ulong[4])), "all zero"),
            _ => throw new ArgumentOutOfRangeException(nameof(mismatch)),
        };
        var ex = Assert.Throws<PolicyStateException>(() => policy.ImportState(make()));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, PolicyStates.Serialize(policy.ExportState()));
    }

    [Theory]
    [InlineData("kind", "rmab-index")]
    [InlineData("arms", "12 arms")]
    [InlineData("layers", "layer sizes")]
    [InlineData("parameters", "actor parameters")]
    [InlineData("charge", "λ / max|R|")]
    public void Ppo_ASnapshotThatDoesNotFit_IsRefusedNamingTheMismatch_AndChangesNothing(string mismatch, string named)
    {
        (_, PlanningProblem problem) = Problem(16, 5, 5);
        PpoPolicy policy = TrainPpo(problem, 21);
        string before = PolicyStates.Serialize(policy.ExportState());
        PolicyState good = policy.ExportState();
        PolicyState bad = mismatch switch
        {
            "kind" => new WhittlePlanner().Plan(problem) is IStateful s ? s.ExportState() : throw new InvalidOperationException(),
            "arms" => TrainPpo(Problem(12, 5, 5).Problem, 21).ExportState(),
            "layers" => TrainPpo(problem, 21, hidden: 8).ExportState(),
            "parameters" => Edit(good, "parameters", JsonSerializer.SerializeToElement(new double[3])),
            "charge" => Edit(good, "lambda", JsonSerializer.SerializeToElement(policy.Lambda + 1)),
            _ => throw new ArgumentOutOfRangeException(nameof(mismatch)),
        };
        var ex = Assert.Throws<PolicyStateException>(() => policy.ImportState(bad));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, PolicyStates.Serialize(policy.ExportState()));
    }

    [Fact]
    public void Restore_OfAnUnknownInnerKind_NamesTheKnownKinds()
    {
        var state = PolicyStates.Pack(PlannedPolicy.StateKind, PlannedPolicy.StateVersion,
            new { policy = new PolicyState("glrb", 1, JsonSerializer.SerializeToElement(1)), random = new ulong[] { 1, 2, 3, 4 } });
        var ex = Assert.Throws<PolicyStateException>(() => PlannedPolicy.Restore(state));
        Assert.Contains("'glrb'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(IndexPolicy.StateKind, ex.Message, StringComparison.Ordinal);
    }

    private static PolicyState Edit(PolicyState state, string field, JsonElement value)
    {
        var data = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(state.Data)!;
        Assert.True(data.ContainsKey(field), $"the state has a '{field}' field");
        data[field] = value;
        return state with { Data = JsonSerializer.SerializeToElement(data) };
    }

    private static PolicyState EditOuter(PolicyState planned, string field, JsonElement value) => Edit(planned, field, value);

    private static PolicyState EditInner(PolicyState planned, string field, JsonElement value)
    {
        var data = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(planned.Data)!;
        var inner = data["policy"].Deserialize<PolicyState>(PolicyStates.JsonOptions)!;
        data["policy"] = JsonSerializer.SerializeToElement(Edit(inner, field, value), PolicyStates.JsonOptions);
        return planned with { Data = JsonSerializer.SerializeToElement(data) };
    }
}
