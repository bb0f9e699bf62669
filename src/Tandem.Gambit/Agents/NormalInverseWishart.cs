using Tandem.Core.Distributions;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;

namespace Tandem.Gambit.Agents;

/// <summary>
/// The Normal-Inverse-Wishart treatment model of foGAMBITTS (seed 002 Algorithm 1, App. F.2.4):
/// z ~ N(m, Σ), Σ ~ IW(Ψ, ν), m | Σ ~ N(μ, Σ/κ); authors' prior μ₀ = 0, κ₀ = 1, Ψ₀ = I, ν₀ = d_z.
/// Sequential conjugate update: κ' = κ + 1, μ' = (κμ + z)/κ', ν' = ν + 1, Ψ' = Ψ + κ/(κ + 1)(z − μ)(z − μ)ᵀ.
/// A Cholesky factor of Ψ is cached and refreshed lazily. Draws write into caller spans; scratch is owned.
/// </summary>
public sealed class NormalInverseWishart
{
    private readonly double[] _mean;
    private readonly double[] _scale;   // Ψ
    private readonly double[] _factor;  // chol(Ψ)
    private readonly double[] _work;    // 3 d² + 2 d
    private bool _dirty = true;

    /// <summary>A model of dimension d with prior (μ₀, κ₀, Ψ₀, ν₀).</summary>
    /// <param name="mean">μ₀, length d ≥ 1.</param>
    /// <param name="kappa">κ₀ &gt; 0.</param>
    /// <param name="scale">Ψ₀, d × d symmetric positive definite, row-major.</param>
    /// <param name="nu">ν₀ &gt; d − 1.</param>
    public NormalInverseWishart(ReadOnlySpan<double> mean, double kappa, ReadOnlySpan<double> scale, double nu)
    {
        int d = mean.Length;
        if (d < 1) throw new ArgumentException("The dimension must be at least 1.", nameof(mean));
        if (scale.Length != d * d) throw new ArgumentException($"Ψ must be {d}×{d}.", nameof(scale));
        if (!(kappa > 0) || !double.IsFinite(kappa)) throw new ArgumentOutOfRangeException(nameof(kappa), kappa, "κ must be finite and > 0.");
        if (!(nu > d - 1) || !double.IsFinite(nu)) throw new ArgumentOutOfRangeException(nameof(nu), nu, $"ν must exceed d − 1 = {d - 1}.");
        Dimension = d;
        _mean = mean.ToArray();
        _scale = scale.ToArray();
        _factor = new double[d * d];
        _work = new double[3 * d * d + 2 * d];
        Kappa = kappa;
        Nu = nu;
        if (!Cholesky.TryFactor(_scale, _factor, d)) throw new ArgumentException("Ψ must be symmetric positive definite.", nameof(scale));
    }

    /// <summary>The authors' prior in dimension d: μ₀ = 0, κ₀ = 1, Ψ₀ = I, ν₀ = d.</summary>
    public static NormalInverseWishart AuthorsPrior(int d)
    {
        var identity = new double[d * d];
        for (int i = 0; i < d; i++) identity[i * d + i] = 1;
        return new NormalInverseWishart(new double[d], 1, identity, d);
    }

    /// <summary>d.</summary>
    public int Dimension { get; }

    /// <summary>κ.</summary>
    public double Kappa { get; private set; }

    /// <summary>ν.</summary>
    public double Nu { get; private set; }

    /// <summary>μ.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Ψ, row-major.</summary>
    public ReadOnlySpan<double> Scale => _scale;

