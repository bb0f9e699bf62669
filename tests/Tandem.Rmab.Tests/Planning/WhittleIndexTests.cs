using Tandem.Core.Randomness;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Xunit.Abstractions;

namespace Tandem.Rmab.Tests.Planning;

public class WhittleIndexTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.2, 0.6, 0.0, 1.0, 0.5)]
    [InlineData(0.1, 0.9, 0.0, 1.0, 0.9)]
    [InlineData(0.3, 0.4, 0.5, 2.5, 0.95)]
    public void StateIndependentTransitions_IndexIsDiscountTimesLiftTimesRewardGap(double passive, double active, double r0, double r1, double gamma)
    {
        // Both states move to engaged with the same probability, so V1 − V0 = r1 − r0 under every policy and
        // the indifference subsidy is W = γ (q_active − q_passive)(r1 − r0) in both states.
        var arm = new ArmDynamics(passive, passive, active, active);

        WhittleResult w = WhittleIndex.Compute(arm, r0, r1, gamma);

        double expected = gamma * (active - passive) * (r1 - r0);
        Assert.Equal(expected, w.State0, 9);
        Assert.Equal(expected, w.State1, 9);
        Assert.True(w.Indexable);
    }

    [Fact]
    public void CallWithoutEffect_IndexIsZero()
    {
        var arm = new ArmDynamics(0.2, 0.7, 0.2, 0.7);

        WhittleResult w = WhittleIndex.Compute(arm, 0, 1, 0.9);

        Assert.Equal(0, w.State0, 9);
        Assert.Equal(0, w.State1, 9);
    }

    [Fact]
    public void Index_MakesBothActionsEqual_ByIndependentValueIteration()
    {
        var rng = new Xoshiro256(11);
        for (int trial = 0; trial < 200; trial++)
        {
            ArmDynamics arm = Fixtures.StructuredArm(rng);
            double r0 = rng.NextDouble(), r1 = r0 + rng.NextDouble() * 2, gamma = 0.5 + 0.45 * rng.NextDouble();
            WhittleResult w = WhittleIndex.Compute(arm, r0, r1, gamma);
            Assert.True(w.Indexable, $"structured arm {arm} should be indexable");
            for (int s = 0; s < 2; s++)
            {
                double m = w.For(s);
                (double qp, double qa) = SlowQ(arm, r0, r1, gamma, m, s);
                Assert.True(Math.Abs(qp - qa) < 1e-7 * Math.Max(1, Math.Abs(qp)), $"arm {arm} state {s}: Q passive {qp} vs active {qa} at W = {m}");
                (qp, qa) = SlowQ(arm, r0, r1, gamma, m + 1e-3, s);
                Assert.True(qp >= qa - 1e-9, "above the index passivity is optimal");
                (qp, qa) = SlowQ(arm, r0, r1, gamma, m - 1e-3, s);
                Assert.True(qa >= qp - 1e-9, "below the index a call is optimal");
            }
        }
    }

    [Fact]
    public void BatchKernel_MatchesSingleArmComputation()
    {
        var rng = new Xoshiro256(5);
        var arms = Enumerable.Range(0, 50).Select(_ => Fixtures.AnyArm(rng)).ToArray();
        double[] r0 = arms.Select(_ => rng.NextDouble()).ToArray(), r1 = arms.Select(_ => rng.NextDouble()).ToArray();
        var i0 = new double[50];
        var i1 = new double[50];
        var ok = new bool[50];

        WhittleIndex.Compute(arms, r0, r1, 0.9, i0, i1, ok);

        for (int i = 0; i < 50; i++)
        {
            WhittleResult w = WhittleIndex.Compute(arms[i], r0[i], r1[i], 0.9);
            Assert.Equal(w.State0, i0[i]);
            Assert.Equal(w.State1, i1[i]);
            Assert.Equal(w.Indexable, ok[i]);
        }
    }

    [Fact]
    public void GeneratedCohort_IsIndexable()
    {
        var population = Fixtures.Generator.Population(3);
        foreach (var b in population.Take(2000))
            Assert.True(WhittleIndex.Compute(b.Dynamics, 0, 1, 0.9).Indexable);
    }

    [Fact]
    public void InvalidArguments_Throw_NamingTheParameter()
    {
        var arm = new ArmDynamics(0.1, 0.5, 0.3, 0.8);
        Assert.Equal("discount", Assert.Throws<ArgumentOutOfRangeException>(() => WhittleIndex.Compute(arm, 0, 1, 1.0)).ParamName);
        Assert.Equal("reward1", Assert.Throws<ArgumentOutOfRangeException>(() => WhittleIndex.Compute(arm, 0, double.NaN, 0.9)).ParamName);
        Assert.Equal("arm", Assert.Throws<ArgumentException>(() => WhittleIndex.Compute(new ArmDynamics(1.2, 0, 0, 0), 0, 1, 0.9)).ParamName);
    }

    [Fact]
    public void WhittlePolicy_IsNearOptimal_AgainstExactJointPolicy_ForFourArmsOneCall()
    {
        var rng = new Xoshiro256(2024);
        var gaps = new List<double>();
        for (int instance = 0; instance < 25; instance++)
        {
            var arms = Enumerable.Range(0, 4).Select(_ => Fixtures.StructuredArm(rng)).ToArray();
            var rewards = new RewardTable(arms.Select(_ => 0.0).ToArray(), arms.Select(_ => 0.5 + rng.NextDouble()).ToArray());
            var problem = new PlanningProblem(arms, rewards, 1, 0.9);
            var policy = (IndexPolicy)new WhittlePlanner().Plan(problem);
            Assert.All(policy.Indexable, Assert.True);

            double[] optimal = ExactJointPlanner.OptimalValues(problem);
            double[] whittle = ExactJointPlanner.PolicyValues(problem, x =>
            {
                int best = -1;
                double top = double.NegativeInfinity;
                for (int i = 0; i < 4; i++)
                {
                    double v = ((x >> i) & 1) == 0 ? policy.Index0[i] : policy.Index1[i];
                    if (v > top) { top = v; best = i; }
                }
                return 1 << best;
            });
            for (int x = 0; x < optimal.Length; x++) Assert.True(whittle[x] <= optimal[x] + 1e-8, "no policy beats the optimum");
            gaps.Add(Enumerable.Range(0, optimal.Length).Max(x => (optimal[x] - whittle[x]) / optimal[x]));
        }
        output.WriteLine($"Whittle vs exact optimal, N = 4, B = 1, γ = 0.9, 25 random indexable instances: relative gap mean {gaps.Average():E2}, max {gaps.Max():E2}, optimal in {gaps.Count(g => g < 1e-9)}/25");
        Assert.True(gaps.Average() < 0.005, $"mean relative gap {gaps.Average()}");
        Assert.True(gaps.Max() < 0.03, $"max relative gap {gaps.Max()}");
    }

    // Independent slow solve: value iteration on the subsidised single-arm MDP.
    private static (double Passive, double Active) SlowQ(ArmDynamics arm, double r0, double r1, double gamma, double m, int state)
    {
        double v0 = 0, v1 = 0;
        for (int it = 0; it < 20000; it++)
        {
            double q00 = r0 + m + gamma * ((1 - arm.Passive0) * v0 + arm.Passive0 * v1);
            double q01 = r0 + gamma * ((1 - arm.Active0) * v0 + arm.Active0 * v1);
            double q10 = r1 + m + gamma * ((1 - arm.Passive1) * v0 + arm.Passive1 * v1);
            double q11 = r1 + gamma * ((1 - arm.Active1) * v0 + arm.Active1 * v1);
            double n0 = Math.Max(q00, q01), n1 = Math.Max(q10, q11);
            bool done = Math.Abs(n0 - v0) + Math.Abs(n1 - v1) < 1e-14;
            v0 = n0;
            v1 = n1;
            if (done) break;
        }
        double p = state == 0 ? arm.Passive0 : arm.Passive1, a = state == 0 ? arm.Active0 : arm.Active1, r = state == 0 ? r0 : r1;
        return (r + m + gamma * ((1 - p) * v0 + p * v1), r + gamma * ((1 - a) * v0 + a * v1));
    }
}
