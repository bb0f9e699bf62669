namespace Tandem.Rmab.Planning;

/// <summary>
/// Hyper-parameters of the Lagrangian PPO planner (<see cref="PpoPlanner"/>; seed 001 Appendix F and Algorithm 1
/// lines 5-13). Defaults are the authors' values where they are known (specs/DLM.md "Planners"; the authors' ARMMAN
/// training script, yzhao3685/DLM run/armman/run.train.run_rmabppo_armman.sh: hidden 16 × 2, 100 steps an epoch, 20
/// policy and 20 value iterations, learning rates 2e-3, clip ratio 2, λ step 2e-3 with a 0.95 exponential schedule, λ
/// updated every 4 epochs, entropy 0.5 → 0). Tandem's own choices (docs/dlm-ppo.md says why): the number of epochs (40),
/// the frozen final epochs (2; that script freezes 20), the λ step decaying once per λ update, the starting λ (0), and
/// the cost in the λ update (<see cref="LambdaFromExpectedCalls"/>). Immutable; <see cref="Validate"/> names the first setting out of range.
/// </summary>
public sealed record PpoOptions
{
    /// <summary>Width of each hidden layer of the actor and of the critic. Range: ≥ 1. Default 16 (authors).</summary>
    public int HiddenWidth { get; init; } = 16;

    /// <summary>Hidden layers of the actor and of the critic. Range: ≥ 1. Default 2 (authors).</summary>
    public int HiddenLayers { get; init; } = 2;

    /// <summary>Training epochs (one rollout and one update each). Range: ≥ 1. Default 40 (ours: the seed's
    /// 500 samples an arm, 5 epochs, would leave λ at its start value under the authors' update schedule; 40 fits the
    /// issue's time budget for `tandem dlm --seeds 20`, see docs/dlm-ppo.md).</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Simulated steps of every arm per epoch. Range: ≥ 1. Default 100 (seed 001 §5, "100 simulation steps").</summary>
    public int StepsPerEpoch { get; init; } = 100;

    /// <summary>Adam step size of the actor. Range: &gt; 0. Default 2e-3 (authors).</summary>
    public double PolicyLearningRate { get; init; } = 2e-3;

    /// <summary>Adam step size of the critic. Range: &gt; 0. Default 2e-3 (authors).</summary>
    public double ValueLearningRate { get; init; } = 2e-3;

    /// <summary>Gradient step size α of the action charge λ (Appendix F: λ ← λ − α (B/(1−γ) − discounted cost)).
    /// Range: &gt; 0. Default 2e-3 (authors; their step moves the weights of a λ network, here it moves λ itself).</summary>
    public double LambdaLearningRate { get; init; } = 2e-3;

    /// <summary>Factor applied to the λ step size after every λ update. Range: (0, 1]. Default 0.95 (the authors' factor;
    /// applying it once per update is ours: the authors' scheduler also steps at the end of every epoch's rollout).</summary>
    public double LambdaLearningRateDecay { get; init; } = 0.95;

    /// <summary>Actor gradient steps per epoch. Range: ≥ 1. Default 20 (authors).</summary>
    public int PolicyIterations { get; init; } = 20;

    /// <summary>Critic gradient steps per epoch. Range: ≥ 1. Default 20 (authors).</summary>
    public int ValueIterations { get; init; } = 20;

    /// <summary>PPO clip ratio ε. Range: &gt; 0. Default 2 (authors; so wide that clipping rarely binds).</summary>
    public double ClipRatio { get; init; } = 2.0;

    /// <summary>GAE parameter λ_GAE (not the action charge). Range: [0, 1]. Default 0.97 (Spinning Up, which the authors' code adapts).</summary>
    public double GaeLambda { get; init; } = 0.97;

    /// <summary>Epochs between λ updates, and the length of the entropy coefficient's cooling cycle. Range: ≥ 1. Default 4
    /// (authors).</summary>
    public int LambdaUpdatePeriod { get; init; } = 4;

    /// <summary>Final epochs in which λ is frozen and only the actor and critic train. Range: [0, Epochs). Default 2 (ours:
    /// the authors' ARMMAN training script freezes the last 20, which with their 5 epochs means λ is never updated).</summary>
    public int FinalFrozenEpochs { get; init; } = 2;

    /// <summary>What the Appendix F update takes as the cost C. True (the default; Tandem's, not the authors'): the expected
    /// stationary calls of the actor just updated, at the current λ, computed exactly from the planner's transitions
    /// (<see cref="PpoEpoch.ExpectedCalls"/>); measured, it keeps the budget in more trainings than the sampled calls
    /// (docs/dlm-ppo.md "Keeping the budget"). False: the authors' choice, the calls sampled in the epoch's rollout.</summary>
    public bool LambdaFromExpectedCalls { get; init; } = true;

    /// <summary>Entropy coefficient at the first epoch. Range: ≥ 0. Default 0.5 (authors).</summary>
    public double StartEntropy { get; init; } = 0.5;

    /// <summary>Entropy coefficient reached at the last epoch. Range: ≥ 0. Default 0 (authors).</summary>
    public double EndEntropy { get; init; }

    /// <summary>Action charge λ at the start. Range: ≥ 0. Default 0 (ours: the authors' λ is the output of a freshly
    /// initialised λ network).</summary>
    public double InitialLambda { get; init; }