    /// <summary>Add one observed embedding z.</summary>
    public void Update(ReadOnlySpan<double> z)
    {
        int d = Dimension;
        if (z.Length != d) throw new ArgumentException($"Expected {d} values; got {z.Length}.", nameof(z));
        Span<double> r = _work.AsSpan(0, d);
        for (int i = 0; i < d; i++) r[i] = z[i] - _mean[i];
        double w = Kappa / (Kappa + 1);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) _scale[i * d + j] += w * r[i] * r[j];
        for (int i = 0; i < d; i++) _mean[i] += r[i] / (Kappa + 1);
        Kappa += 1;
        Nu += 1;
        _dirty = true;
    }

    /// <summary>
    /// A draw of m from its marginal posterior, the multivariate t with ν − d + 1 degrees of freedom, location μ
    /// and scale Ψ/(κ(ν − d + 1)): m = μ + chol(Ψ) g / √(κ u), u ~ χ²(ν − d + 1). Equivalent to drawing (m, Σ)
    /// and keeping m, which is all a linear reward needs (Algorithm 1 step 4 in closed form).
    /// </summary>
    public void SampleMean(Random random, Span<double> destination)
    {
        int d = Dimension;
        if (destination.Length != d) throw new ArgumentException($"Expected {d} values; got {destination.Length}.", nameof(destination));
        Refresh();
        double u = GammaSampler.ChiSquared(random, Nu - d + 1);
        double s = 1.0 / Math.Sqrt(Kappa * u);
        Span<double> g = _work.AsSpan(0, d);
        NormalSampler.FillStandard(random, g);
        for (int i = 0; i < d; i++)
        {
            double v = 0;
            for (int j = 0; j <= i; j++) v += _factor[i * d + j] * g[j];
            destination[i] = _mean[i] + s * v;
        }
    }

    /// <summary>
    /// A draw of wᵀm for a fixed w, with m from its marginal posterior (as <see cref="SampleMean"/>): wᵀμ + √(wᵀΨw) g / √(κ u),
    /// g ~ N(0, 1), u ~ χ²(ν − d + 1). Exactly the law of wᵀ(<see cref="SampleMean"/>), since wᵀ chol(Ψ) g' ~ N(0, wᵀΨw) for
    /// g' ~ N(0, I_d); it costs one normal draw instead of d and needs no factor. foGAMBITTS scores a prompt by β̃ᵀm̃ and
    /// needs no more than this.
    /// </summary>
    /// <param name="random">The source.</param>
    /// <param name="w">The direction, length d.</param>
    public double SampleProjectedMean(Random random, ReadOnlySpan<double> w)
    {
        int d = Dimension;
        if (w.Length != d) throw new ArgumentException($"Expected {d} values; got {w.Length}.", nameof(w));
        double location = 0, quadratic = 0;
        for (int i = 0; i < d; i++)
        {
            location += w[i] * _mean[i];
            double row = 0;
            for (int j = 0; j < d; j++) row += _scale[i * d + j] * w[j];
            quadratic += w[i] * row;
        }
        double u = GammaSampler.ChiSquared(random, Nu - d + 1);
        return location + Math.Sqrt(Math.Max(quadratic, 0) / (Kappa * u)) * NormalSampler.Standard(random);
    }

    /// <summary>
    /// A joint draw (m, Σ): Σ ~ IW(Ψ, ν) by the Bartlett decomposition of Σ⁻¹ ~ W(Ψ⁻¹, ν), then m ~ N(μ, Σ/κ).
    /// Writes m and an upper-triangular F with F Fᵀ = Σ (so z = m + F g ~ N(m, Σ)).
    /// </summary>
    /// <param name="random">The source.</param>
    /// <param name="mean">Receives m, length d.</param>
    /// <param name="covarianceFactor">Receives F, d × d row-major.</param>
    public void Sample(Random random, Span<double> mean, Span<double> covarianceFactor)
    {
        int d = Dimension;
        if (mean.Length != d) throw new ArgumentException($"Expected {d} values; got {mean.Length}.", nameof(mean));
        if (covarianceFactor.Length != d * d) throw new ArgumentException($"Expected {d * d} values; got {covarianceFactor.Length}.", nameof(covarianceFactor));
        Refresh();
        Span<double> psiInv = _work.AsSpan(0, d * d);
        Span<double> la = _work.AsSpan(d * d, d * d);
        Span<double> t = _work.AsSpan(2 * d * d, d * d);
        Span<double> g = _work.AsSpan(3 * d * d, d);
        // L_A = chol(Ψ⁻¹).
        Cholesky.Invert(_factor, psiInv, d);
        if (!Cholesky.TryFactor(psiInv, la, d)) throw new InvalidOperationException("Ψ⁻¹ is not positive definite.");
        // Bartlett: A lower triangular, A_ii = √χ²(ν − i), A_ij ~ N(0, 1) below; T = L_A A, W = T Tᵀ ~ W(Ψ⁻¹, ν).
        Span<double> a = psiInv; // reuse
        a.Clear();
        for (int i = 0; i < d; i++)
        {
            a[i * d + i] = Math.Sqrt(GammaSampler.ChiSquared(random, Nu - i));
            for (int j = 0; j < i; j++) a[i * d + j] = NormalSampler.Standard(random);
        }
        t.Clear();
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int k = j; k <= i; k++) s += la[i * d + k] * a[k * d + j];
                t[i * d + j] = s;
            }
        // Σ = W⁻¹ = T⁻ᵀ T⁻¹; with U = T⁻¹ (lower), F = Uᵀ is upper triangular and F Fᵀ = Uᵀ U = Σ.
        Span<double> u = la; // reuse
        u.Clear();
        for (int col = 0; col < d; col++)
        {
            // Forward substitution T x = e_col.
            for (int i = col; i < d; i++)
            {
                double s = i == col ? 1 : 0;
                for (int k = col; k < i; k++) s -= t[i * d + k] * u[k * d + col];
                u[i * d + col] = s / t[i * d + i];
            }
        }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) covarianceFactor[i * d + j] = u[j * d + i];
        NormalSampler.FillStandard(random, g);
        double scale = 1.0 / Math.Sqrt(Kappa);
        for (int i = 0; i < d; i++)
        {
            double v = 0;
            for (int j = i; j < d; j++) v += covarianceFactor[i * d + j] * g[j];
            mean[i] = _mean[i] + scale * v;
        }
    }

    /// <summary>The posterior as data (copies).</summary>
    internal WishartState ExportState() => new(Dimension, _mean.ToArray(), _scale.ToArray(), Kappa, Nu);

    /// <summary>Throws <see cref="Tandem.Core.State.PolicyStateException"/> unless <paramref name="state"/> fits this model
    /// (dimension, finiteness, κ &gt; 0, ν &gt; d − 1, Ψ positive definite).</summary>
    internal void ValidateState(WishartState? state, string what)
    {
        Tandem.Core.State.PolicyStates.Require(state is not null, $"The state has no {what}.");
        int d = Dimension;
        Tandem.Core.State.PolicyStates.Require(state!.Dimension == d, $"The state's {what} has dimension {state.Dimension}; this one has {d}.");
        Tandem.Core.State.PolicyStates.RequireLength(state.Mean, d, what + " mean");
        Tandem.Core.State.PolicyStates.RequireLength(state.Scale, d * d, what + " scale");
        Tandem.Core.State.PolicyStates.RequireFinite(state.Mean, what + " mean");
        Tandem.Core.State.PolicyStates.RequireFinite(state.Scale, what + " scale");
        Tandem.Core.State.PolicyStates.Require(state.Kappa > 0 && double.IsFinite(state.Kappa), $"The state's {what} κ is {state.Kappa}; it must be finite and > 0.");
        Tandem.Core.State.PolicyStates.Require(state.Nu > d - 1 && double.IsFinite(state.Nu), $"The state's {what} ν is {state.Nu}; it must be finite and > {d - 1}.");
        Tandem.Core.State.PolicyStates.Require(Cholesky.TryFactor(state.Scale, new double[d * d], d), $"The state's {what} scale Ψ is not positive definite.");
    }

    /// <summary>Restore a state checked by <see cref="ValidateState"/>.</summary>
    internal void ImportState(WishartState state)
    {
        state.Mean.CopyTo(_mean, 0);
        state.Scale.CopyTo(_scale, 0);
        Kappa = state.Kappa;
        Nu = state.Nu;
        _dirty = true;
    }

    private void Refresh()
    {
        if (!_dirty) return;
        if (!Cholesky.TryFactor(_scale, _factor, Dimension)) throw new InvalidOperationException("Ψ lost positive definiteness.");
        _dirty = false;
    }
}

/// <summary>A <see cref="NormalInverseWishart"/> posterior as data.</summary>
/// <param name="Dimension">d.</param>
/// <param name="Mean">μ, length d.</param>
/// <param name="Scale">Ψ, d × d row-major.</param>
/// <param name="Kappa">κ.</param>
/// <param name="Nu">ν.</param>
internal sealed record WishartState(int Dimension, double[] Mean, double[] Scale, double Kappa, double Nu);
