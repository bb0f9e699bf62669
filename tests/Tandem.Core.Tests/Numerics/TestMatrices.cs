using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Numerics;

internal static class TestMatrices
{
    public static double[] GaussianVector(Xoshiro256 random, int d, double scale = 1.0)
    {
        var x = new double[d];
        for (int i = 0; i < d; i++) x[i] = scale * random.NextGaussian();
        return x;
    }

    /// <summary>B Bᵀ + n·I for a Gaussian B: symmetric and comfortably positive definite.</summary>
    public static double[] RandomSpd(Xoshiro256 random, int n)
    {
        double[] b = GaussianVector(random, n * n);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += b[i * n + k] * b[j * n + k];
                a[i * n + j] = sum;
                a[j * n + i] = sum;
            }
            a[i * n + i] += n;
        }
        return a;
    }

    public static Matrix<double> ToMatrix(double[] rowMajor, int n) => Matrix<double>.Build.DenseOfRowMajor(n, n, rowMajor);

    public static double MaxAbsDifference(double[] rowMajor, Matrix<double> expected)
    {
        int n = expected.RowCount;
        double max = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < expected.ColumnCount; j++) max = Math.Max(max, Math.Abs(rowMajor[i * expected.ColumnCount + j] - expected[i, j]));
        }
        return max;
    }

    public static double MaxAbsDifference(ReadOnlySpan<double> actual, Vector<double> expected)
    {
        double max = 0;
        for (int i = 0; i < expected.Count; i++) max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        return max;
    }

    public static void Symmetrize(double[] matrix, int n)
    {
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++) matrix[i * n + j] = matrix[j * n + i] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
        }
    }

    public static void AssertExactlySymmetric(ReadOnlySpan<double> matrix, int n)
    {
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (matrix[i * n + j] != matrix[j * n + i])
                    Assert.Fail($"Not exactly symmetric at ({i}, {j}): {matrix[i * n + j]:R} vs {matrix[j * n + i]:R}.");
            }
        }
    }
}
