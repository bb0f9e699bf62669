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

    // The one-pass squared-error step of the ensemble networks: its residual is bitwise the prediction path's
    // (ReluLayerDot), and its gradients are bitwise a plain scalar backward pass (every gradient entry is an
    // element-wise sum over samples, so the order of operations is the same).
    [Theory]
    [InlineData(3, 64)]
    [InlineData(6, 64)]
    [InlineData(7, 13)]
    [InlineData(1, 3)]
    public void ReluSquaredErrorStep_IsBitwiseThePredictionAndAScalarBackwardPass(int nIn, int hidden)
    {
        var random = Seeds.CreateRandom(23);
        var w1 = new double[nIn * hidden];
        var b1 = new double[hidden];
        var w2 = new double[hidden];
        random.FillGaussian(w1);
        random.FillGaussian(b1);
        random.FillGaussian(w2);
        double b2 = 0.3, scale = 2.0 / 100;
        var gw1 = new double[nIn * hidden];
        var gb1 = new double[hidden];
        var gw2 = new double[hidden];
        var ew1 = new double[nIn * hidden];
        var eb1 = new double[hidden];
        var ew2 = new double[hidden];
        var pre = new double[hidden];
        for (int s = 0; s < 50; s++)
        {
            var x = new double[nIn];
            random.FillGaussian(x);
            double target = random.NextDouble() * 4 - 2;
            double expectedResidual = b2 + SmallKernels.ReluLayerDot(x, w1, b1, w2) - target;
            double g = scale * expectedResidual;
            for (int j = 0; j < hidden; j++)
            {
                double h = b1[j];
                for (int i = 0; i < nIn; i++) h += x[i] * w1[i * hidden + j];
                if (!(h > 0)) continue;
                ew2[j] += g * h;
                double delta = g * w2[j];
                eb1[j] += delta;
                for (int i = 0; i < nIn; i++) ew1[i * hidden + j] += x[i] * delta;
            }

            double residual = SmallKernels.ReluLayerSquaredErrorStep(x, w1, b1, w2, b2, target, scale, pre, gw1, gb1, gw2);

            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedResidual), BitConverter.DoubleToInt64Bits(residual));
        }
        Assert.Equal(ew1, gw1);
        Assert.Equal(eb1, gb1);
        Assert.Equal(ew2, gw2);
        Assert.Contains(gw1, v => v != 0);
    }
}
