using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Planning;

/// <summary>What a planner plans for: the transitions it believes, the per-arm rewards of each state, the budget
/// and the discount. The transitions may be the true ones or estimates (<see cref="Simulation.TransitionEstimator"/>).</summary>
/// <param name="Dynamics">Per-arm transitions the planner uses.</param>
/// <param name="Rewards">Per-arm rewards R(f_n, s) tabulated for s = 0, 1.</param>
/// <param name="Budget">Calls per step B, 0 ≤ B ≤ N.</param>
/// <param name="Discount">Discount γ in [0, 1).</param>
public sealed record PlanningProblem(IReadOnlyList<ArmDynamics> Dynamics, RewardTable Rewards, int Budget, double Discount)
{
    /// <summary>Throws when the shapes or ranges are inconsistent.</summary>
    public void Validate()
    {
        if (Rewards.ArmCount != Dynamics.Count) throw new ArgumentException($"The reward table has {Rewards.ArmCount} arms, the dynamics {Dynamics.Count}.");
        if (Budget < 0 || Budget > Dynamics.Count) throw new ArgumentOutOfRangeException(nameof(Budget), Budget, $"The budget must lie in [0, {Dynamics.Count}].");
        if (!(Discount >= 0 && Discount < 1)) throw new ArgumentOutOfRangeException(nameof(Discount), Discount, "The discount must lie in [0, 1).");
    }
}

/// <summary>A per-arm, per-state table of rewards R(f_n, s), s ∈ {0, 1}.</summary>
public sealed class RewardTable
{
    /// <summary>Create from the two columns (same length, finite values).</summary>
    public RewardTable(double[] state0, double[] state1)
    {
        ArgumentNullException.ThrowIfNull(state0);
        ArgumentNullException.ThrowIfNull(state1);
        if (state0.Length != state1.Length) throw new ArgumentException("Both columns need one value per arm.", nameof(state1));
        for (int i = 0; i < state0.Length; i++)
        {
            if (!double.IsFinite(state0[i]) || !double.IsFinite(state1[i]))
                throw new ArgumentException($"Arm {i} has a non-finite reward.", nameof(state0));
        }
        State0 = state0;
        State1 = state1;
    }

    /// <summary>Rewards of state 0 (not engaged).</summary>
    public double[] State0 { get; }

    /// <summary>Rewards of state 1 (engaged).</summary>
    public double[] State1 { get; }

    /// <summary>Number of arms.</summary>
    public int ArmCount => State0.Length;

    /// <summary>R(f_n, s).</summary>
    public double this[int arm, int state] => state == 0 ? State0[arm] : State1[arm];

    /// <summary>The Default reward R = state for <paramref name="arms"/> arms.</summary>
    public static RewardTable EngagementOnly(int arms) => new(new double[arms], Enumerable.Repeat(1.0, arms).ToArray());
}

/// <summary>A planned RMAB policy: each step it picks at most B arms to call.</summary>
public interface IRmabPolicy
{
    /// <summary>Set <c>actions[n] = 1</c> for the arms to call this step and 0 elsewhere.</summary>
    /// <param name="states">Current state (0 or 1) of every arm.</param>
    /// <param name="actions">Destination, one entry per arm.</param>
    /// <param name="random">The policy's own stream (tie-breaks, random choice); never the environment's.</param>
    void Act(ReadOnlySpan<byte> states, Span<byte> actions, Xoshiro256 random);
}

/// <summary>Plans a policy for a problem (the RMAB counterpart of a learner; ARCHITECTURE.md gives RMAB its own
/// small interface).</summary>
public interface IRmabPlanner
{
    /// <summary>Display name, e.g. "Whittle".</summary>
    string Name { get; }

    /// <summary>Plan a policy for <paramref name="problem"/>.</summary>
    /// <param name="problem">Arms, rewards, budget and discount.</param>
    /// <param name="cancellationToken">Long planning (many arms, training) observes it every few milliseconds and
    /// throws <see cref="OperationCanceledException"/>.</param>
    IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default);
}

/// <summary>The Whittle index planner (how ARMMAN's deployed RMAB works): each step call the B arms with the
/// largest index for their current state, ties broken at random.</summary>
public sealed class WhittlePlanner : IRmabPlanner
{
    /// <inheritdoc />
    public string Name => "Whittle";

