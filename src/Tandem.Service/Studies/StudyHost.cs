using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Service.Security;
using Tandem.Service.Storage;

namespace Tandem.Service.Studies;

/// <summary>
/// One study as the API sees it: the single owner of its learner. Everything that reads or changes the learner goes
/// through here, one command at a time, so a later host (an Orleans grain per study over a shared
/// <see cref="IStudyStore"/>, issue 19) can implement the same members without changing the API.
/// </summary>
public interface IStudyHost
{
    /// <summary>The study's spec.</summary>
    StudySpec Spec { get; }

    /// <summary>True when <paramref name="key"/> is this study's key (constant-time).</summary>
    bool VerifyKey(string? key);

    /// <summary>Check a decision request's context (pure; any thread). Throws <see cref="RequestException"/>.</summary>
    object ReadContext(JsonElement context);

    /// <summary>Decide; acknowledged only after the decision is committed.</summary>
    ValueTask<Reply<DecisionView>> DecideAsync(DecideCommand command, CancellationToken cancellationToken = default);

    /// <summary>Record a reward and learn it; acknowledged only after it is committed.</summary>
    ValueTask<Reply<RewardView>> RewardAsync(RewardCommand command, CancellationToken cancellationToken = default);

    /// <summary>Counts and spec.</summary>
    ValueTask<Reply<StudyStatus>> StatusAsync(CancellationToken cancellationToken = default);

    /// <summary>The learner's state.</summary>
    ValueTask<Reply<PolicyState>> ExportAsync(CancellationToken cancellationToken = default);

    /// <summary>Replace the learner's state (logged as a Restore event and snapshotted).</summary>
    ValueTask<Reply<StudyStatus>> RestoreAsync(PolicyState state, CancellationToken cancellationToken = default);
}

/// <summary>Tuning of a study's writer.</summary>
public sealed record WriterOptions
{
    /// <summary>Most commands applied before one commit (group commit). Range: 1..10000. Default 256.</summary>
    public int MaxBatch { get; init; } = 256;

    /// <summary>A snapshot is stored with the first commit after this many events since the last one. Range: ≥ 1. Default 10,000.</summary>
    public int SnapshotEvery { get; init; } = 10_000;

    /// <summary>Throws naming the option out of range.</summary>
    public void Validate()
    {
        if (MaxBatch is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "The batch size must lie in 1..10000.");
        if (SnapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), SnapshotEvery, "The snapshot interval must be ≥ 1 event.");
    }
}

/// <summary>A replayed event did not reproduce what was committed: the store or the learner is not what wrote it.</summary>
public sealed class ReplayDivergedException(string message) : Exception(message);

/// <summary>
/// The single writer of one study: a channel of commands drained by one loop that owns the learner. The loop applies
/// every command waiting (up to <see cref="WriterOptions.MaxBatch"/>) to the learner, commits all their events in one
/// transaction, and only then answers them (group commit: one fsync for the whole group). When a commit fails, the
/// group is answered 503 and the learner is rebuilt from the store, so memory never runs ahead of what is durable.
/// </summary>
public sealed class StudyHost : IStudyHost, IAsyncDisposable
{
    private readonly StoredStudy _stored;
    private readonly IStudyStore _store;
    private readonly TimeProvider _time;
    private readonly WriterOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Work> _channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private readonly JsonElement _specJson;
    private readonly Api.ServiceMetrics _metrics;
    private readonly Func<StudySpec, ILogger?, StudyLearner> _createLearner;

    // Owned by the loop.
    private StudyLearner _learner;
    private readonly Dictionary<long, Pending> _pending = [];
    private readonly Dictionary<long, double> _rewards = [];
    private readonly Dictionary<string, long> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<long, DecisionView> _uncommitted = [];
    private long _lastDecision, _lastEvent, _modelVersion, _snapshotEvent;

    // Batched learning (Spec.BatchSize > 1, docs/hot-studies.md): rewards waiting for their batch, in commit order; the
    // snapshot published by the last batch (what stateless workers decide from); a store snapshot taken at a batch boundary.
    private readonly List<Queued> _queue = [];
    private PolicyState? _published;
    private string? _publishedJson; // serialized once per publication, however many workers fetch it
    private bool _decidedSincePublished = true; // this learner decided (its issuer moved) since _published was exported
    private StoredSnapshot? _boundary;

