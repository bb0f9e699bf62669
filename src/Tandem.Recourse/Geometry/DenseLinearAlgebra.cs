namespace Tandem.Recourse.Geometry;

/// <summary>Small dense kernels on row-major n×n spans; no allocation.</summary>
internal static class DenseLinearAlgebra
{
    /// <summary>In-place Cholesky A = LLᵀ: on success the lower triangle of <paramref name="a"/> holds L and the
    /// strict upper triangle is zeroed. Returns false when a pivot is not positive (A not positive definite).</summary>
    public static bool TryCholesky(Span<double> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double diagonal = a[j * n + j];
            for (int k = 0; k < j; k++) diagonal -= a[j * n + k] * a[j * n + k];
            if (!(diagonal > 0) || !double.IsFinite(diagonal)) return false;
            double ljj = Math.Sqrt(diagonal);
            a[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / ljj;
            }
            for (int i = 0; i < j; i++) a[i * n + j] = 0;
        }
        return true;
    }

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
