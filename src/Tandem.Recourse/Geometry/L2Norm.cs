using System.Numerics.Tensors;
using Tandem.Core.Randomness;

namespace Tandem.Recourse.Geometry;

/// <summary>The Euclidean norm ||δ||₂ = sqrt(Σδ_i²); self-dual. Dimension-free.</summary>
public sealed record L2Norm : RecourseNorm
{
    internal L2Norm()
    {
    }

    /// <inheritdoc />
    public override string Name => "l2";

    /// <inheritdoc />
    public override int? Dimension => null;

    internal override double NormCore(ReadOnlySpan<double> v) => TensorPrimitives.Norm(v);

    internal override double DualNormCore(ReadOnlySpan<double> w) => TensorPrimitives.Norm(w);

    // Corollary 1.1, seed 000 §2.1: w/||w||₂.
    internal override void MaximizeOnUnitBallCore(ReadOnlySpan<double> w, Span<double> destination)
    {
        double norm = TensorPrimitives.Norm(w);
        if (norm == 0)
        {
            destination.Clear();
            return;
        }
        TensorPrimitives.Multiply(w, 1.0 / norm, destination);
    }

    // KKT of max wᵀδ − ν||δ||² over the box: δ = clip(t·w, l, u) with t = 1/(2ν), ||δ(t)||₂ = γ.
    internal override void MaximizeLinearInBoxCore(
        ReadOnlySpan<double> w, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch) =>
        ClipScale(w, gamma, lower, upper, double.PositiveInfinity, delta, scratch);

    // KKT of min ½||δ − p||² + ν/2·||δ||² over the box: δ = clip(p/(1+ν), l, u), i.e. clip(s·p) with s ≤ 1.
    internal override void ProjectCore(
        ReadOnlySpan<double> p, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch) =>
        ClipScale(p, gamma, lower, upper, 1.0, delta, scratch);

    internal override void SampleSliceCore(
        Random random, double gamma, ReadOnlySpan<int> free, Span<double> delta, Span<double> scratch)
    {
        Span<double> u = scratch[..free.Length];
        random.FillUniformInUnitBall(u);
        delta.Clear();
        for (int k = 0; k < free.Length; k++) delta[free[k]] = gamma * u[k];
    }

    /// <summary>
    /// δ = clip(t·w, l, u) for the largest t ∈ [0, tMax] with ||δ||₂ ≤ γ. ||clip(t·w)||₂ is non-decreasing in t, and
    /// a coordinate that saturates at some t stays saturated for larger t. Start with every coordinate free and
    /// t = sqrt((γ² − Σ_sat b_i²)/Σ_free w_i²); coordinates saturated at that t are saturated at the answer too
    /// (the true norm at t is at most γ, so t ≤ t*); move them and repeat. At most n passes, exact.
    /// </summary>
    internal static void ClipScale(
        ReadOnlySpan<double> w, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, double tMax,
        Span<double> delta, Span<double> saturated)
    {
        int n = w.Length;
        saturated = saturated[..n];
        saturated.Clear();
        double gammaSquared = gamma * gamma;
        double t;
        while (true)
        {
            double saturatedSquares = 0, freeSquares = 0;
            for (int i = 0; i < n; i++)
            {
                if (saturated[i] != 0)
                {
                    double b = w[i] > 0 ? upper[i] : lower[i];
                    saturatedSquares += b * b;
                }
                else
                {
                    freeSquares += w[i] * w[i];
                }
            }
            t = freeSquares > 0
                ? Math.Sqrt(Math.Max(gammaSquared - saturatedSquares, 0) / freeSquares)
                : double.PositiveInfinity;
            t = Math.Min(t, tMax);
            bool changed = false;
            for (int i = 0; i < n; i++)
            {
                if (saturated[i] != 0 || w[i] == 0) continue;
                double b = w[i] > 0 ? upper[i] : lower[i];
                if (t * Math.Abs(w[i]) >= Math.Abs(b))
                {
                    saturated[i] = 1;
                    changed = true;
                }
            }
            if (!changed) break;
        }
        for (int i = 0; i < n; i++)
        {
            delta[i] = saturated[i] != 0 ? (w[i] > 0 ? upper[i] : lower[i])
                : w[i] == 0 ? 0 : t * w[i];
        }
    }
}
