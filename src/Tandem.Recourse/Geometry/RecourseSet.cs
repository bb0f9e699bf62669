using Tandem.Core.Numerics;
namespace Tandem.Recourse.Geometry;

/// <summary>
/// The feasible recourse set of a patient with current mutable features x_M (seed 000 §2.1, problem (RO)):
/// <code>
/// F(x_M) = { x̃ : ||x̃ − x_M|| ≤ γ and l_i ≤ x̃_i − x_M_i ≤ u_i for every i },
/// l_i = min(max(Lower_i − x_M_i, IncreaseOnly ? 0 : −∞), 0),  u_i = max(min(Upper_i − x_M_i, DecreaseOnly ? 0 : +∞), 0).
/// </code>
/// The outer min/max with 0 relaxes bounds that the patient already violates so that staying put (δ = 0) is always
/// allowed: a patient who drinks more than the Upper limit is not required to jump inside it in one step, only not
/// to move further away; F is therefore never empty. All vectors have length <see cref="Dimension"/> (= d_M).
/// Not thread-safe: the methods use preallocated workspaces and allocate nothing; give each policy its own set.
/// Output spans may alias the inputs.
/// </summary>
public sealed class RecourseSet
{
    /// <summary>Changes proposed beyond ±1e100 (including ±∞) are clamped to ±1e100 before projecting, so squares and
    /// sums stay finite; F is bounded by γ, so any such proposal is far outside it.</summary>
    public const double ProposalChangeCap = 1e100;

    /// <summary>Rejection attempts in <see cref="SampleUniform"/> before falling back to a projection.</summary>
    public const int MaxRejectionAttempts = 1000;

    private readonly FeatureBounds[]? _bounds;
    private readonly double[] _lower;
    private readonly double[] _upper;
    private readonly double[] _delta;
    private readonly double[] _work;
    private readonly double[] _scratch;
    private readonly int[] _indices;

    /// <summary>Create the set.</summary>
    /// <param name="dimension">d_M ≥ 1, the number of mutable features.</param>
    /// <param name="norm">The recourse norm; its <see cref="RecourseNorm.Dimension"/>, when set, must equal
    /// <paramref name="dimension"/>.</param>
    /// <param name="gamma">The budget γ. Range: finite, ≥ 0 (γ = 0 allows no change).</param>
    /// <param name="bounds">Per-feature bounds, length <paramref name="dimension"/>, or null for none.</param>
    /// <exception cref="ArgumentException">A parameter is out of range; the exception names it.</exception>
    public RecourseSet(int dimension, RecourseNorm norm, double gamma, IReadOnlyList<FeatureBounds>? bounds = null)
    {
        if (dimension < 1) ThrowHelper.Argument(nameof(dimension), $"Must be ≥ 1, got {dimension}.");
        ArgumentNullException.ThrowIfNull(norm);
        if (norm.Dimension is int normDimension && normDimension != dimension)
            ThrowHelper.Argument(nameof(norm), $"The norm has dimension {normDimension}, the set {dimension}.");
        ThrowHelper.FiniteNonNegative(gamma, nameof(gamma));
        if (bounds is not null)
        {
            ThrowHelper.Exactly(bounds.Count, dimension, nameof(bounds));
            for (int i = 0; i < dimension; i++)
            {
                FeatureBounds? b = bounds[i];
                if (b is null) ThrowHelper.Argument(nameof(bounds), $"Bounds {i} is null.");
                if (double.IsNaN(b.Lower) || double.IsNaN(b.Upper) || b.Lower > b.Upper
                    || double.IsPositiveInfinity(b.Lower) || double.IsNegativeInfinity(b.Upper))
                    ThrowHelper.Argument(nameof(bounds), $"Bounds {i} must satisfy −∞ ≤ Lower ≤ Upper ≤ +∞, got [{b.Lower}, {b.Upper}].");
                if (!Enum.IsDefined(b.Direction))
                    ThrowHelper.Argument(nameof(bounds), $"Bounds {i} has an undefined direction {(int)b.Direction}.");
            }
            _bounds = [.. bounds];
            Bounds = _bounds.AsReadOnly();
            HasBounds = _bounds.Any(b => !b.IsUnbounded);
        }
        Dimension = dimension;
        Norm = norm;
        Gamma = gamma;
        _lower = new double[dimension];
        _upper = new double[dimension];
        if (!HasBounds)
        {
            Array.Fill(_lower, double.NegativeInfinity);
            Array.Fill(_upper, double.PositiveInfinity);
        }
        _delta = new double[dimension];
        _work = new double[dimension];
        _scratch = new double[Math.Max(norm.ScratchLength(dimension), 2 * dimension + 2) + dimension];
        _indices = new int[dimension];
    }

