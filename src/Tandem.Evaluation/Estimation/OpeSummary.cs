namespace Tandem.Evaluation.Estimation;

/// <summary>One estimate of a target policy's value.</summary>
/// <param name="Estimator">The estimator's id (dm, ips, snips, dr, switch-dr, dr-os, replay).</param>
/// <param name="Value">The estimate (NaN when the estimator does not apply).</param>
/// <param name="Lower">The lower end of the bootstrap percentile interval (NaN without bootstrap).</param>
/// <param name="Upper">The upper end of the interval.</param>
/// <param name="LinesUsed">Lines the estimate averages over (replay: lines whose arm the target would choose).</param>
/// <param name="Note">What limits the estimate (lines without propensity, unsupported target mass, non-uniform logging), or null.</param>
public sealed record OpeEstimate(string Estimator, double Value, double Lower, double Upper, long LinesUsed, string? Note);

/// <summary>The weights' health for one target policy, over the lines with a stated propensity.</summary>
/// <param name="EffectiveSampleSize">(Σw)² / Σw² of the (clipped) weights (Kish); compare with the lines used.</param>
/// <param name="MaxWeight">The largest unclipped weight π(a|x)/μ(a|x).</param>
/// <param name="MeanWeight">The mean unclipped weight; near 1 when the logger covers the target.</param>
/// <param name="ClippedWeights">Weights above the clipping level.</param>
/// <param name="SwitchedToModel">Lines where switch-DR used the model alone (w &gt; τ).</param>
/// <param name="UnsupportedTargetMass">The mean target probability on arms the logger gave probability 0 or did not
/// state; above 0, every weighted estimator is biased.</param>
/// <param name="ReplayMatches">Lines whose logged arm a deterministic target would have chosen.</param>
/// <param name="TargetDeterministic">Whether the target chose one arm with probability 1 on every line (replay needs it).</param>
public sealed record OpeDiagnostics(
    double EffectiveSampleSize, double MaxWeight, double MeanWeight, long ClippedWeights, long SwitchedToModel,
    double UnsupportedTargetMass, long ReplayMatches, bool TargetDeterministic)
{
    /// <summary>The standard error that Monte Carlo propensities (GAMBITTS's posterior draws) add to IPS, by the delta
    /// method: √(Σ (w r)² (1 − p̂)/(M p̂)) / n over the lines that state their draws M; NaN when no line states them.
    /// Compare with the interval's half-width: when it is not small, more draws are needed.</summary>
    public double PropensityNoiseStandardError { get; init; } = double.NaN;

    /// <summary>Lines on which the target itself states no probability (a LIBRA-like gate that followed its advisor):
    /// left out of every estimator for this target, and said in each estimate's note.</summary>
    public long TargetUnstatedLines { get; init; }

    /// <summary>The posterior draws M behind the target's probabilities when they are Monte Carlo estimates (a
    /// Thompson-sampling target, fresh draws per line); 0 when they are exact.</summary>
    public int TargetDraws { get; init; }

    /// <summary>The standard error that the target's Monte Carlo probabilities add to IPS, by the delta method:
    /// √(Σ (r/μ)² π̂(1 − π̂)/M) / n over the lines with a propensity (π̂ of the logged arm); NaN for an exact target.
    /// The draws are unbiased, so they widen the estimate, not bias it; compare with the interval's half-width.</summary>
    public double TargetDrawStandardError { get; init; } = double.NaN;

    /// <summary>Switch-DR's threshold τ used for this target (+∞ when switch-DR was not asked for and no τ was given).</summary>
    public double SwitchThreshold { get; init; } = double.PositiveInfinity;

    /// <summary>Whether τ was chosen by the estimated-MSE rule (Su et al. 2020) rather than given.</summary>
    public bool SwitchThresholdTuned { get; init; }

    /// <summary>DR-OS's shrinkage λ used for this target (+∞ when DR-OS was not asked for and no λ was given).</summary>
    public double ShrinkageLambda { get; init; } = double.PositiveInfinity;

    /// <summary>Whether λ was chosen by the estimated-MSE rule (Su et al. 2020) rather than given.</summary>
    public bool ShrinkageLambdaTuned { get; init; }
}

