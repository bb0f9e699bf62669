using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// foGAMBITTS, fully online GAMBITTS (seed 002 Algorithm 1) with a linear reward: a Normal-Inverse-Wishart
/// treatment model per (context, prompt) and a Bayesian linear regression reward model, both updated with each
/// observed (z, y). Each decision draws β̃ and, per prompt, m̃ from the treatment posterior and scores
/// β̃ᵀφ(m̃, x) — the closed form of ∫ f(z, x; β̃) N(z; m̃, Σ̃) dz for a linear f.
/// <para>The blended variant (§4.2) starts every treatment posterior from offline generator draws and then
/// either keeps updating it online or holds it fixed (<see cref="AgentOptions.ContinueOnline"/>).</para>
/// </summary>
public sealed class FullyOnlineGambitts : GambitAgent
{
    private readonly NormalInverseWishart[] _treatment;
    private readonly BayesianLinearRegression _reward;
    private readonly double[] _beta;
    private readonly double[] _m;
    private readonly double[] _features;
    private readonly int _dimension;
    private readonly int _width;
    private readonly bool _updateTreatment;

    /// <summary>foGAMBITTS over K prompts and a d_z-dimensional working embedding.</summary>
    /// <param name="contexts">The context space X (one treatment model per context and prompt).</param>
    /// <param name="armCount">K ≥ 1.</param>
    /// <param name="embeddingDimension">d_z ≥ 1.</param>
    /// <param name="options">Priors, context terms, propensity draws.</param>
    /// <param name="random">The agent's own source.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public FullyOnlineGambitts(ContextSpace contexts, int armCount, int embeddingDimension, AgentOptions options, Random random, TimeProvider? timeProvider = null)
        : this("foGAMBITTS", "gambit-fo", contexts, armCount, embeddingDimension, options, random, null, null, timeProvider)
    {
    }

    private FullyOnlineGambitts(string name, string kind, ContextSpace contexts, int armCount, int embeddingDimension, AgentOptions options, Random random, ITreatmentGenerator? generator, Random? offlineRandom, TimeProvider? timeProvider)
        : base(name, kind, contexts, armCount, options, random, timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimension, 1);
        _dimension = embeddingDimension;
        _width = RewardFeatures.Width(embeddingDimension, Contexts, options.ContextTerms);
        _reward = BayesianLinearRegression.FromPrior(options.RewardPrior, _width);
        _beta = new double[_width];
        _m = new double[embeddingDimension];
        _features = new double[_width];
        int x = Contexts.Count;
        _treatment = new NormalInverseWishart[armCount * x];
        for (int i = 0; i < _treatment.Length; i++) _treatment[i] = NormalInverseWishart.AuthorsPrior(embeddingDimension);
        _updateTreatment = true;
        if (generator is not null)
        {
            OfflineTreatmentModel.RequirePool(generator, options.OfflineDraws, nameof(options.OfflineDraws));
            var z = new double[options.OfflineDraws * embeddingDimension];
            int[]? scratch = null;
            for (int a = 0; a < armCount; a++)
                for (int c = 0; c < x; c++)
                {
                    OfflineTreatmentModel.DrawCell(generator, a, Contexts[c], options.OfflineDraws, offlineRandom!, z, ref scratch);
                    for (int m = 0; m < options.OfflineDraws; m++) _treatment[a * x + c].Update(z.AsSpan(m * embeddingDimension, embeddingDimension));
                }
            _updateTreatment = options.ContinueOnline;
        }
    }

    /// <summary>The blended agent (§4.2): NIW posteriors formed from <see cref="AgentOptions.OfflineDraws"/> offline draws per cell
    /// (without replacement from a <see cref="ITreatmentPool"/>).</summary>
    /// <param name="generator">Simulator access to the generator.</param>
    /// <param name="options">Priors, offline draws M, whether to continue online.</param>
    /// <param name="random">The agent's online source.</param>
    /// <param name="offlineRandom">The source of the offline generator draws.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public static FullyOnlineGambitts Blended(ITreatmentGenerator generator, AgentOptions options, Random random, Random offlineRandom, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(offlineRandom);
        return new FullyOnlineGambitts("blended", "gambit-blended", generator.Contexts, generator.PromptCount, generator.EmbeddingDimension, options, random, generator, offlineRandom, timeProvider);
    }

    /// <inheritdoc />
    protected override int EmbeddingDimension => _dimension;

    /// <summary>The reward model.</summary>
    public BayesianLinearRegression RewardModel => _reward;

    /// <summary>The treatment posterior of a cell.</summary>
    public NormalInverseWishart TreatmentModel(int arm, GambitContext context)
    {
        if ((uint)arm >= (uint)ArmCount) throw new ArgumentOutOfRangeException(nameof(arm), arm, $"Arms lie in [0, {ArmCount}).");
        Contexts.Require(context, nameof(context));
        return _treatment[arm * Contexts.Count + context.Index];
    }

    /// <inheritdoc />
    /// <remarks>β̃ᵀφ(m̃, x) = β̃₀ + β̃_zᵀm̃ + β̃_xᵀterms(x): the part without m̃ is common to all prompts, and β̃_zᵀm̃ is drawn
    /// directly (<see cref="NormalInverseWishart.SampleProjectedMean"/>: one normal per prompt instead of d_z, the same law).</remarks>
    protected override void SampleScores(GambitContext context, Span<double> scores)
    {
        _reward.Sample(Random, _beta);
        _m.AsSpan().Clear();
        RewardFeatures.Write(_m, context, Options.ContextTerms, _features);
        double common = 0;
        for (int j = 0; j < _width; j++) common += _beta[j] * _features[j];
        ReadOnlySpan<double> betaZ = _beta.AsSpan(1, _dimension);
        for (int a = 0; a < ArmCount; a++)
            scores[a] = common + _treatment[a * Contexts.Count + context.Index].SampleProjectedMean(Random, betaZ);
    }

    /// <inheritdoc />
    protected override void Update(GambitContext context, int arm, GambitOutcome outcome)
    {
        ReadOnlySpan<double> z = outcome.Embedding.AsSpan();
        if (_updateTreatment) _treatment[arm * Contexts.Count + context.Index].Update(z);
        RewardFeatures.Write(z, context, Options.ContextTerms, _features);
        _reward.Update(_features, outcome.Reward);
    }

    /// <inheritdoc />
    protected override object ExportModel() => new Model(_reward.ExportState(), _treatment.Select(t => t.ExportState()).ToArray());

    /// <inheritdoc />
    protected override Action PrepareImport(System.Text.Json.JsonElement model)
    {
        Model data = ReadModel<Model>(model);
        _reward.ValidateState(data.Reward, "reward model");
        Tandem.Core.State.PolicyStates.RequireLength(data.Treatment, _treatment.Length, "treatment posteriors");
        for (int i = 0; i < _treatment.Length; i++) _treatment[i].ValidateState(data.Treatment[i], $"treatment posterior {i}");
        return () =>
        {
            _reward.ImportState(data.Reward);
            for (int i = 0; i < _treatment.Length; i++) _treatment[i].ImportState(data.Treatment[i]);
        };
    }

    private sealed record Model(RegressionState Reward, WishartState[] Treatment);
}