    /// <inheritdoc />
    public IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        int n = problem.Dynamics.Count;
        var i0 = new double[n];
        var i1 = new double[n];
        var indexable = new bool[n];
        var dynamics = problem.Dynamics as ArmDynamics[] ?? problem.Dynamics.ToArray();
        WhittleIndex.Compute(dynamics, problem.Rewards.State0, problem.Rewards.State1, problem.Discount, i0, i1, indexable, cancellationToken);
        return new IndexPolicy(i0, i1, indexable, problem.Budget);
    }
}

/// <summary>A planned policy that ranks arms by a per-(arm, state) index and calls the B largest (Whittle, or PPO's
/// log-odds of P(act)); <see cref="CallList"/> and the non-indexable count read the indices.</summary>
public interface IIndexRmabPolicy : IRmabPolicy
{
    /// <summary>Index of each arm in state 0.</summary>
    IReadOnlyList<double> Index0 { get; }

    /// <summary>Index of each arm in state 1.</summary>
    IReadOnlyList<double> Index1 { get; }

    /// <summary>Whether each arm is indexable (always true for a learned index).</summary>
    IReadOnlyList<bool> Indexable { get; }
}

/// <summary>Calls the B arms with the largest index for their current state; among arms with equal indices at the
/// budget boundary, a uniformly random subset is called (drawn from the policy's stream).</summary>
/// <remarks>The 2N (arm, state) indices are sorted once; each step walks them in order and keeps the entries that
/// match an arm's current state, so a step costs O(N) with no sorting. Its state (<see cref="IStateful"/>, kind
/// <see cref="StateKind"/>) is the indices, the indexability flags and the budget.</remarks>
public sealed class IndexPolicy : IIndexRmabPolicy, IStateful
{
    /// <summary>The <see cref="PolicyState.Kind"/> of an index policy's state.</summary>
    public const string StateKind = "rmab-index";

    /// <summary>The format version of <see cref="StateKind"/>.</summary>
    public const int StateVersion = 1;

    private double[] _index0;
    private double[] _index1;
    private bool[] _indexable;
    private readonly int _budget;
    private double[] _sortedValue = [];
    private int[] _sortedArm = [];
    private byte[] _sortedState = [];
    private int[] _tied = [];

    /// <summary>Create from per-arm indices of state 0 and 1.</summary>
    public IndexPolicy(double[] index0, double[] index1, bool[] indexable, int budget)
    {
        ArgumentNullException.ThrowIfNull(index0);
        ArgumentNullException.ThrowIfNull(index1);
        ArgumentNullException.ThrowIfNull(indexable);
        // A NaN index equals nothing, so Act's walk over groups of equal values would never advance.
        if (index0.Any(double.IsNaN) || index1.Any(double.IsNaN)) throw new ArgumentException("An index is NaN.", nameof(index0));
        if (index1.Length != index0.Length || indexable.Length != index0.Length) throw new ArgumentException("One index and flag per arm.", nameof(index1));
        _index0 = index0;
        _index1 = index1;
        _indexable = indexable;
        _budget = budget;
        Sort();
    }

