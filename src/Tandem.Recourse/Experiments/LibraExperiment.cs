using System.Globalization;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Experiments;

/// <summary>What a LIBRA experiment runs: the environment, the runner settings and the study. Pure data
/// (a JSON document describes it); null values take the environment's defaults.</summary>
public sealed record LibraExperimentOptions
{
    /// <summary>Environment: synthetic, hypertension, fertility, or csv:PATH (a cohort; needs <see cref="Cohort"/>).
    /// Default hypertension.</summary>
    public string Env { get; init; } = "hypertension";

    /// <summary>The columns of a csv:PATH cohort (docs/libra-cohort.md); null for the built-in environments.</summary>
    public CohortOptions? Cohort { get; init; }

    /// <summary>Steps per run T; null = the environment's default. Range: 1 ≤ T ≤ <see cref="LibraLimits.MaxHorizon"/>,
    /// and T × R × policies ≤ <see cref="LibraLimits.MaxCells"/>.</summary>
    public int? Horizon { get; init; }

    /// <summary>Independent runs R; null = the environment's default. Range: 1 ≤ R ≤ <see cref="LibraLimits.MaxRuns"/>.</summary>
    public int? Runs { get; init; }

    /// <summary>Study seed. Default 1 (the CLI's).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Runs in parallel at most. Range: ≥ 1. Default: the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Where the fertility data file lives; null = the <c>data</c> folder beside the application.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The policies, advisors and settings of the study.</summary>
    public LibraStudyOptions Study { get; init; } = new();

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (!Scenarios.Names.Contains(Env, StringComparer.OrdinalIgnoreCase) && !Scenarios.IsCsv(Env))
            throw new ArgumentException($"Unknown environment '{Env}'. Allowed: {string.Join(", ", Scenarios.Names)}, csv:PATH.", nameof(Env));
        if (Scenarios.IsCsv(Env))
        {
            if (Cohort is null) throw new ArgumentException("A csv: environment needs the treatment, outcome and mutable columns.", nameof(Cohort));
            Cohort.Validate();
        }
        else if (Cohort is not null) throw new ArgumentException($"Cohort columns apply to a csv: environment, not '{Env}'.", nameof(Cohort));
        if (Horizon is < 1 or > LibraLimits.MaxHorizon)
            throw new ArgumentOutOfRangeException(nameof(Horizon), Horizon, $"The horizon must lie in 1..{LibraLimits.MaxHorizon:N0} steps.");
        if (Runs is < 1 or > LibraLimits.MaxRuns)
            throw new ArgumentOutOfRangeException(nameof(Runs), Runs, $"The number of runs must lie in 1..{LibraLimits.MaxRuns:N0}.");
        if (MaxDegreeOfParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "Parallelism must be at least 1.");
        ArgumentNullException.ThrowIfNull(Study, nameof(Study));
        Study.Validate();
    }
}

/// <summary>What a LIBRA ablation varies (seed 000 Fig 9): LIBRA alone, once per value.</summary>
public sealed record LibraAblationOptions
{
    /// <summary>"delta" (LIBRA's Δ) or "q" (the simulated advisor's quality). Default delta.</summary>
    public string Vary { get; init; } = "delta";

    /// <summary>The values: Δ = 0 or ≥ <see cref="LibraLimits.MinPositive"/>, finite;
    /// q ∈ [0, 1]; at most <see cref="LibraLimits.MaxAblationValues"/>. Default 0.1, 0.5, 1, 2.</summary>
    public IReadOnlyList<double> Values { get; init; } = [0.1, 0.5, 1, 2];

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (Vary is not ("delta" or "q")) throw new ArgumentException($"Unknown ablation '{Vary}'. Allowed: delta, q.", nameof(Vary));
        ArgumentNullException.ThrowIfNull(Values, nameof(Values));
        if (Values.Count == 0) throw new ArgumentException("The ablation needs at least one value.", nameof(Values));
        if (Values.Count > LibraLimits.MaxAblationValues)
            throw new ArgumentOutOfRangeException(nameof(Values), Values.Count, $"The ablation takes at most {LibraLimits.MaxAblationValues} values.");
        foreach (double v in Values)
        {
            if (Vary == "delta") LibraLimits.CheckScale(v, nameof(Values), "Δ", max: LibraLimits.MaxDelta);
            if (Vary == "q" && !(v >= 0 && v <= 1)) throw new ArgumentOutOfRangeException(nameof(Values), v, "q must lie in [0, 1].");
        }
    }
}

