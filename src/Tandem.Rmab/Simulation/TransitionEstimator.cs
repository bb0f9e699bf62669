using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Simulation;

/// <summary>
/// Transitions estimated from simulated history, as ARMMAN estimates them from a few weeks of engagement:
/// each arm is observed for <c>weeks</c> steps under random calls with probability <c>callRate</c>, and each
/// P[s, a, 1] is the smoothed frequency (count₁ + k·p̂_pop) / (count + k), where p̂_pop is the population
/// frequency of the same (s, a) pair and k the prior weight. Estimates are then made to respect "acting never
/// hurts" and "engaged is sticky" by taking the needed maxima.
/// </summary>
public static class TransitionEstimator
{
    /// <summary>Estimate every arm's transitions from simulated history.</summary>
    /// <param name="instance">The instance with the true transitions.</param>
    /// <param name="seed">Seed of the history simulation.</param>
    /// <param name="weeks">History length per arm (≥ 1; ARMMAN: 7).</param>
    /// <param name="callRate">Probability of a call in a history step, in [0, 1].</param>
    /// <param name="priorWeight">Pseudo-count k ≥ 0 of the population prior.</param>
    public static ArmDynamics[] Estimate(RmabInstance instance, ulong seed, int weeks = 7, double callRate = 0.3, double priorWeight = 2.0)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentOutOfRangeException.ThrowIfLessThan(weeks, 1);
        if (!(callRate >= 0 && callRate <= 1)) throw new ArgumentOutOfRangeException(nameof(callRate), callRate, "Must lie in [0, 1].");
        if (!(priorWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(priorWeight), priorWeight, "Must be ≥ 0.");
        int n = instance.ArmCount;
        var count = new double[n, 4];
        var ones = new double[n, 4];
        var rng = new Xoshiro256(Seeds.Derive(seed, "history"));
        for (int i = 0; i < n; i++)
        {
            int s = rng.NextDouble() < instance.InitialEngaged[i] ? 1 : 0;
            for (int t = 0; t < weeks; t++)
            {
                int a = rng.NextDouble() < callRate ? 1 : 0;
                int next = rng.NextDouble() < instance.Dynamics[i].ToEngaged(s, a) ? 1 : 0;
                count[i, 2 * a + s]++;
                ones[i, 2 * a + s] += next;
                s = next;
            }
        }
        Span<double> pop = stackalloc double[4];
        for (int k = 0; k < 4; k++)
        {
            double c = 0, o = 0;
            for (int i = 0; i < n; i++) { c += count[i, k]; o += ones[i, k]; }
            pop[k] = (o + 1) / (c + 2);
        }
        var result = new ArmDynamics[n];
        for (int i = 0; i < n; i++)
        {
            double Est(int k, double prior) => (ones[i, k] + priorWeight * prior + 1e-12 * prior) / (count[i, k] + priorWeight + 1e-12);
            double p00 = Est(0, pop[0]), p01 = Est(1, pop[1]), p10 = Est(2, pop[2]), p11 = Est(3, pop[3]);
            p10 = Math.Max(p10, p00);
            p11 = Math.Max(p11, p01);
            p01 = Math.Max(p01, p00);
            p11 = Math.Max(p11, p10);
            result[i] = new ArmDynamics(p00, p01, p10, p11);
        }
        return result;
    }
}
