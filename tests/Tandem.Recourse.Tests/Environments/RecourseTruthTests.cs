using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Tests.Environments;

public class RecourseTruthTests
{
    [Fact]
    public void OptimalPair_Hypertension_IsLemma1ClosedForm_ForL2()
    {
        // Lemma 1 / Corollary 1 (L2): x̃*_M = x_M + γ θ*_{a,M}/‖θ*_{a,M}‖, value θ*ᵀx + γ‖θ*_{a,M}‖; best arm wins.
        var (problem, env) = TestWorlds.Hypertension();
        var scenario = new HypertensionScenario();
        double[][] theta = scenario.TrueTheta();
        var best = new double[problem.Dimension];
        for (int i = 0; i < 50; i++)
        {
            double[] x = env.NextContext();
            (int arm, double value) = env.Truth.OptimalPair(x, best);
            double[] closed = theta.Select(t =>
            {
                double lin = t.Zip(x, (a, b) => a * b).Sum();
                double normM = Math.Sqrt(t[6] * t[6] + t[7] * t[7]);
                return lin + 3 * normM;
            }).ToArray();
            int expectedArm = closed[0] >= closed[1] ? 0 : 1;
            Assert.Equal(expectedArm, arm);
            Assert.Equal(closed[expectedArm], value, 9);
            double norm = Math.Sqrt(theta[arm][6] * theta[arm][6] + theta[arm][7] * theta[arm][7]);
            Assert.Equal(x[6] + 3 * theta[arm][6] / norm, best[6], 9);
            Assert.Equal(x[7] + 3 * theta[arm][7] / norm, best[7], 9);
            for (int j = 0; j < 6; j++) Assert.Equal(x[j], best[j]);
            Assert.Equal(x[8], best[8]);
        }
    }

    [Fact]
    public void OptimalPair_LInf_UsesSignOfCoefficients()
    {
        // Corollary 1 (weighted L∞ with unit weights): x̃*_M(i) = x_M(i) + γ sign(θ*_{a,M}(i)).
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.Parse("linf", 2), 1.5);
        var truth = new RecourseTruth(problem, scenario.TrueTheta());
        var x = new double[] { 1, 0.2, -0.3, 1.6, -0.8, 0.1, 0.4, -1.2, 0.9 };
        var best = new double[9];
        (int arm, _) = truth.OptimalPair(x, best);
        double[] t = scenario.TrueTheta()[arm];
        Assert.Equal(x[6] + 1.5 * Math.Sign(t[6]), best[6], 12);
        Assert.Equal(x[7] + 1.5 * Math.Sign(t[7]), best[7], 12);
    }

    [Fact]
    public void Hypertension_AverageUntreatedPatient_StaysAtTheBaseline_170()
    {
        // docs/libra-hypertension.md: the intercept is the cohort's stated baseline SBP (170 mmHg), so with standardized
        // features (mean 0) and no recourse E[170 − SBP] = 0 for either arm. A bug that re-pins the intercept to a
        // result (125.5 gave 44.5) fails here. Tolerance 0.3 mmHg ≈ 4 standard errors at n = 20000.
        var scenario = new HypertensionScenario(new HypertensionOptions { CohortSize = 20000 });
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        RecourseWorld world = scenario.CreateWorld(problem, TestWorlds.Run());
        var cohort = ((CohortSampler)world.Sampler).Rows;
        double mean = cohort.Average(x => 0.5 * world.Truth.ExpectedReward(0, x) + 0.5 * world.Truth.ExpectedReward(1, x));
        Assert.Equal(0, mean, 0.3);
        Assert.Equal(170, scenario.Options.Intercept);
    }

    [Fact]
    public void Hypertension_BinaryFeatures_AreStandardizedLikeTheSeedsPrompt()
    {
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        RecourseWorld world = scenario.CreateWorld(problem, TestWorlds.Run());
        var cvd = ((CohortSampler)world.Sampler).Rows.Select(r => r[3]).Distinct().OrderBy(v => v).ToArray();
        Assert.Equal(2, cvd.Length);
        Assert.Equal(1.64, cvd[1], 2); // the seed's prompt shows 1.63 for a standardized "yes"
    }
}