/// <summary>
/// The library entry point of the LIBRA study (seed 000 §5-6) that hosts call: builds the study from
/// options, runs it, and returns a result that reports itself (summary, curves, recourse tables, figures,
/// report body). Hosts only render it and attach model use.
/// </summary>
public static class LibraExperiment
{
    /// <summary>Check <paramref name="options"/> completely (ranges, the environment's defaults, the advisors) without
    /// running anything, so a host can refuse bad input before it starts work.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    /// <exception cref="FileNotFoundException">The environment's data file is missing.</exception>
    public static void Check(LibraExperimentOptions options, IRecourseAdvisorFactory? advisors = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IRecourseScenario scenario = Scenarios.Create(options.Env, options.DataDirectory, options.Cohort);
        LibraStudyPlan plan = LibraStudy.Create(scenario, options.Study, advisors);
        RunnerOptions runner = RunnerOptionsFor(options, scenario);
        LibraLimits.CheckCells(runner.Horizon, runner.Runs, plan.PolicyNames.Count);
    }

    /// <summary>Run the study of <paramref name="options"/>.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="advisors">Builds the advisors that are language models (named in the options as data); null
    /// when all are simulated.</param>
    /// <param name="observers">Extra step observers (e.g. the decision log); thread-safe.</param>
    /// <param name="progress">Completed/total rounds.</param>
    /// <param name="cancellationToken">Stops the study.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public static async Task<LibraResult> RunAsync(
        LibraExperimentOptions options,
        IRecourseAdvisorFactory? advisors = null,
        IReadOnlyList<IStepObserver<double[], RecourseDecision, RecourseOutcome>>? observers = null,
        IProgress<StudyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IRecourseScenario scenario = Scenarios.Create(options.Env, options.DataDirectory, options.Cohort);
        RunnerOptions runner = RunnerOptionsFor(options, scenario);
        LibraStudyPlan plan = LibraStudy.Create(scenario, options.Study, advisors);
        LibraLimits.CheckCells(runner.Horizon, runner.Runs, plan.PolicyNames.Count);

        int fromStep = RecourseWindowStart(scenario.Name, runner.Horizon);
        var recorder = new RecourseRecorder(plan.Problem, LibraResult.RecourseFigurePolicies(plan.PolicyNames), fromStep);
        bool robust = plan.NonCompliance.Kind != "none";
        var meter = new LibraMeter(plan.PolicyNames.Count, runner.Runs, runner.Horizon, robust);
        IReadOnlyList<IStepObserver<double[], RecourseDecision, RecourseOutcome>> all = [recorder, meter, .. observers ?? []];
        StudyResult result = await StudyRunner.RunAsync(plan.Study, runner, all, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        bool control = plan.PolicyNames.Contains(RecoursePolicies.ControlDisplay);

        PolicySummary Summarise(PolicyTrace trace, int index)
        {
            PolicySummary summary = PolicySummary.From(trace);
            if (meter.RobustRegret(index) is { } r && r.All(run => run.All(double.IsFinite)))
            {
                double[][] cut = r.Select((run, i) => run[..trace.Regret[i].Length]).ToArray();
                summary = summary with
                {
                    RobustCumulativeRegret = Stat.Of(cut.Select(run => run.Sum()).ToArray()),
                    RobustRegretCurve = Tandem.Core.Statistics.Curves.MeanOfCumulative(cut),
                };
            }
            if (options.Study.SafeGate && trace.Name.StartsWith("LIBRA", StringComparison.Ordinal))
                summary = summary with { SafeGateDeclines = Stat.Of(meter.Declined(index)) };
            return summary;
        }

        var summary = new LibraSummary(
            Command: "libra",
            Env: scenario.Name,
            Horizon: runner.Horizon,
            Runs: runner.Runs,
            Seed: runner.Seed,
            WallSeconds: result.SimulationWallTime.TotalSeconds,
            StepsPerSecond: result.StepsPerSecond,
            Policies: result.Policies.Select(Summarise).ToArray(),
            Advisor: plan.AdvisorText,
            Norm: plan.Problem.Set.Norm.Name,
            Gamma: plan.Gamma,
            Delta: plan.Delta,
            Radius: plan.Radius.ToString(),
            Sigma: plan.Sigma,
            Lambda: plan.Lambda,
            Noncompliance: plan.NonCompliance.ToString(),
            Solver: options.Study.Solver == OroSolverKind.Global ? "global" : "cd",
            RewardLabel: scenario.RewardLabel,
            FittedMutableCoefficients: scenario is CohortScenario cohort ? CohortCoefficients(cohort, plan.Problem, runner) : null,
            Llm: null,
            SafeGate: options.Study.SafeGate,
            Advisors: LibraMeasures.MeasureAdvisors(plan, runner, result, control),
            Claims: LibraMeasures.CheckClaims(result, plan.Problem.ArmCount, robust ? RobustByName(result, meter) : null));
        var recourses = LibraResult.RecourseFigurePolicies(plan.PolicyNames)
            .Where(p => summary.Policies.Any(s => s.Name == p))
            .Select(p =>
            {
                (double[][] mean, int[] count) = recorder.MeanChangeByArm(p);
                return new RecourseTable(p, mean, count);
            })
            .ToArray();
        return new LibraResult(summary, result, plan.Problem, plan.PolicyNames, recourses, fromStep);
    }

