using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Running;
using Tandem.Core.State;

namespace Tandem.Core.Composition;

/// <summary>
/// Decide from a published snapshot, learn in batches (docs/hot-studies.md): the pattern of a hot study, where many
/// stateless workers decide from the latest snapshot of a learner and one writer owns its updates. Decisions come from
/// the <em>decider</em>, a copy restored from the last published snapshot whose model does not change between
/// publications; rewards are queued, and every <see cref="BatchSize"/> of them the <em>owner</em> learns the batch in
/// arrival order and publishes a new snapshot, which the decider restores. This is the Open Bandit Pipeline's
/// <c>batch_size</c> pattern (st-tech/zr-obp <c>obp/policy/linear.py</c>, <c>BaseLinPolicy.update_params</c>: every
/// observation updates <c>A_inv_temp</c> and <c>b_temp</c>, and the parameters that select actions are replaced by copies
/// of them when <c>n_trial % batch_size == 0</c>).
/// </summary>
/// <remarks>
/// <para>Staleness: a decision is made from a model that lacks up to <see cref="BatchSize"/> − 1 of the observations
/// already received (plus, in a service, those still in flight while a snapshot is published).</para>
/// <para>Hand-over: deciding changes a learner's decision-side state only (its random generator and the ids it has
/// issued and not yet learned), never its model: so at each flush the owner takes the decider's state (the model it
/// published itself, plus the decider's random stream and issued ids) and then learns the batch. With
/// <see cref="BatchSize"/> = 1 every step is therefore exactly the online learner's decide-then-learn, bit for bit.</para>
/// <para>Propensities: a decision's probabilities are those of the snapshot that decided, version
/// <see cref="SnapshotVersion"/> at the time it was made (STYLE 3): that is the policy an off-policy estimate must
/// weight by.</para>
/// <para>A reward for a decision this wrapper did not issue, or one already queued or learned, is refused with
/// <see cref="UnknownDecisionException"/> before anything changes. When the owner refuses an observation during a
/// flush, the owner is put back as it was before the flush, that observation is dropped from the queue, the others
/// stay queued, and the exception propagates. Not thread-safe: one caller at a time, like every policy.</para>
/// </remarks>
public sealed class SnapshotBatchedPolicy<TContext, TDecision, TOutcome> : IPolicy<TContext, TDecision, TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    private readonly IPolicy<TContext, TDecision, TOutcome> _owner;
    private readonly IPolicy<TContext, TDecision, TOutcome> _decider;
    private readonly IStateful _ownerState;
    private readonly IStateful _deciderState;
    private readonly List<(TContext Context, TDecision Decision, TOutcome Outcome)> _queue = [];
    private readonly HashSet<DecisionId> _issued = [];

    /// <summary>Wrap <paramref name="owner"/>, deciding through <paramref name="decider"/>, a second instance of the
    /// same learner built with the same options (its own state is replaced by the owner's snapshot at once).</summary>
    /// <param name="owner">The learner that learns (the writer).</param>
    /// <param name="decider">The copy that decides from the published snapshot.</param>
    /// <param name="batchSize">Observations per update. Range: 1..<see cref="SnapshotBatching.MaxBatchSize"/>; 1 is the online learner.</param>
    /// <exception cref="ArgumentException">A learner cannot save its state, or both are the same instance.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is out of range.</exception>
    public SnapshotBatchedPolicy(IPolicy<TContext, TDecision, TOutcome> owner, IPolicy<TContext, TDecision, TOutcome> decider, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(decider);
        SnapshotBatching.CheckBatchSize(batchSize);
        if (ReferenceEquals(owner, decider))
            throw new ArgumentException("The decider must be a second instance of the learner, not the owner itself.", nameof(decider));
        _ownerState = owner as IStateful ?? throw new ArgumentException($"Policy '{owner.Name}' ({owner.GetType().Name}) cannot save its state, so it cannot publish snapshots.", nameof(owner));
        _deciderState = decider as IStateful ?? throw new ArgumentException($"Policy '{decider.Name}' ({decider.GetType().Name}) cannot restore a snapshot.", nameof(decider));
        _owner = owner;
        _decider = decider;
        BatchSize = batchSize;
        Snapshot = _ownerState.ExportState();
        _deciderState.ImportState(Snapshot);
    }

    /// <inheritdoc />
    public string Name => _owner.Name;

    /// <summary>Observations per update.</summary>
    public int BatchSize { get; }

    /// <summary>The version of the snapshot deciding now: 0 for the owner's state at construction, +1 per batch learned.</summary>
    public long SnapshotVersion { get; private set; }

    /// <summary>The snapshot deciding now (what a service stores and hands to its stateless workers).</summary>
    public PolicyState Snapshot { get; private set; }

    /// <summary>Observations received and not yet learned. Range: 0..<see cref="BatchSize"/> − 1 between calls.</summary>
    public int QueuedCount => _queue.Count;

    /// <summary>Decide from the snapshot <see cref="SnapshotVersion"/>.</summary>
    public async ValueTask<TDecision> DecideAsync(TContext context, CancellationToken cancellationToken = default)
    {
        TDecision decision = await _decider.DecideAsync(context, cancellationToken).ConfigureAwait(false);
        _issued.Add(decision.Id);
        return decision;
    }

    /// <summary>Queue the observation; when <see cref="BatchSize"/> are queued, learn them and publish (see the remarks).</summary>
    public async ValueTask LearnAsync(TContext context, TDecision decision, TOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!_issued.Remove(decision.Id))
            throw new UnknownDecisionException($"Decision {decision.Id} was not issued by this policy, or its reward has already been received.", nameof(decision));
        _queue.Add((context, decision, outcome));
        if (_queue.Count >= BatchSize) await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Learn every queued observation now and publish a new snapshot (nothing happens when none is queued).</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_queue.Count == 0) return;
        // The decider's state is the owner's last publication plus the decision side (random stream, issued ids).
        PolicyState start = _deciderState.ExportState();
        _ownerState.ImportState(start);
        for (int i = 0; i < _queue.Count; i++)
        {
            var (context, decision, outcome) = _queue[i];
            try
            {
                await _owner.LearnAsync(context, decision, outcome, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                _ownerState.ImportState(start);
                _queue.RemoveAt(i);
                throw;
            }
        }
        _queue.Clear();
        Snapshot = _ownerState.ExportState();
        _deciderState.ImportState(Snapshot);
        SnapshotVersion++;
    }
}

