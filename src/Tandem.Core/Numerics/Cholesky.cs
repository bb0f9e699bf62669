using System.Numerics.Tensors;

namespace Tandem.Core.Numerics;

/// <summary>
/// Cholesky factorisation A = L Lᵀ of small dense symmetric positive definite matrices, row-major in
/// caller-owned spans, with no allocation. Written by hand rather than delegated to MathNet because the
/// dimensions here are small (d ≤ 100, see ARCHITECTURE "Numerics") and the hot paths (Newton steps of
/// the GLM fit, posterior draws) must not allocate; the inner products use
/// <c>TensorPrimitives.Dot</c>. Cost n³/3 flops.
/// </summary>
public static class Cholesky
{
    /// <summary>
    /// Factor A = L Lᵀ. Only the lower triangle of <paramref name="a"/> (j ≤ i) is read; the upper triangle
    /// of <paramref name="lower"/> is set to zero.
    /// </summary>
    /// <param name="a">A, n×n row-major, symmetric positive definite.</param>
    /// <param name="lower">Receives L, n×n row-major. May be the same buffer as <paramref name="a"/>.</param>
    /// <param name="n">Order of the matrix. Range: n ≥ 1.</param>
    /// <returns>false when A is not (numerically) positive definite or has non-finite entries; the content
    /// of <paramref name="lower"/> is then unspecified.</returns>
    public static bool TryFactor(ReadOnlySpan<double> a, Span<double> lower, int n)
    {
        if (n < 1) ThrowHelper.OutOfRange(nameof(n), n, "The order must be at least 1.");
        ThrowHelper.SquareLength(a.Length, n, nameof(a));
        ThrowHelper.SquareLength(lower.Length, n, nameof(lower));
        ThrowHelper.NoPartialOverlap(a, lower, nameof(lower));
        return TryFactorUnchecked(a, lower, n);
    }

    // Row-by-row Cholesky–Crout: a[i, j] is read just before l[i, j] is written, so a and lower may alias.
    internal static bool TryFactorUnchecked(ReadOnlySpan<double> a, Span<double> lower, int n)
    {
        for (int i = 0; i < n; i++)
        {
            Span<double> rowI = lower.Slice(i * n, n);
            for (int j = 0; j < i; j++)
            {
                double sum = a[i * n + j] - TensorPrimitives.Dot(rowI[..j], lower.Slice(j * n, j));
                rowI[j] = sum / lower[j * n + j];
            }
            double diagonal = a[i * n + i] - TensorPrimitives.Dot(rowI[..i], rowI[..i]);
            if (!(diagonal > 0) || !double.IsFinite(diagonal)) return false;
            rowI[i] = Math.Sqrt(diagonal);
            rowI[(i + 1)..].Clear();
        }
        return true;
    }

    /// <summary>Solve A x = b given the factor L of A (forward then back substitution). O(n²).</summary>
    /// <param name="lower">L from <see cref="TryFactor"/>, n×n row-major with n = b.Length.</param>
    /// <param name="b">Right-hand side, length n.</param>
    /// <param name="destination">Receives x, length n. May be the same buffer as <paramref name="b"/>.</param>
    public static void Solve(ReadOnlySpan<double> lower, ReadOnlySpan<double> b, Span<double> destination)
    {
        int n = b.Length;
        if (n == 0) ThrowHelper.Argument(nameof(b), "The right-hand side must have at least one element.");
        ThrowHelper.SquareLength(lower.Length, n, nameof(lower));
        ThrowHelper.Exactly(destination.Length, n, nameof(destination));
        ThrowHelper.NoPartialOverlap(b, destination, nameof(destination));
        ThrowHelper.NoOverlap(lower, destination, nameof(destination));
        SolveUnchecked(lower, b, destination);
    }

    internal static void SolveUnchecked(ReadOnlySpan<double> lower, ReadOnlySpan<double> b, Span<double> x)
    {
        int n = b.Length;
        // L y = b; y overwrites x. b[i] is read before x[i] is written, so b and x may alias.
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> row = lower.Slice(i * n, i);
            x[i] = (b[i] - TensorPrimitives.Dot(row, x[..i])) / lower[i * n + i];
        }
        // Lᵀ x = y: column i of L below the diagonal is strided in row-major storage.
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = x[i];
            for (int k = i + 1; k < n; k++) sum -= lower[k * n + i] * x[k];
            x[i] = sum / lower[i * n + i];
        }
    }

    /// <summary>
    /// A⁻¹ = L⁻ᵀ L⁻¹ from the factor L of A, by solving A X = I column by column. The result is exactly
    /// symmetric (the two triangles are averaged). O(n³).
    /// </summary>
    /// <param name="lower">L from <see cref="TryFactor"/>, n×n row-major.</param>
    /// <param name="destination">Receives A⁻¹, n×n row-major; must not overlap <paramref name="lower"/>.</param>
    /// <param name="n">Order of the matrix. Range: n ≥ 1.</param>
    public static void Invert(ReadOnlySpan<double> lower, Span<double> destination, int n)
    {
        if (n < 1) ThrowHelper.OutOfRange(nameof(n), n, "The order must be at least 1.");
        ThrowHelper.SquareLength(lower.Length, n, nameof(lower));
        ThrowHelper.SquareLength(destination.Length, n, nameof(destination));
        ThrowHelper.NoOverlap(lower, destination, nameof(destination));
        InvertUnchecked(lower, destination, n);
    }

    internal static void InvertUnchecked(ReadOnlySpan<double> lower, Span<double> destination, int n)
    {
        // A⁻¹ is symmetric, so column j of A⁻¹ can be written as row j.
        for (int j = 0; j < n; j++)
        {
            Span<double> row = destination.Slice(j * n, n);
            row.Clear();
            row[j] = 1.0;
            SolveUnchecked(lower, row, row);
        }
        for (int i = 1; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double mean = 0.5 * (destination[i * n + j] + destination[j * n + i]);
                destination[i * n + j] = mean;
                destination[j * n + i] = mean;
            }
        }
    }
}
