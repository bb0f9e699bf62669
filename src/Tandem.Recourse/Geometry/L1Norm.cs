using System.Numerics.Tensors;

namespace Tandem.Recourse.Geometry;

/// <summary>The ℓ₁ norm ||δ||₁ = Σ|δ_i|; its dual is ℓ∞. Dimension-free.</summary>
public sealed record L1Norm : RecourseNorm
{
    internal L1Norm()
    {
    }

    /// <inheritdoc />
    public override string Name => "l1";

    /// <inheritdoc />
    public override int? Dimension => null;

    internal override double NormCore(ReadOnlySpan<double> v) => TensorPrimitives.SumOfMagnitudes(v);

    internal override double DualNormCore(ReadOnlySpan<double> w)
    {
        double max = 0;
        foreach (double value in w) max = Math.Max(max, Math.Abs(value));
        return max;
    }

    // Lemma 1, seed 000 §2.1: a vertex sign(w_j)·e_j at j = argmax|w_j|, lowest index on ties.
    internal override void MaximizeOnUnitBallCore(ReadOnlySpan<double> w, Span<double> destination)
    {
        int best = -1;
        double bestMagnitude = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double magnitude = Math.Abs(w[i]);
            if (magnitude > bestMagnitude)
            {
                bestMagnitude = magnitude;
                best = i;
            }
        }
        double sign = best >= 0 ? Math.Sign(w[best]) : 0;
        destination.Clear();
        if (best >= 0) destination[best] = sign;
    }

    // Fractional knapsack: each unit of ℓ₁ budget spent on coordinate i earns |w_i|, so spend it on the largest
    // |w_i| first (ties: lowest index), moving toward sign(w_i) until its bound or the budget γ runs out. Exact.
    internal override void MaximizeLinearInBoxCore(
        ReadOnlySpan<double> w, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch)
    {
        int n = w.Length;
        Span<double> used = scratch[..n];
        used.Clear();
        delta[..n].Clear();
        double remaining = gamma;
        while (remaining > 0)
        {
            int best = -1;
            double bestMagnitude = 0;
            for (int i = 0; i < n; i++)
            {
                if (used[i] != 0) continue;
                double magnitude = Math.Abs(w[i]);
                if (magnitude > bestMagnitude)
                {
                    bestMagnitude = magnitude;
                    best = i;
                }
            }
            if (best < 0) break;
            used[best] = 1;
            double capacity = w[best] > 0 ? upper[best] : -lower[best];
            double step = Math.Min(capacity, remaining);
            delta[best] = w[best] > 0 ? step : -step;
            remaining -= step;
        }
    }

    // KKT: δ_i = clip(soft(p_i, τ), l_i, u_i) with τ ≥ 0 such that ||δ||₁ = γ; ||δ(τ)||₁ is continuous and
    // non-increasing, so bisection on τ ∈ [0, max|p|] to machine precision, keeping the feasible end.
    internal override void ProjectCore(
        ReadOnlySpan<double> p, double gamma, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper,
        Span<double> delta, Span<double> scratch, Span<int> indexScratch)
    {
        if (ThresholdedNorm(p, 0, lower, upper, delta) <= gamma) return;
        double lo = 0, hi = DualNormCore(p);
        while (true)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (ThresholdedNorm(p, mid, lower, upper, delta) > gamma) lo = mid;
            else hi = mid;
        }
        ThresholdedNorm(p, hi, lower, upper, delta);
    }

    private static double ThresholdedNorm(
        ReadOnlySpan<double> p, double tau, ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> delta)
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double soft = Math.Sign(p[i]) * Math.Max(Math.Abs(p[i]) - tau, 0);
            double value = Math.Clamp(soft, lower[i], upper[i]);
            delta[i] = value;
            sum += Math.Abs(value);
        }
        return sum;
    }

    // Uniform in the ℓ₁ ball by exponential spacings: with E_1..E_{k+1} ~ Exp(1), (E_1..E_k)/ΣE is uniform on the
    // corner simplex {y ≥ 0, Σy ≤ 1}; independent random signs spread it over the 2^k orthants.
    internal override void SampleSliceCore(
        Random random, double gamma, ReadOnlySpan<int> free, Span<double> delta, Span<double> scratch)
    {
        int k = free.Length;
        Span<double> e = scratch[..k];
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            e[i] = -Math.Log(1.0 - random.NextDouble());
            total += e[i];
        }
        total += -Math.Log(1.0 - random.NextDouble());
        delta.Clear();
        for (int i = 0; i < k; i++)
        {
            double sign = random.NextDouble() < 0.5 ? -1.0 : 1.0;
            delta[free[i]] = sign * gamma * e[i] / total;
        }
    }
}