    // Set when a commit failed and the reload after it failed too: the learner in memory is not the stored one.
    private bool _stale;

    private StudyHost(StoredStudy stored, StudySpec spec, IStudyStore store, TimeProvider time, WriterOptions options, ILogger logger, Api.ServiceMetrics metrics,
        Func<StudySpec, ILogger?, StudyLearner> createLearner)
    {
        _metrics = metrics;
        _createLearner = createLearner;
        _stored = stored;
        Spec = spec;
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
        _learner = createLearner(spec, logger);
        using (var document = JsonDocument.Parse(spec.ToJson())) _specJson = document.RootElement.Clone();
        _loop = Task.Run(RunAsync);
    }

    /// <inheritdoc />
    public StudySpec Spec { get; }

    /// <summary>Open a study: load its latest snapshot and replay the events after it, then start the writer.</summary>
    public static Task<StudyHost> OpenAsync(StoredStudy stored, IStudyStore store, TimeProvider time, WriterOptions options, ILogger logger,
        Api.ServiceMetrics? metrics = null, CancellationToken cancellationToken = default) =>
        OpenAsync(stored, store, time, options, logger, (s, l) => StudyLearner.Create(s, l), metrics, cancellationToken);

    /// <summary><see cref="OpenAsync(StoredStudy, IStudyStore, TimeProvider, WriterOptions, ILogger, Api.ServiceMetrics?, CancellationToken)"/>
    /// with the learners built by <paramref name="createLearner"/> (tests use a learner that fails on purpose).</summary>
    internal static async Task<StudyHost> OpenAsync(StoredStudy stored, IStudyStore store, TimeProvider time, WriterOptions options, ILogger logger,
        Func<StudySpec, ILogger?, StudyLearner> createLearner, Api.ServiceMetrics? metrics = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stored);
        options.Validate();
        var spec = StudySpec.FromJson(stored.SpecJson, stored.Seed);
        var host = new StudyHost(stored, spec, store, time, options, logger, metrics ?? new Api.ServiceMetrics(), createLearner);
        try
        {
            var ready = new Work.Load();
            await host._channel.Writer.WriteAsync(ready, cancellationToken).ConfigureAwait(false);
            var reply = await ready.Completion.Task.ConfigureAwait(false);
            if (reply is Exception ex) throw ex;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return host;
    }

    /// <inheritdoc />
    public bool VerifyKey(string? key) => ApiKeys.Verify(key, _stored.KeySalt, _stored.KeyHash);

    /// <inheritdoc />
    public object ReadContext(JsonElement context) => _learner.ReadContext(context);

