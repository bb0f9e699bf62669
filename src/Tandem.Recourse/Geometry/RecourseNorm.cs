using Tandem.Core.Numerics;
namespace Tandem.Recourse.Geometry;

/// <summary>
/// The distance ||x̃_M − x_M|| that bounds a recourse (seed 000 §2.1, problem (RO)). A closed family:
/// <see cref="L2Norm"/>, <see cref="L1Norm"/>, <see cref="WeightedLInfNorm"/> and <see cref="MahalanobisNorm"/>.
/// Each norm knows its dual norm and the linear maximiser on its unit ball (Lemma 1, Corollary 1), and the
/// exact geometry of its ball intersected with a box, which <see cref="RecourseSet"/> composes.
/// Instances are immutable and thread-safe; all vectors live in the mutable space (dimension d_M).
/// </summary>
public abstract record RecourseNorm
{
    private protected RecourseNorm()
    {
    }

    /// <summary>The names accepted by <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["l2", "linf", "l1", "mahalanobis"];

    /// <summary>The Euclidean norm ||δ||₂ (dimension-free).</summary>
    public static L2Norm L2 { get; } = new();

    /// <summary>The ℓ₁ norm Σ|δ_i| (dimension-free).</summary>
    public static L1Norm L1 { get; } = new();

    /// <summary>The weighted ℓ∞ norm max_i α_i|δ_i|. Range: every α_i finite and &gt; 0.</summary>
    public static WeightedLInfNorm WeightedLInf(params double[] weights) => new(weights);

    /// <summary>The Mahalanobis norm sqrt(δᵀAδ). Range: A symmetric positive definite.</summary>
    public static MahalanobisNorm Mahalanobis(double[,] matrix) => new(matrix);

    /// <summary>
    /// The norm called <paramref name="name"/> (case-insensitive): "l2", "l1", "linf" (unit weights of length
    /// <paramref name="dimension"/>) or "mahalanobis" (the identity matrix of size <paramref name="dimension"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the allowed names) or dimension &lt; 1.</exception>
    public static RecourseNorm Parse(string name, int dimension)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (dimension < 1) ThrowHelper.Argument(nameof(dimension), $"Must be ≥ 1, got {dimension}.");
        switch (name.Trim().ToLowerInvariant())
        {
            case "l2": return L2;
            case "l1": return L1;
            case "linf":
                double[] ones = new double[dimension];
                Array.Fill(ones, 1.0);
                return new WeightedLInfNorm(ones);
            case "mahalanobis":
                var identity = new double[dimension, dimension];
                for (int i = 0; i < dimension; i++) identity[i, i] = 1.0;
                return new MahalanobisNorm(identity);
            default:
                ThrowHelper.Argument(nameof(name), $"Unknown norm '{name}'. Allowed: {string.Join(", ", Names)}.");
                return null!;
        }
    }

    /// <summary>Short name: "l2", "linf", "l1" or "mahalanobis".</summary>
    public abstract string Name { get; }

    /// <summary>The dimension the norm is defined on, or null when it applies to any dimension (L2, L1).</summary>
    public abstract int? Dimension { get; }

    /// <summary>||v||. Range: v finite, length <see cref="Dimension"/> when that is set.</summary>
    public double Norm(ReadOnlySpan<double> v)
    {
        CheckLength(v.Length, nameof(v));
        return NormCore(v);
    }

    /// <summary>
    /// The dual norm ||w||_* = max_{||δ||≤1} wᵀδ: L2 → ||w||₂, L1 → max_i|w_i|, weighted L∞ → Σ|w_i|/α_i,
    /// Mahalanobis A → sqrt(wᵀA⁻¹w) (Lemma 1, seed 000 §2.1).
    /// </summary>
    public double DualNorm(ReadOnlySpan<double> w)
    {
        CheckLength(w.Length, nameof(w));
        return DualNormCore(w);
    }

    /// <summary>
    /// destination = argmax_{||δ||≤1} wᵀδ, a subgradient of the dual norm at w (Lemma 1 and Corollary 1,
    /// seed 000 §2.1): L2 → w/||w||₂; weighted L∞ → sign(w_i)/α_i; L1 → sign(w_j)e_j at j = argmax|w_j|
    /// (ties: lowest index); Mahalanobis → A⁻¹w/sqrt(wᵀA⁻¹w). w = 0 gives destination = 0.
    /// <paramref name="destination"/> may be the same memory as <paramref name="w"/>.
    /// </summary>
    public void MaximizeOnUnitBall(ReadOnlySpan<double> w, Span<double> destination)
    {
        CheckLength(w.Length, nameof(w));
        ThrowHelper.Exactly(destination.Length, w.Length, nameof(destination));
        MaximizeOnUnitBallCore(w, destination);
    }

    private protected void CheckLength(int length, string parameterName)
    {
        if (Dimension is int n) ThrowHelper.Exactly(length, n, parameterName);
    }

    internal abstract double NormCore(ReadOnlySpan<double> v);

    internal abstract double DualNormCore(ReadOnlySpan<double> w);

    internal abstract void MaximizeOnUnitBallCore(ReadOnlySpan<double> w, Span<double> destination);

    /// <summary>delta = argmax wᵀδ over {||δ|| ≤ γ} ∩ [lower, upper]; requires lower ≤ 0 ≤ upper (bounds may be
    /// infinite), γ &gt; 0, w ≠ 0.</summary>
    internal abstract void MaximizeLinearInBoxCore(
        ReadOnlySpan<double> w, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch);

    /// <summary>delta = Euclidean projection of p onto {||δ|| ≤ γ} ∩ [lower, upper]; requires lower ≤ 0 ≤ upper,
    /// γ &gt; 0, p finite.</summary>
    internal abstract void ProjectCore(
        ReadOnlySpan<double> p, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch);

    /// <summary>Writes a uniform point of {δ : ||δ|| ≤ γ, δ_i = 0 for i ∉ free} into delta (zero outside
    /// <paramref name="free"/>), that is, uniform on the ball's slice through the free coordinates.</summary>
    internal abstract void SampleSliceCore(
        Random random, double gamma, ReadOnlySpan<int> free, Span<double> delta, Span<double> scratch);

    /// <summary>True when flipping the sign of any coordinate maps the ball onto itself (L2, L1, weighted L∞),
    /// which lets a sampler reflect into one-sided bounds without breaking uniformity.</summary>
    internal virtual bool IsSignSymmetric => true;

    /// <summary>Writes a uniform point of {||δ|| ≤ γ} ∩ [lower, upper] and returns true when the norm can do so
    /// directly (the weighted L∞ ball is itself a box); false means "use rejection".</summary>
    internal virtual bool TrySampleInBoxExactly(
        Random random, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> delta) => false;

    /// <summary>Doubles of scratch the core methods need for dimension n.</summary>
    internal virtual int ScratchLength(int n) => 2 * n + 2;
}
