using Tandem.Core.Distributions;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;

namespace Tandem.Gambit.Agents;

/// <summary>Prior of <see cref="BayesianLinearRegression"/>: β ~ N(μ₀, diag(1/λ₀)), y | β ~ N(βᵀφ, σ²) with σ² known.</summary>
public sealed record RegressionPrior
{
    /// <summary>Prior mean of the intercept. Default 77 (authors: the 2022 IHS mean of √steps, seed 002 App. F.2.2).</summary>
    public double InterceptMean { get; init; } = 77;

    /// <summary>Prior precision of the intercept. Range: &gt; 0. Default 0.01.</summary>
    public double InterceptPrecision { get; init; } = 0.01;

    /// <summary>Prior mean of every other coefficient. Default 0.</summary>
    public double CoefficientMean { get; init; }

    /// <summary>Prior precision of every other coefficient. Range: &gt; 0. Default 1.</summary>
    public double CoefficientPrecision { get; init; } = 1;

    /// <summary>Known noise variance σ². Range: &gt; 0. Default 1 (authors' code).</summary>
    public double NoiseVariance { get; init; } = 1;

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!double.IsFinite(InterceptMean)) throw new ArgumentOutOfRangeException(nameof(InterceptMean), InterceptMean, "Must be finite.");
        if (!double.IsFinite(CoefficientMean)) throw new ArgumentOutOfRangeException(nameof(CoefficientMean), CoefficientMean, "Must be finite.");
        if (!(InterceptPrecision > 0) || !double.IsFinite(InterceptPrecision)) throw new ArgumentOutOfRangeException(nameof(InterceptPrecision), InterceptPrecision, "Must be finite and > 0.");
        if (!(CoefficientPrecision > 0) || !double.IsFinite(CoefficientPrecision)) throw new ArgumentOutOfRangeException(nameof(CoefficientPrecision), CoefficientPrecision, "Must be finite and > 0.");
        if (!(NoiseVariance > 0) || !double.IsFinite(NoiseVariance)) throw new ArgumentOutOfRangeException(nameof(NoiseVariance), NoiseVariance, "Must be finite and > 0.");
    }
}

/// <summary>
/// Conjugate Bayesian linear regression with known noise variance, the reward model of poGAMBITTS and
/// foGAMBITTS (seed 002 Algorithms 1–2, App. F.2.2): prior β ~ N(μ₀, Λ₀⁻¹), posterior
/// Λ_n = Λ₀ + ΦᵀΦ/σ², μ_n = Λ_n⁻¹(Λ₀μ₀ + Φᵀy/σ²). The covariance Σ_n = Λ_n⁻¹ is kept by Sherman–Morrison
/// updates and the vector Λ₀μ₀ + Φᵀy/σ² by accumulation, so the prior mean is never lost (the authors' code
/// drops it after the first update). Draws use a Cholesky factor of Σ_n refreshed after each update.
/// Nothing allocates after construction.
/// </summary>
public sealed class BayesianLinearRegression
{
    private readonly double[] _covariance; // Σ_n
    private readonly double[] _precisionMean; // Λ₀μ₀ + Φᵀy/σ²
    private readonly double[] _mean;
    private readonly double[] _factor;
    private readonly double[] _scratch;
    private readonly double _noiseVariance;
    private bool _dirty = true;

    /// <summary>A regression over <paramref name="priorMean"/>.Length features with diagonal prior precision.</summary>
    /// <param name="priorMean">μ₀, finite.</param>
    /// <param name="priorPrecision">diag(Λ₀), each &gt; 0.</param>
    /// <param name="noiseVariance">σ² &gt; 0.</param>
    public BayesianLinearRegression(ReadOnlySpan<double> priorMean, ReadOnlySpan<double> priorPrecision, double noiseVariance)
    {
        int d = priorMean.Length;
        if (d < 1) throw new ArgumentException("At least one feature is needed.", nameof(priorMean));
        if (priorPrecision.Length != d) throw new ArgumentException($"Expected {d} prior precisions; got {priorPrecision.Length}.", nameof(priorPrecision));
        if (!(noiseVariance > 0) || !double.IsFinite(noiseVariance)) throw new ArgumentOutOfRangeException(nameof(noiseVariance), noiseVariance, "σ² must be finite and > 0.");
        Dimension = d;
        _noiseVariance = noiseVariance;
        _covariance = new double[d * d];
        _precisionMean = new double[d];
        _mean = new double[d];
        _factor = new double[d * d];
        _scratch = new double[2 * d];
        for (int i = 0; i < d; i++)
        {
            if (!(priorPrecision[i] > 0) || !double.IsFinite(priorPrecision[i])) throw new ArgumentOutOfRangeException(nameof(priorPrecision), priorPrecision[i], $"Prior precision {i} must be finite and > 0.");
            if (!double.IsFinite(priorMean[i])) throw new ArgumentOutOfRangeException(nameof(priorMean), priorMean[i], $"Prior mean {i} must be finite.");
            _covariance[i * d + i] = 1.0 / priorPrecision[i];
            _precisionMean[i] = priorPrecision[i] * priorMean[i];
        }
    }

