using Tandem.Core.Abstractions;
using Tandem.Core.Composition;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Core.Tests.Composition;

public class CompositionTests
{
    private sealed class Tagging(IPolicy<int, ArmChoice, ArmOutcome> inner, string tag) : DelegatingPolicy<int, ArmChoice, ArmOutcome>(inner)
    {
        public override string Name => tag + "(" + Inner.Name + ")";
    }

    [Fact]
    public void Builder_FirstUseIsOutermost()
    {
        IPolicy<int, ArmChoice, ArmOutcome> policy = new PolicyBuilder<int, ArmChoice, ArmOutcome>(new GreedyMeans(3))
            .Use(p => new Tagging(p, "outer"))
            .Use(p => new Tagging(p, "inner"))
            .Build();

        Assert.Equal("outer(inner(greedy))", policy.Name);
    }

    [Fact]
    public async Task DelegatingPolicy_ForwardsStateToTheInnerPolicy()
    {
        var inner = new GreedyMeans(2);
        var stage = new Tagging(inner, "t");
        ArmChoice d = await stage.DecideAsync(0);
        await stage.LearnAsync(0, d, new ArmOutcome(1, 1));

        PolicyState state = stage.ExportState();

        Assert.Equal("greedy", state.Kind);
    }

    [Fact]
    public async Task MinimumExploration_ProbabilitiesAreTheExactMixture()
    {
        const double epsilon = 0.2;
        var stage = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(4), new MinimumExplorationOptions { Epsilon = epsilon }, Seeds.CreateRandom(1));

        ArmChoice d = await stage.DecideAsync(0);

        // Greedy picks arm 0 deterministically; p' = 0.8·onehot + 0.05.
        Assert.Equal([0.85, 0.05, 0.05, 0.05], d.Probabilities.ToArray(), (x, y) => Math.Abs(x - y) < 1e-15);
        Assert.Equal(d.Probabilities[d.Arm], d.Propensity);
        Assert.False(d.Notes.Contains(DecisionNotes.Deterministic));
    }

    [Fact]
    public async Task MinimumExploration_ChosenArmFrequenciesMatchTheStatedProbabilities()
    {
        const double epsilon = 0.3;
        const int n = 40_000;
        var stage = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(3), new MinimumExplorationOptions { Epsilon = epsilon }, Seeds.CreateRandom(7));
        var counts = new int[3];
        double[] stated = [];
        for (int i = 0; i < n; i++)
        {
            ArmChoice d = await stage.DecideAsync(i);
            counts[d.Arm]++;
            stated = [.. d.Probabilities];
        }

        // Without learning greedy always proposes arm 0: p' = (0.8, 0.1, 0.1). Binomial sd ≈ 0.002; 5 sd.
        for (int a = 0; a < 3; a++) Assert.InRange(counts[a] / (double)n, stated[a] - 0.011, stated[a] + 0.011);
        Assert.Equal(0.8, stated[0], 12);
    }

    [Fact]
    public async Task MinimumExploration_UnknownInnerProbabilities_StayUnknown()
    {
        var inner = new UnknownProbabilities();
        var stage = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(inner, new MinimumExplorationOptions { Epsilon = 0.5 }, Seeds.CreateRandom(3));

        ArmChoice d = await stage.DecideAsync(0);

        Assert.All(d.Probabilities, p => Assert.True(double.IsNaN(p)));
        Assert.True(double.IsNaN(d.Propensity));
    }

    [Fact]
    public async Task MinimumExploration_SnapshotRestore_NextHundredDecisionsIdentical()
    {
        var clock = new FixedTime(DateTimeOffset.UnixEpoch);
        var env = new GaussianBandit([0.1, 0.5, 0.3], Seeds.CreateRandom(5));
        var original = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(3, clock), new MinimumExplorationOptions { Epsilon = 0.25 }, Seeds.CreateRandom(9));
        for (int t = 0; t < 50; t++)
        {
            ArmChoice d = await original.DecideAsync(t);
            await original.LearnAsync(t, d, env.Respond(t, d));
        }

        PolicyState snapshot = PolicyStates.Deserialize(PolicyStates.Serialize(original.ExportState()));
        var restored = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(3, clock), new MinimumExplorationOptions { Epsilon = 0.25 }, Seeds.CreateRandom(12345));
        restored.ImportState(snapshot);

        for (int t = 50; t < 150; t++)
        {
            ArmChoice a = await original.DecideAsync(t);
            ArmChoice b = await restored.DecideAsync(t);
            Assert.Equal(a, b);
            ArmOutcome outcome = env.Respond(t, a);
            await original.LearnAsync(t, a, outcome);
            await restored.LearnAsync(t, b, outcome);
        }
    }

    [Fact]
    public void MinimumExploration_SnapshotWithOtherEpsilon_RefusedAndUnchanged()
    {
        var a = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(3), new MinimumExplorationOptions { Epsilon = 0.1 }, Seeds.CreateRandom(1));
        var b = new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(3), new MinimumExplorationOptions { Epsilon = 0.2 }, Seeds.CreateRandom(2));
        string before = PolicyStates.Serialize(b.ExportState());

        var ex = Assert.Throws<PolicyStateException>(() => b.ImportState(a.ExportState()));

        Assert.Contains("ε", ex.Message);
        Assert.Equal(before, PolicyStates.Serialize(b.ExportState()));
    }

    [Fact]
    public void MinimumExploration_EpsilonOutOfRange_NamesTheOption()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MinimumExplorationStage<int, ArmChoice, ArmOutcome>(new GreedyMeans(3), new MinimumExplorationOptions { Epsilon = 1.5 }, Seeds.CreateRandom(1)));
        Assert.Equal("Epsilon", ex.ParamName);
    }

    [Fact]
    public async Task LearningLate_EqualsLearningAtOnce()
    {
        // Decide twice, learn in reverse order: same state as learning in order (ids settled, sums equal).
        var late = new GreedyMeans(2);
        var atOnce = new GreedyMeans(2);
        ArmChoice l1 = await late.DecideAsync(0), l2 = await late.DecideAsync(1);
        ArmChoice a1 = await atOnce.DecideAsync(0), a2 = await atOnce.DecideAsync(1);
        await late.LearnAsync(1, l2, new ArmOutcome(2, 0));
        await late.LearnAsync(0, l1, new ArmOutcome(1, 0));
        await atOnce.LearnAsync(0, a1, new ArmOutcome(1, 0));
        await atOnce.LearnAsync(1, a2, new ArmOutcome(2, 0));

        Assert.Equal(PolicyStates.Serialize(atOnce.ExportState()), PolicyStates.Serialize(late.ExportState()));
    }

    private sealed class UnknownProbabilities : IPolicy<int, ArmChoice, ArmOutcome>
    {
        private readonly DecisionIssuer _issuer = new();

        public string Name => "unknown";

        public ValueTask<ArmChoice> DecideAsync(int context, CancellationToken cancellationToken = default)
        {
            DecisionStamp s = _issuer.Issue();
            return new(new ArmChoice { Id = s.Id, Time = s.Time, Arm = 1, Probabilities = ProbabilityVectors.Unknown(3), Notes = DecisionNotes.PropensityUnknownAdvice });
        }

        public ValueTask LearnAsync(int context, ArmChoice decision, ArmOutcome outcome, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
