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

/// <summary>A designer's answer: an expression, or an explicit abstention with a reason (a failed, slow or malformed
/// LLM answer becomes an abstention; it never throws into the loop).</summary>
public sealed record RewardProposal(string? Expression, string? Explanation, string? AbstainReason)
{
    /// <summary>True when the designer abstained.</summary>
    public bool Abstained => Expression is null;

    /// <summary>A proposed expression.</summary>
    public static RewardProposal Proposed(string expression, string? explanation = null) => new(expression, explanation, null);

    /// <summary>An abstention with its reason.</summary>
    public static RewardProposal Abstain(string reason) => new(null, null, reason);
}

/// <summary>One candidate of the current stage as the reflector sees it.</summary>
/// <param name="Expression">The reward expression.</param>
/// <param name="Distribution">Its state-feature distribution (Algorithm 2).</param>
public sealed record ReflectionCandidate(string Expression, StateFeatureDistribution Distribution);

/// <summary>What the reflector is asked: pick the candidate whose outcome best matches the prompt.</summary>
public sealed record ReflectionRequest(DlmTask Task, int Stage, IReadOnlyList<ReflectionCandidate> Candidates, ulong Seed);

/// <summary>The reflector's answer ("The best reward function is at index: N"), or an abstention.</summary>
public sealed record ReflectionVerdict(int? SelectedIndex, string? AbstainReason)
{
    /// <summary>A selection.</summary>
    public static ReflectionVerdict Select(int index) => new(index, null);

    /// <summary>An abstention with its reason; the loop then keeps candidate 0.</summary>
    public static ReflectionVerdict Abstain(string reason) => new(null, reason);
}

/// <summary>
/// The designer/reflector port of the DLM loop (seed 001 Algorithm 1): proposes reward expressions from a language
/// task and selects among simulated outcomes. Implementations: <see cref="BaseDesigner"/>,
/// <see cref="SimulatedDesigner"/>, and a real LLM in Tandem.Llm.
/// </summary>
public interface IRewardDesigner
{
    /// <summary>Name shown in outputs, e.g. "simulated".</summary>
    string Name { get; }

    /// <summary>Propose one candidate reward.</summary>
    ValueTask<RewardProposal> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default);

    /// <summary>Select the best candidate of a stage.</summary>
    ValueTask<ReflectionVerdict> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Returns the task's Base reward (a sanity check: its MNR must be exactly 1).</summary>
public sealed class BaseDesigner : IRewardDesigner
{
    /// <inheritdoc />
    public string Name => "base";

    /// <inheritdoc />
    public ValueTask<RewardProposal> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(RewardProposal.Proposed(request.Task.Base, "the task's ground-truth reward"));
    }

    /// <inheritdoc />
    public ValueTask<ReflectionVerdict> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ReflectionVerdict.Select(0));
}
