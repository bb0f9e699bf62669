using FsCheck.Xunit;
using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Numerics;

public class ShermanMorrisonTests
{
    [Fact]
    public void Update_500RandomUpdates_D20_MatchesDirectInverse_WithinOneE9_AndStaysExactlySymmetric()
    {
        const int d = 20;
        const double lambda = 1.0;
        var random = new Xoshiro256(20);
        var inverse = new double[d * d];
        for (int i = 0; i < d; i++) inverse[i * d + i] = 1.0 / lambda;
        var design = Matrix<double>.Build.DenseIdentity(d) * lambda;
        var workspace = new double[d];

        for (int step = 0; step < 500; step++)
        {
            double[] x = TestMatrices.GaussianVector(random, d);
            ShermanMorrison.Update(inverse, x, workspace);
            var v = Vector<double>.Build.DenseOfArray(x);
            design += v.OuterProduct(v);
        }

        double error = TestMatrices.MaxAbsDifference(inverse, design.Inverse());
        Assert.True(error < 1e-9, $"max |SM − direct inverse| = {error:E3}, tolerance 1e-9");
        TestMatrices.AssertExactlySymmetric(inverse, d);
    }

    [Fact]
    public void Update_ReturnsQuadraticFormBeforeTheUpdate()
    {
        const int d = 5;
        var random = new Xoshiro256(5);
        double[] a = TestMatrices.RandomSpd(random, d);
        double[] inverse = TestMatrices.ToMatrix(a, d).Inverse().ToRowMajorArray();
        double[] x = TestMatrices.GaussianVector(random, d);
        var workspace = new double[d];
        double expected = ShermanMorrison.QuadraticForm(inverse, x, workspace);

        double returned = ShermanMorrison.Update(inverse, x, workspace);

        Assert.Equal(expected, returned, 12);
    }

    [Property(MaxTest = 50)]
    public void Update_AnySeed_D4_MatchesDirectInverse(int seed)
    {
        const int d = 4;
        var random = new Xoshiro256((ulong)seed);
        double[] a = TestMatrices.RandomSpd(random, d);
        double[] inverse = TestMatrices.ToMatrix(a, d).Inverse().ToRowMajorArray();
        TestMatrices.Symmetrize(inverse, d);
        double[] x = TestMatrices.GaussianVector(random, d, scale: 3.0);
        var v = Vector<double>.Build.DenseOfArray(x);

        ShermanMorrison.Update(inverse, x, new double[d]);

        var expected = (TestMatrices.ToMatrix(a, d) + v.OuterProduct(v)).Inverse();
        double error = TestMatrices.MaxAbsDifference(inverse, expected);
        Assert.True(error < 1e-10, $"max error {error:E3}, tolerance 1e-10");
        TestMatrices.AssertExactlySymmetric(inverse, d);
    }

    [Fact]
    public void QuadraticForm_And_MultiplyVector_MatchNaiveSums()
    {
        const int d = 7;
        var random = new Xoshiro256(7);
        double[] m = TestMatrices.GaussianVector(random, d * d);
        double[] x = TestMatrices.GaussianVector(random, d);
        var product = new double[d];

        ShermanMorrison.MultiplyVector(m, x, product);
        double quadratic = ShermanMorrison.QuadraticForm(m, x, new double[d]);

        double expectedQuadratic = 0;
        for (int i = 0; i < d; i++)
        {
            double row = 0;
            for (int j = 0; j < d; j++) row += m[i * d + j] * x[j];
            Assert.Equal(row, product[i], 12);
            expectedQuadratic += x[i] * row;
        }
        Assert.Equal(expectedQuadratic, quadratic, 11);
    }

    [Fact]
    public void Update_WrongMatrixLength_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShermanMorrison.Update(new double[8], new double[3], new double[3]));
        Assert.Equal("inverse", ex.ParamName);
    }

    [Fact]
    public void Update_ShortWorkspace_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShermanMorrison.Update(new double[9], new double[3], new double[2]));
        Assert.Equal("workspace", ex.ParamName);
    }

    [Fact]
    public void Update_NonFiniteX_Throws_AndLeavesInverseUnchanged()
    {
        double[] inverse = [1, 0, 0, 1];
        var ex = Assert.Throws<ArgumentException>(() => ShermanMorrison.Update(inverse, [1.0, double.NaN], new double[2]));
        Assert.Equal("x", ex.ParamName);
        Assert.Equal([1.0, 0, 0, 1], inverse);
    }

    [Fact]
    public void Update_IndefiniteInverse_Throws_AndLeavesInverseUnchanged()
    {
        double[] inverse = [-2, 0, 0, 1];
        var ex = Assert.Throws<ArgumentException>(() => ShermanMorrison.Update(inverse, [1.0, 0.0], new double[2]));
        Assert.Equal("inverse", ex.ParamName);
        Assert.Equal([-2.0, 0, 0, 1], inverse);
    }

    [Fact]
    public void MultiplyVector_DestinationOverlapsX_Throws()
    {
        var buffer = new double[4];
        var ex = Assert.Throws<ArgumentException>(() => ShermanMorrison.MultiplyVector(new double[4], buffer.AsSpan(0, 2), buffer.AsSpan(1, 2)));
        Assert.Equal("destination", ex.ParamName);
    }
}
