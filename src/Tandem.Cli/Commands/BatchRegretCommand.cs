using System.CommandLine;
using System.Globalization;
using Tandem.Cli.Console;
using Tandem.Cli.Hosting;
using Tandem.Core.Reports;
using Tandem.Evaluation.Simulation;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;

namespace Tandem.Cli.Commands;

/// <summary>`tandem batch-regret` (issue 19 item 3): regret against batch size of learners that decide from a snapshot and
/// learn in batches (docs/hot-studies.md).</summary>
public static class BatchRegretCommand
{
    /// <summary>The learners the experiment accepts: those that need no advisor.</summary>
    public static IReadOnlyList<string> Learners { get; } = ["linucb", "glrb"];

    private static readonly OptionMap Names = new(new Dictionary<string, string>
    {
        ["BatchSizes"] = "--batch-sizes",
        ["Horizon"] = "--horizon",
        ["Runs"] = "--runs",
    });

    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        var defaults = new BatchRegretOptions();
        var env = new Option<string>("--env") { Description = "Comma-separated recourse environments: " + string.Join(", ", Scenarios.Names) + " (default synthetic,hypertension).", DefaultValueFactory = _ => "synthetic,hypertension" };
        var policies = new Option<string>("--policies") { Description = "Comma-separated learners: " + string.Join(", ", Learners) + " (default both), with each environment's default options.", DefaultValueFactory = _ => string.Join(",", Learners) };
        var sizes = new Option<string>("--batch-sizes") { Description = $"Comma-separated batch sizes B (observations per update), each in 1..{Tandem.Core.Composition.SnapshotBatching.MaxBatchSize:N0}; 1, the online learner, is always included (default 1,10,100,1000).", DefaultValueFactory = _ => string.Join(",", defaults.BatchSizes) };
        var horizon = new Option<int>("--horizon") { Description = "Steps per run T ≥ 1.", DefaultValueFactory = _ => defaults.Horizon };
        var runs = new Option<int>("--runs") { Description = "Independent runs R ≥ 2.", DefaultValueFactory = _ => defaults.Runs };
        var common = new CommonOptions("Output folder (default ./results/batch-regret).");
        var command = new Command("batch-regret", "Hot studies: regret against batch size when learners decide from a published snapshot and learn every B observations (the Open Bandit Pipeline's batch_size pattern), on the recourse environments; figures, curves.csv and a report.");
        foreach (Option o in new Option[] { env, policies, sizes, horizon, runs }) command.Add(o);
        common.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            CommonSettings settings = common.Read(parse, Path.Combine("results", "batch-regret"));
            if (settings.Log is not null) throw new UsageException("--log: batch-regret writes no decision log (it runs every learner at every batch size).");
            var options = new BatchRegretOptions
            {
                BatchSizes = ParseSizes(parse.GetValue(sizes)!),
                Horizon = parse.GetValue(horizon),
                Runs = parse.GetValue(runs),
                Seed = settings.Seed,
                MaxDegreeOfParallelism = settings.Parallel,
            };
            try { options.Validate(); }
            catch (ArgumentException ex) { throw Names.Translate(ex); }
            string[] learners = ParseList(parse.GetValue(policies)!, "--policies", Learners);
            string[] environments = ParseList(parse.GetValue(env)!, "--env", Scenarios.Names);
            var studies = new List<BatchRegretEnvironment<double[], RecourseDecision, RecourseOutcome>>();
            foreach (string name in environments)
            {
                IRecourseScenario scenario;
                try { scenario = Scenarios.Create(name); }
                catch (Exception ex) when (ex is ArgumentException or IOException) { throw new UsageException($"--env {name}: {OptionMap.FirstSentence(ex.Message)}"); }
                LibraStudyPlan plan = LibraStudy.Create(scenario, new LibraStudyOptions { Policies = learners });
                studies.Add(new(scenario.Name, plan.Study));
            }
            return RunAsync(studies, options, settings, io, parse, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(List<BatchRegretEnvironment<double[], RecourseDecision, RecourseOutcome>> studies, BatchRegretOptions options,
        CommonSettings settings, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        using StudyOutput output = StudyOutput.Begin(settings);
        BatchRegretResult result = await ProgressReporter.RunAsync(io, "batch-regret", settings.Json,
            progress => BatchRegretExperiment.RunAsync(studies, options, progress, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal) { ["batch-sizes"] = string.Join(",", options.ResolvedBatchSizes) };
        var envelope = output.Complete(result.ToReport(), parse, options.Seed, resolved);
        if (settings.Json)
        {
            StudyOutput.Print(io, envelope);
            return CliApp.Ok;
        }
        BatchRegretSummary s = result.Summary;
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Regret against batch size: {s.Runs} runs of T = {s.Horizon}, seed {s.Seed} (mean ± se; extra = paired difference with B = 1)."));
        var rows = new List<string[]> { new[] { "environment", "policy", "B", "regret at T", "extra over B = 1" } };
        foreach (BatchRegretCell c in s.Cells)
            rows.Add([c.Environment, c.Policy, c.BatchSize.ToString(CultureInfo.InvariantCulture), MeanSe(c.RegretMean, c.RegretSe), c.BatchSize == 1 ? "—" : MeanSe(c.ExtraRegretMean, c.ExtraRegretSe)]);
        int[] widths = [.. Enumerable.Range(0, rows[0].Length).Select(col => rows.Max(r => r[col].Length))];
        foreach (string[] row in rows) io.Output.WriteLine(string.Join("  ", row.Select((cell, col) => col < 2 ? cell.PadRight(widths[col]) : cell.PadLeft(widths[col]))).TrimEnd());
        io.Output.WriteLine($"Report: {Path.Combine(output.Folder, "report.html")}");
        return CliApp.Ok;
    }

    private static string MeanSe(double mean, double se) => string.Create(CultureInfo.InvariantCulture, $"{mean:F1} ± {se:F1}");

    private static int[] ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int b))
                throw new UsageException($"--batch-sizes '{text}': '{part}' is not a whole number.");
            sizes.Add(b);
        }
        return [.. sizes];
    }

    private static string[] ParseList(string text, string option, IReadOnlyList<string> allowed)
    {
        string[] items = [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant())];
        if (items.Length == 0) throw new UsageException($"{option} is empty; allowed: {string.Join(", ", allowed)}.");
        foreach (string item in items)
        {
            if (!allowed.Contains(item)) throw new UsageException($"{option} '{item}' is not allowed; allowed: {string.Join(", ", allowed)}.");
            if (items.Count(i => i == item) > 1) throw new UsageException($"{option} '{item}' is given twice.");
        }
        return items;
    }
}
