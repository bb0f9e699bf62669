using System.Numerics.Tensors;

namespace Tandem.Core.Numerics;

/// <summary>
/// Rank-one updates of a symmetric inverse and the small dense products that go with it. Matrices are
/// d×d, row-major, in caller-owned spans; nothing allocates.
/// </summary>
public static class ShermanMorrison
{
    /// <summary>
    /// For A ← A + x xᵀ, updates <paramref name="inverse"/> = A⁻¹ in place by the Sherman–Morrison formula
    /// A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x). O(d²). The result is exactly symmetric: every entry is one fused multiply-add
    /// of the same exact product (<see cref="SymmetricKernels.SubtractOuter"/>). This is the V⁻¹ update behind the design matrix V = λI + Σ x xᵀ of
    /// seed 000 Lemma 2.
    /// </summary>
    /// <param name="inverse">A⁻¹, d×d row-major, symmetric positive definite.</param>
    /// <param name="x">The new vector; length d, finite.</param>
    /// <param name="workspace">Scratch of length ≥ d; must not overlap the other spans.</param>
    /// <returns>xᵀA⁻¹x before the update (the squared confidence width of x under the old A).</returns>
    /// <exception cref="ArgumentException">1 + xᵀA⁻¹x is not finite and positive (A⁻¹ is not positive
    /// definite, or the product overflows); <paramref name="inverse"/> is left unchanged.</exception>
    public static double Update(Span<double> inverse, ReadOnlySpan<double> x, Span<double> workspace)
    {
        int d = x.Length;
        if (d == 0) ThrowHelper.Argument(nameof(x), "The vector must have at least one element.");
        ThrowHelper.SquareLength(inverse.Length, d, nameof(inverse));
        ThrowHelper.AtLeast(workspace.Length, d, nameof(workspace));
        ThrowHelper.AllFinite(x, nameof(x));
        ThrowHelper.NoOverlap(inverse, workspace, nameof(workspace));
        ThrowHelper.NoOverlap(x, workspace, nameof(workspace));
        ThrowHelper.NoOverlap(x, inverse, nameof(x));
        if (!TryUpdateUnchecked(inverse, x, workspace[..d], out double s))
            ThrowHelper.Argument(nameof(inverse), $"xᵀA⁻¹x = {s}: the matrix is not positive definite or the product overflows; it was left unchanged.");
        return s;
    }

    // Returns false, leaving the inverse untouched, when 1 + xᵀA⁻¹x is not a finite positive number.
    internal static bool TryUpdateUnchecked(Span<double> inverse, ReadOnlySpan<double> x, Span<double> u, out double s)
    {
        int d = x.Length;
        SymmetricKernels.Multiply(inverse, x, u);
        s = SymmetricKernels.Dot(x, u);
        if (!(s > -1.0) || !double.IsFinite(s)) return false;
        // w = u / sqrt(1 + s); A⁻¹ − w wᵀ by one fused multiply-add per entry of the same exact product
        // w_i·w_j = w_j·w_i, so the result stays exactly symmetric.
        TensorPrimitives.Multiply(u, 1.0 / Math.Sqrt(1.0 + s), u);
        SymmetricKernels.SubtractOuter(inverse, u);
        return true;
    }

    /// <summary>The quadratic form xᵀ M x.</summary>
    /// <param name="matrix">M, d×d row-major.</param>
    /// <param name="x">Length d.</param>
    /// <param name="workspace">Scratch of length ≥ d, receives M x; must not overlap the inputs.</param>
    public static double QuadraticForm(ReadOnlySpan<double> matrix, ReadOnlySpan<double> x, Span<double> workspace)
    {
        int d = x.Length;
        ThrowHelper.SquareLength(matrix.Length, d, nameof(matrix));
        ThrowHelper.AtLeast(workspace.Length, d, nameof(workspace));
        ThrowHelper.NoOverlap(matrix, workspace, nameof(workspace));
        ThrowHelper.NoOverlap(x, workspace, nameof(workspace));
        return QuadraticFormUnchecked(matrix, x, workspace[..d]);
    }

    internal static double QuadraticFormUnchecked(ReadOnlySpan<double> matrix, ReadOnlySpan<double> x, Span<double> workspace)
    {
        return SymmetricKernels.QuadraticForm(matrix, x, workspace);
    }

    /// <summary>destination = M x.</summary>
    /// <param name="matrix">M, d×d row-major.</param>
    /// <param name="x">Length d.</param>
    /// <param name="destination">Length ≥ d (the first d are written); must not overlap the inputs.</param>
    public static void MultiplyVector(ReadOnlySpan<double> matrix, ReadOnlySpan<double> x, Span<double> destination)
    {
        int d = x.Length;
        ThrowHelper.SquareLength(matrix.Length, d, nameof(matrix));
        ThrowHelper.AtLeast(destination.Length, d, nameof(destination));
        ThrowHelper.NoOverlap(matrix, destination, nameof(destination));
        ThrowHelper.NoOverlap(x, destination, nameof(destination));
        MultiplyVectorUnchecked(matrix, x, destination);
    }

    internal static void MultiplyVectorUnchecked(ReadOnlySpan<double> matrix, ReadOnlySpan<double> x, Span<double> destination)
    {
        int d = x.Length;
        for (int i = 0; i < d; i++) destination[i] = TensorPrimitives.Dot(matrix.Slice(i * d, d), x);
    }

    /// <summary>Copies the upper triangle of a d×d row-major matrix onto the lower one.</summary>
    internal static void MirrorUpper(Span<double> matrix, int d)
    {
        for (int i = 1; i < d; i++)
        {
            for (int j = 0; j < i; j++) matrix[i * d + j] = matrix[j * d + i];
        }
    }
}
