using Tandem.Core.Distributions;
namespace Tandem.Gambit.Agents;

/// <summary>
/// The Normal-Inverse-Gamma model of a reward y ~ N(μ, σ²) with σ² ~ IG(α, β), μ | σ² ~ N(m, σ²/κ)
/// (seed 002 App. F.2.1, standard Thompson sampling; authors' prior m = 77, κ = 5, α = 1, β = 10).
/// A value type; <see cref="Update"/> returns the posterior after one observation:
/// κ' = κ + 1, m' = (κm + y)/κ', α' = α + ½, β' = β + κ(y − m)²/(2κ').
/// </summary>
/// <param name="Mean">m, the location of μ.</param>
/// <param name="Kappa">κ &gt; 0, pseudo-observations behind m.</param>
/// <param name="Alpha">α &gt; 0, shape of σ².</param>
/// <param name="Beta">β &gt; 0, scale of σ².</param>
public readonly record struct NormalInverseGamma(double Mean, double Kappa, double Alpha, double Beta)
{
    /// <summary>The authors' prior: m = 77, κ = 5, α = 1, β = 10.</summary>
    public static NormalInverseGamma AuthorsPrior { get; } = new(77, 5, 1, 10);

    /// <summary>Throws when a parameter is out of range, naming it.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Mean)) throw new ArgumentOutOfRangeException(nameof(Mean), Mean, "m must be finite.");
        if (!(Kappa > 0) || !double.IsFinite(Kappa)) throw new ArgumentOutOfRangeException(nameof(Kappa), Kappa, "κ must be finite and > 0.");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "α must be finite and > 0.");
        if (!(Beta > 0) || !double.IsFinite(Beta)) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "β must be finite and > 0.");
    }

    /// <summary>The posterior after observing <paramref name="y"/>.</summary>
    public NormalInverseGamma Update(double y)
    {
        double kappa = Kappa + 1;
        double r = y - Mean;
        return new NormalInverseGamma(Mean + r / kappa, kappa, Alpha + 0.5, Beta + Kappa * r * r / (2 * kappa));
    }

    /// <summary>
    /// The posterior after a batch, in closed form: κ_n = κ + n, m_n = (κm + nȳ)/κ_n, α_n = α + n/2,
    /// β_n = β + ½Σ(y − ȳ)² + κn(ȳ − m)²/(2κ_n).
    /// </summary>
    public NormalInverseGamma UpdateBatch(ReadOnlySpan<double> ys)
    {
        int n = ys.Length;
        if (n == 0) return this;
        double mean = 0;
        foreach (double y in ys) mean += y;
        mean /= n;
        double ss = 0;
        foreach (double y in ys) ss += (y - mean) * (y - mean);
        double kappa = Kappa + n;
        return new NormalInverseGamma((Kappa * Mean + n * mean) / kappa, kappa, Alpha + 0.5 * n,
            Beta + 0.5 * ss + Kappa * n * (mean - Mean) * (mean - Mean) / (2 * kappa));
    }

    /// <summary>One posterior draw of μ: σ² ~ IG(α, β), then μ ~ N(m, σ²/κ).</summary>
    public double SampleMean(Random random)
    {
        double variance = GammaSampler.InverseGamma(random, Alpha, Beta);
        return Mean + Math.Sqrt(variance / Kappa) * NormalSampler.Standard(random);
    }
}
