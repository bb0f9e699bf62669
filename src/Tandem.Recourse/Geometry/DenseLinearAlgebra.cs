namespace Tandem.Recourse.Geometry;

/// <summary>Small dense kernels on row-major n×n spans; no allocation. The Cholesky factor itself is
/// Core's <see cref="Tandem.Core.Numerics.Cholesky"/>.</summary>
internal static class DenseLinearAlgebra
{
    /// <summary>Solve L y = b in place (b overwritten by y), L lower triangular row-major.</summary>
    public static void SolveLower(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /// <summary>Solve Lᵀ x = y in place (y overwritten by x), L lower triangular row-major.</summary>
    public static void SolveLowerTransposed(ReadOnlySpan<double> l, int n, Span<double> y)
    {
        for (int i = n - 1; i >= 0; i--)
        {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * y[k];
            y[i] = s / l[i * n + i];
        }
    }

    /// <summary>vᵀ A v for a row-major symmetric A.</summary>
    public static double QuadraticForm(ReadOnlySpan<double> a, ReadOnlySpan<double> v)
    {
        int n = v.Length;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            ReadOnlySpan<double> ai = a.Slice(i * n, n);
            for (int j = 0; j < n; j++) row += ai[j] * v[j];
            sum += v[i] * row;
        }
        return sum;
    }
}
