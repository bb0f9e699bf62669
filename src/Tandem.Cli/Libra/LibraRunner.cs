using System.CommandLine;
using System.Globalization;
using Tandem.Cli.Console;
using Tandem.Cli.Llm;
using Tandem.Core.Randomness;
using Microsoft.Extensions.AI;
using Tandem.Core.Running;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Reporting;

namespace Tandem.Cli.Libra;

/// <summary>Runs LIBRA studies for the CLI and hands the results to <see cref="LibraOutputs"/>.</summary>
public static class LibraRunner
{
    /// <summary>`tandem libra` / `tandem demo`.</summary>
    public static async Task<int> RunStudyAsync(LibraSettings settings, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        IRecourseScenario scenario = CreateScenario(settings.Env);
        RunnerOptions runner = RunnerOptionsFor(settings, scenario);
        string outDir = PrepareOut(settings.Out);
        using var session = new LlmSession(settings.LlmCall, outDir, "--advisor");
        (LibraStudyOptions studyOptions, IReadOnlyDictionary<string, LlmLedger> ledgers) = WithAdvisors(settings, session);
        LibraStudyPlan plan = CreatePlan(scenario, studyOptions);

        // Fig 11 (fertility): recourses after step 70, as the seed plots them; elsewhere (Fig 4) the second
        // half of the horizon, what the policy recommends once it has learned (LLM-only is the same throughout).
        int fromStep = scenario.Name == "fertility" ? Math.Min(70, runner.Horizon - 1) : runner.Horizon / 2;
        var recorder = new RecourseRecorder(plan.Problem, LibraOutputs.RecourseFigurePolicies(plan.PolicyNames), fromStep);
        string label = $"{scenario.Name}: {plan.PolicyNames.Count} policies × {runner.Runs} runs × {runner.Horizon} steps";
        StudyResult result = await RunGuarded(() => ProgressReporter.RunAsync(io, label, settings.Json, progress =>
            StudyRunner.RunAsync(plan.Study, runner, [recorder], progress, cancellationToken: cancellationToken))).ConfigureAwait(false);

        var summary = new LibraSummary(
            Command: settings.Command == "demo" ? "libra" : settings.Command,
            Env: scenario.Name,
            Horizon: runner.Horizon,
            Runs: runner.Runs,
            Seed: runner.Seed,
            WallSeconds: result.SimulationWallTime.TotalSeconds,
            StepsPerSecond: result.StepsPerSecond,
            Policies: result.Policies.Select(PolicySummary.From).ToArray(),
            Advisor: plan.AdvisorText,
            Norm: plan.Problem.Set.Norm.Name,
            Gamma: plan.Gamma,
            Delta: plan.Delta,
            Rho: plan.Rho,
            Lambda: plan.Lambda,
            Noncompliance: plan.NonCompliance.ToString(),
            Solver: settings.Study.Solver == OroSolverKind.Global ? "global" : "cd",
            RewardLabel: scenario.RewardLabel,
            FittedMutableCoefficients: scenario is FertilityScenario fertility ? FertilityCoefficients(fertility, plan.Problem, runner) : null,
            Llm: LlmSummary.Sum(ledgers.Values),
            LlmByAdvisor: ledgers.Count > 1 ? ledgers.ToDictionary(kv => kv.Key, kv => LlmSummary.From(kv.Value)) : null);

        LibraOutputs.WriteStudy(outDir, summary, result, plan, recorder, fromStep);
        double wall = (DateTimeOffset.UtcNow - started).TotalSeconds;
        RunManifest.Capture("tandem " + settings.Command, parse.Tokens.Select(t => t.Value).ToArray(), runner.Seed, started, wall,
            new Dictionary<string, string> { ["env"] = scenario.Name, ["advisor"] = plan.AdvisorText }).Write(Path.Combine(outDir, "manifest.json"));

        if (settings.Json) io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
        else ConsoleTables.WriteStudy(io.Output, summary, outDir);
        return CliApp.Ok;
    }

