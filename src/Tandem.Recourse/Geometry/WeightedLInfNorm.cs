using Tandem.Core.Numerics;
using System.Collections.ObjectModel;
using System.Text;

namespace Tandem.Recourse.Geometry;

/// <summary>
/// The weighted ℓ∞ norm ||δ|| = max_i α_i|δ_i| (Corollary 1.2, seed 000 §2.1); its dual is Σ|w_i|/α_i.
/// Range: every α_i finite and &gt; 0 (α_i = 0 would make the ball unbounded).
/// </summary>
public sealed record WeightedLInfNorm : RecourseNorm
{
    private readonly double[] _weights;

    /// <summary>Create the norm with weights α (copied).</summary>
    /// <exception cref="ArgumentException">Empty, or some α_i not finite or ≤ 0 (parameter "weights").</exception>
    public WeightedLInfNorm(double[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0) ThrowHelper.Argument(nameof(weights), "At least one weight is required.");
        for (int i = 0; i < weights.Length; i++)
        {
            if (!double.IsFinite(weights[i]) || weights[i] <= 0)
                ThrowHelper.Argument(nameof(weights), $"Weight {i} is {weights[i]}; weights must be finite and > 0.");
        }
        _weights = (double[])weights.Clone();
        Weights = new ReadOnlyCollection<double>(_weights);
    }

    /// <summary>The weights α_i.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <inheritdoc />
    public override string Name => "linf";

    /// <inheritdoc />
    public override int? Dimension => _weights.Length;

    /// <summary>Equal when the weights are equal element by element.</summary>
    public bool Equals(WeightedLInfNorm? other) =>
        other is not null && _weights.AsSpan().SequenceEqual(other._weights);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (double w in _weights) hash.Add(w);
        return hash.ToHashCode();
    }

    /// <summary>Prints the base members and the values, not the array reference.</summary>
    protected override bool PrintMembers(StringBuilder builder)
    {
        if (base.PrintMembers(builder)) builder.Append(", ");
        builder.Append("Weights = [").AppendJoin(", ", _weights).Append(']');
        return true;
    }

    internal override double NormCore(ReadOnlySpan<double> v)
    {
        double max = 0;
        for (int i = 0; i < v.Length; i++) max = Math.Max(max, _weights[i] * Math.Abs(v[i]));
        return max;
    }

    internal override double DualNormCore(ReadOnlySpan<double> w)
    {
        double sum = 0;
        for (int i = 0; i < w.Length; i++) sum += Math.Abs(w[i]) / _weights[i];
        return sum;
    }

    // Corollary 1.2, seed 000 §2.1: sign(w_i)/α_i.
    internal override void MaximizeOnUnitBallCore(ReadOnlySpan<double> w, Span<double> destination)
    {
        for (int i = 0; i < w.Length; i++) destination[i] = Math.Sign(w[i]) / _weights[i];
    }

    // The ball is the box [−γ/α, γ/α], so the problem separates: clip each vertex coordinate to the bounds.
    internal override void MaximizeLinearInBoxCore(
        ReadOnlySpan<double> w, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch)
    {
        for (int i = 0; i < w.Length; i++)
        {
            double radius = gamma / _weights[i];
            delta[i] = w[i] > 0 ? Math.Min(radius, upper[i]) : w[i] < 0 ? Math.Max(-radius, lower[i]) : 0;
        }
    }

    // Projection onto a box (the intersection of two boxes) is the coordinate-wise clamp.
    internal override void ProjectCore(
        ReadOnlySpan<double> p, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double radius = gamma / _weights[i];
            delta[i] = Math.Clamp(p[i], Math.Max(lower[i], -radius), Math.Min(upper[i], radius));
        }
    }

    internal override void SampleSliceCore(
        Random random, double gamma, ReadOnlySpan<int> free, Span<double> delta, Span<double> scratch)
    {
        delta.Clear();
        foreach (int i in free)
        {
            double radius = gamma / _weights[i];
            delta[i] = radius * (2.0 * random.NextDouble() - 1.0);
        }
    }

    internal override bool TrySampleInBoxExactly(
        Random random, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> delta)
    {
        for (int i = 0; i < delta.Length; i++)
        {
            double radius = gamma / _weights[i];
            double lo = Math.Max(lower[i], -radius), hi = Math.Min(upper[i], radius);
            delta[i] = lo + (hi - lo) * random.NextDouble();
        }
        return true;
    }
}
