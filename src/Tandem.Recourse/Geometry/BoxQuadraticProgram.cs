using Tandem.Core.Numerics;
namespace Tandem.Recourse.Geometry;

/// <summary>
/// minimize ½δᵀHδ − cᵀδ subject to lower ≤ δ ≤ upper, with H = αI + βA (A symmetric positive definite, α, β ≥ 0,
/// α + β &gt; 0) and lower ≤ 0 ≤ upper (bounds may be infinite). Strictly convex, so the minimiser is unique.
/// Cyclic coordinate descent (monotone, globally convergent for positive definite H) identifies the active set;
/// each round then tries a Newton polish: solve H_FF δ_F = c_F − H_FB δ_B exactly by Cholesky on the free set F
/// and accept it when the full KKT conditions hold to 1e-10 relative. No allocation.
/// </summary>
internal static class BoxQuadraticProgram
{
    private const int MaxSweeps = 20_000;
    private const double KktTolerance = 1e-10;

    public static int ScratchLength(int n) => n * n + 2 * n;

    /// <summary>Solves in place, warm-started from <paramref name="delta"/>. Returns true when the KKT check
    /// passed (exact to rounding), false when the sweep budget ran out (delta is then the coordinate-descent
    /// iterate, still feasible).</summary>
    public static bool Solve(
        ReadOnlySpan<double> a, int n, double alpha, double beta, ReadOnlySpan<double> c,
        ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> delta, Span<double> scratch,
        Span<int> free)
    {
        for (int i = 0; i < n; i++)
            delta[i] = double.IsFinite(delta[i]) ? Math.Clamp(delta[i], lower[i], upper[i]) : 0;
        int sweepsPerRound = 1, total = 0;
        while (total < MaxSweeps)
        {
            for (int s = 0; s < sweepsPerRound; s++)
            {
                total++;
                if (Sweep(a, n, alpha, beta, c, lower, upper, delta) == 0) break;
            }
            if (TryPolish(a, n, alpha, beta, c, lower, upper, delta, scratch, free)) return true;
            sweepsPerRound = Math.Min(2 * sweepsPerRound, 64);
        }
        return false;
    }

    private static double Sweep(
        ReadOnlySpan<double> a, int n, double alpha, double beta, ReadOnlySpan<double> c,
        ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> delta)
    {
        double change = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> row = a.Slice(i * n, n);
            double ad = 0;
            for (int j = 0; j < n; j++) ad += row[j] * delta[j];
            double gradient = alpha * delta[i] + beta * ad - c[i];
            double curvature = alpha + beta * row[i];
            double next = Math.Clamp(delta[i] - gradient / curvature, lower[i], upper[i]);
            change = Math.Max(change, Math.Abs(next - delta[i]));
            delta[i] = next;
        }
        return change;
    }

    private static bool TryPolish(
        ReadOnlySpan<double> a, int n, double alpha, double beta, ReadOnlySpan<double> c,
        ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> delta, Span<double> scratch,
        Span<int> free)
    {
        int k = 0;
        for (int i = 0; i < n; i++)
        {
            if (lower[i] < delta[i] && delta[i] < upper[i]) free[k++] = i;
        }
        Span<double> h = scratch[..(k * k)];
        Span<double> y = scratch.Slice(n * n, k);
        Span<double> isFree = scratch.Slice(n * n + n, n);
        isFree.Clear();
        for (int r = 0; r < k; r++) isFree[free[r]] = 1;
        for (int r = 0; r < k; r++)
        {
            int i = free[r];
            ReadOnlySpan<double> row = a.Slice(i * n, n);
            double rhs = c[i];
            for (int j = 0; j < n; j++)
            {
                if (isFree[j] == 0) rhs -= beta * row[j] * delta[j];
            }
            y[r] = rhs;
            for (int s = 0; s < k; s++) h[r * k + s] = beta * row[free[s]] + (r == s ? alpha : 0);
        }
        if (k > 0)
        {
            if (!Cholesky.TryFactor(h, h, k)) return false;
            DenseLinearAlgebra.SolveLower(h, k, y);
            DenseLinearAlgebra.SolveLowerTransposed(h, k, y);
            for (int r = 0; r < k; r++)
            {
                int i = free[r];
                if (!(y[r] >= lower[i] && y[r] <= upper[i])) return false;
            }
        }
        // KKT on the fixed coordinates, with the polished free values.
        for (int j = 0; j < n; j++)
        {
            if (isFree[j] != 0 || lower[j] == upper[j]) continue;
            ReadOnlySpan<double> row = a.Slice(j * n, n);
            double ad = 0, scale = Math.Abs(c[j]) + alpha * Math.Abs(delta[j]);
            int r = 0;
            for (int m = 0; m < n; m++)
            {
                double value = isFree[m] != 0 ? y[r++] : delta[m];
                ad += row[m] * value;
                scale += beta * Math.Abs(row[m] * value);
            }
            double gradient = alpha * delta[j] + beta * ad - c[j];
            double tolerance = KktTolerance * scale + double.Epsilon;
            if (delta[j] == lower[j] && gradient < -tolerance) return false;
            if (delta[j] == upper[j] && gradient > tolerance) return false;
        }
        for (int r = 0; r < k; r++) delta[free[r]] = y[r];
        return true;
    }
}
