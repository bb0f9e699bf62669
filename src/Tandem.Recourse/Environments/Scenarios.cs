using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>The defaults of a study environment, as in specs/LIBRA.md.</summary>
/// <param name="Horizon">T.</param>
/// <param name="Runs">R.</param>
/// <param name="Gamma">γ, the recourse budget.</param>
/// <param name="Delta">Δ, LIBRA's threshold.</param>
/// <param name="Advisor">Default advisor spec ("simulated:q=0.8", "clinician").</param>
/// <param name="Rho">Default constant confidence radius ρ of LinUCB/GLRB/LIBRA, in units of <paramref name="NoiseScale"/>
/// (docs/confidence-radius.md).</param>
/// <param name="Lambda">Ridge λ.</param>
/// <param name="NoiseScale">σ, the reward-noise scale the bandits are told (Lemma 2's σ; the unit of ρ): what the
/// environment states about its noise, not measured from its truth.</param>
public sealed record ScenarioDefaults(int Horizon, int Runs, double Gamma, double Delta, string Advisor, double Rho, double Lambda, double NoiseScale = 1.0);

/// <summary>One run's ground truth and patients.</summary>
public sealed record RecourseWorld(RecourseTruth Truth, IContextSampler Sampler, double NoiseSd);

/// <summary>A study environment: its problem, how each run's world is drawn, and its defaults.</summary>
public interface IRecourseScenario
{
    /// <summary>"synthetic", "hypertension", "fertility".</summary>
    string Name { get; }

    /// <summary>Defaults for the CLI.</summary>
    ScenarioDefaults Defaults { get; }

    /// <summary>What the reward means in reports (e.g. "SBP drop from 170 mmHg").</summary>
    string RewardLabel { get; }

    /// <summary>The problem with the given norm and γ.</summary>
    RecourseProblem CreateProblem(RecourseNorm norm, double gamma);

    /// <summary>Draw run <paramref name="run"/>'s world (θ*, cohort) from its seed.</summary>
    RecourseWorld CreateWorld(RecourseProblem problem, RunContext run);

    /// <summary>The simulated clinician of this environment, or null if it has none.</summary>
    IRecourseAdvisor? CreateClinician(RecourseProblem problem);
}

/// <summary>Built-in scenarios by name.</summary>
public static class Scenarios
{
    /// <summary>Names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["synthetic", "hypertension", "fertility"];

    /// <summary>The prefix of a cohort environment: "csv:PATH".</summary>
    public const string CsvPrefix = "csv:";

    /// <summary>Whether <paramref name="env"/> names a cohort CSV ("csv:PATH").</summary>
    public static bool IsCsv(string? env) => env is not null && env.StartsWith(CsvPrefix, StringComparison.OrdinalIgnoreCase) && env.Length > CsvPrefix.Length;

    /// <summary>Create a scenario; fertility reads its data file from <paramref name="dataDirectory"/>
    /// (default: the <c>data</c> folder beside the application); "csv:PATH" reads a cohort with <paramref name="cohort"/>'s
    /// columns (seed 000 Appendix D's construction, <see cref="CohortScenario"/>).</summary>
    public static IRecourseScenario Create(string name, string? dataDirectory = null, CohortOptions? cohort = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (IsCsv(name))
            return CohortCsv.Load(name[CsvPrefix.Length..], cohort ?? throw new ArgumentException("A csv: environment needs the treatment, outcome and mutable columns.", nameof(cohort)));
        return name.ToLowerInvariant() switch
        {
            "synthetic" => new SyntheticScenario(),
            "hypertension" => new HypertensionScenario(),
            "fertility" => FertilityScenario.Load(FertilityScenario.DefaultPath(dataDirectory)),
            _ => throw new ArgumentException($"Unknown environment '{name}'. Allowed: {string.Join(", ", Names)}, csv:PATH.", nameof(name)),
        };
    }
}