/// <summary>Wraps policy factories in <see cref="SnapshotBatchedPolicy{TContext, TDecision, TOutcome}"/>.</summary>
public static class SnapshotBatching
{
    /// <summary>The largest batch size accepted (10⁶ observations).</summary>
    public const int MaxBatchSize = 1_000_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 1 ≤ <paramref name="batchSize"/> ≤ <see cref="MaxBatchSize"/>.</summary>
    public static void CheckBatchSize(int batchSize, string paramName = "batchSize")
    {
        if (batchSize is < 1 or > MaxBatchSize)
            throw new ArgumentOutOfRangeException(paramName, batchSize, $"The batch size must lie in 1..{MaxBatchSize:N0} observations.");
    }

    /// <summary>A factory of <paramref name="factory"/>'s learner deciding from snapshots and learning every
    /// <paramref name="batchSize"/> observations; the owner and the decider are two instances built by
    /// <paramref name="factory"/> for the same run. Named <paramref name="name"/> (the factory's name when null).</summary>
    public static PolicyFactory<TContext, TDecision, TOutcome> Wrap<TContext, TDecision, TOutcome>(
        PolicyFactory<TContext, TDecision, TOutcome> factory, int batchSize, string? name = null)
        where TDecision : Decision
        where TOutcome : IOutcome
    {
        ArgumentNullException.ThrowIfNull(factory);
        CheckBatchSize(batchSize);
        return new PolicyFactory<TContext, TDecision, TOutcome>(name ?? factory.Name,
            (run, environment) => new SnapshotBatchedPolicy<TContext, TDecision, TOutcome>(factory.Create(run, environment), factory.Create(run, environment), batchSize));
    }
}
