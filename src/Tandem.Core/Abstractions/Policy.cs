namespace Tandem.Core.Abstractions;

/// <summary>
/// What every decision carries, whatever the problem: the chosen arm, the probability with which the
/// policy chose it (when it can state one) and notes on how it was reached (STYLE 3: never lose the
/// propensity).
/// </summary>
public interface IDecision
{
    /// <summary>The chosen arm, 0-based. Range: 0 ≤ Arm &lt; K.</summary>
    int Arm { get; }

    /// <summary>P(Arm | context) under the policy, or <see cref="double.NaN"/> when it cannot be known
    /// (deterministic optimistic policies state 1; advice from a language model states NaN).</summary>
    double Propensity { get; }

    /// <summary>How the decision was reached.</summary>
    DecisionNotes Notes { get; }
}

/// <summary>How a decision was reached. Flags, so a stage that wraps a policy can add its own.</summary>
[Flags]
public enum DecisionNotes
{
    /// <summary>The policy decided on its own.</summary>
    None = 0,

    /// <summary>The advisor (language model) was asked.</summary>
    AdvisorConsulted = 1 << 0,

    /// <summary>The advisor's pair was implemented.</summary>
    AdvisorFollowed = 1 << 1,

    /// <summary>The advisor's recourse lay outside the feasible set and was projected onto it.</summary>
    AdviceProjected = 1 << 2,

    /// <summary>The advisor abstained or failed; the policy fell back to itself.</summary>
    AdvisorFallback = 1 << 3,

    /// <summary>The decision changes mutable features (a recourse was recommended).</summary>
    RecourseRecommended = 1 << 4,
}

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
/// A policy decides and learns. Pure policies complete <see cref="DecideAsync"/> synchronously, so the
/// <see cref="ValueTask{TResult}"/> costs nothing; policies that consult a language model may await it.
/// </summary>
/// <typeparam name="TContext">What the policy observes before deciding.</typeparam>
/// <typeparam name="TDecision">What it decides.</typeparam>
/// <typeparam name="TOutcome">What it learns from.</typeparam>
public interface IPolicy<in TContext, TDecision, in TOutcome>
    where TDecision : IDecision
    where TOutcome : IOutcome
{
    /// <summary>Display name, as in the seed (e.g. "GLRB").</summary>
    string Name { get; }

    /// <summary>Choose a decision for <paramref name="context"/>. Buffers inside the decision may be
    /// owned by the policy and are valid until the next call.</summary>
    ValueTask<TDecision> DecideAsync(TContext context, CancellationToken cancellationToken = default);

    /// <summary>Update from the outcome of <paramref name="decision"/>, taken in <paramref name="context"/>.</summary>
    void Learn(TContext context, TDecision decision, TOutcome outcome);
}

/// <summary>
/// An environment owns the ground truth: it yields contexts, samples outcomes with its own seeded
/// random source, and knows the optimal expected reward of any context, so regret is exact.
/// </summary>
public interface IEnvironment<TContext, in TDecision, TOutcome>
    where TDecision : IDecision
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
}
