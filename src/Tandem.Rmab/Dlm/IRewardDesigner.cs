using Tandem.Core.Ports;

namespace Tandem.Rmab.Dlm;

/// <summary>A candidate of an earlier stage with the outcome the reflector saw.</summary>
/// <param name="Stage">Stage index (0-based).</param>
/// <param name="Expression">The reward expression.</param>
/// <param name="Distribution">Its state-feature distribution (Algorithm 2) as the reflector read it.</param>
public sealed record StageBest(int Stage, string Expression, string Distribution);

/// <summary>An earlier attempt at this candidate that the sandbox or validation refused.</summary>
/// <param name="Expression">What was proposed (or empty for an abstention).</param>
/// <param name="Refusal">The one-line reason, fed back to the designer.</param>
public sealed record RefusedAttempt(string Expression, string Refusal);

/// <summary>What a designer is asked for one candidate (Algorithm 1, line 1 / retries).</summary>
/// <param name="Task">The language task (prompt; a real LLM must not read <see cref="DlmTask.Base"/>).</param>
/// <param name="Stage">Stage r, 0-based.</param>
/// <param name="Candidate">Candidate k within the stage, 0-based.</param>
/// <param name="History">Best candidates of earlier stages, oldest first.</param>
/// <param name="EarlierAttempts">Refused attempts for this candidate, oldest first ("earlier attempts: ...").</param>
/// <param name="Seed">Seed for simulated designers (a real LLM may ignore it).</param>
public sealed record ProposalRequest(DlmTask Task, int Stage, int Candidate, IReadOnlyList<StageBest> History, IReadOnlyList<RefusedAttempt> EarlierAttempts, ulong Seed);

/// <summary>A designer's proposal: a reward expression (still to be checked by the sandbox) and its explanation.</summary>
/// <param name="Expression">The proposed reward expression.</param>
/// <param name="Explanation">The designer's explanation, if any.</param>
public sealed record RewardProposal(string Expression, string? Explanation)
{
    /// <summary>An answer proposing <paramref name="expression"/>.</summary>
    public static PortAnswer<RewardProposal> Proposed(string expression, string? explanation = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return PortAnswer<RewardProposal>.Given(new RewardProposal(expression, explanation));
    }

    /// <summary>An abstention: a category ("timeout", "parse", ...), then optionally ": " and a detail.</summary>
    public static PortAnswer<RewardProposal> Abstain(string reason) => PortAnswer<RewardProposal>.Abstain(reason);
}

/// <summary>One candidate of the current stage as the reflector sees it.</summary>
/// <param name="Expression">The reward expression.</param>
/// <param name="Distribution">Its state-feature distribution (Algorithm 2).</param>
public sealed record ReflectionCandidate(string Expression, StateFeatureDistribution Distribution);

/// <summary>What the reflector is asked: pick the candidate whose outcome best matches the prompt.</summary>
public sealed record ReflectionRequest(DlmTask Task, int Stage, IReadOnlyList<ReflectionCandidate> Candidates, ulong Seed);

/// <summary>
/// The designer/reflector port of the DLM loop (seed 001 Algorithm 1): proposes reward expressions from a language
/// task and selects among simulated outcomes. Implementations: <see cref="BaseDesigner"/>,
/// <see cref="SimulatedDesigner"/>, the <see cref="OracleDesigner"/> ablation, and a real LLM in Tandem.Llm.
/// </summary>
/// <remarks>Both members answer with <see cref="PortAnswer{T}"/>: a failed, slow or malformed answer is an
/// abstention with a reason (the loop retries a proposal with that reason, and keeps candidate 0 of a stage), never an
/// exception. The one exception a designer may throw on purpose is <see cref="StudyStopException"/> (a cost guard
/// reached, a replay cassette without the answer): it stops the whole study and is never turned into a fallback.</remarks>
public interface IRewardDesigner
{
    /// <summary>Name shown in outputs, e.g. "simulated".</summary>
    string Name { get; }

    /// <summary>Propose one candidate reward (Algorithm 1 line 1), or abstain with a reason.</summary>
    /// <exception cref="StudyStopException">The study must stop (see the remarks of <see cref="IRewardDesigner"/>).</exception>
    ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default);

    /// <summary>Select the best candidate of a stage (Algorithm 1 line 15: "The best reward function is at index: N"):
    /// the 0-based index into <see cref="ReflectionRequest.Candidates"/>, or an abstention (the loop keeps candidate 0).</summary>
    /// <exception cref="StudyStopException">The study must stop (see the remarks of <see cref="IRewardDesigner"/>).</exception>
    ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Returns the task's Base reward (a sanity check: its MNR must be exactly 1).</summary>
public sealed class BaseDesigner : IRewardDesigner
{
    /// <inheritdoc />
    public string Name => "base";

    /// <inheritdoc />
    public ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(RewardProposal.Proposed(request.Task.Base, "the task's ground-truth reward"));
    }

    /// <inheritdoc />
    public ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(PortAnswer<int>.Given(0));
}
