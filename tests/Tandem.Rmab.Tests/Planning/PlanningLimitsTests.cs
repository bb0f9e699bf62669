using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Tests.Planning;

// Issue 15, defects 9 (huge finite rewards) and 10 (cancellation of long synchronous planning).
public class PlanningLimitsTests
{
    private static (ArmDynamics[] Arms, double[] R0, double[] R1) RandomArms(int n, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        ArmDynamics[] arms = Enumerable.Range(0, n).Select(_ => Fixtures.StructuredArm(rng)).ToArray();
        double[] r0 = arms.Select(_ => rng.NextDouble()).ToArray();
        double[] r1 = r0.Select(r => r + rng.NextDouble()).ToArray();
        return (arms, r0, r1);
    }

    private static int[] Ranking(double[] index) => Enumerable.Range(0, index.Length).OrderByDescending(i => index[i]).ThenBy(i => i).ToArray();

    [Theory]
    [InlineData(1e300)]
    [InlineData(1e-300)]
    [InlineData(1e150)]
    [InlineData(3.7e-9)]
    public void PositiveRescaling_OfTheRewards_KeepsTheRanking_AndScalesTheIndex(double factor)
    {
        // W(c·r) = c·W(r) for c > 0. Bug caught: the 2×2 solves overflow near 1e308 and the absolute bisection
        // tolerance swamps tiny rewards, so the scaled ranking came out different.
        (ArmDynamics[] arms, double[] r0, double[] r1) = RandomArms(40, 3);
        int n = arms.Length;
        double[] a0 = new double[n], a1 = new double[n], b0 = new double[n], b1 = new double[n];
        bool[] okA = new bool[n], okB = new bool[n];
        WhittleIndex.Compute(arms, r0, r1, 0.9, a0, a1, okA);
        WhittleIndex.Compute(arms, r0.Select(r => r * factor).ToArray(), r1.Select(r => r * factor).ToArray(), 0.9, b0, b1, okB);

        Assert.Equal(Ranking(a0), Ranking(b0));
        Assert.Equal(Ranking(a1), Ranking(b1));
        Assert.Equal(okA, okB);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(b0[i] / factor - a0[i]) <= 1e-9 * Math.Max(1e-3, Math.Abs(a0[i])), $"arm {i}: {b0[i]} / {factor} vs {a0[i]}");
            Assert.True(Math.Abs(b1[i] / factor - a1[i]) <= 1e-9 * Math.Max(1e-3, Math.Abs(a1[i])), $"arm {i}: {b1[i]} / {factor} vs {a1[i]}");
        }
    }

    [Fact]
    public void AFeatureOf1e308_RanksThatBeneficiaryFirst()
    {
        // R = state · (0.1 + feats[7]); one arm has feats[7] = 1e308 (finite). Same transitions for all, so the
        // ranking must follow the reward. Bug caught: its index overflowed and the plan changed silently.
        ArmDynamics arm = new(0.1, 0.6, 0.5, 0.8);
        double[] feature = [0, 1, 1e308, 2, 0.5];
        var table = new RewardTable(new double[5], feature.Select(f => 0.1 + f).ToArray());
        var problem = new PlanningProblem(Enumerable.Repeat(arm, 5).ToArray(), table, 2, 0.9);
        IReadOnlyList<CallListEntry> plan = CallList.Plan(problem, [0, 0, 0, 0, 0], 1);
        Assert.Equal([2, 3, 1, 4, 0], plan.Select(e => e.Arm).ToArray());
        Assert.All(plan, e => Assert.True(double.IsFinite(e.Index)));
    }

    [Fact]
    public void AnIndexThatOverflows_IsRefused_NamingTheArm()
    {
        // W = γ (q_a − q_p)(r1 − r0) = 0.9 · 1 · 3.4e308 is not a double: refuse rather than rank by ∞.
        var arm = new ArmDynamics(0, 0, 1, 1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => WhittleIndex.Compute(arm, -1.7e308, 1.7e308, 0.9));
        Assert.Contains("overflows", ex.Message);
        var problem = new PlanningProblem([new(0.1, 0.6, 0.5, 0.8), arm], new RewardTable([0, -1.7e308], [1, 1.7e308]), 1, 0.9);
        var planEx = Assert.Throws<ArgumentOutOfRangeException>(() => new WhittlePlanner().Plan(problem));
        Assert.Contains("Arm 1", planEx.Message);
    }

    [Fact]
    public void Ppo_RefusesRewardsBeyondItsBound_NamingTheArm()
    {
        // Bug caught: max|R| / (1 − γ) overflowed the critic's scale and training produced NaN logits.
        var arms = Enumerable.Repeat(new ArmDynamics(0.1, 0.6, 0.5, 0.8), 3).ToArray();
        var problem = new PlanningProblem(arms, new RewardTable([0, 0, 0], [1, 1e300, 1]), 1, 0.9);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new PpoPlanner(new PpoOptions().WithEpochs(2), 1).Train(problem));
        Assert.Equal("problem", ex.ParamName);
        Assert.Contains("Arm 1", ex.Message);
    }

    [Fact]
    public void PreCancelledToken_StopsWhittleAndPpo_BeforeAnyWork()
    {
        RmabInstance instance = CohortGenerator.Sample(Fixtures.Generator.Population(1), 600, 10, 4);
        var problem = new PlanningProblem(instance.Dynamics, RewardTable.EngagementOnly(600), 10, 0.9);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new WhittlePlanner().Plan(problem, cts.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => new PpoPlanner(new PpoOptions(), 1).Train(problem, cts.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => CallList.Plan(problem, new byte[600], 1, cancellationToken: cts.Token));
        var i0 = new double[600];
        Assert.ThrowsAny<OperationCanceledException>(() =>
            WhittleIndex.Compute(instance.Dynamics.ToArray(), new double[600], Enumerable.Repeat(1.0, 600).ToArray(), 0.9, i0, new double[600], new bool[600], cts.Token));
    }

    [Fact]
    public void PpoTraining_CancelledDuringAnEpoch_StopsInThatEpoch()
    {
        // The token is cancelled from the third epoch's report; the fourth epoch's rollout must see it.
        // Bug caught: training ran all 40 epochs and ignored Ctrl+C.
        RmabInstance instance = CohortGenerator.Sample(Fixtures.Generator.Population(1), 16, 5, 4);
        var problem = new PlanningProblem(instance.Dynamics, RewardTable.EngagementOnly(16), 5, 0.9);
        using var cts = new CancellationTokenSource();
        var seen = new List<int>();
        var progress = new SyncProgress(e =>
        {
            seen.Add(e.Epoch);
            if (e.Epoch == 2) cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new PpoPlanner(new PpoOptions { Epochs = 40 }, 1, progress).Train(problem, cts.Token));
        Assert.Equal([0, 1, 2], seen);
    }

    private sealed class SyncProgress(Action<PpoEpoch> report) : IProgress<PpoEpoch>
    {
        public void Report(PpoEpoch value) => report(value);
    }
}
