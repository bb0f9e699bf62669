using System.CommandLine;
using Tandem.Cli.Console;
using Tandem.Cli.Llm;
using Tandem.Llm.Dlm;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Reporting;

namespace Tandem.Cli.Dlm;

/// <summary>Validated settings of `tandem dlm`.</summary>
public sealed record DlmSettings(DlmExperimentOptions Experiment, string Designer, string Planner, string Out, bool Json, LlmSpec? DesignerLlm = null, LlmCallSettings? LlmCall = null, string? Compare = null);

/// <summary>Runs `tandem dlm` and hands the result to <see cref="DlmOutputs"/>.</summary>
public static class DlmRunner
{
    /// <summary>Where the shipped DLM data files live.</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "data", "dlm");

    /// <summary>Load the 16 tasks; a broken file is bad input.</summary>
    public static DlmTaskSet LoadTasks()
    {
        try { return DlmTaskSet.Load(Path.Combine(DataDirectory, "tasks.json")); }
        catch (Exception ex) when (ex is FormatException or IOException) { throw new UsageException(ex.Message); }
    }

    /// <summary>Load the cohort generator's parameters; a broken file is bad input.</summary>
    public static CohortGenerator LoadGenerator()
    {
        try { return new CohortGenerator(CohortParameters.Load(Path.Combine(DataDirectory, "cohort.json"))); }
        catch (Exception ex) when (ex is FormatException or IOException) { throw new UsageException(ex.Message); }
    }

    /// <summary>`tandem dlm`.</summary>
    public static async Task<int> RunAsync(DlmSettings settings, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        DlmTaskSet tasks = LoadTasks();
        foreach (int t in settings.Experiment.Tasks ?? [])
            if (t >= tasks.Tasks.Count) throw new UsageException($"--tasks {t} is unknown; tasks are 0-{tasks.Tasks.Count - 1}.");
        CohortGenerator generator = LoadGenerator();
        if (settings.Experiment.Arms > generator.Parameters.PopulationSize)
            throw new UsageException($"--arms {settings.Experiment.Arms} exceeds the generated population of {generator.Parameters.PopulationSize}.");
        DlmSummary? compare = settings.Compare is null ? null : DlmOutputs.LoadSummary(settings.Compare);
        string outDir = PrepareOut(settings.Out);
        LlmLedger? ledger = settings.DesignerLlm is null ? null : new LlmLedger();
        using var session = new LlmSession(settings.LlmCall ?? new LlmCallSettings(), outDir, "--designer");
        IRewardDesigner designer = settings.DesignerLlm is { } spec
            ? new LlmRewardDesigner(session.Open(spec, ledger!), ledger!, spec.ToString())
            : settings.Designer == "base" ? new BaseDesigner() : new SimulatedDesigner();
        int taskCount = settings.Experiment.Tasks?.Count ?? tasks.Tasks.Count;
        string label = $"DLM ({settings.Planner}): {taskCount} tasks × {settings.Experiment.Seeds} seeds";
        DlmExperimentResult result;
        try
        {
            result = await ProgressReporter.RunAsync(io, label, settings.Json, progress =>
                DlmExperiment.RunAsync(tasks, generator, designer, settings.Experiment, progress, cancellationToken)).ConfigureAwait(false);
        }
        catch (LlmStopException ex)
        {
            throw new UsageException("--designer: " + ex.Message);
        }

        DlmSummary summary = DlmOutputs.Summarize(result, settings.Planner) with { Llm = ledger is null ? null : LlmSummary.From(ledger) };
        DlmOutputs.Write(outDir, summary, result, compare);
        double wall = (DateTimeOffset.UtcNow - started).TotalSeconds;
        RunManifest.Capture("tandem dlm", parse.Tokens.Select(t => t.Value).ToArray(), settings.Experiment.Seed, started, wall,
            new Dictionary<string, string> { ["designer"] = designer.Name, ["planner"] = settings.Planner }).Write(Path.Combine(outDir, "manifest.json"));
        if (settings.Json) io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
        else DlmConsole.WriteTable(io.Output, summary, outDir);
        return CliApp.Ok;
    }

    internal static string PrepareOut(string path)
    {
        try { return OutputFolder.Prepare(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out '{path}' is not a writable folder: {ex.Message}");
        }
    }
}