/// <summary>The evaluation of one target policy.</summary>
/// <param name="Policy">The target's name (its spec).</param>
/// <param name="Exact">The exact value on the logged contexts, mean of Σ_a π(a|x) E[r | x, a] from the log's
/// <c>expectedRewards</c>: available only for simulated logs (NaN otherwise). Not an estimate.</param>
/// <param name="TruthLines">Lines that carried the truth.</param>
/// <param name="Diagnostics">The weights' health.</param>
/// <param name="Estimates">One per estimator asked for.</param>
public sealed record PolicyEvaluation(string Policy, double Exact, long TruthLines, OpeDiagnostics Diagnostics, IReadOnlyList<OpeEstimate> Estimates);

/// <summary>The options of an evaluation, as reported.</summary>
public sealed record OpeSettings(
    IReadOnlyList<string> Estimators, double Clip, double PropensityFloor, double? SwitchThreshold, double? ShrinkageLambda,
    int Folds, double Ridge, int BootstrapReplicates, double Confidence, ulong Seed, bool RefitBootstrap)
{
    /// <summary>The settings of <paramref name="options"/>.</summary>
    public static OpeSettings From(OpeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.Estimators.Select(OpeEstimators.Id).ToArray(), options.Clip, options.PropensityFloor, options.SwitchThreshold,
            options.ShrinkageLambda, options.Folds, options.Ridge, options.BootstrapReplicates, options.Confidence, options.Seed, options.RefitBootstrap);
    }
}

/// <summary>What an off-policy evaluation found (the <c>--json</c> contract of <c>tandem ope</c>).</summary>
public sealed record OpeSummary
{
    /// <summary>The command ("ope").</summary>
    public string Command { get; init; } = "ope";

    /// <summary>The log's path, when read from a file.</summary>
    public string? Log { get; init; }

    /// <summary>Non-blank lines read.</summary>
    public long LinesRead { get; init; }

    /// <summary>Lines evaluated.</summary>
    public long Lines { get; init; }

    /// <summary>Invalid lines skipped (with skipping on).</summary>
    public long SkippedLines { get; init; }

    /// <summary>Why the first skipped line was skipped, or null.</summary>
    public string? FirstSkipped { get; init; }

    /// <summary>The log's arm count.</summary>
    public int Arms { get; init; }

    /// <summary>"numeric" (a feature vector) or "cell" (a categorical context).</summary>
    public string Context { get; init; } = "numeric";

    /// <summary>Features per numeric context (0 for cells).</summary>
    public int Dimension { get; init; }

    /// <summary>Lines whose propensity is null (e.g. a language model chose): they cannot support IPS-type estimators,
    /// which are computed on the other lines; the direct method and replay use them.</summary>
    public long LinesWithoutPropensity { get; init; }

    /// <summary>Lines where an advisor (language model) chose and no propensity is stated (LIBRA): counted here, left
    /// out of IPS, SNIPS and the DR family, used by the direct method and replay.</summary>
    public long AdvisorLinesWithoutPropensity { get; init; }

    /// <summary>Lines whose propensity is a Monte Carlo estimate over posterior draws (GAMBITTS, note <c>propensity-estimated</c>).</summary>
    public long LinesWithEstimatedPropensity { get; init; }

    /// <summary>The fewest posterior draws a line states (<c>propensityDraws</c>), or 0 when no line states them.</summary>
    public int MinPropensityDraws { get; init; }

    /// <summary>The most posterior draws a line states, or 0.</summary>
    public int MaxPropensityDraws { get; init; }

    /// <summary>Lines whose payload carries a recourse, used as the reward model's features instead of the context.</summary>
    public long LinesWithRecourse { get; init; }

    /// <summary>Lines whose propensity is below the floor (used, with weights up to 1/floor).</summary>
    public long LinesBelowFloor { get; init; }

    /// <summary>Whether every line's logging probabilities were uniform (replay is unbiased only then).</summary>
    public bool LoggingUniform { get; init; }

    /// <summary>The options used.</summary>
    public required OpeSettings Options { get; init; }

    /// <summary>One evaluation per target policy, in the order given.</summary>
    public required IReadOnlyList<PolicyEvaluation> Policies { get; init; }
}
