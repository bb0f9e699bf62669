using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Experiments;

/// <summary>What a LIBRA study runs; null values take the environment's defaults (specs/LIBRA.md). Pure
/// data: a study is describable by a JSON document of these options.</summary>
public sealed record LibraStudyOptions
{
    /// <summary>Policy ids of <see cref="RecoursePolicies.Catalog"/>: linucb, llm-only, glrb, libra, libra-q0. The default
    /// runs all five: libra-q0 is LIBRA with a random advisor (q = 0), the control that shows what the advice itself
    /// is worth.</summary>
    public IReadOnlyList<string> Policies { get; init; } = ["linucb", "llm-only", "glrb", "libra", "libra-q0"];

    /// <summary>γ. Range: 0 or [<see cref="LibraLimits.MinPositive"/>, <see cref="LibraLimits.MaxScale"/>].</summary>
    public double? Gamma { get; init; }

    /// <summary>Recourse norm name: l2, linf, l1, mahalanobis.</summary>
    public string Norm { get; init; } = "l2";

    /// <summary>LIBRA's Δ in units of σ (the gate asks the advisor while UCB − LCB &gt; Δσ). Range: 0 or ≥
    /// <see cref="LibraLimits.MinPositive"/>, finite.</summary>
    public double? Delta { get; init; }

    /// <summary>The advisors consulted by LLM-only and LIBRA; empty = the environment's default. With several
    /// (seed 000 Figs 6-7: one study, several models), each advisor gets its own LLM-only and LIBRA policy,
    /// named "LIBRA (advisor)".</summary>
    public IReadOnlyList<AdvisorSpec> Advisors { get; init; } = [];

    /// <summary>Non-compliance of the patients (and the matching guard of GLRB and LIBRA).</summary>
    public NonComplianceSpec NonCompliance { get; init; } = NonComplianceSpec.None;

    /// <summary>Confidence radius of GLRB/LIBRA and LinUCB's α: constant ρ in units of σ, or Lemma 2 as proved
    /// (<see cref="RadiusSpec"/>); null = constant with the environment's default ρ.</summary>
    public RadiusSpec? Radius { get; init; }

    /// <summary>σ, the reward-noise scale the bandits are told (unit of a constant ρ; Lemma 2's σ); null = the
    /// environment's stated noise. Range: [<see cref="LibraLimits.MinPositive"/>, <see cref="LibraLimits.MaxScale"/>].</summary>
    public double? Sigma { get; init; }

    /// <summary>LIBRA's safe gate (<see cref="AdvisorGateOptions.SafeGate"/>). Default false.</summary>
    public bool SafeGate { get; init; }

    /// <summary>Ridge λ. Range: [<see cref="LibraLimits.MinPositive"/>, <see cref="LibraLimits.MaxScale"/>].</summary>
    public double? Lambda { get; init; }

    /// <summary>Solver of (ORO-Arm).</summary>
    public OroSolverKind Solver { get; init; } = OroSolverKind.CoordinateDescent;

    /// <summary>Throws naming the first option out of range (<see cref="LibraLimits"/>); null values are the
    /// environment's defaults and are checked once resolved.</summary>
    public void Validate()
    {
        if (Gamma is { } gamma) LibraLimits.CheckScale(gamma, nameof(Gamma), "γ");
        if (Delta is { } delta) LibraLimits.CheckScale(delta, nameof(Delta), "Δ", max: LibraLimits.MaxDelta);
        Radius?.Validate();
        if (Sigma is { } sigma) LibraLimits.CheckScale(sigma, nameof(Sigma), "σ", zeroAllowed: false);
        if (Lambda is { } lambda) LibraLimits.CheckScale(lambda, nameof(Lambda), "λ", zeroAllowed: false);
        ArgumentNullException.ThrowIfNull(Policies, nameof(Policies));
        ArgumentNullException.ThrowIfNull(Advisors, nameof(Advisors));
        ArgumentNullException.ThrowIfNull(NonCompliance, nameof(NonCompliance));
        LibraLimits.CheckScale(NonCompliance.Epsilon, "Epsilon", "ε");
        if (!Enum.IsDefined(Solver)) throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "Unknown solver.");
    }
}

