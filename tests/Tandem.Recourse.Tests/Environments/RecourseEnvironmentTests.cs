using Tandem.Recourse.Environments;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Tests.Environments;

public class RecourseEnvironmentTests
{
    [Fact]
    public void SameSeed_SameContextsAndRewards()
    {
        var (_, a) = TestWorlds.Hypertension(seed: 3);
        var (_, b) = TestWorlds.Hypertension(seed: 3);
        for (int t = 0; t < 20; t++)
        {
            double[] xa = a.NextContext(), xb = b.NextContext();
            Assert.Equal(xa, xb);
            var d = TestWorlds.Decision(t % 2, (double[])xa.Clone());
            Assert.Equal(a.Respond(xa, d).Reward, b.Respond(xb, d).Reward);
        }
    }

    [Fact]
    public void Respond_InfeasibleRecourse_Throws()
    {
        var (_, env) = TestWorlds.Hypertension();
        double[] x = env.NextContext();
        double[] far = (double[])x.Clone();
        far[6] += 10; // ‖change‖ = 10 > γ = 3
        Assert.Throws<InvalidOperationException>(() => env.Respond(x, TestWorlds.Decision(0, far)));
        double[] immutable = (double[])x.Clone();
        immutable[2] += 0.1;
        Assert.Throws<InvalidOperationException>(() => env.Respond(x, TestWorlds.Decision(0, immutable)));
    }

    [Fact]
    public void AdversarialNonCompliance_MovesEpsilonAgainstTheTruth()
    {
        // Worst case within ε (L2): x̄_M = x̃_M − ε θ*_{a,M}/‖θ*_{a,M}‖, so the expected reward drops by ε‖θ*_{a,M}‖.
        var scenario = new HypertensionScenario();
        var (problem, clean) = TestWorlds.Hypertension();
        var adversary = new AdversarialNonCompliance(clean.Truth, 0.5);
        var env = new RecourseEnvironment(clean.Truth, new CohortSampler([[1, 0, 0, 0, 0, 0, 0, 0, 0]]), 0, adversary, 1);
        double[] x = env.NextContext();
        RecourseOutcome outcome = env.Respond(x, TestWorlds.Decision(1, (double[])x.Clone()));
        double[] t = scenario.TrueTheta()[1];
        Assert.Equal(clean.Truth.ExpectedReward(1, x) - 0.5 * Math.Sqrt(t[6] * t[6] + t[7] * t[7]), outcome.ExpectedReward, 9);
    }

    [Fact]
    public void RandomNonCompliance_DeviationIsBoundedByEpsilon()
    {
        var (problem, clean) = TestWorlds.Hypertension();
        var nc = new RandomNonCompliance(problem, 0.7);
        var env = new RecourseEnvironment(clean.Truth, new CohortSampler([[1, 0, 0, 0, 0, 0, 0, 0, 0]]), 1, nc, 5);
        double[] x = env.NextContext();
        double[] intended = (double[])x.Clone();
        intended[6] += 2;
        for (int i = 0; i < 500; i++)
        {
            double[] realized = env.Respond(x, TestWorlds.Decision(0, intended)).Realized.ToArray();
            double dev = Math.Sqrt(Math.Pow(realized[6] - intended[6], 2) + Math.Pow(realized[7] - intended[7], 2));
            Assert.True(dev <= 0.7 + 1e-12, $"deviation {dev} exceeds ε");
            Assert.Equal(x[2], realized[2]);
        }
    }

    [Theory]
    [InlineData("hypertension")]
    [InlineData("synthetic")]
    [InlineData("logistic")]
    public void ExpectedReward_OfTheOptimalPair_IsTheOptimalExpectedReward(string world)
    {
        RecourseEnvironment env = world switch
        {
            "hypertension" => TestWorlds.Hypertension().Environment,
            "synthetic" => TestWorlds.Synthetic(d: 6, k: 4).Environment,
            _ => TestWorlds.Logistic(),
        };
        for (int t = 0; t < 30; t++)
        {
            double[] x = env.NextContext();
            var best = new double[x.Length];
            int arm = env.Truth.OptimalPair(x, best).Arm;
            Assert.Equal(env.OptimalExpectedReward(x), env.ExpectedReward(x, TestWorlds.Decision(arm, best, env.ArmCount)), 12);
            for (int a = 0; a < env.ArmCount; a++)
                Assert.True(env.ExpectedReward(x, TestWorlds.Decision(a, x, env.ArmCount)) <= env.OptimalExpectedReward(x) + 1e-12);
        }
    }

    [Fact]
    public void ExpectedReward_UnderFullCompliance_EqualsTheOutcomes_AndDrawsNothing()
    {
        // Catches an ExpectedReward that advances the noise or compliance streams (asking about other arms
        // would then change the outcomes of the run).
        var (_, asked) = TestWorlds.Hypertension(seed: 5);
        var (_, quiet) = TestWorlds.Hypertension(seed: 5);
        for (int t = 0; t < 50; t++)
        {
            double[] x = asked.NextContext();
            quiet.NextContext();
            RecourseDecision d = TestWorlds.Decision(t % 2, x, 2);
            double expected = asked.ExpectedReward(x, d);
            for (int a = 0; a < asked.ArmCount; a++) asked.ExpectedReward(x, TestWorlds.Decision(a, x, 2));
            RecourseOutcome outcome = asked.Respond(x, d);
            Assert.Equal(outcome.ExpectedReward, expected);
            Assert.Equal(quiet.Respond(x, d).Reward, outcome.Reward);
        }
    }

    [Fact]
    public void ExpectedReward_IgnoresNonCompliance_ItIsTheRecommendedPair()
    {
        var (problem, clean) = TestWorlds.Hypertension();
        var env = new RecourseEnvironment(clean.Truth, new CohortSampler([[1, 0, 0, 0, 0, 0, 0, 0, 0]]), 0, new AdversarialNonCompliance(clean.Truth, 0.5), 1);
        double[] x = env.NextContext();
        double[] intended = (double[])x.Clone();
        intended[6] += 1;
        RecourseDecision d = TestWorlds.Decision(1, intended, 2);
        Assert.Equal(clean.Truth.ExpectedReward(1, intended), env.ExpectedReward(x, d));
        Assert.True(env.Respond(x, d).ExpectedReward < env.ExpectedReward(x, d));
    }
}
