using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Solvers;

namespace Tandem.Recourse.Tests.Solvers;

/// <summary>The fused Algorithm 2 kernel against the general path it replaces (bit for bit).</summary>
public class AllMutableL2KernelTests
{
    private static int[] All(int d) => [.. Enumerable.Range(0, d)];

    private static void AssertSame(OroSolution expected, double[] expectedX, OroSolution actual, double[] actualX, string label)
    {
        Assert.True(expected.Value.Equals(actual.Value), $"{label}: value {actual.Value:R} ≠ general {expected.Value:R}");
        Assert.Equal(expected.Iterations, actual.Iterations);
        Assert.Equal(expected.Converged, actual.Converged);
        for (int i = 0; i < expectedX.Length; i++)
            Assert.True(expectedX[i].Equals(actualX[i]), $"{label}: x̃[{i}] {actualX[i]:R} ≠ general {expectedX[i]:R}");
    }

    [Fact]
    public void Solver_UsesTheKernel_OnlyForAllMutableUnboundedL2()
    {
        // Catches the fused kernel running where its closed-form x̃-step is wrong (bounds, other norms, immutable features).
        Assert.True(new CoordinateDescentOroSolver(4, All(4), new RecourseSet(4, RecourseNorm.L2, 1)).IsFused);
        Assert.False(new CoordinateDescentOroSolver(4, [1, 2, 3], new RecourseSet(3, RecourseNorm.L2, 1)).IsFused);
        Assert.False(new CoordinateDescentOroSolver(4, All(4), new RecourseSet(4, RecourseNorm.L1, 1)).IsFused);
        Assert.False(new CoordinateDescentOroSolver(4, All(4), new RecourseSet(4, RecourseNorm.Parse("mahalanobis", 4), 1)).IsFused);
        FeatureBounds[] bounds = [new(), new(Direction: ChangeDirection.DecreaseOnly), new(), new()];
        Assert.False(new CoordinateDescentOroSolver(4, All(4), new RecourseSet(4, RecourseNorm.L2, 1, bounds)).IsFused);
        FeatureBounds[] none = [new(), new(), new(), new()];
        Assert.True(new CoordinateDescentOroSolver(4, All(4), new RecourseSet(4, RecourseNorm.L2, 1, none)).IsFused);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(20)]
    [InlineData(33)]
    public void Kernel_EqualsTheGeneralPath_BitForBit_On300RandomInstances(int d)
    {
        // Random V⁻¹, θ̂, x, ρ and γ, including the edge cases ρ = 0, γ = 0, θ̂ = 0 with x = 0 (θ = 0, no move),
        // tiny contexts (the zig-zag regime) and iteration limits of 1 and 2 (the limit exits). Dimensions cover the
        // SIMD blocks and their tails. Catches any reordered or re-associated operation in the fused loop.
        var random = new Xoshiro256(900UL + (ulong)d);
        for (int instance = 0; instance < 300; instance++)
        {
            double gamma = instance % 17 == 0 ? 0 : 0.1 + 4 * random.NextDouble();
            double rho = instance % 13 == 0 ? 0 : 0.05 + 5 * random.NextDouble();
            var options = new OroSolverOptions { MaxIterations = instance % 11 == 0 ? 1 + instance % 2 : 100 };
            var set = new RecourseSet(d, RecourseNorm.L2, gamma);
            var solver = new CoordinateDescentOroSolver(d, All(d), set, options);
            Assert.True(solver.IsFused);
            bool zero = instance % 19 == 0;
            double[] x = zero ? new double[d] : Fixtures.Gaussian(random, d, instance % 5 == 0 ? 0.01 : 1);
            double[] thetaHat = zero ? new double[d] : Fixtures.Gaussian(random, d, instance % 3 == 0 ? 0.01 : 1);
            double[] inverseDesign = Fixtures.RandomInverseDesign(random, d);
            double[] general = new double[d], fused = new double[d];
            OroSolution expected = solver.SolveGeneral(x, thetaHat, inverseDesign, rho, ReadOnlySpan<double>.Empty, general);
            OroSolution actual = solver.Solve(x, thetaHat, inverseDesign, rho, fused);
            AssertSame(expected, general, actual, fused, $"d = {d}, instance {instance}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(100)]
    public void Lockstep_EqualsOneArmAfterTheOther_BitForBit(int maxIterations)
    {
        // Arms that stop at different iterations (ρ = 0 stops at once, tiny contexts zig-zag): catches lockstep
        // bookkeeping that lets a finished arm move again, or reads another arm's slot.
        const int d = 20, k = 7;
        var random = new Xoshiro256(77UL + (ulong)maxIterations);
        var set = new RecourseSet(d, RecourseNorm.L2, 2.5);
        var solver = new CoordinateDescentOroSolver(d, All(d), set, new OroSolverOptions { MaxIterations = maxIterations });
        for (int instance = 0; instance < 50; instance++)
        {
            var arms = Enumerable.Range(0, k).Select(_ => new GlmArm(d)).ToArray();
            foreach (GlmArm arm in arms)
            {
                int n = random.Next(0, 40);
                for (int s = 0; s < n; s++) arm.Update(Fixtures.Gaussian(random, d), random.NextGaussian() * 2);
            }
            double[] x = Fixtures.Gaussian(random, d, instance % 2 == 0 ? 0.01 : 1);
            double[] rhos = [.. Enumerable.Range(0, k).Select(a => a == 3 ? 0 : 3 * random.NextDouble())];
            double[][] destinations = [.. arms.Select(_ => new double[d])];
            var solutions = new OroSolution[k];
            solver.SolveArmsTrusted(x, arms, rhos, destinations, solutions);
            double[] alone = new double[d];
            for (int a = 0; a < k; a++)
            {
                OroSolution expected = solver.SolveGeneral(x, arms[a].Theta, arms[a].InverseDesign, rhos[a], ReadOnlySpan<double>.Empty, alone);
                AssertSame(expected, alone, solutions[a], destinations[a], $"instance {instance}, arm {a}");
            }
        }
    }

    [Fact]
    public void Kernel_EqualsTheGeneralPath_BitForBit_AlongAGlrbRunOnTheSyntheticStudy()
    {
        // GLRB's own loop (θ̂ and V⁻¹ learned from the synthetic study's rewards, ρ = 1, γ = 3) for 300 rounds:
        // every arm's solve agrees bit for bit, so the arm choices and the study's numbers cannot change.
        (RecourseProblem problem, var environment) = TestWorlds.Synthetic(seed: 5);
        int d = problem.Dimension;
        var solver = new CoordinateDescentOroSolver(d, problem.MutableIndices, problem.Set);
        Assert.True(solver.IsFused);
        var arms = Enumerable.Range(0, problem.ArmCount).Select(_ => new GlmArm(d)).ToArray();
        double[] general = new double[d], fused = new double[d], best = new double[d];
        double[] rhos = [.. Enumerable.Repeat(1.0, arms.Length)];
        double[][] lockstep = [.. arms.Select(_ => new double[d])];
        var solutions = new OroSolution[arms.Length];
        for (int t = 0; t < 300; t++)
        {
            double[] x = environment.NextContext();
            int chosen = 0;
            double bestValue = double.NegativeInfinity;
            solver.SolveArmsTrusted(x, arms, rhos, lockstep, solutions);
            for (int a = 0; a < arms.Length; a++)
            {
                OroSolution expected = solver.SolveGeneral(x, arms[a].Theta, arms[a].InverseDesign, 1, ReadOnlySpan<double>.Empty, general);
                OroSolution actual = solver.Solve(x, arms[a].Theta, arms[a].InverseDesign, 1, fused);
                AssertSame(expected, general, actual, fused, $"round {t}, arm {a}");
                AssertSame(expected, general, solutions[a], lockstep[a], $"round {t}, arm {a} in lockstep");
                if (actual.Value > bestValue)
                {
                    bestValue = actual.Value;
                    chosen = a;
                    fused.CopyTo(best, 0);
                }
            }
            var decision = TestWorlds.Decision(chosen, best, problem.ArmCount);
            RecourseOutcome outcome = environment.Respond(x, decision);
            arms[chosen].Update(outcome.Realized.AsSpan(), outcome.Reward);
        }
    }

    [Fact]
    public void GlrbPolicy_DecidesAsOneArmAfterTheOtherByTheGeneralPath_BitForBit()
    {
        // GLRB's decision glue around the lockstep kernel (radii per arm, the best arm with ties to the lowest index,
        // the confidence width) against a reference GLRB written out with the general path, over 200 study rounds.
        (RecourseProblem problem, var environment) = TestWorlds.Synthetic(seed: 9);
        int d = problem.Dimension;
        var glrb = new Tandem.Recourse.Policies.GlrbPolicy(problem, new Tandem.Recourse.Policies.GlrbOptions
        {
            Radius = Tandem.Recourse.Policies.ConfidenceRadiusRule.Constant(0.7),
        });
        var solver = new CoordinateDescentOroSolver(d, problem.MutableIndices, problem.Set);
        var arms = Enumerable.Range(0, problem.ArmCount).Select(_ => new GlmArm(d)).ToArray();
        double[] candidate = new double[d], best = new double[d], work = new double[d];
        for (int t = 0; t < 200; t++)
        {
            double[] x = environment.NextContext();
            int chosen = 0;
            double bestValue = double.NegativeInfinity;
            for (int a = 0; a < arms.Length; a++)
            {
                OroSolution solution = solver.SolveGeneral(x, arms[a].Theta, arms[a].InverseDesign, 0.7, ReadOnlySpan<double>.Empty, candidate);
                if (solution.Value > bestValue)
                {
                    bestValue = solution.Value;
                    chosen = a;
                    candidate.CopyTo(best, 0);
                }
            }
            RecourseDecision decision = glrb.Decide(x);
            Assert.Equal(chosen, decision.Arm);
            Assert.Equal(best, decision.Recourse.ToArray());
            Assert.Equal(2 * 0.7 * arms[chosen].ConfidenceNorm(best, work), decision.ConfidenceWidth);
            RecourseOutcome outcome = environment.Respond(x, decision);
            glrb.Learn(decision, outcome);
            arms[chosen].Update(outcome.Realized.AsSpan(), outcome.Reward);
        }
    }
}
