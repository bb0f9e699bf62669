namespace Tandem.Recourse.Policies;

/// <summary>The confidence radius ρ_{t,a} of the uncertainty set Θ_{t,a} = {θ : ‖θ − θ̂‖_V ≤ ρ}, in the reward's
/// units (docs/confidence-radius.md).</summary>
public abstract record ConfidenceRadiusRule
{
    /// <summary>ρ for an arm that has been pulled <paramref name="count"/> times.</summary>
    public abstract double Radius(int count);

    /// <summary>A fixed ρ in the reward's units, as practitioners set LinUCB's α. Range: ρ ≥ 0.</summary>
    public static ConfidenceRadiusRule Constant(double rho) => new ConstantRadius(rho);
}

/// <summary>ρ_{t,a} = ρ for every t and a.</summary>
public sealed record ConstantRadius : ConfidenceRadiusRule
{
    /// <summary>Create it. Range: ρ ≥ 0, finite.</summary>
    public ConstantRadius(double rho)
    {
        if (!double.IsFinite(rho) || rho < 0) throw new ArgumentOutOfRangeException(nameof(rho), rho, "ρ must be finite and ≥ 0.");
        Rho = rho;
    }

    /// <summary>ρ.</summary>
    public double Rho { get; }

    /// <inheritdoc />
    public override double Radius(int count) => Rho;
}

/// <summary>
/// The radius of Lemma 2 exactly as its proof (seed 000 Appendix A.2) derives it:
/// ρ_{t,a} = (1/c_μ) · ( σ √( d log(1 + β_X² n_{t,a}/λ) + d log(K/δ) ) + √λ β_Θ ).
/// The main text prints d log(K/δ) outside the square root and unscaled by σ; the proof's self-normalised
/// bound (Abbasi-Yadkori et al. 2011, Theorem 2, with a union bound over K arms) puts it inside, scaled by σ.
/// It holds with probability 1 − δ when the noise is σ-sub-Gaussian, ‖θ*_a − θ₀‖₂ ≤ β_Θ (θ₀ the prior mean,
/// 0 unless the pooled intercept prior is on) and every implemented context has ‖x̃‖₂ ≤ β_X.
/// </summary>
public sealed record Lemma2Radius : ConfidenceRadiusRule
{
    /// <summary>Create it; throws naming the first parameter out of range.</summary>
    /// <param name="dimension">d. Range: d ≥ 1.</param>
    /// <param name="armCount">K. Range: K ≥ 1.</param>
    /// <param name="lambda">λ, the ridge weight. Range: λ &gt; 0, finite.</param>
    /// <param name="sigma">σ, the sub-Gaussian scale of the reward noise, in reward units. Range: σ &gt; 0, finite.</param>
    /// <param name="delta">δ, the failure probability. Range: 0 &lt; δ &lt; 1.</param>
    /// <param name="betaX">β_X, the bound on ‖x̃‖₂. Range: β_X &gt; 0, finite.</param>
    /// <param name="betaTheta">β_Θ, the bound on ‖θ*_a − θ₀‖₂, in reward units per feature unit. Range: β_Θ ≥ 0, finite.</param>
    /// <param name="cMu">c_μ = inf μ′ over the reachable z. Range: c_μ &gt; 0, finite (c_μ = 0 makes ρ undefined).</param>
    public Lemma2Radius(int dimension, int armCount, double lambda, double sigma, double delta, double betaX, double betaTheta, double cMu)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension d must be at least 1.");
        if (armCount < 1) throw new ArgumentOutOfRangeException(nameof(armCount), armCount, "The number of arms K must be at least 1.");
        Positive(lambda, nameof(lambda), "λ");
        Positive(sigma, nameof(sigma), "σ");
        if (!(delta > 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must lie in (0, 1).");
        Positive(betaX, nameof(betaX), "β_X");
        if (!double.IsFinite(betaTheta) || betaTheta < 0) throw new ArgumentOutOfRangeException(nameof(betaTheta), betaTheta, "β_Θ must be finite and ≥ 0.");
        Positive(cMu, nameof(cMu), "c_μ");
        (Dimension, ArmCount, Lambda, Sigma, Delta, BetaX, BetaTheta, CMu) = (dimension, armCount, lambda, sigma, delta, betaX, betaTheta, cMu);
    }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>K.</summary>
    public int ArmCount { get; }

    /// <summary>λ.</summary>
    public double Lambda { get; }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <summary>δ.</summary>
    public double Delta { get; }

    /// <summary>β_X.</summary>
    public double BetaX { get; }

    /// <summary>β_Θ.</summary>
    public double BetaTheta { get; }

    /// <summary>c_μ.</summary>
    public double CMu { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public override double Radius(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The count n_{t,a} cannot be negative.");
        double d = Dimension;
        // ‖g_{a,t}‖_{V⁻¹} ≤ σ √( d log(1 + β_X² n/λ) + d log(K/δ) )   (A.2, self-normalised bound + union over arms)
        double noise = Sigma * Math.Sqrt(d * Math.Log(1.0 + BetaX * BetaX * count / Lambda) + d * Math.Log(ArmCount / Delta));
        double prior = Math.Sqrt(Lambda) * BetaTheta;
        return (noise + prior) / CMu;
    }

    private static void Positive(double value, string name, string symbol)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{symbol} must be finite and > 0.");
    }
}