    // The robust regret of every policy whose benchmark is exact, by name, cut to the steps run.
    private static Dictionary<string, double[][]>? RobustByName(StudyResult result, LibraMeter meter)
    {
        var map = new Dictionary<string, double[][]>(StringComparer.Ordinal);
        for (int p = 0; p < result.Policies.Count; p++)
        {
            if (meter.RobustRegret(p) is not { } r || !r.All(run => run.All(double.IsFinite))) return null;
            map[result.Policies[p].Name] = r.Select((run, i) => run[..result.Policies[p].Regret[i].Length]).ToArray();
        }
        return map;
    }

    /// <summary>Run LIBRA alone once per value of <paramref name="ablation"/> (seed 000 Fig 9).</summary>
    /// <param name="options">The base study (one advisor; <c>q</c> needs a simulated one).</param>
    /// <param name="ablation">What to vary.</param>
    /// <param name="advisors">Builds language-model advisors; null when the advisor is simulated.</param>
    /// <param name="progress">Completed/total rounds of each setting in turn.</param>
    /// <param name="observersFor">Extra step observers of one setting, given its label ("Δ=0.5", "q=0.9"), e.g. the
    /// decision log under a study name that says the setting; null: none.</param>
    /// <param name="cancellationToken">Stops the ablation.</param>
    public static async Task<LibraAblationResult> RunAblationAsync(
        LibraExperimentOptions options,
        LibraAblationOptions ablation,
        IRecourseAdvisorFactory? advisors = null,
        IProgress<StudyProgress>? progress = null,
        Func<string, IReadOnlyList<IStepObserver<double[], RecourseDecision, RecourseOutcome>>>? observersFor = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ablation);
        options.Validate();
        ablation.Validate();
        if (options.Study.Advisors.Count > 1) throw new ArgumentException("An ablation takes one advisor (compare several in one study).", nameof(options));
        if (ablation.Vary == "q" && options.Study.Advisors is [{ Kind: not "simulated" }])
            throw new ArgumentException("Varying q needs a simulated advisor (simulated:q=Q).", nameof(ablation));
        IRecourseScenario scenario = Scenarios.Create(options.Env, options.DataDirectory, options.Cohort);
        RunnerOptions runner = RunnerOptionsFor(options, scenario);
        LibraLimits.CheckCells(runner.Horizon, runner.Runs, ablation.Values.Count); // LIBRA alone, once per value

