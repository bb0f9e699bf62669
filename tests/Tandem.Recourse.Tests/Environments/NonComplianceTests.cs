using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Recourse.Solvers;
using Tandem.Recourse.Tests.Geometry;

namespace Tandem.Recourse.Tests.Environments;

public class NonComplianceTests
{
    // A 3-feature world: intercept, one immutable, two mutable; two arms.
    private static RecourseProblem Problem(double gamma = 2) => new(
        "nc",
        [new Feature("Intercept", "1", false, Constant: true), new Feature("age", "", false), new Feature("m1", "", true), new Feature("m2", "", true)],
        [new Treatment("A", "a"), new Treatment("B", "b")],
        RecourseNorm.L2, gamma);

    private static RecourseDecision Decision(long id, int arm, double[] recourse) => new()
    {
        Id = new DecisionId(id),
        Time = DateTimeOffset.UnixEpoch,
        Arm = arm,
        Probabilities = ProbabilityVectors.OneHot(2, arm),
        Recourse = RecourseDecision.Copy(recourse),
    };

    [Fact]
    public async Task Glrb_LearnsFromTheRealizedContext_NotTheIntendedOne()
    {
        // §4: V = λI + Σ x̄ x̄ᵀ over the realized contexts. After one update with x̄: V⁻¹ = I − x̄x̄ᵀ/(1 + ‖x̄‖²) (λ = 1),
        // θ̂ = V⁻¹ x̄ r. A policy that learns from its own intended x̃ gets both wrong.
        RecourseProblem problem = Problem();
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Guard = NonComplianceGuard.Random, PooledInterceptPrior = false });
        double[] x = [1, 0.5, 0.2, -0.4];
        RecourseDecision d = await glrb.DecideAsync(x);
        double[] realized = [.. d.Recourse];
        realized[2] -= 0.7;
        realized[3] += 0.3;
        await glrb.LearnAsync(x, d, new RecourseOutcome(2.5, 0, ImmutableArray.Create(realized)));
        double norm2 = realized.Sum(v => v * v);
        ReadOnlySpan<double> inverse = glrb.Arms[d.Arm].InverseDesign;
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal((i == j ? 1 : 0) - realized[i] * realized[j] / (1 + norm2), inverse[i * 4 + j], 12);
        for (int i = 0; i < 4; i++) Assert.Equal(2.5 * realized[i] / (1 + norm2), glrb.Arms[d.Arm].Theta[i], 12);
    }

    [Fact]
    public async Task Remark1_MeanDeviation_IsRealizedMinusIntended_PerArm()
    {
        // ε_s = x̄_s − x̃_s (Remark 1). Patients who do less than asked have ε against the change; the robust guard's mean
        // must carry that sign (a guard that stores x̃ − x̄ expects patients to overshoot).
        RecourseProblem problem = Problem();
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Guard = NonComplianceGuard.Random });
        double[][] deviations = [[-0.6, 0.2], [-0.2, 0.4]];
        int arm = -1;
        for (int t = 0; t < 2; t++)
        {
            double[] x = [1, 0.1 * t, 0.3, -0.2];
            RecourseDecision d = await glrb.DecideAsync(x);
            arm = t == 0 ? d.Arm : arm;
            double[] realized = [.. d.Recourse];
            realized[2] += deviations[t][0];
            realized[3] += deviations[t][1];
            // Learn both steps on the first step's arm, so the mean is over two deviations of one arm.
            await glrb.LearnAsync(x, d with { Arm = arm }, new RecourseOutcome(1.0, 0, ImmutableArray.Create(realized)));
        }
        JsonElement data = glrb.ExportState().Data;
        double[] mean = [.. data.GetProperty("meanDeviation")[arm].EnumerateArray().Select(e => e.GetDouble())];
        Assert.Equal(-0.4, mean[0], 12);
        Assert.Equal(0.3, mean[1], 12);
        Assert.Equal(2, data.GetProperty("deviationCount")[arm].GetInt32());
    }

    [Fact]
    public void RobustBenchmarks_MatchSlowEnumeration()
    {
        // C.1 (random, E[ε] = −E·b·u) and C.4 (adversarial max-min) against a slow search over the recourse circle
        // (L2, γ = 2, no bounds) with the same expected-reward formulas written out here. Tolerance: the grid's 1e-6 radians.
        RecourseProblem problem = Problem();
        double[][] theta = [[1.0, 0.3, 2.0, -1.0], [0.5, -0.2, -0.5, 1.5]];
        var truth = new RecourseTruth(problem, theta);
        double[] x = [1, 0.4, -0.3, 0.8];
        var random = new RandomNonCompliance(problem, epsilon: 0.8, bias: 0.5);
        var adversarial = new AdversarialNonCompliance(truth, epsilon: 0.8);
        double bestRandom = double.NegativeInfinity, bestAdversarial = double.NegativeInfinity;
        for (int a = 0; a < 2; a++)
        {
            double baseValue = theta[a][0] * x[0] + theta[a][1] * x[1] + theta[a][2] * x[2] + theta[a][3] * x[3];
            double normM = Math.Sqrt(theta[a][2] * theta[a][2] + theta[a][3] * theta[a][3]);
            for (int k = 0; k < 200_000; k++)
            {
                double phi = 2 * Math.PI * k / 200_000;
                foreach (double t in new[] { 2.0, 1e-9 })
                {
                    double c2 = t * Math.Cos(phi), c3 = t * Math.Sin(phi);
                    double along = theta[a][2] * c2 + theta[a][3] * c3;
                    bestRandom = Math.Max(bestRandom, baseValue + along - 0.8 * 0.5 * along / t);
                    bestAdversarial = Math.Max(bestAdversarial, baseValue + along - 0.8 * normM);
                }
            }
        }
        Assert.Equal(bestRandom, random.RobustOptimum(truth, x), 1e-6);
        Assert.Equal(bestAdversarial, adversarial.RobustOptimum(truth, x), 1e-6);

        // The value of one pair is what the environment's expected reward averages to.
        double[] intended = [1, 0.4, -0.3 + 1.2, 0.8 + 1.6];
        double[] realized = new double[4];
        var rng = new Xoshiro256(3);
        double sum = 0;
        const int draws = 200_000;
        for (int i = 0; i < draws; i++)
        {
            random.Realize(x, intended, 0, realized, rng);
            sum += truth.ExpectedReward(0, realized);
        }
        Assert.Equal(sum / draws, random.RobustValue(truth, x, intended, 0), 0.01); // Monte Carlo: sd of the mean ≈ 0.002
        adversarial.Realize(x, intended, 1, realized, rng);
        Assert.Equal(truth.ExpectedReward(1, realized), adversarial.RobustValue(truth, x, intended, 1), 12);
    }

    [Fact]
    public void RandomBenchmark_IsNaN_WhereItIsNotExact()
    {
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L1, 3);
        var truth = new RecourseTruth(problem, scenario.TrueTheta());
        var model = new RandomNonCompliance(problem, 0.5);
        Assert.True(double.IsNaN(model.RobustOptimum(truth, new double[9])));
    }

    [Theory]
    [InlineData("l2", 0.95)]
    [InlineData("mahalanobis", 0.95)]
    public void Algorithm4_ReachesTheBruteForceMaxMin(string normName, double minimumRate)
    {
        // (ORO-NC-Arm) in 2D, all mutable, no bounds: max over θ ∈ Θ, x̃ of min over x̄ equals max over θ on the ellipsoid of
        // θᵀx + (γ − ε)‖θ‖_* (C.3), a convex function, so a fine grid over the ellipsoid's boundary θ̂ + ρ L u(φ)
        // (V⁻¹ = L Lᵀ) finds it. Algorithm 4 finds a critical point: its value never exceeds the brute force (1e-9) and
        // reaches it (1e-6 relative) in at least minimumRate of 100 instances (measured: 100/100 for both norms).
        const int d = 2;
        int[] mutable = [0, 1];
        var random = new Xoshiro256(91);
        RecourseNorm norm = RecourseNorm.Parse(normName, 2);
        const double gamma = 2.0, epsilon = 0.5;
        var solver = new AdversarialOroSolver(d, mutable, new RecourseSet(2, norm, gamma), epsilon);
        int reached = 0;
        for (int instance = 0; instance < 100; instance++)
        {
            double[] x = Fixtures.Gaussian(random, d), thetaHat = Fixtures.Gaussian(random, d);
            double[] inverse = Fixtures.RandomInverseDesign(random, d);
            double rho = 0.1 + 2.9 * random.NextDouble();
            OroSolution solution = solver.Solve(x, thetaHat, inverse, rho, new double[d], new double[d]);
            double l00 = Math.Sqrt(inverse[0]), l10 = inverse[2] / l00, l11 = Math.Sqrt(inverse[3] - l10 * l10);
            double brute = double.NegativeInfinity;
            for (int k = 0; k < 100_000; k++)
            {
                double phi = 2 * Math.PI * k / 100_000, u0 = Math.Cos(phi), u1 = Math.Sin(phi);
                double[] theta = [thetaHat[0] + rho * l00 * u0, thetaHat[1] + rho * (l10 * u0 + l11 * u1)];
                brute = Math.Max(brute, theta[0] * x[0] + theta[1] * x[1] + (gamma - epsilon) * norm.DualNorm(theta));
            }
            Assert.True(solution.Value <= brute + 1e-9 * Math.Max(1, Math.Abs(brute)), $"instance {instance}: {solution.Value} > {brute}");
            if (solution.Value >= brute - 1e-6 * Math.Max(1, Math.Abs(brute))) reached++;
        }
        Assert.True(reached >= minimumRate * 100, $"reached {reached}/100");
    }
}
