using Tandem.Core.Ports;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Advisors;

/// <summary>
/// The port through which LIBRA consults a language model (or a simulation of one) for a
/// treatment–recourse pair (seed 000 Algorithm 3).
/// </summary>
/// <remarks>The answer is a <see cref="PortAnswer{T}"/>, the one shape of every port: a failed, slow or malformed
/// answer is an abstention with a reason ("timeout", "parse: …"), and the policy falls back to itself. The one
/// exception an advisor may throw on purpose is <see cref="StudyStopException"/> (a call budget used up, a replay
/// cassette without the answer, a record that cannot be written): it stops the whole study and is never turned into a
/// fallback. Anything else an advisor throws is outside code misbehaving, and the gate records it as a fallback.</remarks>
public interface IRecourseAdvisor
{
    /// <summary>Display name, e.g. "simulated:q=0.8".</summary>
    string Name { get; }

    /// <summary>Advise on one patient, or abstain with a reason.</summary>
    /// <exception cref="StudyStopException">The study must stop (see the remarks of <see cref="IRecourseAdvisor"/>).</exception>
    ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What the advisor is asked: the problem (features, treatments, constraint, goal) and the
/// patient's context (a copy the advisor may keep).</summary>
public sealed record AdviceRequest(RecourseProblem Problem, double[] Context);

/// <summary>An advisor's pair. Untrusted: the arm may not exist and the values may be missing, of the wrong count,
/// infeasible or non-finite; <see cref="Policies.AdviceGate"/> validates and projects it.</summary>
/// <param name="Arm">Proposed treatment, 0-based (unchecked).</param>
/// <param name="MutableValues">Proposed new values of the mutable features, in problem order (unchecked).</param>
public sealed record Advice(int Arm, double[]? MutableValues)
{
    /// <summary>An answer: give <paramref name="arm"/> with new mutable values.</summary>
    public static PortAnswer<Advice> Give(int arm, double[]? mutableValues) => PortAnswer<Advice>.Given(new Advice(arm, mutableValues));

    /// <summary>An abstention: a category ("timeout", "parse", ...), then optionally ": " and a detail.</summary>
    public static PortAnswer<Advice> Abstain(string reason) => PortAnswer<Advice>.Abstain(reason);
}
