using Tandem.Core.Numerics;
using System.Text;
using Tandem.Core.Randomness;

namespace Tandem.Recourse.Geometry;

/// <summary>
/// The Mahalanobis norm ||δ||_A = sqrt(δᵀAδ) for a symmetric positive definite A (seed 000 §2.2, Proposition 1);
/// its dual is sqrt(wᵀA⁻¹w). The constructor validates A through its Cholesky factor A = LLᵀ and keeps L and A⁻¹.
/// </summary>
public sealed record MahalanobisNorm : RecourseNorm
{
    private const double SymmetryTolerance = 1e-10;
    private readonly int _n;
    private readonly double[] _matrix;
    private readonly double[] _cholesky;
    private readonly double[] _inverse;

    /// <summary>Create the norm from A (copied and symmetrised as (A + Aᵀ)/2).</summary>
    /// <exception cref="ArgumentException">A empty, not square, not finite, not symmetric to 1e-10 relative, or
    /// not positive definite (parameter "matrix").</exception>
    public MahalanobisNorm(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        if (n == 0 || matrix.GetLength(1) != n)
            ThrowHelper.Argument(nameof(matrix), $"Must be square and non-empty, got {matrix.GetLength(0)}×{matrix.GetLength(1)}.");
        double scale = 0;
        foreach (double value in matrix)
        {
            if (!double.IsFinite(value)) ThrowHelper.Argument(nameof(matrix), $"Entries must be finite, found {value}.");
            scale = Math.Max(scale, Math.Abs(value));
        }
        _n = n;
        _matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (Math.Abs(matrix[i, j] - matrix[j, i]) > SymmetryTolerance * scale)
                    ThrowHelper.Argument(nameof(matrix), $"Must be symmetric: A[{i},{j}] = {matrix[i, j]} but A[{j},{i}] = {matrix[j, i]}.");
                _matrix[i * n + j] = 0.5 * (matrix[i, j] + matrix[j, i]);
            }
        }
        _cholesky = (double[])_matrix.Clone();
        if (!Cholesky.TryFactor(_cholesky, _cholesky, n))
            ThrowHelper.Argument(nameof(matrix), "Must be positive definite (the Cholesky factorisation failed).");
        _inverse = new double[n * n];
        var column = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(column);
            column[j] = 1;
            DenseLinearAlgebra.SolveLower(_cholesky, n, column);
            DenseLinearAlgebra.SolveLowerTransposed(_cholesky, n, column);
            for (int i = 0; i < n; i++) _inverse[i * n + j] = column[i];
        }
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                double mean = 0.5 * (_inverse[i * n + j] + _inverse[j * n + i]);
                _inverse[i * n + j] = mean;
                _inverse[j * n + i] = mean;
            }
        }
    }

    /// <inheritdoc />
    public override string Name => "mahalanobis";

    /// <inheritdoc />
    public override int? Dimension => _n;

    /// <summary>A copy of A.</summary>
    public double[,] ToMatrix() => ToArray2D(_matrix);

    /// <summary>A copy of A⁻¹.</summary>
    public double[,] ToInverseMatrix() => ToArray2D(_inverse);

    /// <summary>A copy of the lower-triangular Cholesky factor L, A = LLᵀ.</summary>
    public double[,] ToCholeskyFactor() => ToArray2D(_cholesky);

    /// <summary>Row-major A (internal read-only view).</summary>
    internal ReadOnlySpan<double> MatrixSpan => _matrix;

    /// <summary>Row-major lower Cholesky factor L (internal read-only view).</summary>
    internal ReadOnlySpan<double> CholeskySpan => _cholesky;

    /// <summary>Equal when the matrices are equal entry by entry.</summary>
    public bool Equals(MahalanobisNorm? other) =>
        other is not null && _matrix.AsSpan().SequenceEqual(other._matrix);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (double v in _matrix) hash.Add(v);
        return hash.ToHashCode();
    }

    /// <summary>Prints the base members and the values, not the array reference.</summary>
    protected override bool PrintMembers(StringBuilder builder)
    {
        if (base.PrintMembers(builder)) builder.Append(", ");
        builder.Append("Matrix = [").AppendJoin(", ", _matrix).Append(']');
        return true;
    }

    private double[,] ToArray2D(double[] rowMajor)
    {
        var result = new double[_n, _n];
        for (int i = 0; i < _n; i++)
        {
            for (int j = 0; j < _n; j++) result[i, j] = rowMajor[i * _n + j];
        }
        return result;
    }

    internal override double NormCore(ReadOnlySpan<double> v) =>
        Math.Sqrt(Math.Max(DenseLinearAlgebra.QuadraticForm(_matrix, v), 0));

    internal override double DualNormCore(ReadOnlySpan<double> w) =>
        Math.Sqrt(Math.Max(DenseLinearAlgebra.QuadraticForm(_inverse, w), 0));

    // Lemma 1, seed 000 §2.1: A⁻¹w/sqrt(wᵀA⁻¹w). Computed in place as y = L⁻¹w, ||y||² = wᵀA⁻¹w, L⁻ᵀy = A⁻¹w,
    // so destination may alias w.
    internal override void MaximizeOnUnitBallCore(ReadOnlySpan<double> w, Span<double> destination)
    {
        w.CopyTo(destination);
        DenseLinearAlgebra.SolveLower(_cholesky, _n, destination);
        double dual = 0;
        foreach (double y in destination) dual += y * y;
        dual = Math.Sqrt(dual);
        if (dual == 0)
        {
            destination.Clear();
            return;
        }
        DenseLinearAlgebra.SolveLowerTransposed(_cholesky, _n, destination);
        for (int i = 0; i < _n; i++) destination[i] /= dual;
    }

    internal override int ScratchLength(int n) => n * n + 3 * n + 2;

    // Convex, no closed form: Lagrange multiplier ν ≥ 0 for the ellipsoid, δ(ν) = argmax_{box} wᵀδ − ν/2·δᵀAδ
    // (a box QP), and ν found by bisection on the non-increasing δ(ν)ᵀAδ(ν) = γ².
    internal override void MaximizeLinearInBoxCore(
        ReadOnlySpan<double> w, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch) =>
        SolveForMultiplier(0.0, w, gamma, lower, upper, delta, scratch, indexScratch);

    // Projection: δ(ν) = argmin_{box} ½||δ − p||² + ν/2·δᵀAδ; ν = 0 when the clamp of p lies in the ellipsoid.
    internal override void ProjectCore(
        ReadOnlySpan<double> p, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch)
    {
        for (int i = 0; i < _n; i++) delta[i] = Math.Clamp(p[i], lower[i], upper[i]);
        if (DenseLinearAlgebra.QuadraticForm(_matrix, delta) <= gamma * gamma) return;
        SolveForMultiplier(1.0, p, gamma, lower, upper, delta, scratch, indexScratch);
    }

    /// <summary>
    /// Finds ν &gt; 0 with φ(ν) = δ(ν)ᵀAδ(ν) − γ² = 0, δ(ν) = argmin_{box} ½δᵀ(αI + νA)δ − cᵀδ. φ is continuous and
    /// non-increasing, φ(∞) = −γ² &lt; 0 because 0 is in the box. Bracket geometrically from ν₀ = sqrt(cᵀA⁻¹c)/γ (the
    /// unboxed answer for α = 0), then bisect to 1e-15 relative, returning the feasible end (φ ≤ 0). For α = 0 and
    /// φ ≤ 0 down to ν = 1e-30ν₀ the box corner already lies in the ellipsoid; δ(ν) then loses at most νγ²/2.
    /// </summary>
    private void SolveForMultiplier(
        double alpha, ReadOnlySpan<double> c, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch)
    {
        int n = _n;
        Span<double> qpScratch = scratch[..BoxQuadraticProgram.ScratchLength(n)];
        Span<double> best = scratch.Slice(BoxQuadraticProgram.ScratchLength(n), n);
        double gammaSquared = gamma * gamma;
        double nu0 = Math.Sqrt(Math.Max(DenseLinearAlgebra.QuadraticForm(_inverse, c), 0)) / gamma;
        if (nu0 == 0)
        {
            delta.Clear();
            return;
        }
        double floor = alpha > 0 ? 0 : nu0 * 1e-30;
        delta.Clear();
        double hi = nu0;
        for (int guard = 0; guard < 200 && Phi(alpha, hi, c, gammaSquared, lower, upper, delta, qpScratch, indexScratch) > 0; guard++) hi *= 4;
        delta.CopyTo(best);
        double lo = hi;
        bool bracketed = false;
        for (int guard = 0; guard < 600; guard++)
        {
            double next = lo / 4;
            if (next <= floor) break;
            lo = next;
            if (Phi(alpha, lo, c, gammaSquared, lower, upper, delta, qpScratch, indexScratch) > 0)
            {
                bracketed = true;
                break;
            }
            hi = lo;
            delta.CopyTo(best);
        }
        if (bracketed)
        {
            while (hi - lo > 1e-15 * hi)
            {
                double mid = hi > 2 * lo ? Math.Sqrt(lo * hi) : 0.5 * (lo + hi);
                if (mid <= lo || mid >= hi) break;
                if (Phi(alpha, mid, c, gammaSquared, lower, upper, delta, qpScratch, indexScratch) > 0)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                    delta.CopyTo(best);
                }
            }
        }
        best.CopyTo(delta);
    }

    private double Phi(
        double alpha, double nu, ReadOnlySpan<double> c, double gammaSquared, ReadOnlySpan<double> lower,
        ReadOnlySpan<double> upper, Span<double> delta, Span<double> qpScratch, Span<int> indexScratch)
    {
        BoxQuadraticProgram.Solve(_matrix, _n, alpha, nu, c, lower, upper, delta, qpScratch, indexScratch);
        return DenseLinearAlgebra.QuadraticForm(_matrix, delta) - gammaSquared;
    }

    // Uniform in the slice {δ_F : δ_Fᵀ A_FF δ_F ≤ γ²}: δ_F = γ·L_FF⁻ᵀ u with u uniform in the unit ball, since the
    // linear map preserves uniformity and (L⁻ᵀu)ᵀ LLᵀ (L⁻ᵀu) = uᵀu.
    internal override void SampleSliceCore(
        Random random, double gamma, ReadOnlySpan<int> free, Span<double> delta, Span<double> scratch)
    {
        int k = free.Length;
        Span<double> factor = scratch[..(k * k)];
        Span<double> u = scratch.Slice(k * k, k);
        for (int r = 0; r < k; r++)
        {
            for (int s = 0; s < k; s++) factor[r * k + s] = _matrix[free[r] * _n + free[s]];
        }
        Cholesky.TryFactor(factor, factor, k);
        random.FillUniformInUnitBall(u);
        for (int r = 0; r < k; r++) u[r] *= gamma;
        DenseLinearAlgebra.SolveLowerTransposed(factor, k, u);
        delta.Clear();
        for (int r = 0; r < k; r++) delta[free[r]] = u[r];
    }

    internal override bool IsSignSymmetric => false;
}
