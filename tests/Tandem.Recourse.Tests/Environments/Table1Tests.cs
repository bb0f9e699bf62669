using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Tests.Environments;

public class Table1Tests
{
    // Seed 000 Table 1, typed here from the paper (not read from HypertensionScenario.Table1): next-visit SBP change per
    // standardized feature, beta-blocker then ACE+CCB+Diuretics. Feature order: Female, age, CVD, race, cigarette,
    // DietScore, PhyActHours, current SBP.
    private static readonly double[] BetaBlocker = [-0.51, 1.91, 0.29, -0.00, 1.43, -2.12, -0.48, 8.79];
    private static readonly double[] Combination = [2.73, -1.51, 1.09, -0.00, -1.78, -2.18, -1.02, 10.82];

    [Fact]
    public void Hypertension_RewardSlopes_AreMinusTable1_ProbedThroughTheEnvironment()
    {
        // Reward = 170 − SBP, so ∂reward/∂x_i = −(Table 1)_i: probed by finite differences of the environment's expected
        // reward (black box), not by reading θ*. A world with a flipped sign or swapped arms fails.
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        RecourseWorld world = scenario.CreateWorld(problem, TestWorlds.Run());
        var env = new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, null, 1);
        double[] origin = [1, 0, 0, 0, 0, 0, 0, 0, 0];
        for (int arm = 0; arm < 2; arm++)
        {
            double[] table = arm == 0 ? BetaBlocker : Combination;
            double at0 = env.ExpectedReward(origin, TestWorlds.Decision(arm, origin, 2));
            for (int i = 0; i < 8; i++)
            {
                double[] x = (double[])origin.Clone();
                x[i + 1] = 1;
                double slope = env.ExpectedReward(x, TestWorlds.Decision(arm, x, 2)) - at0;
                Assert.Equal(-table[i], slope, 12);
            }
        }
    }

    [Fact]
    public void Hypertension_MoreDietAndActivity_LowerSbp_DietMattersMore_UnderBothArms()
    {
        // The seed's reading of Table 1 (§5.3): DietScore lowers SBP more than PhyActHours under both treatments, so the
        // optimal L2 recourse raises DietScore more than PhyActHours and raises both.
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        var truth = new RecourseTruth(problem, scenario.TrueTheta());
        var best = new double[9];
        foreach (double sbp in new[] { -1.5, 1.5 })
        {
            double[] x = [1, 0, 0, 0, 0, 0, 0, 0, sbp];
            truth.OptimalPair(x, best);
            Assert.True(best[6] > best[7] && best[7] > 0, $"DietScore {best[6]}, PhyActHours {best[7]}");
        }
    }
}
