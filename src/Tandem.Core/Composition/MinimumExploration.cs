using System.Collections.Immutable;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Core.Composition;

/// <summary>Options of <see cref="MinimumExplorationStage{TContext, TDecision, TOutcome}"/>.</summary>
public sealed record MinimumExplorationOptions
{
    /// <summary>ε: every arm is chosen with probability at least ε/K. Range: 0 ≤ ε ≤ 1. Default 0.05.</summary>
    public double Epsilon { get; init; } = 0.05;

    /// <summary>Throws naming the option out of range.</summary>
    public void Validate()
    {
        if (!(Epsilon >= 0 && Epsilon <= 1)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must lie in [0, 1].");
    }
}

/// <summary>
/// Minimum exploration: with probability ε replace the inner policy's arm by a uniformly random one, so
/// every arm has probability at least ε/K and a deterministic policy's log becomes usable for off-policy
/// evaluation. The probabilities stay exact: p'(a) = (1 − ε) p(a) + ε/K. When the inner policy cannot state
/// p (NaN entries), p' cannot be stated either and stays NaN. The payload (e.g. a recourse) is kept as the
/// inner policy made it. The inner policy learns from the arm actually chosen.
/// </summary>
public sealed class MinimumExplorationStage<TContext, TDecision, TOutcome> : DelegatingPolicy<TContext, TDecision, TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    private const string Kind = "minimum-exploration";
    private const int Version = 1;
    private readonly Random _random;

    /// <summary>Wrap <paramref name="inner"/>; <paramref name="random"/> (a <see cref="Seeds.CreateRandom"/>
    /// source, to be saved) draws the exploration.</summary>
    public MinimumExplorationStage(IPolicy<TContext, TDecision, TOutcome> inner, MinimumExplorationOptions options, Random random)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _random = random ?? throw new ArgumentNullException(nameof(random));
    }

    /// <summary>The options.</summary>
    public MinimumExplorationOptions Options { get; }

    /// <inheritdoc />
    public override async ValueTask<TDecision> DecideAsync(TContext context, CancellationToken cancellationToken = default)
    {
        TDecision decision = await Inner.DecideAsync(context, cancellationToken).ConfigureAwait(false);
        int k = decision.Probabilities.Length;
        if (k == 0) throw new InvalidOperationException($"Policy '{Inner.Name}' states no probability vector, so minimum exploration cannot know the arms.");
        double epsilon = Options.Epsilon;
        // Two draws every time (not only when exploring), so the stream position does not depend on the inner policy.
        bool explore = _random.NextDouble() < epsilon;
        int uniformArm = _random.Next(k);
        int arm = explore ? uniformArm : decision.Arm;

        var mixed = ImmutableArray.CreateBuilder<double>(k);
        foreach (double p in decision.Probabilities) mixed.Add((1 - epsilon) * p + epsilon / k);
        DecisionNotes notes = decision.Notes;
        if (arm != decision.Arm) notes |= DecisionNotes.Explored;
        return (TDecision)(((Decision)decision) with { Arm = arm, Probabilities = mixed.MoveToImmutable(), Notes = notes.Without(DecisionNotes.Deterministic) });
    }

    /// <inheritdoc />
    public override PolicyState ExportState() =>
        PolicyStates.Pack(Kind, Version, new MinimumExplorationState(Options.Epsilon, PolicyStates.ExportRandom(_random), InnerStateful.ExportState()));

    /// <inheritdoc />
    public override void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<MinimumExplorationState>(state, Kind, Version);
        PolicyStates.Require(data.Epsilon == Options.Epsilon, $"The state was saved with ε = {data.Epsilon}; this stage has ε = {Options.Epsilon}.");
        PolicyStates.ValidateRandom(data.Random);
        PolicyStates.Require(data.Inner is not null, "The state has no inner policy state.");
        InnerStateful.ImportState(data.Inner!); // validates fully before changing the inner policy
        PolicyStates.ImportRandom(_random, data.Random);
    }

    private sealed record MinimumExplorationState(double Epsilon, ulong[] Random, PolicyState Inner);
}
