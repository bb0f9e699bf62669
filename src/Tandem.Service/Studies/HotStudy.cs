namespace Tandem.Service.Studies;

/// <summary>A decision a stateless worker made from a batched study's published snapshot (docs/hot-studies.md), sent to
/// the study's writer to be numbered and committed before it is acknowledged.</summary>
/// <param name="Line">The decision-log line as the worker wrote it (its <c>step</c> and <c>study</c> are set by the writer);
/// its notes include <see cref="Note"/>.</param>
/// <param name="SnapshotVersion">The version of the published snapshot the worker decided from (the event's model version).</param>
/// <param name="Subject">The client's subject id, or null.</param>
/// <param name="RequestId">The idempotency key, or null.</param>
public sealed record WorkerDecision(string Line, long SnapshotVersion, string? Subject, string? RequestId)
{
    /// <summary>The note of every decision made by a stateless worker from a published snapshot: replay keeps it as
    /// logged instead of deciding it again.</summary>
    public const string Note = "decided-from-snapshot";
}

/// <summary>A batched study's latest published snapshot.</summary>
/// <param name="Version">Its version: the study's model version when it was published.</param>
/// <param name="StateJson">The learner's state (a serialized <c>PolicyState</c>).</param>
public sealed record PublishedSnapshot(long Version, string StateJson);