    /// <summary>d_M, the length of every vector passed to this set.</summary>
    public int Dimension { get; }

    /// <summary>The recourse norm.</summary>
    public RecourseNorm Norm { get; }

    /// <summary>The budget γ ≥ 0.</summary>
    public double Gamma { get; }

    /// <summary>True when some feature has a finite bound or a restricted direction.</summary>
    public bool HasBounds { get; }

    /// <summary>The bounds as given, or null.</summary>
    public IReadOnlyList<FeatureBounds>? Bounds { get; }

    /// <summary>
    /// The relaxed per-coordinate change interval [l_i, u_i] ∋ 0 for a patient at <paramref name="xM"/> (see the
    /// class summary); infinite where unbounded.
    /// </summary>
    public void ChangeInterval(ReadOnlySpan<double> xM, Span<double> lower, Span<double> upper)
    {
        ValidatePoint(xM, nameof(xM));
        ThrowHelper.Exactly(lower.Length, Dimension, nameof(lower));
        ThrowHelper.Exactly(upper.Length, Dimension, nameof(upper));
        ComputeInterval(xM);
        _lower.CopyTo(lower);
        _upper.CopyTo(upper);
    }

    /// <summary>
    /// destination = argmax_{x̃ ∈ F(x_M)} wᵀx̃, exactly. Without bounds this is Lemma 1 (seed 000 §2.1):
    /// x_M + γ·∂||w||_* (<see cref="RecourseNorm.MaximizeOnUnitBall"/>). With bounds: L2 → δ_i = clip(t·w_i, l_i, u_i)
    /// with t solving ||δ||₂ = γ (exact active-set pass); weighted L∞ → clip(sign(w_i)γ/α_i, l_i, u_i); L1 → fractional
    /// knapsack by decreasing |w_i|; Mahalanobis → dual bisection on the ellipsoid multiplier with an exact box QP
    /// inside (tolerance ≈ 1e-15 relative in the multiplier). w = 0 or γ = 0 gives x_M.
    /// </summary>
    public void MaximizeLinear(ReadOnlySpan<double> xM, ReadOnlySpan<double> w, Span<double> destination)
    {
        ValidatePoint(xM, nameof(xM));
        ValidatePoint(w, nameof(w));
        ThrowHelper.Exactly(destination.Length, Dimension, nameof(destination));
        MaximizeLinearUnchecked(xM, w, destination);
    }

    internal void MaximizeLinearUnchecked(ReadOnlySpan<double> xM, ReadOnlySpan<double> w, Span<double> destination)
    {
        Span<double> delta = _delta;
        if (Gamma == 0 || !w.ContainsAnyExcept(0.0))
        {
            delta.Clear();
        }
        else if (!HasBounds)
        {
            Norm.MaximizeOnUnitBallCore(w, delta);
            for (int i = 0; i < delta.Length; i++) delta[i] *= Gamma;
        }
        else
        {
            ComputeInterval(xM);
            Norm.MaximizeLinearInBoxCore(w, Gamma, _lower, _upper, delta, _scratch, _indices);
        }
        for (int i = 0; i < delta.Length; i++) destination[i] = xM[i] + delta[i];
    }

