using Tandem.Core.State;

namespace Tandem.Core.Decisions;

/// <summary>When and under which id a decision was made.</summary>
/// <param name="Id">The new id.</param>
/// <param name="Time">The issuer's clock at the time.</param>
public readonly record struct DecisionStamp(DecisionId Id, DateTimeOffset Time);

/// <summary>
/// Issues decision ids and remembers which are still pending (decided, not yet learned), so a policy can
/// refuse a decision it never issued or one it has already learned from. Part of a policy's state
/// (<see cref="Export"/>). Not thread-safe: owned by one policy.
/// </summary>
/// <remarks>Use: <see cref="Issue"/> in Decide; in Learn, <see cref="EnsurePending"/> before touching the
/// model and <see cref="Settle"/> after, so a refused decision or a failed update leaves everything as it was.</remarks>
public sealed class DecisionIssuer
{
    private readonly TimeProvider _time;
    private readonly HashSet<long> _pending = [];
    private long _next = 1;

    /// <summary>Create an issuer on <paramref name="timeProvider"/> (<see cref="TimeProvider.System"/> when null).</summary>
    public DecisionIssuer(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <summary>Decisions issued and not yet settled.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>A new id, pending until settled, stamped with the current time.</summary>
    public DecisionStamp Issue()
    {
        long id = _next++;
        _pending.Add(id);
        return new DecisionStamp(new DecisionId(id), _time.GetUtcNow());
    }

    /// <summary>Throws <see cref="UnknownDecisionException"/> naming <paramref name="paramName"/> when
    /// <paramref name="id"/> was never issued here or has already been learned.</summary>
    public void EnsurePending(DecisionId id, string paramName = "decision")
    {
        if (_pending.Contains(id.Value)) return;
        if (id.Value < 1 || id.Value >= _next)
            throw new UnknownDecisionException($"Decision {id} was never issued by this policy (it has issued decisions 1..{_next - 1}).", paramName);
        throw new UnknownDecisionException($"Decision {id} has already been learned from (or was issued before the state this policy was restored from).", paramName);
    }

    /// <summary>Mark <paramref name="id"/> learned. Call after <see cref="EnsurePending"/> and the update.</summary>
    public void Settle(DecisionId id) => _pending.Remove(id.Value);

    /// <summary>The issuer's state.</summary>
    public DecisionIssuerState Export() => new(_next, [.. _pending.Order()]);

    /// <summary>Check <paramref name="state"/> without applying it; throws <see cref="PolicyStateException"/>.</summary>
    public static void Validate(DecisionIssuerState state)
    {
        if (state is null) throw new PolicyStateException("The decision issuer's state is missing.");
        if (state.Next < 1) throw new PolicyStateException($"The next decision id must be ≥ 1, got {state.Next}.");
        if (state.Pending is null) throw new PolicyStateException("The pending decision ids are missing.");
        foreach (long id in state.Pending)
        {
            if (id < 1 || id >= state.Next) throw new PolicyStateException($"Pending decision {id} lies outside the issued range 1..{state.Next - 1}.");
        }
    }

    /// <summary>Restore a state checked by <see cref="Validate"/>.</summary>
    public void Import(DecisionIssuerState state)
    {
        Validate(state);
        _next = state.Next;
        _pending.Clear();
        foreach (long id in state.Pending) _pending.Add(id);
    }
}

/// <summary>A decision issuer's state.</summary>
/// <param name="Next">The next id to issue.</param>
/// <param name="Pending">Ids issued and not yet learned, ascending.</param>
public sealed record DecisionIssuerState(long Next, long[] Pending);