    private void Sort()
    {
        int n = _index0.Length;
        var order = new int[2 * n];
        var keys = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            order[2 * i] = 2 * i;
            keys[2 * i] = -_index0[i];
            order[2 * i + 1] = 2 * i + 1;
            keys[2 * i + 1] = -_index1[i];
        }
        Array.Sort(keys, order);
        _sortedValue = new double[2 * n];
        _sortedArm = new int[2 * n];
        _sortedState = new byte[2 * n];
        for (int k = 0; k < order.Length; k++)
        {
            _sortedValue[k] = -keys[k];
            _sortedArm[k] = order[k] >> 1;
            _sortedState[k] = (byte)(order[k] & 1);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<double> Index0 => _index0;

    /// <inheritdoc />
    public IReadOnlyList<double> Index1 => _index1;

    /// <inheritdoc />
    public IReadOnlyList<bool> Indexable => _indexable;

    /// <summary>Calls per step B.</summary>
    public int Budget => _budget;

    /// <summary>Number of arms N.</summary>
    public int ArmCount => _index0.Length;

    /// <inheritdoc />
    public PolicyState ExportState() =>
        PolicyStates.Pack(StateKind, StateVersion, new IndexPolicyState(_index0.Length, _budget, [.. _index0], [.. _index1], [.. _indexable]));

    /// <inheritdoc />
    /// <remarks>The number of arms and the budget must match this policy's.</remarks>
    public void ImportState(PolicyState state)
    {
        IndexPolicyState data = Validate(state, _index0.Length, _budget);
        _index0 = [.. data.Index0!];
        _index1 = [.. data.Index1!];
        _indexable = [.. data.Indexable!];
        Sort();
    }

    /// <summary>A new policy from a state exported by <see cref="ExportState"/> (any number of arms and budget).</summary>
    /// <exception cref="PolicyStateException">The state is of another kind or version, inconsistent or not finite.</exception>
    public static IndexPolicy Restore(PolicyState state)
    {
        IndexPolicyState data = Validate(state, arms: null, budget: null);
        return new IndexPolicy([.. data.Index0!], [.. data.Index1!], [.. data.Indexable!], data.Budget);
    }

    private static IndexPolicyState Validate(PolicyState state, int? arms, int? budget)
    {
        var data = PolicyStates.Unpack<IndexPolicyState>(state, StateKind, StateVersion);
        if (arms is int n) PolicyStates.Require(data.Arms == n, $"The '{StateKind}' state has {data.Arms} arms; this policy has {n}.");
        PolicyStates.Require(data.Arms >= 0, $"The '{StateKind}' state has {data.Arms} arms.");
        if (budget is int b) PolicyStates.Require(data.Budget == b, $"The '{StateKind}' state has budget {data.Budget}; this policy has budget {b}.");
        PolicyStates.Require(data.Budget >= 0 && data.Budget <= data.Arms, $"The '{StateKind}' state's budget {data.Budget} is outside [0, {data.Arms}].");
        PolicyStates.RequireLength(data.Index0, data.Arms, "index0");
        PolicyStates.RequireLength(data.Index1, data.Arms, "index1");
        PolicyStates.RequireLength(data.Indexable, data.Arms, "indexable");
        PolicyStates.RequireFinite(data.Index0, "index0");
        PolicyStates.RequireFinite(data.Index1, "index1");
        return data;
    }

    private sealed record IndexPolicyState(int Arms, int Budget, double[]? Index0, double[]? Index1, bool[]? Indexable);

    /// <inheritdoc />
    public void Act(ReadOnlySpan<byte> states, Span<byte> actions, Xoshiro256 random)
    {
        if (states.Length != _index0.Length) throw new ArgumentException($"Expected {_index0.Length} states, got {states.Length}.", nameof(states));
        actions.Clear();
        if (_tied.Length != states.Length) _tied = new int[states.Length];
        int remaining = _budget, i = 0, total = _sortedValue.Length;
        while (remaining > 0 && i < total)
        {
            // One group of equal index values; collect the arms whose current state matches.
            int j = i, count = 0;
            double value = _sortedValue[i];
            while (j < total && _sortedValue[j] == value)
            {
                if (states[_sortedArm[j]] == _sortedState[j]) _tied[count++] = _sortedArm[j];
                j++;
            }
            if (count <= remaining)
            {
                for (int k = 0; k < count; k++) actions[_tied[k]] = 1;
                remaining -= count;
            }
            else
            {
                // Partial Fisher–Yates: a uniform subset of the tied arms fills the budget.
                for (int k = 0; k < remaining; k++)
                {
                    int r = k + random.Next(count - k);
                    (_tied[k], _tied[r]) = (_tied[r], _tied[k]);
                    actions[_tied[k]] = 1;
                }
                remaining = 0;
            }
            i = j;
        }
    }
}

/// <summary>Calls B arms chosen uniformly at random each step (the seed's Random baseline).</summary>
public sealed class RandomPlanner : IRmabPlanner
{
    /// <inheritdoc />
    public string Name => "Random";

    /// <inheritdoc />
    public IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new RandomPolicy(problem.Budget);
    }

    private sealed class RandomPolicy(int budget) : IRmabPolicy
    {
        private int[] _order = [];

        public void Act(ReadOnlySpan<byte> states, Span<byte> actions, Xoshiro256 random)
        {
            int n = states.Length;
            if (_order.Length != n) _order = new int[n];
            for (int i = 0; i < n; i++) _order[i] = i;
            actions.Clear();
            // Partial Fisher–Yates: the first B entries are a uniform B-subset.
            for (int k = 0; k < budget && k < n; k++)
            {
                int j = k + random.Next(n - k);
                (_order[k], _order[j]) = (_order[j], _order[k]);
                actions[_order[k]] = 1;
            }
        }
    }
}

/// <summary>Never calls anyone (the seed's No Action baseline).</summary>
public sealed class NoActionPlanner : IRmabPlanner
{
    /// <inheritdoc />
    public string Name => "No Action";

    /// <inheritdoc />
    public IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default) => new NoActionPolicy();

    private sealed class NoActionPolicy : IRmabPolicy
    {
        public void Act(ReadOnlySpan<byte> states, Span<byte> actions, Xoshiro256 random) => actions.Clear();
    }
}
