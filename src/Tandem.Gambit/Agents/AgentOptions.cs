namespace Tandem.Gambit.Agents;

/// <summary>
/// Settings shared by the GAMBITTS agents and standard Thompson sampling (authors' values as defaults,
/// seed 002 App. F.2). Immutable; <see cref="Validate"/> names the first setting out of range.
/// </summary>
public sealed record AgentOptions
{
    /// <summary>Posterior draws per decision used to estimate P(A_t = a | history) for every arm (§4.1), taken besides
    /// and independently of the draw that chooses the arm. 0 = do not estimate (propensities NaN). Range: ≥ 0.
    /// Default 100. Ensembles enumerate their members instead (any value &gt; 0 turns that on).</summary>
    public int PropensityDraws { get; init; } = 100;

    /// <summary>Prior of standard Thompson sampling (App. F.2.1). Default m = 77, κ = 5, α = 1, β = 10.</summary>
    public NormalInverseGamma StandardPrior { get; init; } = NormalInverseGamma.AuthorsPrior;

    /// <summary>Prior of the linear reward model (App. F.2.2).</summary>
    public RegressionPrior RewardPrior { get; init; } = new();

    /// <summary>Whether the reward model has the context terms [work, home, steps bin] besides [1, z]. Default false.</summary>
    public bool ContextTerms { get; init; }

    /// <summary>Offline generator draws per (context, prompt) cell for poGAMBITTS, the blended agent and
    /// ens-poGAMBITTS (Algorithm 2's M). Range: ≥ 1. Default 500.</summary>
    public int OfflineDraws { get; init; } = 500;

    /// <summary>Blended agent (§4.2): keep updating the treatment posterior online after the offline prior. Default true.</summary>
    public bool ContinueOnline { get; init; } = true;

    /// <summary>Ensemble size (App. F.2.3: 60). Range: ≥ 1.</summary>
    public int EnsembleMembers { get; init; } = 60;

    /// <summary>Hidden width of each member d → H → 1 (App. F.2.3: 64). Range: ≥ 1.</summary>
    public int EnsembleHidden { get; init; } = 64;

    /// <summary>Adam learning rate of the members (App. F.2.3: 0.1). Range: &gt; 0.</summary>
    public double EnsembleLearningRate { get; init; } = 0.1;

    /// <summary>Minibatch size (App. F.2.3: 100). Range: ≥ 1.</summary>
    public int EnsembleBatch { get; init; } = 100;

    /// <summary>Replay buffer capacity (App. F.2.3: 1,024). Range: ≥ 1.</summary>
    public int EnsembleBuffer { get; init; } = 1024;

    /// <summary>Uniformly random steps before training starts (App. F.2.3: 100). Range: ≥ 0.</summary>
    public int EnsembleBurnIn { get; init; } = 100;

    /// <summary>Monte Carlo draws of z per prompt in each decision (App. F.2.3: 100). Range: ≥ 1.</summary>
    public int MonteCarloDraws { get; init; } = 100;

    /// <summary>Sd of each member's target perturbation (App. F.2.3: the data-generating noise sd). Range: ≥ 0. Default 0.7098,
    /// the authors' σ₀ of the 3-D outcome (the experiments set it to each setting's noise sd).</summary>
    public double PerturbationSd { get; init; } = 0.7098;

    /// <summary>Reward centring: subtracted from rewards before the networks see them (the intercept prior mean, 77), so
    /// that PyTorch-initialised members need not spend their first steps climbing to the reward scale. Default 77; the
    /// authors train on raw rewards (0). Measured effect: docs/gambitts-ensembles.md.</summary>
    public double EnsembleTargetOffset { get; init; } = 77;

    /// <summary>Optimizer reset: a fresh Adam state for every member at every update, as the authors' code builds a new
    /// <c>optim.Adam</c> per update (each step then moves every weight by about the learning rate, Adam's first step).
    /// Default false: Adam's moments carry over between updates. Measured effect: docs/gambitts-ensembles.md.</summary>
    public bool EnsembleResetOptimizer { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (PropensityDraws < 0) throw new ArgumentOutOfRangeException(nameof(PropensityDraws), PropensityDraws, "Must be ≥ 0.");
        StandardPrior.Validate();
        ArgumentNullException.ThrowIfNull(RewardPrior);
        RewardPrior.Validate();
        if (OfflineDraws < 1) throw new ArgumentOutOfRangeException(nameof(OfflineDraws), OfflineDraws, "Must be ≥ 1.");
        if (EnsembleMembers < 1) throw new ArgumentOutOfRangeException(nameof(EnsembleMembers), EnsembleMembers, "Must be ≥ 1.");
        if (EnsembleHidden < 1) throw new ArgumentOutOfRangeException(nameof(EnsembleHidden), EnsembleHidden, "Must be ≥ 1.");
        if (!(EnsembleLearningRate > 0) || !double.IsFinite(EnsembleLearningRate)) throw new ArgumentOutOfRangeException(nameof(EnsembleLearningRate), EnsembleLearningRate, "Must be finite and > 0.");
        if (EnsembleBatch < 1) throw new ArgumentOutOfRangeException(nameof(EnsembleBatch), EnsembleBatch, "Must be ≥ 1.");
        if (EnsembleBuffer < 1) throw new ArgumentOutOfRangeException(nameof(EnsembleBuffer), EnsembleBuffer, "Must be ≥ 1.");
        if (EnsembleBurnIn < 0) throw new ArgumentOutOfRangeException(nameof(EnsembleBurnIn), EnsembleBurnIn, "Must be ≥ 0.");
        if (MonteCarloDraws < 1) throw new ArgumentOutOfRangeException(nameof(MonteCarloDraws), MonteCarloDraws, "Must be ≥ 1.");
        if (!(PerturbationSd >= 0) || !double.IsFinite(PerturbationSd)) throw new ArgumentOutOfRangeException(nameof(PerturbationSd), PerturbationSd, "Must be finite and ≥ 0.");
        if (!double.IsFinite(EnsembleTargetOffset)) throw new ArgumentOutOfRangeException(nameof(EnsembleTargetOffset), EnsembleTargetOffset, "Must be finite.");
    }
}
