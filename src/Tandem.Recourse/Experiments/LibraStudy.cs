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

    /// <summary>The advisors consulted by LLM-only and LIBRA; empty = the environment's default. With several
    /// (seed 000 Figs 6-7: one study, several models), each advisor gets its own LLM-only and LIBRA policy,
    /// named "LIBRA (advisor)".</summary>
    public IReadOnlyList<AdvisorChoice> Advisors { get; init; } = [];

    /// <summary>Non-compliance of the patients (and the matching guard of GLRB and LIBRA).</summary>
    public NonComplianceSpec NonCompliance { get; init; } = NonComplianceSpec.None;

    /// <summary>Constant confidence radius ρ of GLRB/LIBRA and α of LinUCB. Range ≥ 0.</summary>
    public double? Rho { get; init; }

    /// <summary>Ridge λ. Range &gt; 0.</summary>
    public double? Lambda { get; init; }

    /// <summary>Solver of (ORO-Arm).</summary>
    public OroSolverKind Solver { get; init; } = OroSolverKind.CoordinateDescent;
}

/// <summary>One advisor of a study.</summary>
/// <param name="Spec">What it is (a simulation, or the name of an external advisor).</param>
/// <param name="Factory">For advisors that live outside this module (a language model): builds the advisor of
/// one (run, policy) from its problem. Null for the built-in simulations.</param>
public sealed record AdvisorChoice(AdvisorSpec Spec, Func<RecourseProblem, IRecourseAdvisor>? Factory = null)
{
    /// <summary>A built-in simulated advisor.</summary>
    public static implicit operator AdvisorChoice(AdvisorSpec spec) => new(spec);
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
        AdvisorChoice[] advisors = options.Advisors.Count > 0 ? options.Advisors.ToArray() : [AdvisorSpec.Parse(defaults.Advisor)];
        if (advisors.Select(a => a.Spec.ToString()).Distinct().Count() != advisors.Length)
            throw new ArgumentException("The same advisor is listed twice.", nameof(options.Advisors));
        if (options.Policies.Count == 0) throw new ArgumentException("At least one policy is needed.", nameof(options.Policies));
        string[] ids = options.Policies.Select(p => p.Trim().ToLowerInvariant()).Distinct().ToArray();
        foreach (string id in ids) PolicyNames.Display(id);

        RecourseNorm norm = RecourseNorm.Parse(options.Norm, CountMutable(scenario));
        // A problem's feasible set keeps workspaces, so every (run, policy) pair gets its own problem;
        // this one describes the study (names, dimensions) and is never used by a running policy.
        RecourseProblem problem = scenario.CreateProblem(norm, gamma);
        foreach (AdvisorChoice a in advisors)
        {
            if (a.Factory is null && !a.Spec.IsSimulated)
                throw new ArgumentException($"Advisor '{a.Spec}' needs an advisor factory.", nameof(options.Advisors));
            if (a.Factory is null && a.Spec.Kind == "clinician" && scenario.CreateClinician(problem) is null)
                throw new ArgumentException($"The '{scenario.Name}' environment has no simulated clinician; use simulated:q=Q.", nameof(options.Advisors));
        }

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

        // A simulated advisor's stream is named by its position, so a single advisor draws exactly what it drew
        // before several were allowed (same seed, same numbers).
        IRecourseAdvisor CreateAdvisor(int which, RecourseEnvironment environment, RunContext run)
        {
            AdvisorChoice a = advisors[which];
            if (a.Factory is { } factory) return factory(environment.Problem);
            if (a.Spec.Kind == "clinician") return scenario.CreateClinician(environment.Problem)!;
            return new SimulatedQualityAdvisor(environment.Truth, a.Spec.Quality, run.CreateRandom(which == 0 ? "advisor" : "advisor-" + which));
        }

        static bool Asks(string id) => id is "libra" or "llm-only";
        string Named(string id, int which) => advisors.Length == 1 || !Asks(id) ? PolicyNames.Display(id) : $"{PolicyNames.Display(id)} ({advisors[which].Spec})";

        var factories = new List<PolicyFactory<double[], RecourseDecision, RecourseOutcome>>();
        foreach (string id in ids)
        {
            for (int w = 0; w < (Asks(id) ? advisors.Length : 1); w++)
            {
                int which = w;
                factories.Add(new(Named(id, which), (run, env) =>
                {
                    var environment = (RecourseEnvironment)env;
                    RecourseProblem own = environment.Problem;
                    return id switch
                    {
                        "linucb" => new LinUcbPolicy(own, linUcbOptions),
                        "glrb" => new GlrbPolicy(own, glrbOptions),
                        "libra" => new LibraPolicy(new GlrbPolicy(own, glrbOptions), CreateAdvisor(which, environment, run), libraOptions),
                        "llm-only" => new LlmOnlyPolicy(own, CreateAdvisor(which, environment, run), run.CreateRandom(which == 0 ? "llm-only-fallback" : "llm-only-fallback-" + which)),
                        _ => throw new ArgumentException($"Unknown policy '{id}'.", nameof(options.Policies)),
                    };
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
        return new LibraStudyPlan(scenario, problem, study, gamma, delta, rho, lambda, advisors.Select(a => a.Spec).ToArray(), options.NonCompliance, names);
    }

    private static int CountMutable(IRecourseScenario scenario) =>
        scenario.CreateProblem(RecourseNorm.L2, 0).MutableIndices.Length;
}