    /// <summary>
    /// destination = the Euclidean projection argmin_{x̃ ∈ F(x_M)} ||x̃ − proposal||₂, used to repair advice (from a
    /// language model) that is not feasible. L2 ∩ box → δ = clip(p/(1+ν), l, u); L1 ∩ box → clip(soft(p, τ), l, u);
    /// weighted L∞ ∩ box → clamp; Mahalanobis (∩ box) → dual bisection on the ellipsoid multiplier ν with an exact box
    /// QP inside, where p = proposal − x_M. Hostile input never escapes F: a NaN coordinate is read as "no change"
    /// (p_i = 0) and changes beyond ±<see cref="ProposalChangeCap"/> (±∞ included) are clamped to it first.
    /// </summary>
    public void Project(ReadOnlySpan<double> xM, ReadOnlySpan<double> proposal, Span<double> destination)
    {
        ValidatePoint(xM, nameof(xM));
        ThrowHelper.Exactly(proposal.Length, Dimension, nameof(proposal));
        ThrowHelper.Exactly(destination.Length, Dimension, nameof(destination));
        Span<double> p = _work;
        for (int i = 0; i < p.Length; i++)
        {
            double change = proposal[i] - xM[i];
            p[i] = double.IsNaN(change) ? 0 : Math.Clamp(change, -ProposalChangeCap, ProposalChangeCap);
        }
        ProjectChange(xM, p, _delta);
        for (int i = 0; i < p.Length; i++) destination[i] = xM[i] + _delta[i];
    }

    private void ProjectChange(ReadOnlySpan<double> xM, ReadOnlySpan<double> p, Span<double> delta)
    {
        if (Gamma == 0)
        {
            delta.Clear();
            return;
        }
        if (HasBounds) ComputeInterval(xM);
        Norm.ProjectCore(p, Gamma, _lower, _upper, delta, _scratch, _indices);
    }

    /// <summary>
    /// True when <paramref name="candidate"/> ∈ F(x_M) up to <paramref name="tolerance"/>: ||δ|| ≤ γ + tol·max(1, γ)
    /// and l_i − tol·max(1, |x_M_i|) ≤ δ_i ≤ u_i + tol·max(1, |x_M_i|). A non-finite candidate is not contained.
    /// Range: tolerance finite, ≥ 0.
    /// </summary>
    public bool Contains(ReadOnlySpan<double> xM, ReadOnlySpan<double> candidate, double tolerance = 1e-9)
    {
        ValidatePoint(xM, nameof(xM));
        ThrowHelper.Exactly(candidate.Length, Dimension, nameof(candidate));
        ThrowHelper.FiniteNonNegative(tolerance, nameof(tolerance));
        Span<double> delta = _delta;
        for (int i = 0; i < delta.Length; i++)
        {
            if (!double.IsFinite(candidate[i])) return false;
            delta[i] = candidate[i] - xM[i];
        }
        if (Norm.NormCore(delta) > Gamma + tolerance * Math.Max(1, Gamma)) return false;
        if (!HasBounds) return true;
        ComputeInterval(xM);
        for (int i = 0; i < delta.Length; i++)
        {
            double slack = tolerance * Math.Max(1, Math.Abs(xM[i]));
            if (delta[i] < _lower[i] - slack || delta[i] > _upper[i] + slack) return false;
        }
        return true;
    }

    /// <summary>The recourse distance ||candidate − x_M|| in the set's norm (the cost of the change, not the distance to
    /// F). Range: finite inputs.</summary>
    public double Distance(ReadOnlySpan<double> xM, ReadOnlySpan<double> candidate)
    {
        ValidatePoint(xM, nameof(xM));
        ValidatePoint(candidate, nameof(candidate));
        Span<double> delta = _delta;
        for (int i = 0; i < delta.Length; i++) delta[i] = candidate[i] - xM[i];
        return Norm.NormCore(delta);
    }

