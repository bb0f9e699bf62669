namespace Tandem.Core.Neural;

/// <summary>
/// PPO's clipped surrogate objective with an entropy bonus for a categorical policy head (Schulman et al. 2017,
/// eq. 7; the policy loss of seed 001 Appendix F and Algorithm 1 line 13), a span kernel (STYLE 4).
/// <para>
/// Over M samples i with input x_i, action a_i, advantage A_i and old log-probability log π_old(a_i | x_i), the loss is
/// L = −(1/M) Σ_i min(ρ_i A_i, clip(ρ_i, 1 − ε, 1 + ε) A_i) − c (1/M) Σ_i H(π(· | x_i)), with ρ_i = π(a_i | x_i) / π_old(a_i | x_i)
/// and π = softmax(logits). Samples that share an input share their logits, so they are merged into one row: the
/// loss then needs, per row r and action k, only the sums of the positive and of the negative advantages of the
/// samples of (r, k), and per row the number of samples. This is exact, not an approximation: for A &gt; 0 the
/// clipped term is A·min(ρ, 1 + ε) and for A &lt; 0 it is A·max(ρ, 1 − ε), so ∂L/∂ρ of row (r, k) is
/// −(1/M)[S⁺ 1{ρ &lt; 1 + ε} + S⁻ 1{ρ &gt; 1 − ε}].
/// </para>
/// </summary>
public static class ClippedSurrogate
{
    /// <summary>
    /// Returns L and writes ∂L/∂logits for every row (a row with no samples contributes nothing).
    /// </summary>
    /// <param name="logits">rows × K logits of the current policy, row-major.</param>
    /// <param name="oldLogProbabilities">rows × K values log π_old(k | x_r) (only entries with samples are read).</param>
    /// <param name="positiveAdvantages">rows × K sums S⁺ of the positive advantages of the samples with that input and action.</param>
    /// <param name="negativeAdvantages">rows × K sums S⁻ (≤ 0) of the negative advantages.</param>
    /// <param name="sampleCounts">rows × K sample counts n_{r,k} ≥ 0.</param>
    /// <param name="actions">K ≥ 1, the number of actions.</param>
    /// <param name="totalSamples">M = Σ n_{r,k} &gt; 0 (the divisor of the mean).</param>
    /// <param name="clipRatio">ε &gt; 0.</param>
    /// <param name="entropyCoefficient">c ≥ 0.</param>
    /// <param name="logitGradients">Receives rows × K values ∂L/∂logits; must not overlap the inputs.</param>
    public static double LossAndGradient(ReadOnlySpan<double> logits, ReadOnlySpan<double> oldLogProbabilities, ReadOnlySpan<double> positiveAdvantages,
        ReadOnlySpan<double> negativeAdvantages, ReadOnlySpan<double> sampleCounts, int actions, double totalSamples, double clipRatio,
        double entropyCoefficient, Span<double> logitGradients)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(actions, 1);
        int n = logits.Length;
        if (n % actions != 0) throw new ArgumentException($"{n} logits are not whole rows of {actions} actions.", nameof(logits));
        if (oldLogProbabilities.Length != n) throw new ArgumentException($"Expected {n} old log-probabilities; got {oldLogProbabilities.Length}.", nameof(oldLogProbabilities));
        if (positiveAdvantages.Length != n) throw new ArgumentException($"Expected {n} positive advantage sums; got {positiveAdvantages.Length}.", nameof(positiveAdvantages));
        if (negativeAdvantages.Length != n) throw new ArgumentException($"Expected {n} negative advantage sums; got {negativeAdvantages.Length}.", nameof(negativeAdvantages));
        if (sampleCounts.Length != n) throw new ArgumentException($"Expected {n} sample counts; got {sampleCounts.Length}.", nameof(sampleCounts));
        if (logitGradients.Length != n) throw new ArgumentException($"Expected {n} gradient entries; got {logitGradients.Length}.", nameof(logitGradients));
        if (!(totalSamples > 0)) throw new ArgumentOutOfRangeException(nameof(totalSamples), totalSamples, "At least one sample is needed.");
        if (!(clipRatio > 0)) throw new ArgumentOutOfRangeException(nameof(clipRatio), clipRatio, "The clip ratio must be > 0.");
        if (!(entropyCoefficient >= 0)) throw new ArgumentOutOfRangeException(nameof(entropyCoefficient), entropyCoefficient, "The entropy coefficient must be ≥ 0.");
        return LossAndGradientUnchecked(logits, oldLogProbabilities, positiveAdvantages, negativeAdvantages, sampleCounts, actions, totalSamples, clipRatio, entropyCoefficient, logitGradients);
    }

    internal static double LossAndGradientUnchecked(ReadOnlySpan<double> logits, ReadOnlySpan<double> oldLogProbabilities, ReadOnlySpan<double> positiveAdvantages,
        ReadOnlySpan<double> negativeAdvantages, ReadOnlySpan<double> sampleCounts, int actions, double totalSamples, double clipRatio,
        double entropyCoefficient, Span<double> logitGradients)
    {
        int rows = logits.Length / actions;
        double inv = 1.0 / totalSamples, loss = 0;
        Span<double> logp = actions <= 16 ? stackalloc double[actions] : new double[actions];
        for (int r = 0; r < rows; r++)
        {
            int o = r * actions;
            Span<double> g = logitGradients.Slice(o, actions);
            g.Clear();
            double rowCount = 0;
            for (int k = 0; k < actions; k++) rowCount += sampleCounts[o + k];
            if (rowCount == 0) continue;
            Categorical.LogSoftmax(logits.Slice(o, actions), logp);
            for (int k = 0; k < actions; k++)
            {
                if (sampleCounts[o + k] == 0) continue;
                double ratio = Math.Exp(logp[k] - oldLogProbabilities[o + k]);
                double pos = positiveAdvantages[o + k], neg = negativeAdvantages[o + k];
                loss -= inv * (pos * Math.Min(ratio, 1 + clipRatio) + neg * Math.Max(ratio, 1 - clipRatio));
                double dRatio = -inv * ((ratio < 1 + clipRatio ? pos : 0) + (ratio > 1 - clipRatio ? neg : 0));
                // ∂ρ/∂z_j = ρ (δ_kj − π_j)
                double scale = dRatio * ratio;
                for (int j = 0; j < actions; j++) g[j] += scale * ((j == k ? 1 : 0) - Math.Exp(logp[j]));
            }
            if (entropyCoefficient > 0)
            {
                // −c (n_r / M) H, with ∂H/∂z_j = −π_j (log π_j + H).
                double h = 0;
                for (int j = 0; j < actions; j++) h -= Math.Exp(logp[j]) * logp[j];
                double w = entropyCoefficient * rowCount * inv;
                loss -= w * h;
                for (int j = 0; j < actions; j++) g[j] += w * Math.Exp(logp[j]) * (logp[j] + h);
            }
        }
        return loss;
    }
}

/// <summary>Kernels of a categorical distribution given by logits (span in, span out, no allocation).</summary>
public static class Categorical
{
    /// <summary>log softmax: d_k = z_k − log Σ_j exp z_j, computed with the maximum subtracted first (no overflow).</summary>
    /// <param name="logits">z, length K ≥ 1.</param>
    /// <param name="destination">Receives log π, length K; may be the logits buffer itself.</param>
    public static void LogSoftmax(ReadOnlySpan<double> logits, Span<double> destination)
    {
        int k = logits.Length;
        if (k == 0) throw new ArgumentException("At least one logit is needed.", nameof(logits));
        if (destination.Length != k) throw new ArgumentException($"Expected a destination of length {k}; got {destination.Length}.", nameof(destination));
        double max = logits[0];
        for (int j = 1; j < k; j++) max = Math.Max(max, logits[j]);
        double sum = 0;
        for (int j = 0; j < k; j++) sum += Math.Exp(logits[j] - max);
        double log = max + Math.Log(sum);
        for (int j = 0; j < k; j++) destination[j] = logits[j] - log;
    }
}