    /// <summary>`tandem libra ablation`.</summary>
    public static async Task<int> RunAblationAsync(LibraSettings settings, string vary, IReadOnlyList<double> values, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        IRecourseScenario scenario = CreateScenario(settings.Env);
        RunnerOptions runner = RunnerOptionsFor(settings, scenario);
        string outDir = PrepareOut(settings.Out);
        if (settings.Advisors.Count > 1) throw new UsageException("libra ablation takes one --advisor (compare several in `tandem libra`).");
        if (vary == "q" && settings.Advisors is [{ Spec.Kind: not "simulated" }])
            throw new UsageException("--vary q needs a simulated advisor (simulated:q=Q).");
        using var session = new LlmSession(settings.LlmCall, outDir, "--advisor");
        (LibraStudyOptions baseOptions, IReadOnlyDictionary<string, LlmLedger> ledgers) = WithAdvisors(settings, session);

        var series = new List<AblationSeries>();
        var traces = new List<(string Setting, PolicyTrace Trace)>();
        double simulationSeconds = 0;
        long rounds = 0;
        foreach (double value in values)
        {
            LibraStudyOptions options = vary == "delta"
                ? baseOptions with { Policies = ["libra"], Delta = value }
                : baseOptions with { Policies = ["libra"], Advisors = [new AdvisorSpec("simulated", value)] };
            LibraStudyPlan plan = CreatePlan(scenario, options);
            string setting = (vary == "delta" ? "Δ=" : "q=") + value.ToString(CultureInfo.InvariantCulture);
            StudyResult result = await RunGuarded(() => ProgressReporter.RunAsync(io, $"{scenario.Name} LIBRA {setting}", settings.Json, progress =>
                StudyRunner.RunAsync(plan.Study, runner, progress: progress, cancellationToken: cancellationToken))).ConfigureAwait(false);
            PolicyTrace trace = result.Policies[0];
            simulationSeconds += result.SimulationWallTime.TotalSeconds;
            rounds += result.Rounds;
            traces.Add((setting, trace));
            series.Add(new AblationSeries(value, setting, Stat.Of(trace.FinalCumulativeRegret()), Stat.Of(trace.QueriesPerRun()),
                Stat.Of(trace.MeanRewardPerRun()), trace.MeanCumulativeRegretCurve()));
        }
        var summary = new AblationSummary("libra ablation", scenario.Name, vary, runner.Horizon, runner.Runs, runner.Seed,
            simulationSeconds, simulationSeconds > 0 ? rounds / simulationSeconds : double.PositiveInfinity, "LIBRA", series,
            LlmSummary.Sum(ledgers.Values));
        LibraOutputs.WriteAblation(outDir, summary, traces);
        double wall = (DateTimeOffset.UtcNow - started).TotalSeconds;
        RunManifest.Capture("tandem libra ablation", parse.Tokens.Select(t => t.Value).ToArray(), runner.Seed, started, wall,
            new Dictionary<string, string> { ["env"] = scenario.Name, ["vary"] = vary }).Write(Path.Combine(outDir, "manifest.json"));

        if (settings.Json) io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
        else ConsoleTables.WriteAblation(io.Output, summary, outDir);
        return CliApp.Ok;
    }

    /// <summary>The study's advisors. Each language model gets one client pipeline (audit log in the output
    /// folder, optional recording) shared by every run, and one ledger for the summary, keyed by its spec.</summary>
    private static (LibraStudyOptions Options, IReadOnlyDictionary<string, LlmLedger> Ledgers) WithAdvisors(LibraSettings settings, LlmSession session)
    {
        var ledgers = new Dictionary<string, LlmLedger>(StringComparer.Ordinal);
        int models = settings.Advisors.Count(a => a.Llm is not null);
        var choices = new List<AdvisorChoice>();
        foreach (AdvisorArgument advisor in settings.Advisors)
        {
            if (advisor.Llm is not { } spec)
            {
                choices.Add(advisor.Spec);
                continue;
            }
            var ledger = new LlmLedger();
            string name = spec.ToString();
            string audit = models == 1 ? "audit.jsonl" : $"audit-{ledgers.Count + 1}.jsonl";
            IChatClient client = session.Open(spec, ledger, audit);
            ledgers[name] = ledger;
            choices.Add(new AdvisorChoice(advisor.Spec, _ => new LlmRecourseAdvisor(client, ledger, name)));
        }
        return (settings.Study with { Advisors = choices }, ledgers);
    }

    private static async Task<T> RunGuarded<T>(Func<Task<T>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (AdvisorSetupException ex)
        {
            throw new UsageException("--advisor: " + ex.Message);
        }
    }

    private static IRecourseScenario CreateScenario(string env)
    {
        try
        {
            return Scenarios.Create(env);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FormatException or IOException)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static LibraStudyPlan CreatePlan(IRecourseScenario scenario, LibraStudyOptions options)
    {
        try
        {
            return LibraStudy.Create(scenario, options);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(FirstSentence(ex.Message));
        }
    }

    private static RunnerOptions RunnerOptionsFor(LibraSettings settings, IRecourseScenario scenario) => new()
    {
        Horizon = settings.Horizon ?? scenario.Defaults.Horizon,
        Runs = settings.Runs ?? scenario.Defaults.Runs,
        Seed = settings.Seed,
        MaxDegreeOfParallelism = settings.Parallel,
    };

    private static string PrepareOut(string path)
    {
        try
        {
            return OutputFolder.Prepare(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out '{path}' is not a writable folder: {ex.Message}");
        }
    }

    private static IReadOnlyList<FittedCoefficients> FertilityCoefficients(FertilityScenario scenario, RecourseProblem problem, RunnerOptions runner)
    {
        string[] names = problem.MutableIndices.Select(i => problem.Features[i].Name).ToArray();
        var sums = new double[problem.ArmCount][];
        for (int a = 0; a < problem.ArmCount; a++) sums[a] = new double[names.Length];
        for (int run = 0; run < runner.Runs; run++)
        {
            RecourseWorld world = scenario.CreateWorld(problem, new RunContext(run, Seeds.Derive(runner.Seed, run)));
            for (int a = 0; a < problem.ArmCount; a++)
            {
                ReadOnlySpan<double> theta = world.Truth.Theta(a);
                for (int j = 0; j < names.Length; j++) sums[a][j] += theta[problem.MutableIndices[j]] / runner.Runs;
            }
        }
        return Enumerable.Range(0, problem.ArmCount)
            .Select(a => new FittedCoefficients(problem.Treatments[a].Name, names, sums[a], FertilityScenario.SeedMutableCoefficients[a]))
            .ToArray();
    }

    private static string FirstSentence(string message)
    {
        int paren = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return paren > 0 ? message[..paren] : message;
    }
}
