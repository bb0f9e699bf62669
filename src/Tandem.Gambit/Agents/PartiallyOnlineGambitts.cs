using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// The offline treatment model of Algorithm 2 (seed 002 §4.2): M generator draws per (context, prompt) cell,
/// taken before deployment through simulator access; their empirical law is p̂(z | x, a). From a finite pool
/// (<see cref="ITreatmentPool"/>, a response bank) the M draws are distinct responses, drawn without replacement
/// as the authors do; from a live generator each draw is a fresh generation.
/// </summary>
public sealed class OfflineTreatmentModel
{
    private readonly double[] _draws; // [cell][m][d]
    private readonly double[] _means; // [cell][d]

    /// <summary>Draw <paramref name="drawsPerCell"/> responses per cell from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The generator is a pool with a cell smaller than <paramref name="drawsPerCell"/>.</exception>
    public OfflineTreatmentModel(ITreatmentGenerator generator, int drawsPerCell, Random random)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(drawsPerCell, 1);
        PromptCount = generator.PromptCount;
        Dimension = generator.EmbeddingDimension;
        Contexts = generator.Contexts ?? throw new ArgumentException("The generator states no context space.", nameof(generator));
        DrawsPerCell = drawsPerCell;
        RequirePool(generator, drawsPerCell, nameof(drawsPerCell));
        int x = Contexts.Count;
        int cells = PromptCount * x;
        _draws = new double[cells * drawsPerCell * Dimension];
        _means = new double[cells * Dimension];
        int[]? scratch = null;
        for (int a = 0; a < PromptCount; a++)
        {
            for (int c = 0; c < x; c++)
            {
                int cell = a * x + c;
                DrawCell(generator, a, Contexts[c], drawsPerCell, random, _draws.AsSpan(cell * drawsPerCell * Dimension, drawsPerCell * Dimension), ref scratch);
            }
        }
        ComputeMeans();
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (named <paramref name="parameter"/>) when
    /// <paramref name="generator"/> is a pool with a cell of fewer than <paramref name="draws"/> responses.</summary>
    internal static void RequirePool(ITreatmentGenerator generator, int draws, string parameter)
    {
        if (generator is not ITreatmentPool pool) return;
        for (int a = 0; a < pool.PromptCount; a++)
            for (int c = 0; c < pool.Contexts.Count; c++)
            {
                int n = pool.CellSize(a, pool.Contexts[c]);
                if (n < draws)
                    throw new ArgumentOutOfRangeException(parameter, draws,
                        $"{draws} offline draws per cell exceed the {n} response(s) of prompt {a} in context '{pool.Contexts.Names[c]}'; offline draws are taken without replacement.");
            }
    }

    /// <summary>M draws of one cell into <paramref name="destination"/> (M × d): distinct responses by a partial
    /// Fisher–Yates shuffle from a pool (checked by <see cref="RequirePool"/>), fresh generations otherwise.</summary>
    internal static void DrawCell(ITreatmentGenerator generator, int prompt, GambitContext context, int draws, Random random, Span<double> destination, ref int[]? scratch)
    {
        int d = generator.EmbeddingDimension;
        if (generator is ITreatmentPool pool)
        {
            int n = pool.CellSize(prompt, context);
            if (scratch is null || scratch.Length < n) scratch = new int[n];
            for (int i = 0; i < n; i++) scratch[i] = i;
            for (int m = 0; m < draws; m++)
            {
                int j = m + random.Next(n - m);
                (scratch[m], scratch[j]) = (scratch[j], scratch[m]);
                pool.Response(prompt, context, scratch[m], destination.Slice(m * d, d));
            }
            return;
        }
        for (int m = 0; m < draws; m++) generator.Generate(prompt, context, random, destination.Slice(m * d, d));
    }

    private void ComputeMeans()
    {
        Array.Clear(_means);
        int cells = PromptCount * Contexts.Count;
        for (int cell = 0; cell < cells; cell++)
        {
            Span<double> mean = _means.AsSpan(cell * Dimension, Dimension);
            for (int m = 0; m < DrawsPerCell; m++)
            {
                ReadOnlySpan<double> z = _draws.AsSpan((cell * DrawsPerCell + m) * Dimension, Dimension);
                for (int j = 0; j < Dimension; j++) mean[j] += z[j] / DrawsPerCell;
            }
        }
    }

    /// <summary>The draws as data (a copy): [prompt][context][m][d].</summary>
    internal double[] ExportDraws() => _draws.ToArray();

