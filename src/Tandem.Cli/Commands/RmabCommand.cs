using System.CommandLine;
using Tandem.Cli.Console;
using Tandem.Cli.Dlm;
using Tandem.Cli.Hosting;
using Tandem.Reporting;
using Tandem.Rmab.Programme;

namespace Tandem.Cli.Commands;

/// <summary>`tandem rmab whittle` and `tandem rmab plan` (CLI contract of issue 3; keep stable): parse into
/// <see cref="RmabWhittleOptions"/> / <see cref="RmabPlanOptions"/>, call <see cref="RmabProgramme"/>, render.</summary>
public static class RmabCommand
{
    /// <summary>Parameter names of the rmab option records → option names (the library checks the ranges).</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["ArmsFile"] = "--arms", ["Budget"] = "--budget", ["Expression"] = "--expr", ["Task"] = "--task", ["Discount"] = "--discount",
        ["Planner"] = "--planner", ["PpoEpochs"] = "--ppo-epochs", ["Epochs"] = "--ppo-epochs", ["FinalFrozenEpochs"] = "--ppo-epochs",
        ["PpoLearningRate"] = "--ppo-lr", ["PolicyLearningRate"] = "--ppo-lr", ["ValueLearningRate"] = "--ppo-lr",
    });

    /// <summary>Create `rmab` with its subcommands.</summary>
    public static Command Create(CliIo io)
    {
        var rmab = new Command("rmab", "Restless-bandit tools: Whittle indices of two-state arms, and this step's call list for a programme.");

        var armsJson = new Option<string>("--arms") { Description = "JSON array of arms: {\"id\", \"transitions\": [action][state][next], \"reward\": [r0, r1]}.", Required = true };
        var discount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var whittle = new Command("whittle", "Print each arm's Whittle index for state 0 and 1 and whether it is indexable.");
        whittle.Add(armsJson);
        whittle.Add(discount);
        whittle.Add(json);
        whittle.SetAction((parse, ct) =>
        {
            var options = new RmabWhittleOptions { ArmsFile = parse.GetValue(armsJson)!, Discount = parse.GetValue(discount) };
            RmabWhittleResult result = Run(() => RmabProgramme.Whittle(options, ct));
            if (parse.GetValue(json)) io.Output.WriteLine(JsonOutput.Serialize(result.Summary, indented: false));
            else RmabRunner.WriteWhittle(io.Output, result);
            return Task.FromResult(CliApp.Ok);
        });
        rmab.Add(whittle);

        var armsCsv = new Option<string>("--arms") { Description = "CSV of beneficiaries: id, state (0/1), p01_passive, p11_passive, p01_active, p11_active (P(next engaged | state, action)), and feature columns by name (e.g. age_51_60, lang_hindi, income_1) or f7.", Required = true };
        var budget = new Option<int>("--budget") { Description = "Calls this step B (≤ number of beneficiaries).", Required = true };
        var expr = new Option<string?>("--expr") { Description = "Reward expression over state and feats[0..42]." };
        var task = new Option<int?>("--task") { Description = "Use the Base reward of task i (0-15, seed 001 Table 3)." };
        var planDiscount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the tie-break among equal indices.", DefaultValueFactory = _ => 1UL };
        var outDir = new Option<string?>("--out") { Description = "Folder for plan.csv, summary.json, report.html and manifest.json (nothing is written without it)." };
        var savePlan = new Option<string?>("--save-plan") { Description = "Write the planned policy (its indices or PPO actor, the beneficiaries' ids and the tie-break stream after this week's call) to this JSON file." };
        var planJson = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var planner = new Option<string>("--planner") { Description = "Planner: whittle (the index policy ARMMAN deploys) or ppo (the seed's Lagrangian PPO, trained on these beneficiaries; docs/dlm-ppo.md).", DefaultValueFactory = _ => "whittle" };
        var ppoEpochs = new Option<int?>("--ppo-epochs") { Description = "PPO training epochs of 100 steps (default: 40 for 48 or more beneficiaries, more for fewer, so that training sees as many arm-steps as the authors' 48 arms × 40 epochs)." };
        var ppoLr = new Option<double?>("--ppo-lr") { Description = "PPO actor and critic learning rate in (0, 1] (default 2e-3, the authors')." };
        var plan = new Command("plan", "Who to call this step: rank beneficiaries by Whittle index (or a PPO policy's index) under a reward and pick the top B.");
        foreach (Option o in new Option[] { armsCsv, budget, expr, task, planDiscount, seed, planner, ppoEpochs, ppoLr, outDir, savePlan, planJson }) plan.Add(o);
        plan.SetAction((parse, ct) =>
        {
            var options = new RmabPlanOptions
            {
                ArmsFile = parse.GetValue(armsCsv)!,
                Budget = parse.GetValue(budget),
                Expression = parse.GetValue(expr),
                Task = parse.GetValue(task),
                Discount = parse.GetValue(planDiscount),
                Seed = parse.GetValue(seed),
                Planner = parse.GetValue(planner)!.Trim().ToLowerInvariant(),
                PpoEpochs = parse.GetValue(ppoEpochs),
                PpoLearningRate = parse.GetValue(ppoLr),
            };
            Run(options.Validate); // a bad setting is refused before any file is read or written
            return PlanAsync(options, parse.GetValue(outDir), parse.GetValue(savePlan), parse.GetValue(planJson), io, parse, ct);
        });
        rmab.Add(plan);
        return rmab;
    }

    private static async Task<int> PlanAsync(RmabPlanOptions options, string? outDir, string? savePlan, bool json, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        if (savePlan is not null && string.IsNullOrWhiteSpace(savePlan)) throw new UsageException("--save-plan is empty; give a file path.");
        using StudyOutput? output = outDir is null ? null : StudyOutput.Begin(new CommonSettings(options.Seed, outDir, true, json, 1, null));
        string label = options.Planner == Tandem.Rmab.Planning.RmabPlanners.Ppo ? "PPO training" : "Whittle indices";
        // Whittle and PPO are synchronous: run them off the console thread so the progress display and Ctrl+C (the
        // command's token, observed inside the library) keep working.
        RmabPlanResult result = await ProgressReporter.RunAsync(io, label, json || options.Planner != Tandem.Rmab.Planning.RmabPlanners.Ppo, progress =>
            Task.Run(() => Run(() => RmabProgramme.Plan(options, progress, cancellationToken)), cancellationToken)).ConfigureAwait(false);
        if (savePlan is not null) WriteSavedPlan(savePlan, result.Saved);
        output?.Complete(result.ToReport(), "tandem rmab plan", parse.Tokens.Select(t => t.Value).ToArray(), options.Seed,
            new Dictionary<string, string> { ["reward"] = result.Summary.Reward, ["planner"] = result.Summary.Planner });
        if (json) io.Output.WriteLine(JsonOutput.Serialize(result.Summary, indented: false));
        else RmabRunner.WritePlan(io.Output, result, output?.Folder, savePlan);
        return CliApp.Ok;
    }

    private static void WriteSavedPlan(string path, RmabSavedPlan plan)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string temp = full + ".tmp-" + Environment.ProcessId;
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write)) // exclusive: never follows a planted link
            using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
                writer.Write(plan.ToJson());
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--save-plan '{ConsoleText.Safe(path, 300)}' cannot be written: {ex.Message}");
        }
    }

    // The library's refusals become usage errors (exit 2): file problems carry file, row and field; option problems
    // name the option through Names.
    private static T Run<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw Names.Translate(ex);
        }
    }

    private static void Run(Action work) => Run(() => { work(); return 0; });
}
