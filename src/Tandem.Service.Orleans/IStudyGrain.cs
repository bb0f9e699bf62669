namespace Tandem.Service.Orleans;

/// <summary>
/// One study as an Orleans grain (issue 19): the grain hosts the study's <see cref="Studies.StudyHost"/>, the same single
/// writer the embedded service runs, over the cluster's shared <see cref="Tandem.Service.Storage.IStudyStore"/>. Orleans keeps one
/// activation per study id, so the study has one writer in the whole cluster. Decisions and rewards, the hot path, cross
/// as objects (a checked <see cref="GrainContext"/> in, a <see cref="Studies.DecisionView"/> or
/// <see cref="Studies.RewardView"/> out; GrainWire.cs has their wire form); the rarer calls carry the API's
/// own JSON text.
/// </summary>
[Alias("Tandem.IStudyGrain")]
public interface IStudyGrain : IGrainWithStringKey
{
    /// <summary>Decide for <paramref name="context"/> (checked by the front end); acknowledged after its commit. The reply's
    /// <see cref="GrainReply.Decision"/> is the decision.</summary>
    [Alias("Decide")]
    Task<GrainReply> DecideAsync(GrainContext context, string? subject, string? requestId);

    /// <summary>Record a reward; <paramref name="realizedContext"/> is the request's JSON or null. The reply's
    /// <see cref="GrainReply.Reward"/> is the accepted reward.</summary>
    [Alias("Reward")]
    Task<GrainReply> RewardAsync(string decisionId, double reward, string? realizedContext);

    /// <summary>Counts and spec (a <see cref="Studies.StudyStatus"/> as JSON).</summary>
    [Alias("Status")]
    Task<GrainReply> StatusAsync();

    /// <summary>The learner's state (a serialized <c>PolicyState</c>).</summary>
    [Alias("Export")]
    Task<GrainReply> ExportAsync();

    /// <summary>Replace the learner's state with a serialized <c>PolicyState</c>.</summary>
    [Alias("Restore")]
    Task<GrainReply> RestoreAsync(string state);

    /// <summary>Commit a decision a stateless worker made from the published snapshot <paramref name="snapshotVersion"/>
    /// of a batched study (<see cref="Studies.WorkerDecision"/>): numbered by the study's writer and answered after its
    /// commit; the reply's <see cref="GrainReply.PublishedVersion"/> tells the worker whether a newer snapshot exists.</summary>
    [Alias("Commit")]
    Task<GrainReply> CommitAsync(string line, long snapshotVersion, string? subject, string? requestId);

    /// <summary>The latest published snapshot of a batched study: the state as JSON and its version.</summary>
    [Alias("Published")]
    Task<GrainReply> PublishedAsync();

    /// <summary>The silo this activation runs on (tests and operators: which process owns the study).</summary>
    [Alias("Where")]
    Task<SiloAddress> WhereAsync();
}

/// <summary>A study's answer across silos: a decision, a reward or another value as JSON, or a refusal (status, field, detail).</summary>
[GenerateSerializer, Immutable, Alias("Tandem.GrainReply")]
public sealed class GrainReply
{
    /// <summary>0 for a value, else the HTTP status of the refusal.</summary>
    [Id(0)] public int Status { get; init; }

    /// <summary>The field at fault of a refusal.</summary>
    [Id(1)] public string? Field { get; init; }

    /// <summary>The refusal's one-line reason.</summary>
    [Id(2)] public string? Detail { get; init; }

    /// <summary>The value as JSON (status, state, published snapshot).</summary>
    [Id(3)] public string? Json { get; init; }

    /// <summary>The first reward kept, with a 409 for a second reward.</summary>
    [Id(4)] public double? FirstReward { get; init; }

    /// <summary>The study's latest published model version (with a worker's commit and a published snapshot).</summary>
    [Id(5)] public long PublishedVersion { get; init; }

    /// <summary>The decision of a decide or a worker's commit.</summary>
    [Id(6)] public Studies.DecisionView? Decision { get; init; }

    /// <summary>The accepted reward of a reward.</summary>
    [Id(7)] public Studies.RewardView? Reward { get; init; }
}
