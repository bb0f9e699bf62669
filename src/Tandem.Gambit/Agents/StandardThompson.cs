using System.Text.Json;
using Tandem.Core.State;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// Standard Thompson sampling on rewards, ignoring the treatment (seed 002 §6.1, App. F.2.1): a
/// Normal-Inverse-Gamma model per prompt ("StdTS") or per (context, prompt) pair ("StdTS:Contextual").
/// </summary>
public sealed class StandardThompson : GambitAgent
{
    private readonly NormalInverseGamma[] _cells;

    /// <summary>Create the agent.</summary>
    /// <param name="contexts">The context space X.</param>
    /// <param name="armCount">K ≥ 1.</param>
    /// <param name="contextual">One model per (context, prompt) when true.</param>
    /// <param name="options">Prior and propensity draws.</param>
    /// <param name="random">The agent's own source.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public StandardThompson(ContextSpace contexts, int armCount, bool contextual, AgentOptions options, Random random, TimeProvider? timeProvider = null)
        : base(contextual ? "StdTS:Contextual" : "StdTS", contextual ? "gambit-stdts-contextual" : "gambit-stdts", contexts, armCount, options, random, timeProvider)
    {
        Contextual = contextual;
        _cells = new NormalInverseGamma[armCount * (contextual ? Contexts.Count : 1)];
        Array.Fill(_cells, options.StandardPrior);
    }

    /// <summary>Whether models are per (context, prompt).</summary>
    public bool Contextual { get; }

    /// <summary>The posterior of a prompt (in a context when contextual).</summary>
    public NormalInverseGamma Posterior(int arm, GambitContext context)
    {
        if ((uint)arm >= (uint)ArmCount) throw new ArgumentOutOfRangeException(nameof(arm), arm, $"Arms lie in [0, {ArmCount}).");
        Contexts.Require(context, nameof(context));
        return _cells[Cell(arm, context)];
    }

    /// <inheritdoc />
    protected override void SampleScores(GambitContext context, Span<double> scores)
    {
        for (int a = 0; a < ArmCount; a++) scores[a] = _cells[Cell(a, context)].SampleMean(Random);
    }

    /// <inheritdoc />
    protected override void Update(GambitContext context, int arm, GambitOutcome outcome)
    {
        int cell = Cell(arm, context);
        _cells[cell] = _cells[cell].Update(outcome.Reward);
    }

    /// <inheritdoc />
    protected override object ExportModel() => new Model(_cells.ToArray());

    /// <inheritdoc />
    protected override Action PrepareImport(JsonElement model)
    {
        Model data = ReadModel<Model>(model);
        PolicyStates.RequireLength(data.Cells, _cells.Length, "Normal-Inverse-Gamma posteriors");
        for (int i = 0; i < data.Cells.Length; i++)
        {
            try
            {
                data.Cells[i].Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new PolicyStateException($"The state's posterior {i} is invalid: {ex.Message}", ex);
            }
        }
        return () => data.Cells.CopyTo(_cells, 0);
    }

    private int Cell(int arm, GambitContext context) => Contextual ? arm * Contexts.Count + context.Index : arm;

    private sealed record Model(NormalInverseGamma[] Cells);
}
