using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// The offline treatment model of Algorithm 2 (seed 002 §4.2): M generator draws per (context, prompt) cell,
/// taken before deployment through simulator access; their empirical law is p̂(z | x, a).
/// </summary>
public sealed class OfflineTreatmentModel
{
    private readonly double[] _draws; // [cell][m][d]
    private readonly double[] _means; // [cell][d]

    /// <summary>Draw <paramref name="drawsPerCell"/> responses per cell from <paramref name="generator"/>.</summary>
    public OfflineTreatmentModel(ITreatmentGenerator generator, int drawsPerCell, Random random)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(drawsPerCell, 1);
        PromptCount = generator.PromptCount;
        Dimension = generator.EmbeddingDimension;
        DrawsPerCell = drawsPerCell;
        int cells = PromptCount * GambitContext.Count;
        _draws = new double[cells * drawsPerCell * Dimension];
        _means = new double[cells * Dimension];
        for (int a = 0; a < PromptCount; a++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                int cell = a * GambitContext.Count + c;
                Span<double> mean = _means.AsSpan(cell * Dimension, Dimension);
                for (int m = 0; m < drawsPerCell; m++)
                {
                    Span<double> z = _draws.AsSpan((cell * drawsPerCell + m) * Dimension, Dimension);
                    generator.Generate(a, new GambitContext(c), random, z);
                    for (int j = 0; j < Dimension; j++) mean[j] += z[j] / drawsPerCell;
                }
            }
        }
    }

    /// <summary>K.</summary>
    public int PromptCount { get; }

    /// <summary>d_z.</summary>
    public int Dimension { get; }

    /// <summary>M.</summary>
    public int DrawsPerCell { get; }

    /// <summary>The mean offline embedding of a cell (all a linear reward needs).</summary>
    public ReadOnlySpan<double> Mean(int prompt, GambitContext context) => _means.AsSpan((prompt * GambitContext.Count + context.Index) * Dimension, Dimension);

    /// <summary>Offline draw m of a cell.</summary>
    public ReadOnlySpan<double> Draw(int prompt, GambitContext context, int m) =>
        _draws.AsSpan(((prompt * GambitContext.Count + context.Index) * DrawsPerCell + m) * Dimension, Dimension);
}

/// <summary>
/// poGAMBITTS, partially online GAMBITTS (seed 002 Algorithm 2) with a linear reward: the treatment model is
/// fixed offline (<see cref="OfflineTreatmentModel"/>); online it draws β̃ from the Bayesian linear regression
/// posterior and picks argmax_a β̃ᵀφ(z̄_{x,a}, x) — for a linear f the mean over offline draws of f(z, x; β̃)
/// is f at the mean embedding, exactly.
/// </summary>
public sealed class PartiallyOnlineGambitts : GambitAgent
{
    private readonly OfflineTreatmentModel _treatment;
    private readonly BayesianLinearRegression _reward;
    private readonly double[] _cellFeatures; // [prompt][context] φ(z̄, x)
    private readonly double[] _beta;
    private readonly double[] _features;
    private readonly int _width;

    /// <summary>Create the agent; draws the offline treatment model now.</summary>
    /// <param name="generator">Simulator access to the generator.</param>
    /// <param name="options">Prior, offline draws M, context terms, propensity draws.</param>
    /// <param name="random">The agent's online source.</param>
    /// <param name="offlineRandom">The source of the offline generator draws.</param>
    public PartiallyOnlineGambitts(ITreatmentGenerator generator, AgentOptions options, Random random, Random offlineRandom)
        : base("poGAMBITTS", generator?.PromptCount ?? throw new ArgumentNullException(nameof(generator)), options, random)
    {
        _treatment = new OfflineTreatmentModel(generator, options.OfflineDraws, offlineRandom);
        _width = RewardFeatures.Width(generator.EmbeddingDimension, options.ContextTerms);
        _reward = BayesianLinearRegression.FromPrior(options.RewardPrior, _width);
        _beta = new double[_width];
        _features = new double[_width];
        _cellFeatures = new double[ArmCount * GambitContext.Count * _width];
        for (int a = 0; a < ArmCount; a++)
            for (int c = 0; c < GambitContext.Count; c++)
                RewardFeatures.Write(_treatment.Mean(a, new GambitContext(c)), new GambitContext(c), options.ContextTerms,
                    _cellFeatures.AsSpan((a * GambitContext.Count + c) * _width, _width));
    }

    /// <summary>The reward model.</summary>
    public BayesianLinearRegression RewardModel => _reward;

    /// <summary>The offline treatment model.</summary>
    public OfflineTreatmentModel TreatmentModel => _treatment;

    /// <inheritdoc />
    protected override void SampleScores(GambitContext context, Span<double> scores)
    {
        _reward.Sample(Random, _beta);
        for (int a = 0; a < ArmCount; a++)
        {
            ReadOnlySpan<double> phi = _cellFeatures.AsSpan((a * GambitContext.Count + context.Index) * _width, _width);
            double s = 0;
            for (int j = 0; j < _width; j++) s += _beta[j] * phi[j];
            scores[a] = s;
        }
    }

    /// <inheritdoc />
    public override void Learn(GambitContext context, GambitDecision decision, GambitOutcome outcome)
    {
        RewardFeatures.Write(outcome.Embedding.Span, context, Options.ContextTerms, _features);
        _reward.Update(_features, outcome.Reward);
    }
}
