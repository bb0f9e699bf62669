using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Tandem.Core.State;
using Tandem.Service.Api;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Orleans;

/// <summary>
/// The grain of one study: on activation it opens the study's <see cref="StudyHost"/> over the shared store (the latest
/// snapshot, then a replay of the events after it: the same startup the embedded service runs after a crash), and
/// forwards every call to it. Reentrant on purpose: the host already serializes the study's commands through its own
/// writer loop, and letting calls overlap is what lets that loop commit them in groups.
/// </summary>
[Reentrant]
internal sealed class StudyGrain(IStudyStore store, TimeProvider time, WriterOptions options, ServiceMetrics metrics, ILocalSiloDetails silo,
    ILogger<StudyGrain> logger) : Grain, IStudyGrain
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private StudyHost? _host;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string id = this.GetPrimaryKeyString();
        try
        {
            StoredStudy stored = await FindAsync(store, id, cancellationToken).ConfigureAwait(true)
                ?? throw new InvalidOperationException($"The shared store has no study '{id}'.");
            _host = await StudyHost.OpenAsync(stored, store, time, options, logger, metrics, cancellationToken).ConfigureAwait(true);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException)
        {
            // The store is failing. Its driver's exception may not cross silos (Orleans has no codec for it): the caller
            // gets an OrleansException naming it, which the front end answers 503.
            throw new OrleansException($"Study '{id}' could not be opened from the store: {ex.GetType().Name}: {ex.Message}");
        }
        logger.LogInformation("Study {Study} activated on {Silo}", id, silo.SiloAddress);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(true); // the writer drains what it has queued
        _host = null;
    }

    /// <summary>The stored study <paramref name="id"/>, or null.</summary>
    internal static async Task<StoredStudy?> FindAsync(IStudyStore store, string id, CancellationToken cancellationToken)
    {
        foreach (StoredStudy stored in await store.ListStudiesAsync(cancellationToken).ConfigureAwait(true))
            if (stored.Id == id) return stored;
        return null;
    }

    public async Task<GrainReply> DecideAsync(GrainContext context, string? subject, string? requestId)
    {
        ArgumentNullException.ThrowIfNull(context);
        StudyHost host = Host;
        object parsed;
        try
        {
            parsed = context.Read(host.ReadContext);
        }
        catch (RequestException refused)
        {
            return Refusal(refused);
        }
        return From(await host.DecideAsync(new DecideCommand(parsed, subject, requestId)).ConfigureAwait(true), view => new GrainReply { Decision = view });
    }

    public async Task<GrainReply> RewardAsync(string decisionId, double reward, string? realizedContext)
    {
        StudyHost host = Host;
        if (realizedContext is null)
            return From(await host.RewardAsync(new RewardCommand(decisionId, reward, default)).ConfigureAwait(true), view => new GrainReply { Reward = view });
        using var document = JsonDocument.Parse(realizedContext);
        return From(await host.RewardAsync(new RewardCommand(decisionId, reward, document.RootElement)).ConfigureAwait(true), view => new GrainReply { Reward = view });
    }

    public async Task<GrainReply> StatusAsync() => From(await Host.StatusAsync().ConfigureAwait(true), AsJson);

    public async Task<GrainReply> ExportAsync()
    {
        Reply<PolicyState> reply = await Host.ExportAsync().ConfigureAwait(true);
        return reply.Error is { } error ? Refusal(error) : new GrainReply { Json = PolicyStates.Serialize(reply.Value!) };
    }

    public async Task<GrainReply> RestoreAsync(string state)
    {
        PolicyState parsed;
        try
        {
            parsed = PolicyStates.Deserialize(state);
        }
        catch (Exception ex) when (ex is PolicyStateException or JsonException)
        {
            return Refusal(RequestException.Invalid("state", ex.Message));
        }
        return From(await Host.RestoreAsync(parsed).ConfigureAwait(true), AsJson);
    }

    public async Task<GrainReply> CommitAsync(string line, long snapshotVersion, string? subject, string? requestId)
    {
        StudyHost host = Host;
        Reply<DecisionView> reply = await host.CommitWorkerDecisionAsync(new WorkerDecision(line, snapshotVersion, subject, requestId)).ConfigureAwait(true);
        return reply.Error is { } error ? Refusal(error) : new GrainReply { Decision = reply.Value, PublishedVersion = host.ModelVersion };
    }

    public async Task<GrainReply> PublishedAsync()
    {
        Reply<PublishedSnapshot> reply = await Host.PublishedAsync().ConfigureAwait(true);
        return reply.Error is { } error ? Refusal(error) : new GrainReply { Json = reply.Value!.StateJson, PublishedVersion = reply.Value.Version };
    }

    public Task<SiloAddress> WhereAsync() => Task.FromResult(silo.SiloAddress);

    private StudyHost Host => _host ?? throw new InvalidOperationException("The study grain is not active.");

    private static GrainReply AsJson(StudyStatus status) => new() { Json = JsonSerializer.Serialize(status, Json) };

    private GrainReply From<T>(Reply<T> reply, Func<T, GrainReply> value)
    {
        // The host answers 503 when a commit failed (the store is failing) or it is stopping. After a failed commit it
        // reloads from the store, and if that fails too its memory no longer matches the store: end this activation, so
        // the next call reopens the study from the store (and is answered 503 until the store is back).
        if (reply.Error is { Status: 503 }) this.DeactivateOnIdle();
        return reply.Error is { } error ? Refusal(error, reply.Extra as double?) : value(reply.Value!);
    }

    private static GrainReply Refusal(RequestException error, double? first = null) =>
        new() { Status = error.Status, Field = error.Field, Detail = error.Message, FirstReward = first };
}
