using MathNet.Numerics.Distributions;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Cohort;

/// <summary>A generated beneficiary: features, true transitions and the probability of starting engaged.</summary>
public sealed record Beneficiary(double[] Features, ArmDynamics Dynamics, double InitialEngaged);

/// <summary>
/// The ARMMAN-like cohort generator (specs/DLM.md; the real data are private). Feature groups are drawn from
/// their marginals (education and income through a shared latent socio-economic score); transitions are
/// logistic in the features plus a per-arm random effect, with a non-negative call effect ("acting never hurts")
/// and a higher engaged intercept ("engaged is sticky", then enforced exactly). Arms start engaged with the
/// stationary probability of their passive chain.
/// </summary>
public sealed class CohortGenerator
{
    private readonly CohortParameters _p;

    /// <summary>Create a generator; validates <paramref name="parameters"/>.</summary>
    public CohortGenerator(CohortParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        _p = parameters;
    }

    /// <summary>The parameters in use.</summary>
    public CohortParameters Parameters => _p;

    /// <summary>Generate the population of <see cref="CohortParameters.PopulationSize"/> beneficiaries for a seed.</summary>
    public Beneficiary[] Population(ulong seed)
    {
        var rng = new Xoshiro256(Seeds.Derive(seed, "population"));
        var result = new Beneficiary[_p.PopulationSize];
        for (int i = 0; i < result.Length; i++) result[i] = Draw(rng);
        return result;
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

    /// <summary>Draw one beneficiary.</summary>
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
        f[16 + Ordinal(rho * z + rest * rng.NextGaussian(), _p.Education)] = 1;
        f[23 + Categorical(rng, _p.PhoneOwner)] = 1;
        f[26 + Categorical(rng, _p.CallSlot)] = 1;
        f[32 + Categorical(rng, _p.Organisation)] = 1;
        f[35 + Ordinal(rho * z + rest * rng.NextGaussian(), _p.Income)] = 1;

        double u = _p.Passive.IndividualSd * rng.NextGaussian();
        double passive = _p.Passive.Linear(f) + u;
        double l0 = _p.Passive.Intercept0 + passive;
        double l1 = _p.Passive.Intercept1 + passive;
        double effect = Math.Exp(_p.Effect.Intercept + _p.Effect.Linear(f) + _p.Effect.IndividualSd * rng.NextGaussian());
        double p00 = Sigmoid(l0), p01 = Sigmoid(l1);
        double p10 = Sigmoid(l0 + effect + _p.Effect.State0Extra), p11 = Sigmoid(l1 + effect);
        p11 = Math.Max(p11, p10); // engaged is sticky under a call too
        var dynamics = new ArmDynamics(p00, p01, p10, p11);
        double stationary = p00 / (1 - p01 + p00);
        return new Beneficiary(f, dynamics, stationary);
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

    // Standard-normal latent cut at the quantiles of the marginal, so the marginal is exact.
    private static int Ordinal(double latent, double[] p)
    {
        double acc = 0;
        for (int i = 0; i < p.Length - 1; i++)
        {
            acc += p[i];
            if (latent < Normal.InvCDF(0, 1, Math.Min(acc, 1 - 1e-12))) return i;
        }
        return p.Length - 1;
    }

    private static int Poisson(Xoshiro256 rng, double mean)
    {
        double l = Math.Exp(-mean), p = 1;
        int k = 0;
        do { k++; p *= rng.NextDouble(); } while (p > l);
        return k - 1;
    }
}