    /// <summary>Throws <see cref="Tandem.Core.State.PolicyStateException"/> unless <paramref name="draws"/> fits this model.</summary>
    internal void ValidateDraws(double[]? draws)
    {
        Tandem.Core.State.PolicyStates.RequireLength(draws, _draws.Length, $"offline treatment draws (K = {PromptCount}, M = {DrawsPerCell}, d = {Dimension})");
        Tandem.Core.State.PolicyStates.RequireFinite(draws, "offline treatment draws");
    }

    /// <summary>Restore draws checked by <see cref="ValidateDraws"/> and recompute the cell means.</summary>
    internal void ImportDraws(double[] draws)
    {
        draws.CopyTo(_draws, 0);
        ComputeMeans();
    }

    /// <summary>K.</summary>
    public int PromptCount { get; }

    /// <summary>The context space X (the generator's).</summary>
    public ContextSpace Contexts { get; }

    /// <summary>d_z.</summary>
    public int Dimension { get; }

    /// <summary>M.</summary>
    public int DrawsPerCell { get; }

    /// <summary>The mean offline embedding of a cell (all a linear reward needs).</summary>
    public ReadOnlySpan<double> Mean(int prompt, GambitContext context) => _means.AsSpan(Cell(prompt, context) * Dimension, Dimension);

    /// <summary>Offline draw m of a cell.</summary>
    public ReadOnlySpan<double> Draw(int prompt, GambitContext context, int m) =>
        _draws.AsSpan((Cell(prompt, context) * DrawsPerCell + m) * Dimension, Dimension);

    private int Cell(int prompt, GambitContext context)
    {
        if ((uint)prompt >= (uint)PromptCount) throw new ArgumentOutOfRangeException(nameof(prompt), prompt, $"Prompts lie in [0, {PromptCount}).");
        Contexts.Require(context, nameof(context));
        return prompt * Contexts.Count + context.Index;
    }
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
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public PartiallyOnlineGambitts(ITreatmentGenerator generator, AgentOptions options, Random random, Random offlineRandom, TimeProvider? timeProvider = null)
        : base("poGAMBITTS", "gambit-po", generator?.Contexts ?? throw new ArgumentNullException(nameof(generator)), generator.PromptCount, options, random, timeProvider)
    {
        _treatment = new OfflineTreatmentModel(generator, options.OfflineDraws, offlineRandom);
        _width = RewardFeatures.Width(generator.EmbeddingDimension, Contexts, options.ContextTerms);
        _reward = BayesianLinearRegression.FromPrior(options.RewardPrior, _width);
        _beta = new double[_width];
        _features = new double[_width];
        _cellFeatures = new double[ArmCount * Contexts.Count * _width];
        WriteCellFeatures();
    }

    /// <inheritdoc />
    protected override int EmbeddingDimension => _treatment.Dimension;

    /// <summary>The reward model.</summary>
    public BayesianLinearRegression RewardModel => _reward;

    /// <summary>The offline treatment model.</summary>
    public OfflineTreatmentModel TreatmentModel => _treatment;

    private void WriteCellFeatures()
    {
        for (int a = 0; a < ArmCount; a++)
            for (int c = 0; c < Contexts.Count; c++)
                RewardFeatures.Write(_treatment.Mean(a, Contexts[c]), Contexts[c], Options.ContextTerms,
                    _cellFeatures.AsSpan((a * Contexts.Count + c) * _width, _width));
    }

    /// <inheritdoc />
    protected override void SampleScores(GambitContext context, Span<double> scores)
    {
        _reward.Sample(Random, _beta);
        for (int a = 0; a < ArmCount; a++)
        {
            ReadOnlySpan<double> phi = _cellFeatures.AsSpan((a * Contexts.Count + context.Index) * _width, _width);
            double s = 0;
            for (int j = 0; j < _width; j++) s += _beta[j] * phi[j];
            scores[a] = s;
        }
    }

    /// <inheritdoc />
    protected override void Update(GambitContext context, int arm, GambitOutcome outcome)
    {
        RewardFeatures.Write(outcome.Embedding.AsSpan(), context, Options.ContextTerms, _features);
        _reward.Update(_features, outcome.Reward);
    }

    /// <inheritdoc />
    protected override object ExportModel() => new Model(_reward.ExportState(), _treatment.ExportDraws());

    /// <inheritdoc />
    protected override Action PrepareImport(System.Text.Json.JsonElement model)
    {
        Model data = ReadModel<Model>(model);
        _reward.ValidateState(data.Reward, "reward model");
        _treatment.ValidateDraws(data.OfflineDraws);
        return () =>
        {
            _reward.ImportState(data.Reward);
            _treatment.ImportDraws(data.OfflineDraws);
            WriteCellFeatures();
        };
    }

    private sealed record Model(RegressionState Reward, double[] OfflineDraws);
}
