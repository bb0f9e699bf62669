using Tandem.Core.Randomness;

namespace Tandem.Rmab.Planning;

/// <summary>One beneficiary in this step's plan.</summary>
/// <param name="Arm">Row index of the arm.</param>
/// <param name="State">Its current state.</param>
/// <param name="Index">Its index for the current state (the Whittle index, or the log-odds of P(act) of a PPO policy).</param>
/// <param name="Indexable">Whether the arm is indexable.</param>
/// <param name="Rank">1-based rank by index (called arms first).</param>
/// <param name="Call">Whether to call it this step.</param>
public sealed record CallListEntry(int Arm, int State, double Index, bool Indexable, int Rank, bool Call);

/// <summary>
/// What a programme runs every week: the index of each beneficiary in its current state under an index planner
/// (Whittle by default, or the Lagrangian PPO planner, whose index is the log-odds of P(act)), and the B
/// beneficiaries to call (largest indices; a seeded uniform choice among equal indices at the boundary).
/// </summary>
public static class CallList
{
    /// <summary>Rank every arm and mark the B to call.</summary>
    /// <param name="problem">Arms, rewards, budget and discount.</param>
    /// <param name="states">Each arm's current state.</param>
    /// <param name="seed">Seed of the tie-break among equal indices.</param>
    /// <param name="planner">An index planner (its policy must be an <see cref="IIndexRmabPolicy"/>); null = Whittle.</param>
    /// <param name="cancellationToken">Passed to the planner (index computation, training).</param>
    public static IReadOnlyList<CallListEntry> Plan(PlanningProblem problem, IReadOnlyList<byte> states, ulong seed, IRmabPlanner? planner = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(states);
        problem.Validate();
        if (states.Count != problem.Dynamics.Count) throw new ArgumentException($"Expected {problem.Dynamics.Count} states, got {states.Count}.", nameof(states));
        planner ??= new WhittlePlanner();
        if (planner.Plan(problem, cancellationToken) is not IIndexRmabPolicy policy)
            throw new ArgumentException($"Planner '{planner.Name}' does not rank arms by an index.", nameof(planner));
        byte[] s = states.ToArray();
        var act = new byte[s.Length];
        policy.Act(s, act, new Xoshiro256(Seeds.Derive(seed, "call-list")));
        return Rank(policy, s, act);
    }

    /// <summary>This week's call list from a planned (or restored) policy: its own tie-break stream chooses among equal
    /// indices at the boundary and advances, so the policy saved afterwards gives next week's list. A policy planned for
    /// a problem with tie-break seed <c>Seeds.Derive(seed, "call-list")</c> gives the same list as
    /// <see cref="Plan(PlanningProblem, IReadOnlyList{byte}, ulong, IRmabPlanner?, CancellationToken)"/>.</summary>
    /// <param name="planned">A policy that ranks by an index (Whittle or PPO).</param>
    /// <param name="states">Each arm's current state (0 or 1).</param>
    public static IReadOnlyList<CallListEntry> Plan(PlannedPolicy planned, IReadOnlyList<byte> states)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(states);
        if (planned.Policy is not IIndexRmabPolicy policy) throw new ArgumentException("The planned policy does not rank arms by an index.", nameof(planned));
        if (states.Count != policy.Index0.Count) throw new ArgumentException($"Expected {policy.Index0.Count} states, got {states.Count}.", nameof(states));
        byte[] s = states.ToArray();
        if (s.Any(x => x > 1)) throw new ArgumentException("States must be 0 or 1.", nameof(states));
        var act = new byte[s.Length];
        planned.Act(s, act);
        return Rank(policy, s, act);
    }

    private static CallListEntry[] Rank(IIndexRmabPolicy policy, byte[] s, byte[] act)
    {
        double IndexOf(int i) => s[i] == 0 ? policy.Index0[i] : policy.Index1[i];
        int[] order = Enumerable.Range(0, s.Length).OrderByDescending(i => act[i]).ThenByDescending(IndexOf).ThenBy(i => i).ToArray();
        var result = new CallListEntry[s.Length];
        for (int r = 0; r < order.Length; r++)
        {
            int i = order[r];
            result[r] = new CallListEntry(i, s[i], IndexOf(i), policy.Indexable[i], r + 1, act[i] == 1);
        }
        return result;
    }
}
