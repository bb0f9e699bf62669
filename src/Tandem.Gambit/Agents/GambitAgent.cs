using Tandem.Core.Abstractions;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// A Thompson-sampling agent over prompts: each decision draws one posterior sample, scores every prompt under
/// it and takes the best (Algorithms 1–2, step "select A_t"). P(A_t = a | history) for all a is estimated by
/// Monte Carlo over <see cref="AgentOptions.PropensityDraws"/> posterior draws, the decision's own draw being one
/// of them (§4.1). Decisions reference a propensity buffer owned by the agent, valid until its next decision.
/// </summary>
public abstract class GambitAgent : IPolicy<GambitContext, GambitDecision, GambitOutcome>
{
    private readonly double[] _scores;
    private readonly double[] _propensities;

    /// <summary>Set up the buffers.</summary>
    /// <param name="name">Display name ("poGAMBITTS", ...).</param>
    /// <param name="armCount">K ≥ 1.</param>
    /// <param name="options">Validated here.</param>
    /// <param name="random">The agent's own source (posterior draws).</param>
    protected GambitAgent(string name, int armCount, AgentOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(armCount, 1);
        Name = name;
        ArmCount = armCount;
        Options = options;
        Random = random ?? throw new ArgumentNullException(nameof(random));
        _scores = new double[armCount];
        _propensities = new double[armCount];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>K.</summary>
    public int ArmCount { get; }

    /// <summary>The settings.</summary>
    public AgentOptions Options { get; }

    /// <summary>The agent's random source.</summary>
    protected Random Random { get; }

    /// <summary>Write the K prompt scores under one fresh posterior draw (e.g. β̃ᵀφ(z̄_{x,a}, x)).</summary>
    protected abstract void SampleScores(GambitContext context, Span<double> scores);

    /// <inheritdoc />
    public ValueTask<GambitDecision> DecideAsync(GambitContext context, CancellationToken cancellationToken = default) => new(Decide(context));

    /// <summary>Synchronous <see cref="DecideAsync"/>.</summary>
    public virtual GambitDecision Decide(GambitContext context)
    {
        SampleScores(context, _scores);
        int arm = Sampling.ArgMax(_scores);
        int draws = Options.PropensityDraws;
        if (draws == 0)
        {
            Array.Fill(_propensities, double.NaN);
            return new GambitDecision(arm, _propensities);
        }
        Array.Clear(_propensities);
        _propensities[arm] = 1;
        for (int m = 1; m < draws; m++)
        {
            SampleScores(context, _scores);
            _propensities[Sampling.ArgMax(_scores)] += 1;
        }
        for (int a = 0; a < ArmCount; a++) _propensities[a] /= draws;
        return new GambitDecision(arm, _propensities);
    }

    /// <inheritdoc />
    public abstract void Learn(GambitContext context, GambitDecision decision, GambitOutcome outcome);

    /// <summary>The propensity buffer, for subclasses that fill it themselves.</summary>
    protected Span<double> PropensityBuffer => _propensities;

    /// <summary>A decision on the agent's propensity buffer.</summary>
    protected GambitDecision MakeDecision(int arm, DecisionNotes notes = DecisionNotes.None) => new(arm, _propensities, notes);
}
