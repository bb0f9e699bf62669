using Orleans.Concurrency;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Orleans;

/// <summary>
/// Decisions of a batched study (<c>options.batchSize</c> &gt; 1, docs/hot-studies.md) answered away from its writer:
/// a stateless worker (any number per silo, keyed by the study id) decides from its cached copy of the study's latest
/// published snapshot, and the study grain numbers and commits the decision before it is acknowledged.
/// </summary>
[Alias("Tandem.ISnapshotDecideGrain")]
public interface ISnapshotDecideGrain : IGrainWithStringKey
{
    /// <summary>Decide for <paramref name="context"/> (checked by the front end) from the published snapshot; acknowledged
    /// after the study grain committed it. The reply is the study grain's (its <see cref="GrainReply.Decision"/>).</summary>
    [Alias("Decide")]
    Task<GrainReply> DecideAsync(GrainContext context, string? subject, string? requestId);
}

/// <summary>
/// The stateless worker of <see cref="ISnapshotDecideGrain"/>. Its learner is restored from the study grain's published
/// snapshot and refreshed before the next decision whenever a commit reply says the study has published a newer version.
/// Randomness: each decision draws from its own stream, derived from (study seed, "worker", this activation, snapshot
/// version, decision count within the version), so two workers holding one snapshot never make the same draws.
/// Reentrant: the learner calls of the kinds served here complete synchronously, so calls interleave only while a
/// decision waits for its commit (which is what lets the study's writer commit many workers' decisions in one group).
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class SnapshotDecideGrain(IStudyStore store, TimeProvider time) : Grain, ISnapshotDecideGrain
{
    private StudyLearner? _learner;
    private IStudyGrain? _study;
    private ulong _workerSeed;
    private long _version = -1, _latest = -1, _count;
    private Task<GrainReply?>? _refresh;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string id = this.GetPrimaryKeyString();
        StoredStudy stored = await StudyGrain.FindAsync(store, id, cancellationToken).ConfigureAwait(true)
            ?? throw new InvalidOperationException($"The shared store has no study '{id}'.");
        StudySpec spec = StudySpec.FromJson(stored.SpecJson, stored.Seed);
        _learner = StudyLearner.Create(spec);
        if (spec.BatchSize == 1 || !_learner.CanDecideFromSnapshot)
            throw new InvalidOperationException($"Study '{id}' is not decided by stateless workers (batchSize 1, or kind {spec.Kind}).");
        _study = GrainFactory.GetGrain<IStudyGrain>(id);
        _workerSeed = Seeds.Derive(Seeds.Derive(spec.Seed, "worker"), GrainContext.ActivationId.ToString());
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _learner?.Dispose();
        _learner = null;
        return Task.CompletedTask;
    }

    /// <summary>Fetch and restore the published snapshot; the study grain's refusal, or null.</summary>
    private async Task<GrainReply?> RefreshAsync(StudyLearner learner)
    {
        try
        {
            GrainReply published = await _study!.PublishedAsync().ConfigureAwait(true);
            if (published.Status != 0) return published;
            if (published.PublishedVersion > _version)
            {
                learner.Import(PolicyStates.Deserialize(published.Json!));
                (_version, _count) = (published.PublishedVersion, 0);
            }
            _latest = Math.Max(_latest, published.PublishedVersion);
            return null;
        }
        finally
        {
            _refresh = null;
        }
    }

    public async Task<GrainReply> DecideAsync(GrainContext context, string? subject, string? requestId)
    {
        ArgumentNullException.ThrowIfNull(context);
        StudyLearner learner = _learner ?? throw new InvalidOperationException("The decide worker is not active.");
        if (_version < 0 || _version < _latest)
        {
            // One fetch for all the calls waiting here (the worker is reentrant): a publication costs one state transfer.
            Task<GrainReply?> refresh = _refresh ??= RefreshAsync(learner);
            GrainReply? refused = await refresh.ConfigureAwait(true);
            if (ReferenceEquals(_refresh, refresh)) _refresh = null; // also when it completed before it was stored
            if (refused is not null) return refused;
        }
        object parsed;
        try
        {
            parsed = context.Read(learner.ReadContext);
        }
        catch (RequestException refused)
        {
            return new GrainReply { Status = refused.Status, Field = refused.Field, Detail = refused.Message };
        }
        long version = _version;
        ulong[] stream = new Xoshiro256(Seeds.Derive(Seeds.Derive(_workerSeed, version), ++_count)).GetState();
        Decision decision;
        try
        {
            ValueTask<Decision> deciding = learner.DecideFromSnapshotAsync(parsed, stream, time.GetUtcNow(), CancellationToken.None);
            if (!deciding.IsCompleted) throw new InvalidOperationException("A snapshot decision must complete synchronously (the worker is reentrant).");
            decision = deciding.Result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The study's writer decides instead, with its declared safe default when its learner fails too (issue 16 §4).
            return await _study!.DecideAsync(context, subject, requestId).ConfigureAwait(true);
        }
        decision = decision with { Notes = decision.Notes | DecisionNotes.Of(WorkerDecision.Note) };
        string line = DecisionLine.Write(learner.Spec.Id, 0, learner.PolicyName, decision, learner, parsed);
        GrainReply reply = await _study!.CommitAsync(line, version, subject, requestId).ConfigureAwait(true);
        _latest = Math.Max(_latest, reply.PublishedVersion);
        return reply;
    }
}
