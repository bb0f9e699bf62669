namespace Tandem.Service.Storage;

/// <summary>What a study's events are: a decision, a reward for one, or a restored learner state.</summary>
public enum StudyEventType
{
    /// <summary>A decision; its body is the decision-log line (reward null).</summary>
    Decision = 0,

    /// <summary>A reward for a decision; its body holds the reward, the realized context and notes.</summary>
    Reward = 1,

    /// <summary>A learner state put by an administrator; its body is the serialized <c>PolicyState</c>.</summary>
    Restore = 2,
}

/// <summary>A study as stored: its spec, its key's salted hash (never the key) and its random seed.</summary>
/// <param name="Id">The study id.</param>
/// <param name="Kind">The learner kind ("linucb", ...).</param>
/// <param name="SpecJson">The creation body, normalized (the policy spec).</param>
/// <param name="KeySalt">The per-key salt.</param>
/// <param name="KeyHash">SHA-256(salt ‖ key).</param>
/// <param name="Seed">The study's random seed (every decision's randomness derives from it and the decision's number).</param>
/// <param name="Created">When it was created.</param>
public sealed record StoredStudy(string Id, string Kind, string SpecJson, byte[] KeySalt, byte[] KeyHash, ulong Seed, DateTimeOffset Created);

/// <summary>One committed event of a study.</summary>
/// <param name="Sequence">Commit order within the study, 1, 2, …</param>
/// <param name="Type">What it is.</param>
/// <param name="DecisionSequence">The decision it is (Decision) or rewards (Reward); 0 for Restore.</param>
/// <param name="RequestId">The client's idempotency key of a decision, or null.</param>
/// <param name="Subject">The client's opaque subject id of a decision, or null.</param>
/// <param name="Reward">The reward of a Reward event, else null.</param>
/// <param name="ModelVersion">The model version after the event.</param>
/// <param name="Body">The event's JSON body (see <see cref="StudyEventType"/>).</param>
/// <param name="Aux">What a replay needs beyond the log line: the advisor's answer as it was used (libra), else null.</param>
public sealed record StudyEvent(long Sequence, StudyEventType Type, long DecisionSequence, string? RequestId, string? Subject, double? Reward, long ModelVersion, string Body, string? Aux = null);

/// <summary>A learner snapshot: its state after event <paramref name="EventSequence"/>.</summary>
/// <param name="EventSequence">The last event the state includes.</param>
/// <param name="ModelVersion">The model version at that point.</param>
/// <param name="StateJson">The serialized <c>PolicyState</c>.</param>
public sealed record StoredSnapshot(long EventSequence, long ModelVersion, string StateJson);

/// <summary>One decision-log row: the decision line and its reward, when there is one.</summary>
/// <param name="DecisionSequence">The decision's number.</param>
/// <param name="Line">The decision-log line as committed (reward null).</param>
/// <param name="Reward">The reward, or null while pending.</param>
public sealed record LogRow(long DecisionSequence, string Line, double? Reward);

/// <summary>A study already exists under that id.</summary>
public sealed class StudyExistsException(string id) : Exception($"A study with id '{id}' already exists.");

/// <summary>
/// Durable storage of studies: small, so that another implementation (a shared database behind an Orleans
/// grain per study, issue 19) can replace SQLite without touching the API or the per-study writer. Every method
/// is safe to call concurrently; one study's appends come from its single writer, in order.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Create a study; throws <see cref="StudyExistsException"/> when the id is taken.</summary>
    Task CreateStudyAsync(StoredStudy study, CancellationToken cancellationToken = default);

    /// <summary>Every study.</summary>
    Task<IReadOnlyList<StoredStudy>> ListStudiesAsync(CancellationToken cancellationToken = default);

    /// <summary>Append <paramref name="events"/> (and, when given, a snapshot taken after the last of them) in one
    /// durable transaction: when this returns, all of it is committed; when it throws, none of it is.</summary>
    Task AppendAsync(string studyId, IReadOnlyList<StudyEvent> events, StoredSnapshot? snapshot, CancellationToken cancellationToken = default);

    /// <summary>The latest snapshot, or null.</summary>
    Task<StoredSnapshot?> LoadSnapshotAsync(string studyId, CancellationToken cancellationToken = default);

    /// <summary>Events with Sequence &gt; <paramref name="afterSequence"/>, in commit order.</summary>
    IAsyncEnumerable<StudyEvent> ReadEventsAsync(string studyId, long afterSequence, CancellationToken cancellationToken = default);

    /// <summary>Decisions committed at or before event <paramref name="atOrBefore"/> that have no reward committed at or
    /// before it (the decisions pending at that point), in decision order.</summary>
    IAsyncEnumerable<StudyEvent> ReadPendingDecisionsAsync(string studyId, long atOrBefore, CancellationToken cancellationToken = default);

    /// <summary>What the writer's duplicate checks need: every reward by decision, every request id, the last decision
    /// number and the last event number.</summary>
    Task<StudyIndex> ReadIndexAsync(string studyId, CancellationToken cancellationToken = default);

    /// <summary>The decision event with number <paramref name="decisionSequence"/>, or null.</summary>
    Task<StudyEvent?> ReadDecisionAsync(string studyId, long decisionSequence, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> decisions with number &gt; <paramref name="afterDecision"/>, with their rewards.</summary>
    Task<IReadOnlyList<LogRow>> ReadLogAsync(string studyId, long afterDecision, int limit, CancellationToken cancellationToken = default);
}

/// <summary>A study's index, read at startup.</summary>
/// <param name="Rewards">(decision number, reward) of every reward event.</param>
/// <param name="Requests">(request id, decision number) of every decision that has one.</param>
/// <param name="LastDecision">The highest decision number (0 when none).</param>
/// <param name="LastEvent">The highest event number (0 when none).</param>
public sealed record StudyIndex(IReadOnlyList<(long Decision, double Reward)> Rewards, IReadOnlyList<(string RequestId, long Decision)> Requests, long LastDecision, long LastEvent);