/// <summary>Builds the advisors that live outside this module (language models) for a study; the host
/// supplies it (the options only name advisors, as data).</summary>
public interface IRecourseAdvisorFactory
{
    /// <summary>The advisor named <paramref name="spec"/> for one (run, policy), on that pair's own
    /// <paramref name="problem"/>; null when this factory does not know the spec.</summary>
    IRecourseAdvisor? Create(AdvisorSpec spec, RecourseProblem problem, RunContext run);
}

/// <summary>A study ready to run, with every default resolved (for the summary and the manifest).</summary>
public sealed record LibraStudyPlan(
    IRecourseScenario Scenario,
    RecourseProblem Problem,
    Study<double[], RecourseDecision, RecourseOutcome> Study,
    double Gamma,
    double Delta,
    RadiusSpec Radius,
    double Sigma,
    double Lambda,
    IReadOnlyList<AdvisorSpec> Advisors,
    NonComplianceSpec NonCompliance,
    IReadOnlyList<string> PolicyNames)
{
    /// <summary>The advisors as one line, e.g. "simulated:q=0.8" or "openai:a, openai:b".</summary>
    public string AdvisorText => string.Join(", ", Advisors);
}

/// <summary>Builds LIBRA studies: the seed's four policies on one environment.</summary>
public static class LibraStudy
{
    /// <summary>Resolve options against the scenario's defaults and build the study. Throws
    /// <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) naming the option.</summary>
    /// <param name="scenario">The environment.</param>
    /// <param name="options">What to run.</param>
    /// <param name="advisors">Builds the advisors that are not built-in simulations (language models); null
    /// when every advisor is simulated.</param>
    public static LibraStudyPlan Create(IRecourseScenario scenario, LibraStudyOptions options, IRecourseAdvisorFactory? advisors = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        ScenarioDefaults defaults = scenario.Defaults;
        double gamma = options.Gamma ?? defaults.Gamma;
        double delta = options.Delta ?? defaults.Delta;
        RadiusSpec radius = options.Radius ?? RadiusSpec.Constant(defaults.Rho);
        double sigma = options.Sigma ?? defaults.NoiseScale;
        double lambda = options.Lambda ?? defaults.Lambda;
        options.Validate();
        LibraLimits.CheckScale(gamma, nameof(options.Gamma), "γ");
        LibraLimits.CheckScale(delta, nameof(options.Delta), "Δ", max: LibraLimits.MaxDelta);
        radius.Validate();
        LibraLimits.CheckScale(sigma, nameof(options.Sigma), "σ", zeroAllowed: false);
        LibraLimits.CheckScale(lambda, nameof(options.Lambda), "λ", zeroAllowed: false);
        AdvisorSpec[] specs = options.Advisors.Count > 0 ? options.Advisors.ToArray() : [AdvisorSpec.Parse(defaults.Advisor)];
        if (specs.Select(a => a.ToString()).Distinct().Count() != specs.Length)
            throw new ArgumentException("The same advisor is listed twice.", nameof(options.Advisors));
        if (options.Policies.Count == 0) throw new ArgumentException("At least one policy is needed.", nameof(options.Policies));
        RecoursePolicyEntry[] entries = options.Policies.Select(p => p.Trim().ToLowerInvariant()).Distinct().Select(RecoursePolicies.Find).ToArray();

        RecourseNorm norm = RecourseNorm.Parse(options.Norm, CountMutable(scenario));
        // A problem's feasible set keeps workspaces, so every (run, policy) pair gets its own problem;
        // this one describes the study (names, dimensions) and is never used by a running policy.
        RecourseProblem problem = scenario.CreateProblem(norm, gamma);
        foreach (AdvisorSpec a in specs)
        {
            if (!a.IsSimulated && advisors is null)
                throw new ArgumentException($"Advisor '{a}' needs an advisor factory.", nameof(options.Advisors));
            if (a.Kind == "clinician" && scenario.CreateClinician(problem) is null)
                throw new ArgumentException($"The '{scenario.Name}' environment has no simulated clinician; use simulated:q=Q.", nameof(options.Advisors));
        }

        var guard = options.NonCompliance.Kind switch
        {
            "random" => NonComplianceGuard.Random,
            "adversarial" => NonComplianceGuard.Adversarial,
            _ => NonComplianceGuard.None,
        };
        (ConfidenceRadiusRule rule, double? lipschitz) = radius.Create(problem, sigma, lambda);
        var settings = new RecoursePolicySettings(
            new GlrbOptions
            {
                Lambda = lambda,
                Radius = rule,
                Lipschitz = lipschitz,
                Solver = options.Solver,
                Guard = guard,
                Epsilon = options.NonCompliance.Epsilon,
            },
            rule is ConstantRadius constant
                ? new LinUcbOptions { Alpha = constant.Rho, Lambda = lambda }
                : new LinUcbOptions { Lambda = lambda, Radius = rule },
            // Δ is stated in units of σ like ρ, so the gate compares 2ρσ‖x̃‖_{V⁻¹} with Δσ whatever the reward's units.
            new AdvisorGateOptions { Delta = delta * sigma, SafeGate = options.SafeGate });
        settings.Glrb.Validate();

        // A simulated advisor's stream is named by its position, so a single advisor draws exactly what it drew
        // before several were allowed (same seed, same numbers).
        IRecourseAdvisor CreateAdvisor(int which, RecourseEnvironment environment, RunContext run)
        {
            AdvisorSpec a = specs[which];
            if (a.Kind == "clinician") return scenario.CreateClinician(environment.Problem)!;
            if (a.Kind == "simulated") return new SimulatedQualityAdvisor(environment.Truth, a.Quality, run.CreateRandom(which == 0 ? "advisor" : "advisor-" + which));
            return advisors!.Create(a, environment.Problem, run)
                ?? throw new ArgumentException($"The advisor factory does not know advisor '{a}'.", nameof(advisors));
        }

        string Named(RecoursePolicyEntry entry, int which) =>
            specs.Length == 1 || !entry.UsesAdvisor ? entry.Display : $"{entry.Display} ({specs[which]})";

        var factories = new List<PolicyFactory<double[], RecourseDecision, RecourseOutcome>>();
        foreach (RecoursePolicyEntry entry in entries)
        {
            for (int w = 0; w < (entry.UsesAdvisor ? specs.Length : 1); w++)
            {
                int which = w;
                factories.Add(new(Named(entry, which), (run, env) =>
                {
                    var environment = (RecourseEnvironment)env;
                    IRecourseAdvisor? advisor = entry.UsesAdvisor ? CreateAdvisor(which, environment, run) : null;
                    return entry.Create(new RecoursePolicyContext(environment.Problem, run, settings, advisor, which, environment.Truth));
                }));
            }
        }
        string[] names = factories.Select(f => f.Name).ToArray();

        var study = new Study<double[], RecourseDecision, RecourseOutcome>(
            run =>
            {
                RecourseWorld world = scenario.CreateWorld(scenario.CreateProblem(norm, gamma), run);
                return new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, options.NonCompliance.Create(world.Truth), run.DeriveSeed("environment"));
            },
            factories);
        return new LibraStudyPlan(scenario, problem, study, gamma, delta, radius, sigma, lambda, specs, options.NonCompliance, names);
    }

    private static int CountMutable(IRecourseScenario scenario) =>
        scenario.CreateProblem(RecourseNorm.L2, 0).MutableIndices.Length;
}
