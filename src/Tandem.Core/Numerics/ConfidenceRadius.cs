namespace Tandem.Core.Numerics;

/// <summary>Confidence radii ρ of the ellipsoidal uncertainty sets {θ : ‖θ − θ̂‖_V ≤ ρ}.</summary>
public static class ConfidenceRadius
{
    /// <summary>
    /// Seed 000 Lemma 2, exactly as printed:
    /// ρ = (1/c_μ) · ( σ √(d log(1 + β_X² n / λ)) + d log(K/δ) + √λ β_Θ ).
    /// </summary>
    /// <param name="dimension">d, the feature dimension. Range: d ≥ 1.</param>
    /// <param name="armCount">K, the number of arms. Range: K ≥ 1.</param>
    /// <param name="count">n_{t,a}, the observations of the arm so far. Range: n ≥ 0 (0 before the arm's first pull).</param>
    /// <param name="lambda">λ, the ridge weight. Range: λ &gt; 0.</param>
    /// <param name="sigma">σ, the sub-Gaussian noise scale. Range: σ &gt; 0.</param>
    /// <param name="delta">δ, the failure probability. Range: 0 &lt; δ &lt; 1.</param>
    /// <param name="betaX">β_X, the bound on ‖x‖₂. Range: β_X &gt; 0.</param>
    /// <param name="betaTheta">β_Θ, the bound on ‖θ‖₂. Range: β_Θ &gt; 0.</param>
    /// <param name="cMu">c_μ, the lower bound on μ′. Range: c_μ &gt; 0.</param>
    public static double Lemma2(
        int dimension, int armCount, int count, double lambda, double sigma, double delta, double betaX, double betaTheta, double cMu)
    {
        if (dimension < 1) ThrowHelper.OutOfRange(nameof(dimension), dimension, "The dimension must be at least 1.");
        if (armCount < 1) ThrowHelper.OutOfRange(nameof(armCount), armCount, "The number of arms must be at least 1.");
        if (count < 0) ThrowHelper.OutOfRange(nameof(count), count, "The count cannot be negative.");
        Positive(lambda, nameof(lambda));
        Positive(sigma, nameof(sigma));
        if (!(delta > 0 && delta < 1)) ThrowHelper.OutOfRange(nameof(delta), delta, "δ must lie in (0, 1).");
        Positive(betaX, nameof(betaX));
        Positive(betaTheta, nameof(betaTheta));
        Positive(cMu, nameof(cMu));

        double d = dimension;
        double noise = sigma * Math.Sqrt(d * Math.Log(1.0 + betaX * betaX * count / lambda));
        double union = d * Math.Log(armCount / delta);
        double prior = Math.Sqrt(lambda) * betaTheta;
        return (noise + union + prior) / cMu;
    }

    private static void Positive(double value, string paramName)
    {
        if (!(value > 0) || !double.IsFinite(value)) ThrowHelper.OutOfRange(paramName, value, "Must be finite and greater than 0.");
    }
}
