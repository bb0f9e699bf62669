using Tandem.Core.Neural;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Neural;

public class SmallKernelsTests
{
    // The fused dense kernels must give bitwise the numbers of the per-row Axpy/Dot loops they replace, so that every
    // network's outputs (and the studies built on them) are unchanged.
    [Theory]
    [InlineData(7, 16)]
    [InlineData(16, 2)]
    [InlineData(5, 9)]
    [InlineData(3, 1)]
    [InlineData(1, 4)]
    public void DenseKernels_AreBitwiseTheAxpyAndDotLoops(int nIn, int nOut)
    {
        var random = Seeds.CreateRandom(17);
        var x = new double[nIn];
        var w = new double[nIn * nOut];
        var b = new double[nOut];
        var delta = new double[nOut];
        random.FillGaussian(x);
        random.FillGaussian(w);
        random.FillGaussian(b);
        random.FillGaussian(delta);

        var expectedY = (double[])b.Clone();
        for (int i = 0; i < nIn; i++) SmallKernels.Axpy(x[i], w.AsSpan(i * nOut, nOut), expectedY);
        var y = new double[nOut];
        SmallKernels.DenseForward(x, w, b, y);
        Assert.Equal(expectedY, y);

        var gw0 = new double[nIn * nOut];
        random.FillGaussian(gw0);
        var expectedGw = (double[])gw0.Clone();
        var expectedDown = new double[nIn];
        for (int i = 0; i < nIn; i++)
        {
            SmallKernels.Axpy(x[i], delta, expectedGw.AsSpan(i * nOut, nOut));
            expectedDown[i] = SmallKernels.Dot(w.AsSpan(i * nOut, nOut), delta);
        }
        var gw = (double[])gw0.Clone();
        var down = new double[nIn];
        SmallKernels.DenseBackward(x, w, delta, gw, down);
        Assert.Equal(expectedGw, gw);
        Assert.Equal(expectedDown, down);

        var gwOnly = (double[])gw0.Clone();
        SmallKernels.DenseBackward(x, w, delta, gwOnly, default);
        Assert.Equal(expectedGw, gwOnly);
    }
}
