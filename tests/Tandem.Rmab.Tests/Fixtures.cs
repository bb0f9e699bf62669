using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests;

internal static class Fixtures
{
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "data", "dlm");

    public static DlmTaskSet Tasks { get; } = DlmTaskSet.Load(Path.Combine(DataDirectory, "tasks.json"));

    public static CohortParameters Parameters { get; } = CohortParameters.Load(Path.Combine(DataDirectory, "cohort.json"));

    public static CohortGenerator Generator { get; } = new(Parameters);

    /// <summary>A random arm satisfying "acting never hurts" and "engaged is sticky".</summary>
    public static ArmDynamics StructuredArm(Xoshiro256 rng)
    {
        double p00 = rng.NextDouble() * 0.6;
        double p01 = p00 + rng.NextDouble() * (1 - p00);
        double p10 = p00 + rng.NextDouble() * (1 - p00);
        double p11 = Math.Max(p01, p10) + rng.NextDouble() * (1 - Math.Max(p01, p10));
        return new ArmDynamics(p00, p01, p10, p11);
    }

    /// <summary>Any arm (probabilities uniform in [0, 1]).</summary>
    public static ArmDynamics AnyArm(Xoshiro256 rng) => new(rng.NextDouble(), rng.NextDouble(), rng.NextDouble(), rng.NextDouble());
}
