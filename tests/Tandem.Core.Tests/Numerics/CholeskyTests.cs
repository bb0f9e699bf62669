using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Numerics;

public class CholeskyTests
{
    // Relative tolerances against MathNet on B Bᵀ + nI (condition numbers below ~10 here).
    private const double Tolerance = 1e-10;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(17)]
    [InlineData(40)]
    [InlineData(80)]
    public void TryFactor_RandomSpd_MatchesMathNetFactor(int n)
    {
        var random = new Xoshiro256((ulong)n);
        double[] a = TestMatrices.RandomSpd(random, n);
        var lower = new double[n * n];

        Assert.True(Cholesky.TryFactor(a, lower, n));

        var expected = TestMatrices.ToMatrix(a, n).Cholesky().Factor;
        double scale = expected.Enumerate().Max(Math.Abs);
        Assert.True(TestMatrices.MaxAbsDifference(lower, expected) <= Tolerance * scale);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++) Assert.Equal(0.0, lower[i * n + j]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    [InlineData(64)]
    public void Solve_RandomSpd_MatchesMathNetSolve(int n)
    {
        var random = new Xoshiro256(100 + (ulong)n);
        double[] a = TestMatrices.RandomSpd(random, n);
        double[] b = TestMatrices.GaussianVector(random, n);
        var lower = new double[n * n];
        Assert.True(Cholesky.TryFactor(a, lower, n));
        var x = new double[n];

        Cholesky.Solve(lower, b, x);

        var expected = TestMatrices.ToMatrix(a, n).Solve(Vector<double>.Build.DenseOfArray(b));
        Assert.True(TestMatrices.MaxAbsDifference(x, expected) <= Tolerance * expected.AbsoluteMaximum());
    }

    [Fact]
    public void Solve_InPlace_GivesTheSameAnswer()
    {
        const int n = 9;
        var random = new Xoshiro256(9);
        double[] a = TestMatrices.RandomSpd(random, n);
        double[] b = TestMatrices.GaussianVector(random, n);
        var lower = new double[n * n];
        Assert.True(Cholesky.TryFactor(a, lower, n));
        var separate = new double[n];
        Cholesky.Solve(lower, b, separate);

        Cholesky.Solve(lower, b, b);

        Assert.Equal(separate, b);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(50)]
    public void Invert_RandomSpd_MatchesMathNetInverse_AndIsExactlySymmetric(int n)
    {
        var random = new Xoshiro256(200 + (ulong)n);
        double[] a = TestMatrices.RandomSpd(random, n);
        var lower = new double[n * n];
        Assert.True(Cholesky.TryFactor(a, lower, n));
        var inverse = new double[n * n];

        Cholesky.Invert(lower, inverse, n);

        var expected = TestMatrices.ToMatrix(a, n).Inverse();
        Assert.True(TestMatrices.MaxAbsDifference(inverse, expected) <= Tolerance * expected.Enumerate().Max(Math.Abs));
        TestMatrices.AssertExactlySymmetric(inverse, n);
    }

    [Fact]
    public void TryFactor_InPlace_MatchesSeparateBuffers()
    {
        const int n = 6;
        double[] a = TestMatrices.RandomSpd(new Xoshiro256(6), n);
        var separate = new double[n * n];
        Assert.True(Cholesky.TryFactor(a, separate, n));

        Assert.True(Cholesky.TryFactor(a, a, n));

        Assert.Equal(separate, a);
    }

    [Fact]
    public void TryFactor_Indefinite_ReturnsFalse()
    {
        double[] indefinite = [1, 2, 2, 1];
        Assert.False(Cholesky.TryFactor(indefinite, new double[4], 2));
    }

    [Fact]
    public void TryFactor_NaN_ReturnsFalse()
    {
        double[] a = [double.NaN, 0, 0, 1];
        Assert.False(Cholesky.TryFactor(a, new double[4], 2));
    }

    [Fact]
    public void TryFactor_WrongLength_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentException>(() => Cholesky.TryFactor(new double[9], new double[8], 3));
        Assert.Equal("lower", ex.ParamName);
    }

    [Fact]
    public void Invert_ZeroOrder_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Cholesky.Invert([], [], 0));
        Assert.Equal("n", ex.ParamName);
    }
}
