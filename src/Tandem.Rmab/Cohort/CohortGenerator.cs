using MathNet.Numerics.Distributions;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Cohort;

/// <summary>A generated beneficiary: features, true transitions and the probability of starting engaged.</summary>
public sealed record Beneficiary(double[] Features, ArmDynamics Dynamics, double InitialEngaged);

/// <summary>
/// The ARMMAN-like cohort generator (specs/DLM.md; the real data are private). Feature groups are drawn from
/// their marginals (education and income through a shared latent socio-economic score, education also shifted by
/// age); true transitions are logistic in the features plus a per-arm random effect, with a positive call effect
/// and a higher engaged intercept. When the parameters name a <see cref="HistoryStudy"/>, the population's shipped
/// transitions are the smoothed estimates from a simulated 7-week study in which 20% were called (seed 001 App. B-C),
/// so a call's estimated effect can be zero or negative; "engaged is sticky" is enforced on the estimates. Arms start
/// engaged with the stationary probability of their (shipped) passive chain.
/// </summary>
public sealed class CohortGenerator
{
    private readonly CohortParameters _p;
    private readonly double[] _educationCuts;
    private readonly double[] _incomeCuts;

    /// <summary>Create a generator; validates <paramref name="parameters"/>.</summary>
    public CohortGenerator(CohortParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        _p = parameters;
        _educationCuts = Cuts(parameters.Education, parameters.Age, parameters.EducationShiftByAge);
        _incomeCuts = Cuts(parameters.Income, parameters.Age, []);
    }

    /// <summary>The parameters in use.</summary>
    public CohortParameters Parameters => _p;

    /// <summary>Generate the population of <see cref="CohortParameters.PopulationSize"/> beneficiaries for a seed.</summary>
    public Beneficiary[] Population(ulong seed) => PopulationAndTruth(seed).Shipped;

    /// <summary>The population of a seed twice: with the true transitions it was drawn with, and as shipped (the
    /// simulated study's estimates when the parameters name a <see cref="HistoryStudy"/>, else the same array). The
    /// shipped array is exactly <see cref="Population"/>'s; <see cref="EffectCalibration"/> plans on it and scores
    /// on the truth.</summary>
    public (Beneficiary[] Truth, Beneficiary[] Shipped) PopulationAndTruth(ulong seed)
    {
        var rng = new Xoshiro256(Seeds.Derive(seed, "population"));
        var result = new Beneficiary[_p.PopulationSize];
        for (int i = 0; i < result.Length; i++) result[i] = Draw(rng);
        return (result, _p.History is { } study ? Estimated(result, study, Seeds.Derive(seed, "history")) : result);
    }

    /// <summary>
    /// The population as ARMMAN's simulator sees it (seed 001 App. C: "we only interface with this estimated transition
    /// matrix per beneficiary"): simulate <see cref="HistoryStudy.Weeks"/> transitions of every beneficiary under her true
    /// transitions, a share <see cref="HistoryStudy.CalledShare"/> (the most at risk, or at random) receiving one call at a
    /// uniformly drawn week, and replace
    /// each P[s, a, 1] by (k₁ + m·p̄) / (k + m) with p̄ the population frequency. "Acting never hurts" is not imposed.
    /// </summary>
    private static Beneficiary[] Estimated(Beneficiary[] truth, HistoryStudy study, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        int n = truth.Length;
        bool[]? atRisk = null;
        if (study.CallsTargetRisk)
        {
            atRisk = new bool[n];
            int called = (int)Math.Round(study.CalledShare * n);
            foreach (int i in Enumerable.Range(0, n).OrderBy(i => truth[i].InitialEngaged).ThenBy(i => i).Take(called)) atRisk[i] = true;
        }
        var count = new int[n * 4];
        var ones = new int[n * 4];
        for (int i = 0; i < n; i++)
        {
            ArmDynamics d = truth[i].Dynamics;
            int s = rng.NextDouble() < truth[i].InitialEngaged ? 1 : 0;
            bool isCalled = atRisk is null ? rng.NextDouble() < study.CalledShare : atRisk[i];
            int callWeek = isCalled ? rng.Next(study.Weeks) : -1;
            for (int t = 0; t < study.Weeks; t++)
            {
                int a = t == callWeek ? 1 : 0;
                int next = rng.NextDouble() < d.ToEngaged(s, a) ? 1 : 0;
                count[4 * i + 2 * a + s]++;
                ones[4 * i + 2 * a + s] += next;
                s = next;
            }
        }
        var pop = new double[4];
        for (int k = 0; k < 4; k++)
        {
            long c = 0, o = 0;
            for (int i = 0; i < n; i++) { c += count[4 * i + k]; o += ones[4 * i + k]; }
            pop[k] = (o + 1.0) / (c + 2.0); // Laplace, so a pair never observed in the whole study is 1/2
        }
        var result = new Beneficiary[n];
        for (int i = 0; i < n; i++)
        {
            double Est(int k)
            {
                double c = count[4 * i + k] + study.PriorWeight;
                return c > 0 ? (ones[4 * i + k] + study.PriorWeight * pop[k]) / c : pop[k];
            }
            double p00 = Est(0), p01 = Est(1), p10 = Est(2), p11 = Est(3);
            p01 = Math.Max(p01, p00); // engaged is sticky (specs/DLM.md), without and with a call
            p11 = Math.Max(p11, p10);
            var dynamics = new ArmDynamics(p00, p01, p10, p11);
            result[i] = truth[i] with { Dynamics = dynamics, InitialEngaged = Stationary(p00, p01) };
        }
        return result;
    }

