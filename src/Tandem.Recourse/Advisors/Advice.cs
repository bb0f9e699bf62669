using Tandem.Recourse.Model;

namespace Tandem.Recourse.Advisors;

/// <summary>
/// The port through which LIBRA consults a language model (or a simulation of one) for a
/// treatment–recourse pair (seed 000 Algorithm 3). Implementations never throw into the decision path
/// for expected failures: they return <see cref="Advice.Abstain"/> with a reason, and the policy falls
/// back to itself.
/// </summary>
public interface IRecourseAdvisor
{
    /// <summary>Display name, e.g. "simulated:q=0.8".</summary>
    string Name { get; }

    /// <summary>Advise on one patient.</summary>
    ValueTask<Advice> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What the advisor is asked: the problem (features, treatments, constraint, goal) and the
/// patient's context (a copy the advisor may keep).</summary>
public sealed record AdviceRequest(RecourseProblem Problem, double[] Context);

/// <summary>Whether advice was given.</summary>
public enum AdviceStatus
{
    /// <summary>A treatment and new mutable values were proposed.</summary>
    Given,

    /// <summary>No usable advice (the model refused, timed out, or answered nonsense).</summary>
    Abstained,
}

/// <summary>An advisor's answer. Untrusted: the arm may not exist and the values may be infeasible or
/// non-finite; <see cref="Policies.AdviceGate"/> validates and projects it.</summary>
/// <param name="Status">Given or abstained.</param>
/// <param name="Arm">Proposed treatment, 0-based (unchecked).</param>
/// <param name="MutableValues">Proposed new values of the mutable features, in problem order (unchecked).</param>
/// <param name="Reason">Why the advisor abstained (e.g. "timeout", "parse"), or null.</param>
public readonly record struct Advice(AdviceStatus Status, int Arm, double[]? MutableValues, string? Reason)
{
    /// <summary>Advice to give <paramref name="arm"/> with new mutable values.</summary>
    public static Advice Give(int arm, double[] mutableValues) => new(AdviceStatus.Given, arm, mutableValues, null);

    /// <summary>No advice, with a reason.</summary>
    public static Advice Abstain(string reason) => new(AdviceStatus.Abstained, -1, null, reason);
}

/// <summary>
/// An advisor that cannot work as configured (e.g. a replay cassette without the answer). Unlike a
/// model failure, which is an abstention, this stops the study: a recorded study must not silently change.
/// </summary>
public sealed class AdvisorSetupException(string message) : Exception(message);
