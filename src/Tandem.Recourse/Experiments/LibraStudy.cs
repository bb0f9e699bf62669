using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Experiments;

/// <summary>What a LIBRA study runs; null values take the environment's defaults (specs/LIBRA.md).</summary>
public sealed record LibraStudyOptions
{
    /// <summary>Policy ids: linucb, llm-only, glrb, libra.</summary>
    public IReadOnlyList<string> Policies { get; init; } = ["linucb", "llm-only", "glrb", "libra"];

    /// <summary>γ. Range ≥ 0.</summary>
    public double? Gamma { get; init; }

    /// <summary>Recourse norm name: l2, linf, l1, mahalanobis.</summary>
    public string Norm { get; init; } = "l2";

    /// <summary>LIBRA's Δ. Range ≥ 0.</summary>
    public double? Delta { get; init; }

    /// <summary>Advisor spec.</summary>
    public AdvisorSpec? Advisor { get; init; }

    /// <summary>Non-compliance of the patients (and the matching guard of GLRB and LIBRA).</summary>
    public NonComplianceSpec NonCompliance { get; init; } = NonComplianceSpec.None;

    /// <summary>Constant confidence radius ρ of GLRB/LIBRA and α of LinUCB. Range ≥ 0.</summary>
    public double? Rho { get; init; }

    /// <summary>Ridge λ. Range &gt; 0.</summary>
    public double? Lambda { get; init; }

    /// <summary>Solver of (ORO-Arm).</summary>
    public OroSolverKind Solver { get; init; } = OroSolverKind.CoordinateDescent;

    /// <summary>Builds the advisor of one (run, policy) from its problem, for advisors that live outside
    /// this module (a language model). When set, <see cref="Advisor"/> only names it.</summary>
    public Func<RecourseProblem, IRecourseAdvisor>? AdvisorFactory { get; init; }
}

/// <summary>A study ready to run, with every default resolved (for the summary and the manifest).</summary>
public sealed record LibraStudyPlan(
    IRecourseScenario Scenario,
    RecourseProblem Problem,
    Study<double[], RecourseDecision, RecourseOutcome> Study,
    double Gamma,
    double Delta,
    double Rho,
    double Lambda,
    AdvisorSpec Advisor,
    NonComplianceSpec NonCompliance,
    IReadOnlyList<string> PolicyNames);

/// <summary>Builds LIBRA studies: the seed's four policies on one environment.</summary>
public static class LibraStudy
{
    /// <summary>Resolve options against the scenario's defaults and build the study. Throws
    /// <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) naming the option.</summary>
    public static LibraStudyPlan Create(IRecourseScenario scenario, LibraStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        ScenarioDefaults defaults = scenario.Defaults;
        double gamma = options.Gamma ?? defaults.Gamma;
        double delta = options.Delta ?? defaults.Delta;
        double rho = options.Rho ?? defaults.Rho;
        double lambda = options.Lambda ?? defaults.Lambda;
        if (!double.IsFinite(gamma) || gamma < 0) throw new ArgumentOutOfRangeException(nameof(options.Gamma), gamma, "gamma must be finite and ≥ 0.");
        if (!double.IsFinite(delta) || delta < 0) throw new ArgumentOutOfRangeException(nameof(options.Delta), delta, "delta must be finite and ≥ 0.");
        if (!double.IsFinite(rho) || rho < 0) throw new ArgumentOutOfRangeException(nameof(options.Rho), rho, "rho must be finite and ≥ 0.");
        if (!double.IsFinite(lambda) || lambda <= 0) throw new ArgumentOutOfRangeException(nameof(options.Lambda), lambda, "lambda must be finite and > 0.");
        AdvisorSpec advisor = options.Advisor ?? AdvisorSpec.Parse(defaults.Advisor);
        if (options.Policies.Count == 0) throw new ArgumentException("At least one policy is needed.", nameof(options.Policies));
        string[] ids = options.Policies.Select(p => p.Trim().ToLowerInvariant()).Distinct().ToArray();
        string[] names = ids.Select(PolicyNames.Display).ToArray();

        RecourseNorm norm = RecourseNorm.Parse(options.Norm, CountMutable(scenario));
        // A problem's feasible set keeps workspaces, so every (run, policy) pair gets its own problem;
        // this one describes the study (names, dimensions) and is never used by a running policy.
        RecourseProblem problem = scenario.CreateProblem(norm, gamma);
        if (options.AdvisorFactory is null && !advisor.IsSimulated)
            throw new ArgumentException($"Advisor '{advisor}' needs an advisor factory.", nameof(options.AdvisorFactory));
        if (advisor.Kind == "clinician" && scenario.CreateClinician(problem) is null)
            throw new ArgumentException($"The '{scenario.Name}' environment has no simulated clinician; use simulated:q=Q.", nameof(options.Advisor));

        var guard = options.NonCompliance.Kind switch
        {
            "random" => NonComplianceGuard.Random,
            "adversarial" => NonComplianceGuard.Adversarial,
            _ => NonComplianceGuard.None,
        };
        var glrbOptions = new GlrbOptions
        {
            Lambda = lambda,
            Radius = ConfidenceRadiusRule.Constant(rho),
            Solver = options.Solver,
            Guard = guard,
            Epsilon = options.NonCompliance.Epsilon,
        };
        glrbOptions.Validate();
        var libraOptions = new LibraOptions { Delta = delta };
        var linUcbOptions = new LinUcbOptions { Alpha = rho, Lambda = lambda };

        IRecourseAdvisor CreateAdvisor(RecourseEnvironment environment, RunContext run) =>
            options.AdvisorFactory is { } factory ? factory(environment.Problem)
            : advisor.Kind == "clinician" ? scenario.CreateClinician(environment.Problem)!
            : new SimulatedQualityAdvisor(environment.Truth, advisor.Quality, run.CreateRandom("advisor"));

        var factories = ids.Select(id => new PolicyFactory<double[], RecourseDecision, RecourseOutcome>(PolicyNames.Display(id), (run, env) =>
        {
            var environment = (RecourseEnvironment)env;
            RecourseProblem own = environment.Problem;
            return id switch
            {
                "linucb" => new LinUcbPolicy(own, linUcbOptions),
                "glrb" => new GlrbPolicy(own, glrbOptions),
                "libra" => new LibraPolicy(new GlrbPolicy(own, glrbOptions), CreateAdvisor(environment, run), libraOptions),
                "llm-only" => new LlmOnlyPolicy(own, CreateAdvisor(environment, run), run.CreateRandom("llm-only-fallback")),
                _ => throw new ArgumentException($"Unknown policy '{id}'.", nameof(options.Policies)),
            };
        })).ToArray();

        var study = new Study<double[], RecourseDecision, RecourseOutcome>(
            run =>
            {
                RecourseWorld world = scenario.CreateWorld(scenario.CreateProblem(norm, gamma), run);
                return new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, options.NonCompliance.Create(world.Truth), run.DeriveSeed("environment"));
            },
            factories);
        return new LibraStudyPlan(scenario, problem, study, gamma, delta, rho, lambda, advisor, options.NonCompliance, names);
    }

    private static int CountMutable(IRecourseScenario scenario) =>
        scenario.CreateProblem(RecourseNorm.L2, 0).MutableIndices.Length;
}
