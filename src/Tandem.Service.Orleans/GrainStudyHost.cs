using System.Text.Json;
using Tandem.Core.State;
using Tandem.Service.Security;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Orleans;

/// <summary>
/// The API's view of a study that lives in a grain: what needs no learner state (the spec, the key check, the context
/// check) is answered here from the stored study; everything else is a call to the study's grain, wherever the cluster
/// placed it. A call the cluster cannot deliver (the owning silo died and the study is not yet reactivated) is answered
/// 503: never acknowledged, so never lost; a client retries with its <c>requestId</c>.
/// </summary>
internal sealed class GrainStudyHost : IStudyHost
{
    private readonly StoredStudy _stored;
    private readonly IStudyGrain _grain;
    private readonly Lazy<StudyLearner> _checker;
    private readonly IGrainFactory _grains;

    public GrainStudyHost(StoredStudy stored, IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(grains);
        _stored = stored;
        Spec = StudySpec.FromJson(stored.SpecJson, stored.Seed);
        _grain = grains.GetGrain<IStudyGrain>(stored.Id);
        _grains = grains;
        // A learner used only to check contexts (ReadContext is pure): never decides or learns here.
        _checker = new Lazy<StudyLearner>(() => StudyLearner.Create(Spec), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public StudySpec Spec { get; }

    public bool VerifyKey(string? key) => ApiKeys.Verify(key, _stored.KeySalt, _stored.KeyHash);

    public object ReadContext(JsonElement context)
    {
        // Refuses here, naming the field, before anything crosses the network; what it read crosses as is (GrainContext).
        return new CheckedContext(GrainContext.Of(_checker.Value.ReadContext(context), context));
    }

    public async ValueTask<Reply<DecisionView>> DecideAsync(DecideCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Context is not CheckedContext context)
            throw new ArgumentException("The context must come from this host's ReadContext.", nameof(command));
        if (Spec.BatchSize > 1 && _checker.Value.CanDecideFromSnapshot)
        {
            // A batched study's decisions come from its published snapshot, made by a stateless worker on this silo or
            // any other (docs/hot-studies.md); only their commit goes through the study's grain.
            ISnapshotDecideGrain worker = _grains.GetGrain<ISnapshotDecideGrain>(_stored.Id);
            return await CallAsync(() => worker.DecideAsync(context.Wire, command.Subject, command.RequestId), Decision, cancellationToken).ConfigureAwait(false);
        }
        return await CallAsync(() => _grain.DecideAsync(context.Wire, command.Subject, command.RequestId), Decision, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Reply<RewardView>> RewardAsync(RewardCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        string? realized = command.RealizedContext.ValueKind is JsonValueKind.Undefined ? null : command.RealizedContext.GetRawText();
        return await CallAsync(() => _grain.RewardAsync(command.DecisionId, command.Reward, realized), reply => reply.Reward!, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<Reply<StudyStatus>> StatusAsync(CancellationToken cancellationToken = default) =>
        await CallAsync(_grain.StatusAsync, Status, cancellationToken).ConfigureAwait(false);

    public async ValueTask<Reply<PolicyState>> ExportAsync(CancellationToken cancellationToken = default)
    {
        GrainReply? reply = await SendAsync(_grain.ExportAsync, cancellationToken).ConfigureAwait(false);
        if (reply is null) return Reply<PolicyState>.Fail(Unreachable());
        return reply.Status != 0 ? Reply<PolicyState>.Fail(Refusal(reply)) : Reply<PolicyState>.Ok(PolicyStates.Deserialize(reply.Json!));
    }

    public async ValueTask<Reply<StudyStatus>> RestoreAsync(PolicyState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        string json = PolicyStates.Serialize(state);
        return await CallAsync(() => _grain.RestoreAsync(json), Status, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Which silo owns the study now (activating it when it is not active).</summary>
    public Task<SiloAddress> WhereAsync() => _grain.WhereAsync();

    private async Task<Reply<T>> CallAsync<T>(Func<Task<GrainReply>> call, Func<GrainReply, T> value, CancellationToken cancellationToken)
    {
        GrainReply? reply = await SendAsync(call, cancellationToken).ConfigureAwait(false);
        if (reply is null) return Reply<T>.Fail(Unreachable());
        if (reply.Status != 0) return Reply<T>.Fail(Refusal(reply), reply.FirstReward);
        return Reply<T>.Ok(value(reply));
    }

    private static DecisionView Decision(GrainReply reply) => reply.Decision!;

    private static StudyStatus Status(GrainReply reply) => JsonSerializer.Deserialize<StudyStatus>(reply.Json!, StudyGrain.Json)!;

    private static async Task<GrainReply?> SendAsync(Func<Task<GrainReply>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or InvalidOperationException)
        {
            // SiloUnavailableException, OrleansMessageRejectionException, a response timeout, or an activation that
            // failed (the store unreachable): the command may or may not have been committed by the old owner, but it
            // was not acknowledged; a retry with the same requestId returns the committed decision if there is one.
            return null;
        }
    }

    private RequestException Unreachable() =>
        new(503, "study", $"Study '{_stored.Id}' is unreachable (its host is failing over or its store is unavailable); retry with the same requestId.");

    private static RequestException Refusal(GrainReply reply) => new(reply.Status, reply.Field ?? "$", reply.Detail ?? "Refused.");

    /// <summary>A context this host checked, in the form it crosses to the grain.</summary>
    private sealed record CheckedContext(GrainContext Wire);
}

/// <summary>Places every study in its grain (<see cref="IStudyHostFactory"/> of the cluster mode).</summary>
internal sealed class GrainStudyHostFactory(IGrainFactory grains, IStudyStore store) : IStudyHostFactory
{
    public Task<IStudyHost> OpenAsync(StoredStudy stored, CancellationToken cancellationToken = default) =>
        Task.FromResult<IStudyHost>(new GrainStudyHost(stored, grains));

    public IStudyHost? TryOpenShared(string id)
    {
        // Only for an id this process has not seen: one read of the shared store (the registry keeps what it finds).
        StoredStudy? stored = StudyGrain.FindAsync(store, id, CancellationToken.None).GetAwaiter().GetResult();
        return stored is null ? null : new GrainStudyHost(stored, grains);
    }
}
