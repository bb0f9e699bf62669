using Tandem.Core.Numerics;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Numerics;

/// <summary>STYLE 4: the hot-path kernels do not allocate once warmed up.</summary>
public class AllocationTests
{
    [Fact]
    public void Kernels_And_IdentityGlmArmUpdate_AllocateNothing_AfterWarmUp()
    {
        const int d = 12;
        var random = new Xoshiro256(4);
        double[] x = TestMatrices.GaussianVector(random, d);
        double[] spd = TestMatrices.RandomSpd(random, d);
        var inverse = new double[d * d];
        for (int i = 0; i < d; i++) inverse[i * d + i] = 1.0;
        var lower = new double[d * d];
        var square = new double[d * d];
        var vector = new double[d];
        var workspace = new double[d];
        var arm = new GlmArm(d);

        void Work()
        {
            for (int k = 0; k < 100; k++)
            {
                ShermanMorrison.Update(inverse, x, workspace);
                ShermanMorrison.QuadraticForm(inverse, x, workspace);
                Cholesky.TryFactor(spd, lower, d);
                Cholesky.Solve(lower, x, vector);
                Cholesky.Invert(lower, square, d);
                arm.Update(x, 1.0);
                arm.ConfidenceNorm(x, workspace);
                arm.LinearPredictor(x);
            }
        }

        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Work();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void LogisticGlmArmUpdate_AllocatesOnlyWhenTheHistoryBufferGrows()
    {
        const int d = 4;
        var random = new Xoshiro256(5);
        var arm = new GlmArm(d, 1.0, GlmLink.Logistic);
        double[][] xs = Enumerable.Range(0, 64).Select(_ => TestMatrices.GaussianVector(random, d)).ToArray();
        // The first update sizes the buffer for 16 contexts; updates 2..16 then fit without allocating.
        arm.Update(xs[0], 1.0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 1; s < 16; s++) arm.Update(xs[s], s % 2);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
