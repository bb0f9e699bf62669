using Tandem.Rmab.Model;

namespace Tandem.Rmab.Planning;

/// <summary>The Whittle index of one arm for its two states, and whether the arm is indexable.</summary>
/// <param name="State0">Index of the not-engaged state.</param>
/// <param name="State1">Index of the engaged state.</param>
/// <param name="Indexable">True when, for both states, the set of subsidies at which passivity is optimal
/// is an interval [W, ∞) (Whittle 1988); the indices of a non-indexable arm are still the bisection roots.</param>
public readonly record struct WhittleResult(double State0, double State1, bool Indexable)
{
    /// <summary>The index for state <paramref name="state"/> ∈ {0, 1}.</summary>
    public double For(int state) => state == 0 ? State0 : State1;
}

/// <summary>
/// Whittle indices of two-state arms with state-dependent rewards (seed 001 §3, Lagrangian relaxation with a
/// subsidy m for passivity). For a fixed m the single-arm MDP is solved exactly: each of the four
/// deterministic stationary policies π has value V^π(m) = A^π + m·U^π (U^π = discounted passive time), found
/// by a 2×2 linear solve, and V*(m) = max_π V^π(m) componentwise. The index of state s is the root of
/// d_s(m) = Q(s, passive) − Q(s, active) = m − γ·(P[s,1,1] − P[s,0,1])·(V*_1(m) − V*_0(m)), found by
/// bisection on a bracket that is exact because d_s is piecewise linear with known breakpoints.
/// </summary>
/// <remarks>
/// The index is positively homogeneous in the rewards, W(c·r) = c·W(r) for c &gt; 0, so a positive rescaling of a
/// reward never changes a ranking (issue 15, defect 9). The solve itself is not: its bracket and tolerance are absolute,
/// and rewards near ±1e308 overflow the 2×2 solves. An arm whose largest reward magnitude lies outside
/// [2^-<see cref="SafeExponent"/>, 2^<see cref="SafeExponent"/>] is therefore solved on its rewards divided by a power
/// of two (exact in floating point) and its indices multiplied back; arms inside the range are solved as before
/// (bit-identical). An index that overflows when multiplied back is refused with <see cref="ArgumentOutOfRangeException"/>.
/// </remarks>
public static class WhittleIndex
{
    private const int MaxIterations = 200;

    /// <summary>Arms whose largest |reward| lies in [2^-20, 2^20] are solved unscaled: there the values (at most
    /// |r|/(1 − γ) ≤ 2^20 · 2^53), breakpoints and bracket stay far from overflow, and the absolute tolerance 1e-12
    /// is small against the index.</summary>
    public const int SafeExponent = 20;

    /// <summary>Arms between checks of the cancellation token in the batch kernel (about 1 ms of work).</summary>
    private const int CancellationStride = 256;

    /// <summary>Indices of one arm with rewards r0 (not engaged) and r1 (engaged).</summary>
    /// <param name="arm">The arm's transitions.</param>
    /// <param name="reward0">Reward of state 0 (finite).</param>
    /// <param name="reward1">Reward of state 1 (finite).</param>
    /// <param name="discount">Discount γ, 0 ≤ γ &lt; 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A reward is not finite, or the index overflows (|W| &gt; 1.8e308).</exception>
    public static WhittleResult Compute(in ArmDynamics arm, double reward0, double reward1, double discount)
    {
        if (!(discount >= 0 && discount < 1)) throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must lie in [0, 1).");
        if (!double.IsFinite(reward0)) throw new ArgumentOutOfRangeException(nameof(reward0), reward0, "Rewards must be finite.");
        if (!double.IsFinite(reward1)) throw new ArgumentOutOfRangeException(nameof(reward1), reward1, "Rewards must be finite.");
        if (!arm.IsValid) throw new ArgumentException("Transition probabilities must lie in [0, 1].", nameof(arm));
        WhittleResult r = ComputeUnchecked(arm, reward0, reward1, discount);
        if (!double.IsFinite(r.State0) || !double.IsFinite(r.State1))
            throw new ArgumentOutOfRangeException(nameof(reward1), reward1, Overflow(reward0, reward1));
        return r;
    }