    /// <summary>The regression of <see cref="RewardFeatures"/> of width <paramref name="dimension"/> under <paramref name="prior"/>
    /// (feature 0 is the intercept).</summary>
    public static BayesianLinearRegression FromPrior(RegressionPrior prior, int dimension)
    {
        ArgumentNullException.ThrowIfNull(prior);
        prior.Validate();
        var mean = new double[dimension];
        var precision = new double[dimension];
        for (int i = 0; i < dimension; i++)
        {
            mean[i] = i == 0 ? prior.InterceptMean : prior.CoefficientMean;
            precision[i] = i == 0 ? prior.InterceptPrecision : prior.CoefficientPrecision;
        }
        return new BayesianLinearRegression(mean, precision, prior.NoiseVariance);
    }

    /// <summary>Number of coefficients.</summary>
    public int Dimension { get; }

    /// <summary>Observations so far.</summary>
    public long Count { get; private set; }

    /// <summary>μ_n, the posterior mean.</summary>
    public ReadOnlySpan<double> Mean
    {
        get
        {
            Refresh();
            return _mean;
        }
    }

    /// <summary>Σ_n = Λ_n⁻¹, row-major.</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <summary>Add one observation (φ, y).</summary>
    public void Update(ReadOnlySpan<double> features, double y)
    {
        if (features.Length != Dimension) throw new ArgumentException($"Expected {Dimension} features; got {features.Length}.", nameof(features));
        if (!double.IsFinite(y)) throw new ArgumentOutOfRangeException(nameof(y), y, "The reward must be finite.");
        double s = 1.0 / Math.Sqrt(_noiseVariance);
        Span<double> scaled = _scratch.AsSpan(0, Dimension);
        for (int i = 0; i < Dimension; i++)
        {
            scaled[i] = features[i] * s;
            _precisionMean[i] += features[i] * y / _noiseVariance;
        }
        ShermanMorrison.Update(_covariance, scaled, _scratch.AsSpan(Dimension, Dimension));
        Count++;
        _dirty = true;
    }

    /// <summary>One posterior draw β̃ = μ_n + L g, L Lᵀ = Σ_n, g standard normal.</summary>
    public void Sample(Random random, Span<double> destination)
    {
        if (destination.Length != Dimension) throw new ArgumentException($"Expected {Dimension} values; got {destination.Length}.", nameof(destination));
        Refresh();
        Span<double> g = _scratch.AsSpan(0, Dimension);
        NormalSampler.FillStandard(random, g);
        for (int i = 0; i < Dimension; i++)
        {
            double v = _mean[i];
            for (int j = 0; j <= i; j++) v += _factor[i * Dimension + j] * g[j];
            destination[i] = v;
        }
    }

    /// <summary>The posterior as data (copies): Σ_n, Λ₀μ₀ + Φᵀy/σ² and the count.</summary>
    internal RegressionState ExportState() => new(Dimension, _covariance.ToArray(), _precisionMean.ToArray(), Count);

    /// <summary>Throws <see cref="Tandem.Core.State.PolicyStateException"/> unless <paramref name="state"/> fits this regression.</summary>
    internal void ValidateState(RegressionState? state, string what)
    {
        Tandem.Core.State.PolicyStates.Require(state is not null, $"The state has no {what}.");
        Tandem.Core.State.PolicyStates.Require(state!.Dimension == Dimension, $"The state's {what} has {state.Dimension} coefficients; this one has {Dimension}.");
        Tandem.Core.State.PolicyStates.RequireLength(state.Covariance, Dimension * Dimension, what + " covariance");
        Tandem.Core.State.PolicyStates.RequireLength(state.PrecisionMean, Dimension, what + " precision-weighted mean");
        Tandem.Core.State.PolicyStates.RequireFinite(state.Covariance, what + " covariance");
        Tandem.Core.State.PolicyStates.RequireFinite(state.PrecisionMean, what + " precision-weighted mean");
        Tandem.Core.State.PolicyStates.Require(state.Count >= 0, $"The state's {what} count is {state.Count}; it must be ≥ 0.");
    }

    /// <summary>Restore a state checked by <see cref="ValidateState"/>; the mean and factor are recomputed on the next use,
    /// exactly as the original would have computed them.</summary>
    internal void ImportState(RegressionState state)
    {
        state.Covariance.CopyTo(_covariance, 0);
        state.PrecisionMean.CopyTo(_precisionMean, 0);
        Count = state.Count;
        _dirty = true;
    }

    private void Refresh()
    {
        if (!_dirty) return;
        ShermanMorrison.MultiplyVector(_covariance, _precisionMean, _mean);
        if (!Cholesky.TryFactor(_covariance, _factor, Dimension))
        {
            // Rank-one downdates can drift off positive definiteness in extreme cases; jitter the diagonal.
            double jitter = 1e-12;
            do
            {
                _covariance.CopyTo(_factor, 0);
                for (int i = 0; i < Dimension; i++) _factor[i * Dimension + i] += jitter;
                jitter *= 10;
            }
            while (!Cholesky.TryFactor(_factor, _factor, Dimension) && jitter < 1);
        }
        _dirty = false;
    }
}

/// <summary>A <see cref="BayesianLinearRegression"/> posterior as data.</summary>
/// <param name="Dimension">Number of coefficients d.</param>
/// <param name="Covariance">Σ_n, d × d row-major.</param>
/// <param name="PrecisionMean">Λ₀μ₀ + Φᵀy/σ², length d.</param>
/// <param name="Count">Observations.</param>
internal sealed record RegressionState(int Dimension, double[] Covariance, double[] PrecisionMean, long Count);