    /// <summary>These settings with <paramref name="epochs"/> training epochs, the frozen final epochs cut so that at
    /// least one epoch updates λ's companions (min(<see cref="FinalFrozenEpochs"/>, epochs − 1)).</summary>
    public PpoOptions WithEpochs(int epochs) => this with { Epochs = epochs, FinalFrozenEpochs = Math.Min(FinalFrozenEpochs, Math.Max(epochs - 1, 0)) };

    /// <summary>Default training epochs for <paramref name="arms"/> arms: Tandem's 40 (not the authors': the seed's 500
    /// samples an arm are 5 epochs; <see cref="Epochs"/> says why) for 48 arms or more, and for fewer as many as keep the arm-steps of training
    /// at 48 × 40 (a shared network trained on 4 arms for 40 epochs
    /// has seen too little to rank them; measured on the 4-beneficiary test programme).</summary>
    public static int EpochsFor(int arms) => Math.Max(new PpoOptions().Epochs, (int)Math.Ceiling(48.0 * new PpoOptions().Epochs / Math.Max(arms, 1)));

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range; returns this.</summary>
    public PpoOptions Validated()
    {
        Validate();
        return this;
    }

    /// <summary>The most training epochs (Tandem's default of 40 and its small-programme rule stay far below).</summary>
    public const int MaxEpochs = 100_000;

    /// <summary>The largest Adam step size of the actor and critic. Adam moves every parameter by about the step size
    /// per iteration, so a step above 1 throws the tanh networks into saturation or overflow at once (a step of 1e200
    /// made the logits NaN and the call list loop forever; issue 15, defect 19).</summary>
    public const double MaxLearningRate = 1.0;

    /// <summary>The largest hidden width and the most hidden layers (the authors: 16 × 2).</summary>
    public const int MaxHiddenWidth = 4096, MaxHiddenLayers = 64;

    /// <summary>The most steps per epoch, and of policy or value iterations per epoch.</summary>
    public const int MaxStepsPerEpoch = 100_000, MaxIterations = 100_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (HiddenWidth is < 1 or > MaxHiddenWidth) throw new ArgumentOutOfRangeException(nameof(HiddenWidth), HiddenWidth, $"The hidden width must lie in [1, {MaxHiddenWidth}].");
        if (HiddenLayers is < 1 or > MaxHiddenLayers) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), HiddenLayers, $"The hidden layers must lie in [1, {MaxHiddenLayers}].");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "At least one epoch.");
        if (Epochs > MaxEpochs) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, $"At most {MaxEpochs} epochs.");
        if (StepsPerEpoch is < 1 or > MaxStepsPerEpoch) throw new ArgumentOutOfRangeException(nameof(StepsPerEpoch), StepsPerEpoch, $"The steps per epoch must lie in [1, {MaxStepsPerEpoch}].");
        LearningRate(PolicyLearningRate, nameof(PolicyLearningRate));
        LearningRate(ValueLearningRate, nameof(ValueLearningRate));
        Positive(LambdaLearningRate, nameof(LambdaLearningRate));
        if (LambdaLearningRate > PpoPlanner.MaxRewardMagnitude)
            throw new ArgumentOutOfRangeException(nameof(LambdaLearningRate), LambdaLearningRate, $"{nameof(LambdaLearningRate)} must be at most {PpoPlanner.MaxRewardMagnitude:G3}.");
        if (!(LambdaLearningRateDecay > 0 && LambdaLearningRateDecay <= 1))
            throw new ArgumentOutOfRangeException(nameof(LambdaLearningRateDecay), LambdaLearningRateDecay, "The λ step-size decay must lie in (0, 1].");
        if (PolicyIterations is < 1 or > MaxIterations) throw new ArgumentOutOfRangeException(nameof(PolicyIterations), PolicyIterations, $"The policy iterations must lie in [1, {MaxIterations}].");
        if (ValueIterations is < 1 or > MaxIterations) throw new ArgumentOutOfRangeException(nameof(ValueIterations), ValueIterations, $"The value iterations must lie in [1, {MaxIterations}].");
        Positive(ClipRatio, nameof(ClipRatio));
        if (!(GaeLambda >= 0 && GaeLambda <= 1)) throw new ArgumentOutOfRangeException(nameof(GaeLambda), GaeLambda, "λ_GAE must lie in [0, 1].");
        if (LambdaUpdatePeriod < 1) throw new ArgumentOutOfRangeException(nameof(LambdaUpdatePeriod), LambdaUpdatePeriod, "The λ update period must be at least 1 epoch.");
        if (FinalFrozenEpochs < 0 || FinalFrozenEpochs >= Epochs)
            throw new ArgumentOutOfRangeException(nameof(FinalFrozenEpochs), FinalFrozenEpochs, $"The frozen epochs must lie in [0, {Epochs - 1}] (fewer than the epochs).");
        NonNegative(StartEntropy, nameof(StartEntropy));
        NonNegative(EndEntropy, nameof(EndEntropy));
        NonNegative(InitialLambda, nameof(InitialLambda));
        if (InitialLambda > PpoPlanner.MaxRewardMagnitude)
            throw new ArgumentOutOfRangeException(nameof(InitialLambda), InitialLambda, $"{nameof(InitialLambda)} must be at most {PpoPlanner.MaxRewardMagnitude:G3} (a charge in reward units).");
    }

    private static void LearningRate(double value, string name)
    {
        Positive(value, name);
        if (value > MaxLearningRate) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {MaxLearningRate} (Adam's step per parameter).");
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and > 0.");
    }

    private static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and ≥ 0.");
    }
}
