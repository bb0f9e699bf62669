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
    /// <param name="armCount">K ≥ 1.</param>
    /// <param name="contextual">One model per (context, prompt) when true.</param>
    /// <param name="options">Prior and propensity draws.</param>
    /// <param name="random">The agent's own source.</param>
    public StandardThompson(int armCount, bool contextual, AgentOptions options, Random random)
        : base(contextual ? "StdTS:Contextual" : "StdTS", armCount, options, random)
    {
        Contextual = contextual;
        _cells = new NormalInverseGamma[armCount * (contextual ? GambitContext.Count : 1)];
        Array.Fill(_cells, options.StandardPrior);
    }

    /// <summary>Whether models are per (context, prompt).</summary>
    public bool Contextual { get; }

    /// <summary>The posterior of a prompt (in a context when contextual).</summary>
    public NormalInverseGamma Posterior(int arm, GambitContext context) => _cells[Cell(arm, context)];

    /// <inheritdoc />
    protected override void SampleScores(GambitContext context, Span<double> scores)
    {
        for (int a = 0; a < ArmCount; a++) scores[a] = _cells[Cell(a, context)].SampleMean(Random);
    }

    /// <inheritdoc />
    public override void Learn(GambitContext context, GambitDecision decision, GambitOutcome outcome)
    {
        int cell = Cell(decision.Arm, context);
        _cells[cell] = _cells[cell].Update(outcome.Reward);
    }

    private int Cell(int arm, GambitContext context) => Contextual ? arm * GambitContext.Count + context.Index : arm;
}