        var series = new List<AblationSeries>();
        var traces = new List<(string Setting, PolicyTrace Trace)>();
        double seconds = 0;
        long rounds = 0;
        foreach (double value in ablation.Values)
        {
            LibraStudyOptions study = ablation.Vary == "delta"
                ? options.Study with { Policies = ["libra"], Delta = value }
                : options.Study with { Policies = ["libra"], Advisors = [new AdvisorSpec("simulated", value)] };
            LibraStudyPlan plan = LibraStudy.Create(scenario, study, advisors);
            string setting = (ablation.Vary == "delta" ? "Δ=" : "q=") + value.ToString(CultureInfo.InvariantCulture);
            StudyResult result = await StudyRunner.RunAsync(plan.Study, runner, observersFor?.Invoke(setting), progress, cancellationToken: cancellationToken).ConfigureAwait(false);
            PolicyTrace trace = result.Policies[0];
            seconds += result.SimulationWallTime.TotalSeconds;
            rounds += result.Rounds;
            traces.Add((setting, trace));
            series.Add(new AblationSeries(value, setting, Stat.Of(trace.FinalCumulativeRegret()), Stat.Of(trace.QueriesPerRun()),
                Stat.Of(trace.MeanRewardPerRun()), trace.MeanCumulativeRegretCurve()));
        }
        var summary = new AblationSummary("libra ablation", scenario.Name, ablation.Vary, runner.Horizon, runner.Runs, runner.Seed,
            seconds, seconds > 0 ? rounds / seconds : double.PositiveInfinity, "LIBRA", series, null);
        return new LibraAblationResult(summary, traces);
    }

    /// <summary>The first step (0-based) whose recommended recourses are tabulated: fertility from step 70, as
    /// the seed's Fig 11 plots them; elsewhere (Fig 4) the second half of the horizon, what a policy recommends
    /// once it has learned.</summary>
    public static int RecourseWindowStart(string env, int horizon) =>
        env == "fertility" ? Math.Min(70, horizon - 1) : horizon / 2;

    /// <summary>A cohort (fertility or csv:PATH): the mean over runs of each arm's fitted coefficients (every feature,
    /// standardised) and their standard errors, beside the seed's mutable coefficients for fertility (the worlds' fits
    /// are redone from the run seeds; nothing is simulated).</summary>
    public static IReadOnlyList<FittedCoefficients> CohortCoefficients(CohortScenario scenario, RecourseProblem problem, RunnerOptions runner)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(runner);
        string[] names = problem.Features.Select(f => f.Name).ToArray();
        var sums = new double[problem.ArmCount][];
        var ses = new double[problem.ArmCount][];
        for (int a = 0; a < problem.ArmCount; a++)
        {
            sums[a] = new double[names.Length];
            ses[a] = new double[names.Length];
        }
        for (int run = 0; run < runner.Runs; run++)
        {
            CohortFit fit = scenario.FitForRun(new RunContext(run, Seeds.Derive(runner.Seed, run)));
            for (int a = 0; a < problem.ArmCount; a++)
            {
                for (int j = 0; j < names.Length; j++)
                {
                    sums[a][j] += fit.Theta[a][j] / runner.Runs;
                    ses[a][j] += fit.StandardErrors[a][j] / runner.Runs;
                }
            }
        }
        string[] mutable = problem.MutableIndices.Select(i => names[i]).ToArray();
        return Enumerable.Range(0, problem.ArmCount)
            .Select(a =>
            {
                string arm = problem.Treatments[a].Name;
                IReadOnlyDictionary<string, double>? seed = scenario.Name == "fertility" && FertilityScenario.SeedMutableCoefficients.TryGetValue(arm, out double[]? s)
                    ? mutable.Select((f, j) => (f, s[j])).ToDictionary(p => p.f, p => p.Item2, StringComparer.Ordinal)
                    : null;
                return new FittedCoefficients(arm, names, sums[a], ses[a], seed);
            })
            .ToArray();
    }

    private static RunnerOptions RunnerOptionsFor(LibraExperimentOptions options, IRecourseScenario scenario) => new()
    {
        Horizon = options.Horizon ?? scenario.Defaults.Horizon,
        Runs = options.Runs ?? scenario.Defaults.Runs,
        Seed = options.Seed,
        MaxDegreeOfParallelism = options.MaxDegreeOfParallelism,
    };
}
