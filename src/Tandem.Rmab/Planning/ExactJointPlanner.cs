using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Planning;

/// <summary>
/// The exact optimal joint policy of a tiny RMAB (N ≤ 10), by value iteration over the 2^N joint states and
/// every set of at most B arms to call. Exponential: meant for checking other planners in tests.
/// </summary>
public sealed class ExactJointPlanner : IRmabPlanner
{
    /// <summary>Largest N accepted.</summary>
    public const int MaxArms = 10;

    /// <inheritdoc />
    public string Name => "Exact";

    /// <summary>Optimal joint values V*(x) for every joint state x (bit n = state of arm n).</summary>
    public static double[] OptimalValues(PlanningProblem problem, double tolerance = 1e-12)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        int n = problem.Dynamics.Count;
        if (n > MaxArms) throw new ArgumentOutOfRangeException(nameof(problem), n, $"The exact planner handles at most {MaxArms} arms.");
        int[] actionSets = ActionSets(n, problem.Budget);
        var v = new double[1 << n];
        var next = new double[1 << n];
        for (int iter = 0; iter < 100_000; iter++)
        {
            double change = 0;
            for (int x = 0; x < v.Length; x++)
            {
                double best = double.NegativeInfinity;
                foreach (int a in actionSets) best = Math.Max(best, Q(problem, v, x, a));
                next[x] = best;
                change = Math.Max(change, Math.Abs(best - v[x]));
            }
            (v, next) = (next, v);
            if (change < tolerance) break;
        }
        return v;
    }

    /// <summary>Exact discounted values of an arbitrary deterministic joint policy <paramref name="policy"/>
    /// (joint state → bit set of arms called), by iterative policy evaluation.</summary>
    public static double[] PolicyValues(PlanningProblem problem, Func<int, int> policy, double tolerance = 1e-12)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(policy);
        int n = problem.Dynamics.Count;
        if (n > MaxArms) throw new ArgumentOutOfRangeException(nameof(problem), n, $"The exact planner handles at most {MaxArms} arms.");
        int[] chosen = Enumerable.Range(0, 1 << n).Select(policy).ToArray();
        var v = new double[1 << n];
        var next = new double[1 << n];
        for (int iter = 0; iter < 100_000; iter++)
        {
            double change = 0;
            for (int x = 0; x < v.Length; x++)
            {
                next[x] = Q(problem, v, x, chosen[x]);
                change = Math.Max(change, Math.Abs(next[x] - v[x]));
            }
            (v, next) = (next, v);
            if (change < tolerance) break;
        }
        return v;
    }

    /// <inheritdoc />
    public IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default)
    {
        double[] v = OptimalValues(problem);
        int n = problem.Dynamics.Count;
        int[] actionSets = ActionSets(n, problem.Budget);
        var best = new int[1 << n];
        for (int x = 0; x < best.Length; x++)
        {
            double top = double.NegativeInfinity;
            foreach (int a in actionSets)
            {
                double q = Q(problem, v, x, a);
                if (q > top + 1e-12) { top = q; best[x] = a; }
            }
        }
        return new TablePolicy(best);
    }

    // Q(x, a) = Σ_{x'} P(x' | x, a) [Σ_n R_n(x'_n) + γ V(x')]: rewards are earned on the next states, as in
    // the simulator. Arms move independently, so P(x'|x, a) is a product over arms.
    private static double Q(PlanningProblem problem, double[] v, int x, int a)
    {
        int n = problem.Dynamics.Count;
        Span<double> p1 = stackalloc double[n];
        for (int i = 0; i < n; i++) p1[i] = problem.Dynamics[i].ToEngaged((x >> i) & 1, (a >> i) & 1);
        double total = 0;
        for (int y = 0; y < v.Length; y++)
        {
            double p = 1, r = 0;
            for (int i = 0; i < n; i++)
            {
                int s = (y >> i) & 1;
                p *= s == 1 ? p1[i] : 1 - p1[i];
                r += problem.Rewards[i, s];
            }
            if (p != 0) total += p * (r + problem.Discount * v[y]);
        }
        return total;
    }

    private static int[] ActionSets(int n, int budget) =>
        Enumerable.Range(0, 1 << n).Where(a => System.Numerics.BitOperations.PopCount((uint)a) <= budget).ToArray();

    private sealed class TablePolicy(int[] table) : IRmabPolicy
    {
        public void Act(ReadOnlySpan<byte> states, Span<byte> actions, Xoshiro256 random)
        {
            int x = 0;
            for (int i = 0; i < states.Length; i++) x |= states[i] << i;
            int a = table[x];
            for (int i = 0; i < states.Length; i++) actions[i] = (byte)((a >> i) & 1);
        }
    }
}
