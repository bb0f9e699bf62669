namespace Tandem.Evaluation.Estimation;

/// <summary>The estimators of off-policy evaluation (issue 17).</summary>
public enum OpeEstimator
{
    /// <summary>Direct method: the mean of Σ_a π(a|x) q̂(x, a) over every line.</summary>
    DirectMethod,

    /// <summary>Inverse propensity scoring (Horvitz–Thompson): the mean of w·r, w = π(a|x)/μ(a|x).</summary>
    Ips,

    /// <summary>Self-normalised IPS (Swaminathan and Joachims 2015): Σ w·r / Σ w.</summary>
    SelfNormalizedIps,

    /// <summary>Doubly robust (Dudík, Langford and Li 2011): the mean of Σ_a π q̂ + w·(r − q̂(x, a)).</summary>
    DoublyRobust,

    /// <summary>Switch-DR (Wang, Agarwal and Dudík 2017): DR's correction only where w ≤ τ, the model alone elsewhere.</summary>
    SwitchDoublyRobust,

    /// <summary>DR with optimistic shrinkage (Su, Dimakopoulou, Krishnamurthy and Dudík 2020): w replaced by λw/(w² + λ).</summary>
    DoublyRobustShrinkage,

    /// <summary>Replay (Li, Chu, Langford and Wang 2011): the mean reward of the lines whose arm a deterministic target would have chosen.</summary>
    Replay,
}

/// <summary>Names of the estimators on the command line and in reports.</summary>
public static class OpeEstimators
{
    /// <summary>Every estimator, in report order.</summary>
    public static IReadOnlyList<OpeEstimator> All { get; } = Enum.GetValues<OpeEstimator>();

    /// <summary>The short name: dm, ips, snips, dr, switch-dr, dr-os, replay.</summary>
    public static string Id(OpeEstimator estimator) => estimator switch
    {
        OpeEstimator.DirectMethod => "dm",
        OpeEstimator.Ips => "ips",
        OpeEstimator.SelfNormalizedIps => "snips",
        OpeEstimator.DoublyRobust => "dr",
        OpeEstimator.SwitchDoublyRobust => "switch-dr",
        OpeEstimator.DoublyRobustShrinkage => "dr-os",
        OpeEstimator.Replay => "replay",
        _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown estimator."),
    };

    /// <summary>The estimator of a short name; <see cref="ArgumentException"/> names it and the allowed names.</summary>
    public static OpeEstimator Parse(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        foreach (OpeEstimator e in All) if (Id(e) == id.Trim().ToLowerInvariant()) return e;
        throw new ArgumentException($"Estimator '{id}' is unknown; allowed: {string.Join(", ", All.Select(Id))}.", "Estimators");
    }
}

/// <summary>
/// How off-policy evaluation runs. Switch-DR's τ and DR-OS's λ are chosen per log and target by the estimated-MSE
/// rule of Su et al. (2020) unless given.
/// </summary>
public sealed record OpeOptions
{
    /// <summary>The estimators reported (all are computed; the cost is the same). Default: all.</summary>
    public IReadOnlyList<OpeEstimator> Estimators { get; init; } = OpeEstimators.All;

    /// <summary>Clip importance weights at M: w ← min(w, M) in IPS, SNIPS, DR, switch-DR and DR-OS. Range: M &gt; 0;
    /// +∞ (default) is no clipping.</summary>
    public double Clip { get; init; } = double.PositiveInfinity;

    /// <summary>Propensities below this floor are counted in the diagnostics (they make weights of up to 1/floor).
    /// They are used, not dropped. Range: [0, 1); default 0.01.</summary>
    public double PropensityFloor { get; init; } = 0.01;

    /// <summary>Switch-DR's threshold τ on the weight. Range: τ &gt; 0; default null: chosen per target from
    /// <c>0.1, 0.2, 0.5, …, 10⁵, +∞</c> by the least estimated MSE, B̂² + V̂/n (Su et al. 2020).</summary>
    public double? SwitchThreshold { get; init; }

    /// <summary>DR-OS's shrinkage λ. Range: λ ≥ 0 (0 is the direct method, +∞ is DR); default null: chosen per target
    /// like <see cref="SwitchThreshold"/>.</summary>
    public double? ShrinkageLambda { get; init; }

    /// <summary>Whether each bootstrap replicate refits the reward model on its own resample, so the intervals of DM,
    /// switch-DR and DR-OS include the model's error (DR's and the weighted estimators' replicates resample the lines'
    /// contributions; DR's first-order insensitivity to the model makes the refit unnecessary there). Costs about
    /// (d+1)² numbers per replicate, fold and arm, and a prediction per replicate and line. Default true.</summary>
    public bool RefitBootstrap { get; init; } = true;

    /// <summary>Cross-fitting folds of the reward model. Range: 2..50; default 5.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>The reward model's ridge penalty λ. Range: λ &gt; 0; default 1.</summary>
    public double Ridge { get; init; } = 1;

    /// <summary>Poisson bootstrap replicates for the intervals. Range: 0 (no intervals) or 20..100000; default 200.</summary>
    public int BootstrapReplicates { get; init; } = 200;

    /// <summary>The intervals' confidence level. Range: (0.5, 1); default 0.95.</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>The random seed of the folds and the bootstrap.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throw <see cref="ArgumentException"/> naming the parameter when a value is out of range.</summary>
    public void Validate()
    {
        if (Estimators is null || Estimators.Count == 0) throw new ArgumentException("Give at least one estimator.", nameof(Estimators));
        if (Estimators.Distinct().Count() != Estimators.Count) throw new ArgumentException("An estimator is named twice.", nameof(Estimators));
        if (!(Clip > 0)) throw new ArgumentOutOfRangeException(nameof(Clip), Clip, "The clipping level must be positive.");
        if (!(PropensityFloor >= 0 && PropensityFloor < 1)) throw new ArgumentOutOfRangeException(nameof(PropensityFloor), PropensityFloor, "The propensity floor must lie in [0, 1).");
        if (SwitchThreshold is { } tau && !(tau > 0)) throw new ArgumentOutOfRangeException(nameof(SwitchThreshold), SwitchThreshold, "The switch threshold must be positive.");
        if (ShrinkageLambda is { } lambda && !(lambda >= 0)) throw new ArgumentOutOfRangeException(nameof(ShrinkageLambda), ShrinkageLambda, "The shrinkage λ must be at least 0.");
        if (Folds is < 2 or > 50) throw new ArgumentOutOfRangeException(nameof(Folds), Folds, "The folds must lie in 2..50.");
        if (!(Ridge > 0) || !double.IsFinite(Ridge)) throw new ArgumentOutOfRangeException(nameof(Ridge), Ridge, "The ridge penalty must be positive and finite.");
        if (BootstrapReplicates != 0 && BootstrapReplicates is < 20 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(BootstrapReplicates), BootstrapReplicates, "The bootstrap replicates must be 0 or lie in 20..100000.");
        if (!(Confidence > 0.5 && Confidence < 1)) throw new ArgumentOutOfRangeException(nameof(Confidence), Confidence, "The confidence level must lie in (0.5, 1).");
    }
}