    /// <inheritdoc />
    public async ValueTask<Reply<DecisionView>> DecideAsync(DecideCommand command, CancellationToken cancellationToken = default) =>
        (Reply<DecisionView>)await SendAsync(new Work.Decide(command), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<Reply<RewardView>> RewardAsync(RewardCommand command, CancellationToken cancellationToken = default) =>
        (Reply<RewardView>)await SendAsync(new Work.Reward(command), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<Reply<StudyStatus>> StatusAsync(CancellationToken cancellationToken = default) =>
        (Reply<StudyStatus>)await SendAsync(new Work.Status(), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<Reply<PolicyState>> ExportAsync(CancellationToken cancellationToken = default) =>
        (Reply<PolicyState>)await SendAsync(new Work.Export(), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<Reply<StudyStatus>> RestoreAsync(PolicyState state, CancellationToken cancellationToken = default) =>
        (Reply<StudyStatus>)await SendAsync(new Work.Restore(state), cancellationToken).ConfigureAwait(false);

    /// <summary>Commit a decision a stateless worker made from published snapshot <see cref="WorkerDecision.SnapshotVersion"/>
    /// (a batched study only): the writer gives it the study's next decision number and acknowledges it after its commit.</summary>
    public async ValueTask<Reply<DecisionView>> CommitWorkerDecisionAsync(WorkerDecision decision, CancellationToken cancellationToken = default) =>
        (Reply<DecisionView>)await SendAsync(new Work.Commit(decision), cancellationToken).ConfigureAwait(false);

    /// <summary>The latest published snapshot of a batched study and its version (what stateless workers decide from).</summary>
    public async ValueTask<Reply<PublishedSnapshot>> PublishedAsync(CancellationToken cancellationToken = default) =>
        (Reply<PublishedSnapshot>)await SendAsync(new Work.Published(), cancellationToken).ConfigureAwait(false);

    /// <summary>The model version the writer has reached (read without queueing: a hint for stateless workers that a
    /// newer snapshot exists; <see cref="PublishedAsync"/> answers only what is committed).</summary>
    public long ModelVersion => Volatile.Read(ref _modelVersion);

    /// <summary>Stop the writer after the commands already queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _learner.Dispose();
    }

    private async ValueTask<object> SendAsync(Work work, CancellationToken cancellationToken)
    {
        if (!_channel.Writer.TryWrite(work)) return Unavailable(work, "The study is shutting down.");
        // The command is applied and committed whatever happens to the caller: waiting is cancellable, the work is not.
        object reply = await work.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return reply is Exception ex ? Unavailable(work, "The study could not serve the request: " + ex.GetType().Name + ".") : reply;
    }

    private async Task RunAsync()
    {
        var batch = new List<Work>();
        var events = new List<StudyEvent>();
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            events.Clear();
            _uncommitted.Clear();
            _boundary = null;
            bool restored = false;
            while (batch.Count < _options.MaxBatch && reader.TryRead(out Work? work))
            {
                batch.Add(work);
                if (_stale && work is not Work.Load && !await TryReloadAsync().ConfigureAwait(false))
                {
                    work.Result = Unavailable(work, "The study's store is unavailable; nothing was changed. Try again when it is back.");
                    continue;
                }
                try
                {
                    work.Result = work switch
                    {
                        Work.Load => await LoadAsync().ConfigureAwait(false),
                        Work.Decide d => await ApplyDecideAsync(d.Command, events).ConfigureAwait(false),
                        Work.Reward r => await ApplyRewardAsync(r.Command, events).ConfigureAwait(false),
                        Work.Status => Reply<StudyStatus>.Ok(Status()),
                        Work.Export => Reply<PolicyState>.Ok(_learner.Export()),
                        Work.Restore s => await ApplyRestoreAsync(s.State, events).ConfigureAwait(false),
                        Work.Commit c => await ApplyCommitAsync(c.Decision, events).ConfigureAwait(false),
                        Work.Published => Reply<PublishedSnapshot>.Ok(Published()),
                        _ => throw new InvalidOperationException("Unknown command."),
                    };
                }
                catch (RequestException refused)
                {
                    work.Result = Refuse(work, refused); // checked before anything changed
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Study {Study}: a command failed", Spec.Id);
                    work.Result = ex;
                }
                if (work is Work.Restore && work.Result is IReply { Error: null }) restored = true;
                if (work is Work.Load) break; // nothing else runs before the state is loaded
            }

            if (events.Count > 0)
            {
                StoredSnapshot? snapshot = null;
                if (restored || _lastEvent - _snapshotEvent >= _options.SnapshotEvery)
                {
                    // A batched study's learner holds no queued reward only at a batch boundary: a snapshot is of the state
                    // there (now when nothing is queued, else the last boundary of this group), so replay after it is exact.
                    snapshot = _queue.Count == 0 ? new StoredSnapshot(_lastEvent, _modelVersion, PolicyStates.Serialize(_learner.Export())) : _boundary;
                }
                try
                {
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await _store.AppendAsync(Spec.Id, events, snapshot).ConfigureAwait(false);
                    _metrics.Committed(events.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                    if (snapshot is not null) _snapshotEvent = snapshot.EventSequence;
                }
                catch (Exception ex)
                {
                    _metrics.CommitFailed();
                    _logger.LogError(ex, "Study {Study}: committing {Count} events failed; the group is refused and the learner reloaded", Spec.Id, events.Count);
                    foreach (Work work in batch)
                        if (work.Result is IReply { Error: null }) work.Result = new IOException("commit failed");
                    _stale = true; // memory holds what the store refused: nothing is served from it again
                    await TryReloadAsync().ConfigureAwait(false);
                }
            }
            foreach (Work work in batch) work.Completion.TrySetResult(work.Result!);
        }
    }

    // Rebuild the learner from the store after a failed commit; while that fails, the study answers 503 to every
    // command (it never serves or learns from a state the store does not have). True when the state is loaded.
    private async Task<bool> TryReloadAsync()
    {
        try
        {
            await LoadAsync().ConfigureAwait(false);
            _stale = false;
            return true;
        }
        catch (Exception reload)
        {
            _logger.LogCritical(reload, "Study {Study}: reloading from the store failed; the study answers 503 until it succeeds", Spec.Id);
            return false;
        }
    }

    private async Task<object> LoadAsync()
    {
        var learner = _createLearner(Spec, _logger);
        _pending.Clear();
        _queue.Clear();
        (_published, _publishedJson) = (null, null);
        _rewards.Clear();
        _requests.Clear();
        StoredSnapshot? snapshot = await _store.LoadSnapshotAsync(Spec.Id).ConfigureAwait(false);
        long start = 0;
        _modelVersion = 0;
        if (snapshot is not null)
        {
            learner.Import(PolicyStates.Deserialize(snapshot.StateJson));
            start = snapshot.EventSequence;
            _modelVersion = snapshot.ModelVersion;
        }
        _snapshotEvent = start;
        StudyIndex index = await _store.ReadIndexAsync(Spec.Id).ConfigureAwait(false);
        foreach (var (decision, reward) in index.Rewards) _rewards[decision] = reward;
        foreach (var (request, decision) in index.Requests) _requests[request] = decision;
        _lastDecision = index.LastDecision;
        _lastEvent = start;
        if (!ReferenceEquals(_learner, learner)) _learner.Dispose();
        _learner = learner;
        await foreach (StudyEvent e in _store.ReadPendingDecisionsAsync(Spec.Id, start).ConfigureAwait(false))
        {
            using var line = JsonDocument.Parse(e.Body);
            JsonElement root = line.RootElement;
            Decision pendingDecision = ReadDecision(root);
            _pending[e.DecisionSequence] = new Pending(learner.ReadLoggedContext(root.GetProperty("context")), pendingDecision, pendingDecision.Notes.Contains(WorkerDecision.Note));
        }
        await foreach (StudyEvent e in _store.ReadEventsAsync(Spec.Id, start).ConfigureAwait(false))
        {
            await ReplayAsync(e).ConfigureAwait(false);
            _lastEvent = e.Sequence;
        }
        if (_lastEvent != index.LastEvent) throw new ReplayDivergedException($"Study {Spec.Id}: replay ended at event {_lastEvent}, the store holds {index.LastEvent}.");
        return true;
    }

    private Decision ReadDecision(JsonElement line)
    {
        DecisionNotes notes = DecisionNotes.Of(line.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!));
        if (notes.Contains(SafeDefaultDecision.Note))
        {
            return new SafeDefaultDecision
            {
                Id = new DecisionId(0), Time = line.GetProperty("time").GetDateTimeOffset(), Arm = line.GetProperty("arm").GetInt32(),
                Probabilities = ProbabilityVectors.Uniform(Spec.Arms.Count), Notes = notes,
            };
        }
        return _learner.ReadLoggedDecision(line);
    }

    private async Task ReplayAsync(StudyEvent e)
    {
        switch (e.Type)
        {
            case StudyEventType.Decision:
            {
                using var line = JsonDocument.Parse(e.Body);
                JsonElement root = line.RootElement;
                object context = _learner.ReadLoggedContext(root.GetProperty("context"));
                if (ReadNotes(root).Contains(WorkerDecision.Note))
                {
                    // Made by a stateless worker from published snapshot e.ModelVersion: not decided again (the worker's
                    // model may be older than the writer's at this point of the log); kept as logged and adopted when learned.
                    if (e.ModelVersion > _modelVersion)
                        throw new ReplayDivergedException($"Study {Spec.Id}: decision {e.DecisionSequence} was made from snapshot version {e.ModelVersion}, which the log had not yet published (version {_modelVersion}).");
                    _pending[e.DecisionSequence] = new Pending(context, _learner.ReadLoggedDecision(root), Adopt: true);
                    _lastDecision = Math.Max(_lastDecision, e.DecisionSequence);
                    return;
                }
                DateTimeOffset time = root.GetProperty("time").GetDateTimeOffset();
                Decision replayed = await DecideSafelyAsync(context, e.DecisionSequence, time, e.Aux).ConfigureAwait(false);
                _learner.TakeAux();
                // The replayed decision must be the logged one: same arm, same learner id, same notes (compared in place,
                // without rebuilding the logged decision: replay speed is startup time).
                if (replayed.Arm != root.GetProperty("arm").GetInt32() || replayed.Id.Value != root.GetProperty("decisionId").GetInt64() || !SameNotes(replayed.Notes, root.GetProperty("notes")))
                    throw new ReplayDivergedException($"Study {Spec.Id}: replaying decision {e.DecisionSequence} gave arm {replayed.Arm} (id {replayed.Id}, notes {replayed.Notes}); the log has {root.GetProperty("arm")} (id {root.GetProperty("decisionId")}, notes {root.GetProperty("notes")}).");
                _pending[e.DecisionSequence] = new Pending(context, replayed);
                _lastDecision = Math.Max(_lastDecision, e.DecisionSequence);
                break;
            }
            case StudyEventType.Reward:
            {
                using var body = JsonDocument.Parse(e.Body);
                JsonElement root = body.RootElement;
                Pending pending = _pending[e.DecisionSequence];
                // null: as recommended (the decision's own recourse), which is what the live reward used.
                JsonElement given = root.GetProperty("realizedContext");
                ImmutableArray<double> realized = given.ValueKind != JsonValueKind.Null ? [.. given.EnumerateArray().Select(v => v.GetDouble())]
                    : pending.Decision is SafeDefaultDecision ? [] : _learner.ReadRealized(default, pending.Decision);
                await LearnOrQueueAsync(pending, e.Reward ?? root.GetProperty("reward").GetDouble(), realized).ConfigureAwait(false);
                _pending.Remove(e.DecisionSequence);
                break;
            }
            case StudyEventType.Restore:
                await FlushAsync().ConfigureAwait(false);
                _learner.Import(PolicyStates.Deserialize(e.Body));
                _modelVersion++;
                if (Spec.BatchSize > 1) (_published, _publishedJson, _decidedSincePublished) = (_learner.Export(), null, false);
                break;
        }
        if (_modelVersion != e.ModelVersion)
            throw new ReplayDivergedException($"Study {Spec.Id}: after replaying event {e.Sequence} the model version is {_modelVersion}; the log has {e.ModelVersion}.");
    }

    private static bool SameNotes(DecisionNotes notes, JsonElement logged)
    {
        var items = notes.Items;
        if (logged.GetArrayLength() != items.Length) return false;
        int i = 0;
        foreach (JsonElement note in logged.EnumerateArray())
        {
            if (!note.ValueEquals(items[i++])) return false;
        }
        return true;
    }

    private async ValueTask<Decision> DecideSafelyAsync(object context, long sequence, DateTimeOffset time, string? recordedAux)
    {
        _decidedSincePublished = true;
        try
        {
            return await _learner.DecideAsync(context, sequence, time, recordedAux, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Issue 16 §4: a decision always comes back. The learner's failure is logged with its reason and the study's
            // declared safe default is served instead; the learner does not learn from it.
            _logger.LogWarning("Study {Study}: decision {Sequence} fell back to the safe default: {Reason}: {Message}", Spec.Id, sequence, ex.GetType().Name, ex.Message);
            return SafeDefaultDecision.Create(Spec, sequence, time, ex);
        }
    }

    private async ValueTask<(bool Learned, string? Note)> LearnSafelyAsync(Pending pending, double reward, ImmutableArray<double> realized)
    {
        if (pending.Decision is SafeDefaultDecision) return (false, "not-learned:safe-default");
        try
        {
            await _learner.LearnAsync(pending.Context, pending.Decision, reward, realized, CancellationToken.None).ConfigureAwait(false);
            return (true, null);
        }
        catch (UnknownDecisionException)
        {
            return (false, "not-learned:unknown-to-learner");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Study {Study}: learning a reward failed: {Reason}: {Message}", Spec.Id, ex.GetType().Name, ex.Message);
            return (false, "not-learned:" + ex.GetType().Name);
        }
    }

    private async Task<object> ApplyDecideAsync(DecideCommand command, List<StudyEvent> events)
    {
        if (command.RequestId is { } requestId && _requests.TryGetValue(requestId, out long earlier)) return await EarlierAsync(earlier).ConfigureAwait(false);
        long sequence = _lastDecision + 1;
        DateTimeOffset time = _time.GetUtcNow();
        Decision decision = await DecideSafelyAsync(command.Context, sequence, time, recordedAux: null).ConfigureAwait(false);
        if (decision is SafeDefaultDecision) _metrics.SafeDefault();
        string? aux = _learner.TakeAux();
        string line = DecisionLine.Write(Spec.Id, sequence, _learner.PolicyName, decision, _learner, command.Context);
        _lastDecision = sequence;
        events.Add(new StudyEvent(++_lastEvent, StudyEventType.Decision, sequence, command.RequestId, command.Subject, null, _modelVersion, line, aux));
        _pending[sequence] = new Pending(command.Context, decision);
        if (command.RequestId is not null) _requests[command.RequestId] = sequence;
        var result = DecisionView.Of(sequence, decision, _modelVersion, Spec.Arms);
        _uncommitted[sequence] = result;
        return Reply<DecisionView>.Ok(result);
    }

    private async Task<object> EarlierAsync(long earlier)
    {
        if (_uncommitted.TryGetValue(earlier, out DecisionView? view)) return Reply<DecisionView>.Ok(view);
        StudyEvent stored = await _store.ReadDecisionAsync(Spec.Id, earlier).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Request id maps to decision {earlier}, which is not stored.");
        return Reply<DecisionView>.Ok(DecisionView.FromLine(earlier, stored.Body, stored.ModelVersion, Spec.Arms));
    }

    private async Task<object> ApplyRewardAsync(RewardCommand command, List<StudyEvent> events)
    {
        if (!long.TryParse(command.DecisionId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long sequence)
            || sequence < 1 || sequence > _lastDecision)
            return Reply<RewardView>.Fail(new RequestException(404, "decisionId", $"Study '{Spec.Id}' has no decision '{command.DecisionId}'."));
        if (_rewards.TryGetValue(sequence, out double first))
            return Reply<RewardView>.Fail(new RequestException(409, "decisionId", $"Decision {sequence} already has a reward ({first.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}); the first reward is kept."), first);
        Pending pending = _pending[sequence];
        // A safe-default decision is not learned, so it needs no realized context (one given is still checked and stored).
        bool absent = command.RealizedContext.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;
        ImmutableArray<double> realized = pending.Decision is SafeDefaultDecision && absent ? [] : _learner.ReadRealized(command.RealizedContext, pending.Decision);
        (bool learned, string? note, bool flushed) = await LearnOrQueueAsync(pending, command.Reward, realized).ConfigureAwait(false);
        var body = new JsonObject
        {
            ["reward"] = command.Reward,
            ["realizedContext"] = command.RealizedContext.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : new JsonArray([.. realized.Select(v => (JsonNode)v)]),
            ["notes"] = note is null ? new JsonArray() : new JsonArray(note),
        };
        events.Add(new StudyEvent(++_lastEvent, StudyEventType.Reward, sequence, null, null, command.Reward, _modelVersion, body.ToJsonString()));
        if (flushed && _lastEvent - _snapshotEvent >= _options.SnapshotEvery)
            _boundary = new StoredSnapshot(_lastEvent, _modelVersion, PublishedJson());
        _pending.Remove(sequence);
        _rewards[sequence] = command.Reward;
        return Reply<RewardView>.Ok(new RewardView(command.DecisionId, command.Reward, learned, note is null ? [] : [note], _modelVersion));
    }

    private async Task<object> ApplyRestoreAsync(PolicyState state, List<StudyEvent> events)
    {
        PolicyState before = _learner.Export();
        try
        {
            _learner.Import(state); // checked first, so a refused state changes nothing
        }
        catch (PolicyStateException ex)
        {
            return Reply<StudyStatus>.Fail(RequestException.Invalid("state", ex.Message));
        }
        if (_queue.Count > 0)
        {
            // A batched study learns its queued rewards before the state is replaced (as replay does).
            _learner.Import(before);
            await FlushAsync().ConfigureAwait(false);
            _learner.Import(state);
        }
        _modelVersion++;
        string json = PolicyStates.Serialize(state);
        events.Add(new StudyEvent(++_lastEvent, StudyEventType.Restore, 0, null, null, null, _modelVersion, json));
        if (Spec.BatchSize > 1)
        {
            (_published, _publishedJson, _decidedSincePublished) = (_learner.Export(), null, false);
            _boundary = new StoredSnapshot(_lastEvent, _modelVersion, PublishedJson());
        }
        return Reply<StudyStatus>.Ok(Status());
    }

    /// <summary>Learn a reward now (batch size 1: the version moves on when learned), or queue it and learn the queue
    /// when it holds <see cref="StudySpec.BatchSize"/> rewards (the version moves on once per batch that learned any).</summary>
    private async ValueTask<(bool Learned, string? Note, bool Flushed)> LearnOrQueueAsync(Pending pending, double reward, ImmutableArray<double> realized)
    {
        if (Spec.BatchSize == 1)
        {
            (bool learned, string? note) = await LearnSafelyAsync(pending, reward, realized).ConfigureAwait(false);
            if (learned) _modelVersion++;
            return (learned, note, false);
        }
        if (pending.Decision is SafeDefaultDecision) return (false, "not-learned:safe-default", false);
        _queue.Add(new Queued(pending, reward, realized));
        if (_queue.Count < Spec.BatchSize) return (false, QueuedNote, false);
        (bool last, string? lastNote) = await FlushAsync().ConfigureAwait(false);
        return (last, lastNote, true);
    }

    /// <summary>The note of a reward queued for its batch (not learned yet).</summary>
    public const string QueuedNote = "queued-for-batch";

    /// <summary>Learn the queued rewards in commit order (adopting the workers' decisions first) and publish the result;
    /// returns the last reward's outcome.</summary>
    private async ValueTask<(bool Learned, string? Note)> FlushAsync()
    {
        if (_queue.Count == 0) return (false, null);
        List<int> adopted = [.. Enumerable.Range(0, _queue.Count).Where(i => _queue[i].Pending.Adopt)];
        if (adopted.Count > 0)
        {
            // The last publication is the learner's state when nothing changed it since (no decision made here).
            PolicyState current = _published is not null && !_decidedSincePublished ? _published : _learner.Export();
            Decision[] owned = _learner.Adopt([.. adopted.Select(i => _queue[i].Pending.Decision)], current);
            for (int j = 0; j < adopted.Count; j++)
            {
                Queued q = _queue[adopted[j]];
                _queue[adopted[j]] = q with { Pending = q.Pending with { Decision = owned[j] } };
            }
        }
        bool any = false;
        (bool, string?) last = (false, null);
        foreach (Queued q in _queue)
        {
            last = await LearnSafelyAsync(q.Pending, q.Reward, q.Realized).ConfigureAwait(false);
            any |= last.Item1;
        }
        _queue.Clear();
        if (any) _modelVersion++;
        (_published, _publishedJson) = (_learner.Export(), null);
        _decidedSincePublished = false;
        return last;
    }

    private PublishedSnapshot Published()
    {
        if (_published is null) (_published, _publishedJson, _decidedSincePublished) = (_learner.Export(), null, false); // after a load: the model of the last batch (the queue is not in it)
        return new PublishedSnapshot(_modelVersion, PublishedJson());
    }

    private string PublishedJson() => _publishedJson ??= PolicyStates.Serialize(_published!);

    private async Task<object> ApplyCommitAsync(WorkerDecision worker, List<StudyEvent> events)
    {
        if (Spec.BatchSize == 1 || !_learner.CanDecideFromSnapshot)
            return Reply<DecisionView>.Fail(new RequestException(409, "study", $"Study '{Spec.Id}' does not take decisions from stateless workers (batchSize 1, or a kind whose decisions the writer must make)."));
        if (worker.SnapshotVersion > _modelVersion || worker.SnapshotVersion < 0)
            return Reply<DecisionView>.Fail(new RequestException(409, "snapshotVersion", $"Snapshot version {worker.SnapshotVersion} was never published (the latest is {_modelVersion})."));
        if (worker.RequestId is { } requestId && _requests.TryGetValue(requestId, out long earlier))
            return await EarlierAsync(earlier).ConfigureAwait(false); // a retry: the decision committed first is the answer
        long sequence = _lastDecision + 1;
        // The worker wrote the line for decision number 0 (step −1): the number is the writer's; the rest is the worker's.
        string prefix = DecisionLine.Prefix(Spec.Id, 0);
        if (!worker.Line.StartsWith(prefix, StringComparison.Ordinal))
            return Reply<DecisionView>.Fail(RequestException.Invalid("line", $"A worker's decision line must begin with {prefix} (a line of study '{Spec.Id}' written for decision 0)."));
        string line = DecisionLine.Prefix(Spec.Id, sequence) + worker.Line[prefix.Length..];
        Decision decision;
        object context;
        using (var parsed = JsonDocument.Parse(line))
        {
            // Read back as replay will read it, so the live learner and a replay learn the same decision.
            decision = _learner.ReadLoggedDecision(parsed.RootElement);
            context = _learner.ReadLoggedContext(parsed.RootElement.GetProperty("context"));
            if (!decision.Notes.Contains(WorkerDecision.Note)) throw new InvalidOperationException("A worker's decision must carry the note " + WorkerDecision.Note + ".");
        }
        _lastDecision = sequence;
        events.Add(new StudyEvent(++_lastEvent, StudyEventType.Decision, sequence, worker.RequestId, worker.Subject, null, worker.SnapshotVersion, line, null));
        _pending[sequence] = new Pending(context, decision, Adopt: true);
        if (worker.RequestId is not null) _requests[worker.RequestId] = sequence;
        var result = DecisionView.Of(sequence, decision, worker.SnapshotVersion, Spec.Arms);
        _uncommitted[sequence] = result;
        return Reply<DecisionView>.Ok(result);
    }

    private static DecisionNotes ReadNotes(JsonElement line) =>
        DecisionNotes.Of(line.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!));

    private StudyStatus Status() => new(Spec.Id, Spec.Kind, _learner.PolicyName, _lastDecision, _rewards.Count, _pending.Count, _modelVersion, _lastEvent,
        _snapshotEvent, _learner.Usage, _specJson);

    private static object Unavailable(Work work, string message) => Refuse(work, new RequestException(503, "study", message));

    private static object Refuse(Work work, RequestException error) =>
        work switch
        {
            Work.Decide => Reply<DecisionView>.Fail(error),
            Work.Reward => Reply<RewardView>.Fail(error),
            Work.Export => Reply<PolicyState>.Fail(error),
            Work.Commit => Reply<DecisionView>.Fail(error),
            Work.Published => Reply<PublishedSnapshot>.Fail(error),
            _ => Reply<StudyStatus>.Fail(error),
        };

    /// <summary>A decision waiting for its reward; <paramref name="Adopt"/>: made by a stateless worker, so the writer's
    /// learner adopts it (gives it one of its own ids) before learning its reward.</summary>
    private sealed record Pending(object Context, Decision Decision, bool Adopt = false);

    private sealed record Queued(Pending Pending, double Reward, ImmutableArray<double> Realized);

    private abstract class Work
    {
        public TaskCompletionSource<object> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public object? Result { get; set; }

        public sealed class Load : Work;

        public sealed class Decide(DecideCommand command) : Work
        {
            public DecideCommand Command { get; } = command;
        }

        public sealed class Reward(RewardCommand command) : Work
        {
            public RewardCommand Command { get; } = command;
        }

        public sealed class Status : Work;

        public sealed class Export : Work;

        public sealed class Restore(PolicyState state) : Work
        {
            public PolicyState State { get; } = state;
        }

        public sealed class Commit(WorkerDecision decision) : Work
        {
            public WorkerDecision Decision { get; } = decision;
        }

        public sealed class Published : Work;
    }
}