    /// <summary>Indices of many arms into caller-owned spans (no allocation). Span lengths must match.</summary>
    /// <param name="arms">The arms' transitions.</param>
    /// <param name="reward0">Reward of state 0 per arm (finite).</param>
    /// <param name="reward1">Reward of state 1 per arm (finite).</param>
    /// <param name="discount">Discount γ, 0 ≤ γ &lt; 1.</param>
    /// <param name="index0">Destination: index of state 0 per arm.</param>
    /// <param name="index1">Destination: index of state 1 per arm.</param>
    /// <param name="indexable">Destination: whether each arm is indexable.</param>
    /// <param name="cancellationToken">Observed every few hundred arms (about a millisecond of work).</param>
    /// <exception cref="ArgumentOutOfRangeException">An arm's reward is not finite or its index overflows (names the arm).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static void Compute(ReadOnlySpan<ArmDynamics> arms, ReadOnlySpan<double> reward0, ReadOnlySpan<double> reward1, double discount,
        Span<double> index0, Span<double> index1, Span<bool> indexable, CancellationToken cancellationToken = default)
    {
        int n = arms.Length;
        if (reward0.Length != n || reward1.Length != n || index0.Length != n || index1.Length != n || indexable.Length != n)
            throw new ArgumentException("All spans must have one entry per arm.");
        if (!(discount >= 0 && discount < 1)) throw new ArgumentOutOfRangeException(nameof(discount), discount, "The discount must lie in [0, 1).");
        for (int i = 0; i < n; i++)
        {
            if (i % CancellationStride == 0) cancellationToken.ThrowIfCancellationRequested();
            if (!double.IsFinite(reward0[i]) || !double.IsFinite(reward1[i]))
                throw new ArgumentOutOfRangeException(nameof(reward0), $"Arm {i} has a non-finite reward ({reward0[i]}, {reward1[i]}).");
            WhittleResult r = ComputeUnchecked(arms[i], reward0[i], reward1[i], discount);
            if (!double.IsFinite(r.State0) || !double.IsFinite(r.State1))
                throw new ArgumentOutOfRangeException(nameof(reward1), $"Arm {i}: {Overflow(reward0[i], reward1[i])}");
            index0[i] = r.State0;
            index1[i] = r.State1;
            indexable[i] = r.Indexable;
        }
    }

    private static string Overflow(double r0, double r1) => FormattableString.Invariant(
        $"the Whittle index of rewards ({r0:R}, {r1:R}) overflows a double; rescale the reward (a positive factor does not change the ranking).");

    // Solve on rewards scaled into [2^-SafeExponent, 2^SafeExponent] by a power of two (exact), then scale back; the
    // index may overflow to ±∞ on the way back, which the public methods refuse.
    internal static WhittleResult ComputeUnchecked(in ArmDynamics arm, double r0, double r1, double gamma)
    {
        double top = Math.Max(Math.Abs(r0), Math.Abs(r1));
        if (top == 0 || (top >= Math.ScaleB(1.0, -SafeExponent) && top <= Math.ScaleB(1.0, SafeExponent)))
            return Solve(arm, r0, r1, gamma);
        int e = Math.ILogB(top);
        WhittleResult w = Solve(arm, Math.ScaleB(r0, -e), Math.ScaleB(r1, -e), gamma);
        return new WhittleResult(Math.ScaleB(w.State0, e), Math.ScaleB(w.State1, e), w.Indexable);
    }

    private static WhittleResult Solve(in ArmDynamics arm, double r0, double r1, double gamma)
    {
        var lines = new PolicyLines(arm, r0, r1, gamma);
        Span<double> breaks = stackalloc double[12];
        int count = lines.Breakpoints(breaks);
        breaks = breaks[..count];
        double w0 = Root(lines, 0, arm.Active0 - arm.Passive0, gamma, breaks);
        double w1 = Root(lines, 1, arm.Active1 - arm.Passive1, gamma, breaks);
        bool indexable = IsMonotone(lines, 0, arm.Active0 - arm.Passive0, gamma, breaks)
            && IsMonotone(lines, 1, arm.Active1 - arm.Passive1, gamma, breaks);
        return new WhittleResult(w0, w1, indexable);
    }

    // d_s(m) = Q(s, passive) − Q(s, active).
    private static double Advantage(in PolicyLines lines, double m, double delta, double gamma)
    {
        lines.Optimal(m, out double v0, out double v1);
        return m - gamma * delta * (v1 - v0);
    }

    private static double Root(in PolicyLines lines, int state, double delta, double gamma, ReadOnlySpan<double> breaks)
    {
        _ = state;
        // Beyond every breakpoint the same policy is optimal on each side, so d_s is linear with slope 1 there:
        // a bracket one unit past both the breakpoints and the linear pieces' roots contains every sign change.
        double lo = -1, hi = 1;
        foreach (double b in breaks)
        {
            lo = Math.Min(lo, b - 1);
            hi = Math.Max(hi, b + 1);
        }
        double dLo = Advantage(lines, lo, delta, gamma);
        for (int k = 0; dLo > 0 && k < 64; k++) { lo = 2 * lo - 1; dLo = Advantage(lines, lo, delta, gamma); }
        double dHi = Advantage(lines, hi, delta, gamma);
        for (int k = 0; dHi < 0 && k < 64; k++) { hi = 2 * hi + 1; dHi = Advantage(lines, hi, delta, gamma); }
        for (int i = 0; i < MaxIterations; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (Advantage(lines, mid, delta, gamma) < 0) lo = mid;
            else hi = mid;
            if (hi - lo <= 1e-12 * Math.Max(1.0, Math.Abs(mid))) break;
        }
        // d_s is linear on the final bracket unless a breakpoint falls inside it, so one secant step lands on the
        // exact root (to rounding); fall back to the midpoint when it would leave the bracket.
        double fLo = Advantage(lines, lo, delta, gamma), fHi = Advantage(lines, hi, delta, gamma);
        double root = fHi != fLo ? lo - fLo * (hi - lo) / (fHi - fLo) : 0.5 * (lo + hi);
        if (!(root >= lo && root <= hi)) root = 0.5 * (lo + hi);
        return root == 0 ? 0 : root;
    }

    // Indexable iff passivity, once optimal, stays optimal as the subsidy grows: d_s changes sign at most once,
    // from negative to non-negative. d_s is linear between breakpoints, so checking at the breakpoints, between
    // them and beyond them is exact.
    private static bool IsMonotone(in PolicyLines lines, int state, double delta, double gamma, Span<double> breaks)
    {
        _ = state;
        breaks.Sort();
        bool passive = false;
        double tol = 1e-9;
        for (int i = -1; i <= breaks.Length; i++)
        {
            double m = i < 0 ? (breaks.Length > 0 ? breaks[0] - 1 : -1)
                : i == breaks.Length ? (breaks.Length > 0 ? breaks[^1] + 1 : 1)
                : breaks[i];
            double d = Advantage(lines, m, delta, gamma);
            double scale = Math.Max(1.0, Math.Abs(m));
            if (d > tol * scale) passive = true;
            else if (d < -tol * scale && passive) return false;
            if (i >= 0 && i < breaks.Length - 1)
            {
                double mid = 0.5 * (breaks[i] + breaks[i + 1]);
                double dm = Advantage(lines, mid, delta, gamma);
                double s2 = Math.Max(1.0, Math.Abs(mid));
                if (dm > tol * s2) passive = true;
                else if (dm < -tol * s2 && passive) return false;
            }
        }
        return true;
    }

    /// <summary>Values of the four deterministic stationary policies as lines in the subsidy m.</summary>
    private readonly struct PolicyLines
    {
        // Policy k: action in state 0 = k &amp; 1, action in state 1 = k &gt;&gt; 1 (1 = active).
        private readonly double _a00, _a01, _a10, _a11, _a20, _a21, _a30, _a31; // intercepts A^π_s
        private readonly double _u00, _u01, _u10, _u11, _u20, _u21, _u30, _u31; // slopes U^π_s

        public PolicyLines(in ArmDynamics arm, double r0, double r1, double gamma)
        {
            Solve(arm.Passive0, arm.Passive1, 1, 1, r0, r1, gamma, out _a00, out _a01, out _u00, out _u01);
            Solve(arm.Active0, arm.Passive1, 0, 1, r0, r1, gamma, out _a10, out _a11, out _u10, out _u11);
            Solve(arm.Passive0, arm.Active1, 1, 0, r0, r1, gamma, out _a20, out _a21, out _u20, out _u21);
            Solve(arm.Active0, arm.Active1, 0, 0, r0, r1, gamma, out _a30, out _a31, out _u30, out _u31);
        }

        // V_s = r_s + m·passive_s + γ[(1 − p_s) V_0 + p_s V_1] for both the reward part (A) and the subsidy part (U).
        private static void Solve(double p0, double p1, double passive0, double passive1, double r0, double r1, double gamma,
            out double a0, out double a1, out double u0, out double u1)
        {
            double m00 = 1 - gamma * (1 - p0), m01 = -gamma * p0;
            double m10 = -gamma * (1 - p1), m11 = 1 - gamma * p1;
            double det = m00 * m11 - m01 * m10;
            a0 = (r0 * m11 - m01 * r1) / det;
            a1 = (m00 * r1 - m10 * r0) / det;
            u0 = (passive0 * m11 - m01 * passive1) / det;
            u1 = (m00 * passive1 - m10 * passive0) / det;
        }

        public void Optimal(double m, out double v0, out double v1)
        {
            v0 = Math.Max(Math.Max(_a00 + m * _u00, _a10 + m * _u10), Math.Max(_a20 + m * _u20, _a30 + m * _u30));
            v1 = Math.Max(Math.Max(_a01 + m * _u01, _a11 + m * _u11), Math.Max(_a21 + m * _u21, _a31 + m * _u31));
        }

        // Subsidies where two policies' values cross in either state: the only places where V* bends.
        public int Breakpoints(Span<double> destination)
        {
            Span<double> a0 = [_a00, _a10, _a20, _a30];
            Span<double> u0 = [_u00, _u10, _u20, _u30];
            Span<double> a1 = [_a01, _a11, _a21, _a31];
            Span<double> u1 = [_u01, _u11, _u21, _u31];
            int count = 0;
            for (int i = 0; i < 4; i++)
            {
                for (int j = i + 1; j < 4; j++)
                {
                    double du = u0[i] - u0[j];
                    if (Math.Abs(du) > 1e-14) Add(destination, ref count, (a0[j] - a0[i]) / du);
                    du = u1[i] - u1[j];
                    if (Math.Abs(du) > 1e-14) Add(destination, ref count, (a1[j] - a1[i]) / du);
                }
            }
            return count;
        }

        private static void Add(Span<double> destination, ref int count, double m)
        {
            if (double.IsFinite(m) && count < destination.Length) destination[count++] = m;
        }
    }
}
