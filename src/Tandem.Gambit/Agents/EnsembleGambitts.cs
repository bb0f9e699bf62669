using Tandem.Core.Distributions;
using System.Collections.Immutable;
using Tandem.Core.Decisions;
using Tandem.Core.Neural;
using Tandem.Core.State;
using Tandem.Core.Randomness;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// Ensemble GAMBITTS (seed 002 §4.3, Appendix C Algorithms 4–5; ensemble sampling of Lu and Van Roy 2017) with a
/// nonlinear reward model: <see cref="AgentOptions.EnsembleMembers"/> MLPs d → H → 1 (ReLU) over [z, context terms],
/// PyTorch-initialised, each trained by Adam on minibatches from a shared replay buffer whose targets carry the
/// member's own N(0, sd²) perturbation. Decisions pick a member uniformly and the prompt maximising that member's
/// Monte Carlo average of f over <see cref="AgentOptions.MonteCarloDraws"/> treatment draws (drawn with replacement from
/// the offline draws, as the authors' <c>rng.choice(..., replace=True)</c>); rewards are centred by
/// <see cref="AgentOptions.EnsembleTargetOffset"/> and Adam is reset per update when
/// <see cref="AgentOptions.EnsembleResetOptimizer"/> (the authors: 0 and reset); the first
/// <see cref="AgentOptions.EnsembleBurnIn"/> decisions are uniformly random and the networks do not train.
/// <para>ens-poGAMBITTS draws z from the offline treatment model (all M draws when M ≤ the Monte Carlo count);
/// ens-foGAMBITTS draws (m̃, Σ̃) per prompt from its Normal-Inverse-Wishart posterior, then z ~ N(m̃, Σ̃).</para>
/// <para>Propensities: the member is the posterior draw, so P(a) is the share of members whose argmax is a, evaluated
/// over all members on this decision's common treatment draws (exact over the member draw, conditional on the
/// treatment draws). With <see cref="AgentOptions.PropensityDraws"/> = 0 only the chosen member is evaluated and
/// propensities are NaN.</para>
/// </summary>
public sealed class EnsembleGambitts : GambitAgent
{
    private readonly Mlp[] _members;
    private readonly Adam[] _optimizers;
    private readonly ReplayBuffer _buffer;
    private readonly OfflineTreatmentModel? _offline;
    private readonly NormalInverseWishart[]? _treatment;
    private readonly int _dimension;
    private readonly int _inputWidth;
    private readonly int _draws;
    private readonly double[] _inputs;    // [prompt][draw][d_z]: the varying part of the network inputs
    private readonly double[] _shared;    // the context terms, common to every draw of a decision
    private readonly double[] _scores;
    private readonly double[] _predictions;
    private readonly int[] _votes;
    private readonly double[] _z;
    private readonly double[] _m;
    private readonly double[] _factor;
    private readonly double[] _g;
    private readonly double[] _row;
    private readonly double[] _targets;
    private readonly int[] _batchIndices;
    private readonly double[] _batchInputs;
    private readonly double[] _batchTargets;
    private readonly double[] _batchWork;
    private long _steps;

