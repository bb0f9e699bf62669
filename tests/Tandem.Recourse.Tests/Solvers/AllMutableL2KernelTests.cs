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
        for (int t = 0; t < 300; t++)
        {
            double[] x = environment.NextContext();
            int chosen = 0;
            double bestValue = double.NegativeInfinity;
            for (int a = 0; a < arms.Length; a++)
            {
                OroSolution expected = solver.SolveGeneral(x, arms[a].Theta, arms[a].InverseDesign, 1, ReadOnlySpan<double>.Empty, general);
                OroSolution actual = solver.Solve(x, arms[a].Theta, arms[a].InverseDesign, 1, fused);
                AssertSame(expected, general, actual, fused, $"round {t}, arm {a}");
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
}
