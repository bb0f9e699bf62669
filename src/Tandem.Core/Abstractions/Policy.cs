using Tandem.Core.Decisions;

namespace Tandem.Core.Abstractions;

/// <summary>What the environment returns after a decision is implemented.</summary>
public interface IOutcome
{
    /// <summary>The observed (noisy) reward.</summary>
    double Reward { get; }

    /// <summary>The noise-free expected reward of what was actually implemented, from the
    /// environment's ground truth; regret is computed from it, not estimated.</summary>
    double ExpectedReward { get; }
}

/// <summary>
/// A policy decides and learns. Pure policies complete both calls synchronously, so the
/// <see cref="ValueTask"/> costs nothing; policies that consult a language model may await it.
/// </summary>
/// <remarks>
/// Contract. The caller owns every decision returned: it is immutable and shares no buffer with the
/// policy. <see cref="LearnAsync"/> depends only on its arguments, so learning from a decision made
/// several calls ago equals learning from it at once, and a reward that arrives days later is learned
/// correctly. A decision the policy never issued, or one already learned, is refused with an
/// <see cref="UnknownDecisionException"/> and the policy is left unchanged. Policies are not
/// thread-safe: one caller at a time.
/// </remarks>
/// <typeparam name="TContext">What the policy observes before deciding.</typeparam>
/// <typeparam name="TDecision">What it decides.</typeparam>
/// <typeparam name="TOutcome">What it learns from.</typeparam>
public interface IPolicy<in TContext, TDecision, in TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <summary>Display name, as in the paper (e.g. "GLRB").</summary>
    string Name { get; }

    /// <summary>Choose a decision for <paramref name="context"/>.</summary>
    ValueTask<TDecision> DecideAsync(TContext context, CancellationToken cancellationToken = default);

    /// <summary>Update from the outcome of <paramref name="decision"/>, taken in <paramref name="context"/>.</summary>
    ValueTask LearnAsync(TContext context, TDecision decision, TOutcome outcome, CancellationToken cancellationToken = default);
}

/// <summary>
/// An environment owns the ground truth: it yields contexts, samples outcomes with its own seeded
/// random source, and answers the expected reward of any (context, decision), so regret is exact and
/// off-policy estimates can be scored against the truth.
/// </summary>
public interface IEnvironment<TContext, in TDecision, TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <summary>Number of arms K.</summary>
    int ArmCount { get; }

    /// <summary>The next context (patient, user, ...).</summary>
    TContext NextContext();

    /// <summary>Implement <paramref name="decision"/> in <paramref name="context"/> and sample its outcome.</summary>
    TOutcome Respond(TContext context, TDecision decision);

    /// <summary>max over all decisions of the expected reward in <paramref name="context"/>.</summary>
    double OptimalExpectedReward(TContext context);

    /// <summary>The noise-free expected reward if <paramref name="decision"/> (its arm and payload) were
    /// implemented in <paramref name="context"/> as recommended. Draws nothing: the environment's random
    /// stream is not touched, so asking it for every arm changes no outcome.</summary>
    double ExpectedReward(TContext context, TDecision decision);
}