    /// <summary>The Euclidean distance from <paramref name="candidate"/> to F(x_M), ||candidate − Project(candidate)||₂
    /// (how far infeasible advice had to be moved). Range: finite inputs.</summary>
    public double DistanceToSet(ReadOnlySpan<double> xM, ReadOnlySpan<double> candidate)
    {
        ValidatePoint(xM, nameof(xM));
        ValidatePoint(candidate, nameof(candidate));
        Span<double> p = _work;
        for (int i = 0; i < p.Length; i++) p[i] = candidate[i] - xM[i];
        ProjectChange(xM, p, _delta);
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += (p[i] - _delta[i]) * (p[i] - _delta[i]);
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// destination = a uniformly distributed point of F(x_M), drawn from <paramref name="random"/> only.
    /// Balls: L2 → Gaussian direction and radius U^{1/k}; L1 → exponential spacings with random signs; weighted L∞ → a
    /// uniform box (intersected with the bounds, exactly); Mahalanobis → the L2 ball mapped by γL⁻ᵀ (A = LLᵀ).
    /// With bounds: coordinates with l_i = u_i = 0 are pinned and the ball's slice through the rest is sampled; for the
    /// sign-symmetric norms (L2, L1) coordinates that may move only one way are reflected into their half (uniformity
    /// is kept because the ball is symmetric under sign flips); the remaining finite bounds are handled by rejection,
    /// up to <see cref="MaxRejectionAttempts"/> draws. If every draw is rejected (the bounds cut away almost all of
    /// the ball) the projection of the last draw onto F is returned: feasible, but not exactly uniform.
    /// </summary>
    public void SampleUniform(ReadOnlySpan<double> xM, Random random, Span<double> destination)
    {
        ValidatePoint(xM, nameof(xM));
        ArgumentNullException.ThrowIfNull(random);
        ThrowHelper.Exactly(destination.Length, Dimension, nameof(destination));
        Span<double> delta = _delta;
        int n = Dimension;
        if (Gamma == 0)
        {
            delta.Clear();
        }
        else if (!HasBounds)
        {
            Span<int> all = _indices;
            for (int i = 0; i < n; i++) all[i] = i;
            Norm.SampleSliceCore(random, Gamma, all, delta, _scratch);
        }
        else
        {
            ComputeInterval(xM);
            if (!Norm.TrySampleInBoxExactly(random, Gamma, _lower, _upper, delta)) SampleByRejection(random, delta);
        }
        for (int i = 0; i < n; i++) destination[i] = xM[i] + delta[i];
    }

    private void SampleByRejection(Random random, Span<double> delta)
    {
        int n = Dimension, k = 0;
        Span<int> free = _indices;
        for (int i = 0; i < n; i++)
        {
            if (_lower[i] < _upper[i]) free[k++] = i;
        }
        if (k == 0)
        {
            delta.Clear();
            return;
        }
        ReadOnlySpan<int> freeIndices = free[..k];
        bool reflect = Norm.IsSignSymmetric;
        for (int attempt = 0; attempt < MaxRejectionAttempts; attempt++)
        {
            Norm.SampleSliceCore(random, Gamma, freeIndices, delta, _scratch);
            if (reflect)
            {
                foreach (int i in freeIndices)
                {
                    if (_lower[i] == 0) delta[i] = Math.Abs(delta[i]);
                    else if (_upper[i] == 0) delta[i] = -Math.Abs(delta[i]);
                }
            }
            if (InInterval(delta)) return;
        }
        delta.CopyTo(_work);
        Norm.ProjectCore(_work, Gamma, _lower, _upper, delta, _scratch, _indices);
    }

    private bool InInterval(ReadOnlySpan<double> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            if (delta[i] < _lower[i] || delta[i] > _upper[i]) return false;
        }
        return true;
    }

    private void ComputeInterval(ReadOnlySpan<double> xM)
    {
        if (_bounds is null || !HasBounds) return;
        for (int i = 0; i < _bounds.Length; i++)
        {
            FeatureBounds b = _bounds[i];
            double lower = b.Lower - xM[i], upper = b.Upper - xM[i];
            if (b.Direction == ChangeDirection.IncreaseOnly) lower = Math.Max(lower, 0);
            if (b.Direction == ChangeDirection.DecreaseOnly) upper = Math.Min(upper, 0);
            _lower[i] = Math.Min(lower, 0);
            _upper[i] = Math.Max(upper, 0);
        }
    }

    private void ValidatePoint(ReadOnlySpan<double> v, string parameterName)
    {
        ThrowHelper.Exactly(v.Length, Dimension, parameterName);
        ThrowHelper.AllFinite(v, parameterName);
    }
}