    private EnsembleGambitts(string name, string kind, ContextSpace contexts, int armCount, int embeddingDimension, AgentOptions options, Random random, OfflineTreatmentModel? offline, TimeProvider? timeProvider)
        : base(name, kind, contexts, armCount, options, random, timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDimension, 1);
        _dimension = embeddingDimension;
        _offline = offline;
        _inputWidth = RewardFeatures.Width(embeddingDimension, Contexts, options.ContextTerms) - 1;
        _members = new Mlp[options.EnsembleMembers];
        _optimizers = new Adam[options.EnsembleMembers];
        var adam = new AdamOptions { LearningRate = options.EnsembleLearningRate };
        for (int j = 0; j < _members.Length; j++)
        {
            _members[j] = new Mlp([_inputWidth, options.EnsembleHidden, 1], Activation.ReLU, options.EnsembleBatch);
            _members[j].InitializeUniform(random);
            _optimizers[j] = new Adam(_members[j].ParameterCount, adam);
        }
        _buffer = new ReplayBuffer(options.EnsembleBuffer, _inputWidth, options.EnsembleMembers);
        if (offline is null)
        {
            _treatment = new NormalInverseWishart[armCount * Contexts.Count];
            for (int i = 0; i < _treatment.Length; i++) _treatment[i] = NormalInverseWishart.AuthorsPrior(embeddingDimension);
            _draws = options.MonteCarloDraws;
        }
        else
        {
            _draws = Math.Min(options.MonteCarloDraws, offline.DrawsPerCell);
        }
        _inputs = new double[armCount * _draws * embeddingDimension];
        _shared = new double[_inputWidth - embeddingDimension];
        _scores = new double[armCount];
        _predictions = new double[armCount * _draws];
        _votes = new int[armCount];
        _z = new double[embeddingDimension];
        _m = new double[embeddingDimension];
        _factor = new double[embeddingDimension * embeddingDimension];
        _g = new double[embeddingDimension];
        _row = new double[_inputWidth];
        _targets = new double[options.EnsembleMembers];
        _batchIndices = new int[options.EnsembleBatch];
        _batchInputs = new double[options.EnsembleBatch * _inputWidth];
        _batchTargets = new double[options.EnsembleBatch];
        _batchWork = new double[options.EnsembleBatch];
    }

    /// <summary>ens-poGAMBITTS (Algorithm 5): offline treatment model from <paramref name="generator"/>.</summary>
    /// <param name="generator">Simulator access to the generator.</param>
    /// <param name="options">Ensemble settings, offline draws M.</param>
    /// <param name="random">The agent's online source (initialisation, member choice, perturbations, minibatches).</param>
    /// <param name="offlineRandom">The source of the offline generator draws.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public static EnsembleGambitts PartiallyOnline(ITreatmentGenerator generator, AgentOptions options, Random random, Random offlineRandom, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var offline = new OfflineTreatmentModel(generator, options.OfflineDraws, offlineRandom);
        return new EnsembleGambitts("ens-poGAMBITTS", "gambit-ens-po", generator.Contexts, generator.PromptCount, generator.EmbeddingDimension, options, random, offline, timeProvider);
    }

    /// <summary>ens-foGAMBITTS (Algorithm 4): Normal-Inverse-Wishart treatment model per (context, prompt), learnt online.</summary>
    /// <param name="contexts">The context space X.</param>
    /// <param name="armCount">K ≥ 1.</param>
    /// <param name="embeddingDimension">d_z ≥ 1.</param>
    /// <param name="options">Ensemble settings.</param>
    /// <param name="random">The agent's own source.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public static EnsembleGambitts FullyOnline(ContextSpace contexts, int armCount, int embeddingDimension, AgentOptions options, Random random, TimeProvider? timeProvider = null) =>
        new("ens-foGAMBITTS", "gambit-ens-fo", contexts, armCount, embeddingDimension, options, random, null, timeProvider);

    /// <inheritdoc />
    protected override int EmbeddingDimension => _dimension;

    /// <summary>The members (read-only use: their scratch is the agent's).</summary>
    public IReadOnlyList<Mlp> Members => _members;

    /// <summary>Decisions taken so far.</summary>
    public long Steps => _steps;

    /// <inheritdoc />
    protected override void SampleScores(GambitContext context, Span<double> scores)
    {
        FillTreatmentDraws(context);
        ScoreMember(_members[Random.Next(_members.Length)], scores);
    }

    /// <inheritdoc />
    protected override GambitDecision DecideCore(GambitContext context)
    {
        if (_steps < Options.EnsembleBurnIn)
        {
            return Issue(Random.Next(ArmCount), ProbabilityVectors.Uniform(ArmCount), GambitNotes.BurnIn);
        }
        FillTreatmentDraws(context);
        int chosen = Random.Next(_members.Length);
        if (Options.PropensityDraws == 0)
        {
            ScoreMember(_members[chosen], _scores);
            return Issue(Sampling.ArgMax(_scores), ProbabilityVectors.Unknown(ArmCount), GambitNotes.PropensityNotEstimated);
        }
        Array.Clear(_votes);
        int arm = 0;
        for (int j = 0; j < _members.Length; j++)
        {
            ScoreMember(_members[j], _scores);
            int best = Sampling.ArgMax(_scores);
            _votes[best]++;
            if (j == chosen) arm = best;
        }
        var probabilities = new double[ArmCount];
        for (int a = 0; a < ArmCount; a++) probabilities[a] = (double)_votes[a] / _members.Length;
        return Issue(arm, ImmutableArray.Create(probabilities), DecisionNotes.PropensityEstimated) with { PropensityDraws = _members.Length };
    }

    private void FillTreatmentDraws(GambitContext context)
    {
        int dz = _dimension;
        if (_shared.Length > 0)
        {
            RewardFeatures.WriteInputs(ReadOnlySpan<double>.Empty, context, contextTerms: true, _shared);
        }
        for (int a = 0; a < ArmCount; a++)
        {
            if (_offline is not null)
            {
                bool all = _offline.DrawsPerCell <= Options.MonteCarloDraws;
                for (int s = 0; s < _draws; s++)
                {
                    _offline.Draw(a, context, all ? s : Random.Next(_offline.DrawsPerCell)).CopyTo(_inputs.AsSpan((a * _draws + s) * dz, dz));
                }
            }
            else
            {
                _treatment![a * Contexts.Count + context.Index].Sample(Random, _m, _factor);
                int d = _dimension;
                for (int s = 0; s < _draws; s++)
                {
                    NormalSampler.FillStandard(Random, _g);
                    for (int i = 0; i < d; i++)
                    {
                        double v = _m[i];
                        for (int j = i; j < d; j++) v += _factor[i * d + j] * _g[j];
                        _z[i] = v;
                    }
                    _z.CopyTo(_inputs.AsSpan((a * _draws + s) * dz, dz));
                }
            }
        }
    }

    private void ScoreMember(Mlp member, Span<double> scores)
    {
        Span<double> outputs = _predictions;
        member.PredictBatch(_inputs, _shared, outputs, ArmCount * _draws);
        for (int a = 0; a < ArmCount; a++)
        {
            double sum = 0;
            foreach (double y in outputs.Slice(a * _draws, _draws)) sum += y;
            scores[a] = sum / _draws;
        }
    }

    /// <inheritdoc />
    protected override void Update(GambitContext context, int arm, GambitOutcome outcome)
    {
        ReadOnlySpan<double> z = outcome.Embedding.AsSpan();
        _treatment?[arm * Contexts.Count + context.Index].Update(z);
        RewardFeatures.WriteInputs(z, context, Options.ContextTerms, _row);
        double y = outcome.Reward - Options.EnsembleTargetOffset;
        for (int j = 0; j < _targets.Length; j++) _targets[j] = y + Options.PerturbationSd * NormalSampler.Standard(Random);
        _buffer.Add(_row, _targets);
        _steps++;
        if (_steps > Options.EnsembleBurnIn) Train();
    }

    /// <inheritdoc />
    protected override object ExportModel() => new Model(
        _steps,
        _members.Select(m => m.ExportState()).ToArray(),
        _optimizers.Select(o => o.ExportState()).ToArray(),
        _buffer.ExportState(),
        _treatment?.Select(t => t.ExportState()).ToArray(),
        _offline?.ExportDraws());

    /// <inheritdoc />
    protected override Action PrepareImport(System.Text.Json.JsonElement model)
    {
        Model data = ReadModel<Model>(model);
        PolicyStates.Require(data.Steps >= 0, $"The state's step count is {data.Steps}; it must be ≥ 0.");
        PolicyStates.RequireLength(data.Members, _members.Length, "ensemble members");
        PolicyStates.RequireLength(data.Optimizers, _optimizers.Length, "ensemble optimizers");
        for (int j = 0; j < _members.Length; j++)
        {
            _members[j].ValidateState(data.Members[j]);
            _optimizers[j].ValidateState(data.Optimizers[j]);
        }
        _buffer.ValidateState(data.Buffer);
        if (_treatment is not null)
        {
            PolicyStates.RequireLength(data.Treatment, _treatment.Length, "treatment posteriors");
            for (int i = 0; i < _treatment.Length; i++) _treatment[i].ValidateState(data.Treatment![i], $"treatment posterior {i}");
        }
        else
        {
            PolicyStates.Require(data.Treatment is null, "The state has online treatment posteriors; this agent (ens-poGAMBITTS) uses an offline treatment model.");
        }
        if (_offline is not null) _offline.ValidateDraws(data.OfflineDraws);
        else PolicyStates.Require(data.OfflineDraws is null, "The state has offline treatment draws; this agent (ens-foGAMBITTS) learns its treatment model online.");
        return () =>
        {
            for (int j = 0; j < _members.Length; j++)
            {
                _members[j].ImportState(data.Members[j]);
                _optimizers[j].ImportState(data.Optimizers[j]);
            }
            _buffer.ImportState(data.Buffer);
            if (_treatment is not null) for (int i = 0; i < _treatment.Length; i++) _treatment[i].ImportState(data.Treatment![i]);
            _offline?.ImportDraws(data.OfflineDraws!);
            _steps = data.Steps;
        };
    }

    private sealed record Model(long Steps, MlpState[] Members, AdamState[] Optimizers, ReplayBufferState Buffer, WishartState[]? Treatment, double[]? OfflineDraws);

    /// <summary>One Adam step of every member on one minibatch drawn from the replay buffer (each with its own perturbed targets).</summary>
    private void Train()
    {
        int batch = Math.Min(Options.EnsembleBatch, _buffer.Count);
        Span<int> idx = _batchIndices.AsSpan(0, batch);
        _buffer.SampleBatch(Random, idx);
        Span<double> xs = _batchInputs.AsSpan(0, batch * _inputWidth);
        _buffer.GatherInputs(idx, xs);
        Span<double> ys = _batchTargets.AsSpan(0, batch);
        for (int j = 0; j < _members.Length; j++)
        {
            _buffer.GatherTargetColumn(idx, j, ys);
            _members[j].MeanSquaredErrorGradient(xs, ys, batch, _batchWork);
            if (Options.EnsembleResetOptimizer) _optimizers[j].Reset();
            _optimizers[j].Step(_members[j].Parameters, _members[j].Gradients);
        }
    }
}