    private static double Stationary(double p00, double p01)
    {
        double d = 1 - p01 + p00;
        return d > 0 ? p00 / d : 0.5;
    }

    /// <summary>An instance of <paramref name="arms"/> beneficiaries sampled without replacement from
    /// <paramref name="population"/> with a budget of <paramref name="budget"/> calls.</summary>
    public static RmabInstance Sample(IReadOnlyList<Beneficiary> population, int arms, int budget, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(population);
        ArgumentOutOfRangeException.ThrowIfLessThan(arms, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(arms, population.Count);
        var rng = new Xoshiro256(Seeds.Derive(seed, "sample"));
        var chosen = new int[population.Count];
        for (int i = 0; i < chosen.Length; i++) chosen[i] = i;
        for (int k = 0; k < arms; k++)
        {
            int j = k + rng.Next(chosen.Length - k);
            (chosen[k], chosen[j]) = (chosen[j], chosen[k]);
        }
        var picked = chosen.Take(arms).Select(i => population[i]).ToArray();
        return new RmabInstance(picked.Select(b => b.Dynamics).ToArray(), picked.Select(b => b.Features).ToArray(), picked.Select(b => b.InitialEngaged).ToArray(), budget);
    }

    /// <summary>Draw one beneficiary with her true transitions (<see cref="Population"/> replaces them by the simulated
    /// study's estimates when the parameters name one).</summary>
    public Beneficiary Draw(Xoshiro256 rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var f = new double[Features.Count];
        // Integer features 0-6 (kept in the data, never shown to a designer).
        f[0] = 5 + rng.Next(31);
        f[1] = rng.NextDouble() < 0.2 ? 1 : 0;
        int gravidity = 1 + Poisson(rng, 1.2);
        f[2] = gravidity;
        int parity = Math.Min(gravidity - 1, Poisson(rng, 0.9));
        f[3] = parity;
        int still = parity > 0 && rng.NextDouble() < 0.05 ? 1 : 0;
        f[4] = still;
        f[5] = parity - still;
        f[6] = 1 + rng.Next(60);

        f[7 + Categorical(rng, _p.Age)] = 1;
        f[12 + Categorical(rng, _p.Language)] = 1;
        double z = rng.NextGaussian();
        double rho = _p.SocioeconomicLoading, rest = Math.Sqrt(1 - rho * rho);
        int age = Array.IndexOf(f, 1.0, 7, 5) - 7;
        double shift = _p.EducationShiftByAge.Length == 0 ? 0 : _p.EducationShiftByAge[age];
        f[16 + Ordinal(shift + rho * z + rest * rng.NextGaussian(), _educationCuts)] = 1;
        f[23 + Categorical(rng, _p.PhoneOwner)] = 1;
        f[26 + Categorical(rng, _p.CallSlot)] = 1;
        f[32 + Categorical(rng, _p.Organisation)] = 1;
        f[35 + Ordinal(rho * z + rest * rng.NextGaussian(), _incomeCuts)] = 1;

        double u = _p.Passive.IndividualSd * rng.NextGaussian();
        double passive = _p.Passive.Linear(f) + u;
        double l0 = _p.Passive.Intercept0 + passive;
        double l1 = _p.Passive.Intercept1 + passive;
        double effect = Math.Exp(_p.Effect.Intercept + _p.Effect.Linear(f) + _p.Effect.IndividualSd * rng.NextGaussian());
        double p00 = Sigmoid(l0), p01 = Sigmoid(l1);
        double p10 = Sigmoid(l0 + effect + _p.Effect.State0Extra), p11 = Sigmoid(l1 + effect);
        p11 = Math.Max(p11, p10); // engaged is sticky under a call too
        var dynamics = new ArmDynamics(p00, p01, p10, p11);
        return new Beneficiary(f, dynamics, Stationary(p00, p01));
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static int Categorical(Xoshiro256 rng, double[] p)
    {
        double u = rng.NextDouble(), acc = 0;
        for (int i = 0; i < p.Length - 1; i++)
        {
            acc += p[i];
            if (u < acc) return i;
        }
        return p.Length - 1;
    }

    private static int Ordinal(double latent, double[] cuts)
    {
        for (int i = 0; i < cuts.Length; i++)
            if (latent < cuts[i]) return i;
        return cuts.Length;
    }

    // Cut points of a unit-variance latent at the cumulative probabilities of the marginal p, so the marginal is exact:
    // the standard normal's quantiles without shifts, else the quantiles of the mixture Σ_k age_k N(shift_k, 1), found
    // by bisection.
    private static double[] Cuts(double[] p, double[] age, double[] shift)
    {
        var cuts = new double[p.Length - 1];
        double acc = 0;
        bool shifted = shift.Any(x => x != 0);
        for (int i = 0; i < cuts.Length; i++)
        {
            acc += p[i];
            double q = Math.Min(acc, 1 - 1e-12);
            if (!shifted) { cuts[i] = Normal.InvCDF(0, 1, q); continue; }
            double lo = -40, hi = 40;
            for (int it = 0; it < 200 && hi - lo > 1e-13; it++)
            {
                double mid = 0.5 * (lo + hi), cdf = 0;
                for (int k = 0; k < age.Length; k++) cdf += age[k] * Normal.CDF(shift[k], 1, mid);
                if (cdf < q) lo = mid; else hi = mid;
            }
            cuts[i] = 0.5 * (lo + hi);
        }
        return cuts;
    }

    private static int Poisson(Xoshiro256 rng, double mean)
    {
        double l = Math.Exp(-mean), p = 1;
        int k = 0;
        do { k++; p *= rng.NextDouble(); } while (p > l);
        return k - 1;
    }
}
