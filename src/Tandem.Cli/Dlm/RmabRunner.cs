using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tandem.Cli.Console;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Rewards;
using Tandem.Reporting;

namespace Tandem.Cli.Dlm;

/// <summary>One arm in `tandem rmab whittle --json`.</summary>
public sealed record WhittleArmSummary(string Id, IReadOnlyList<double> Index, bool Indexable);

/// <summary>The object `tandem rmab whittle --json` prints.</summary>
public sealed record WhittleSummary(double Discount, IReadOnlyList<WhittleArmSummary> Arms);

/// <summary>One beneficiary in `tandem rmab plan` output.</summary>
public sealed record PlanEntry(int Rank, string Id, int State, double Index, bool Indexable, bool Call);

/// <summary>The object `tandem rmab plan --json` prints and summary.json holds.</summary>
public sealed record PlanSummary(string Command, string File, int Beneficiaries, int Budget, double Discount, string Reward, int? Task, string? TaskLabel,
    IReadOnlyList<PlanEntry> Calls, IReadOnlyList<string> NonIndexable, IReadOnlyList<PlanEntry> All, string Planner = "whittle");

/// <summary>`tandem rmab whittle` and `tandem rmab plan`: I/O and rendering around <see cref="WhittleIndex"/> and
/// <see cref="CallList"/>.</summary>
public static class RmabRunner
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>`tandem rmab whittle`.</summary>
    public static int Whittle(string file, double discount, bool json, CliIo io)
    {
        IReadOnlyList<WhittleArm> arms = ArmFiles.ReadWhittleJson(file);
        var rows = arms.Select(a =>
        {
            WhittleResult w = WhittleIndex.Compute(a.Dynamics, a.Reward0, a.Reward1, discount);
            return new WhittleArmSummary(a.Id, [w.State0, w.State1], w.Indexable);
        }).ToArray();
        var summary = new WhittleSummary(discount, rows);
        if (json)
        {
            io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
            return CliApp.Ok;
        }
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(io.Output);
        var table = new Table().Border(TableBorder.Rounded).Title($"Whittle indices, discount {discount.ToString(Inv)}");
        table.AddColumn("id");
        table.AddColumn(new TableColumn("index (state 0)").RightAligned());
        table.AddColumn(new TableColumn("index (state 1)").RightAligned());
        table.AddColumn("indexable");
        foreach (var r in rows) table.AddRow(Markup.Escape(r.Id), G(r.Index[0]), G(r.Index[1]), r.Indexable ? "yes" : "[red]no[/]");
        console.Write(table);
        int bad = rows.Count(r => !r.Indexable);
        if (bad > 0) console.MarkupLine($"[red]{bad} arm(s) are not indexable[/]: their indices are bisection roots and the index policy may be far from optimal for them.");
        return CliApp.Ok;
    }

    /// <summary>`tandem rmab plan`. With PPO settings the call list ranks by the trained policy's index (the log-odds of
    /// P(call)), training with a seed derived from the tie-break seed, under a progress display.</summary>
    public static async Task<int> Plan(string file, int budget, string? expr, int? task, double discount, ulong seed, string? outDir, bool json, CliIo io, ParseResult parse,
        Func<int, PpoOptions>? planner = null)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        if ((expr is null) == (task is null)) throw new UsageException("give exactly one of --expr or --task.");
        if (budget < 0) throw new UsageException($"--budget {budget} must be at least 0.");
        if (!(discount >= 0 && discount < 1)) throw new UsageException($"--discount {discount.ToString(Inv)} must lie in [0, 1).");
        string rewardText;
        string? label = null;
        if (task is int t)
        {
            DlmTaskSet tasks = DlmData.LoadTasks();
            if (t < 0 || t >= tasks.Tasks.Count) throw new UsageException($"--task {t} is unknown; tasks are 0-{tasks.Tasks.Count - 1}.");
            rewardText = tasks.Tasks[t].Base;
            label = tasks.Tasks[t].Label;
        }
        else rewardText = expr!;
        if (!RewardSandbox.TryParse(rewardText, out RewardExpression? reward, out string? refusal))
            throw new UsageException($"--expr refused: {refusal}.");

        IReadOnlyList<BeneficiaryRow> rows = ArmFiles.ReadBeneficiaryCsv(file);
        if (budget > rows.Count) throw new UsageException($"--budget {budget} exceeds the {rows.Count} beneficiaries in {file}.");
        if (!reward.TryTabulate(rows.Select(r => r.Features).ToArray(), out RewardTable? table, out string? error))
            throw new UsageException($"--expr cannot be evaluated on {file}: {error}.");
        var problem = new PlanningProblem(rows.Select(r => r.Dynamics).ToArray(), table, budget, discount);
        byte[] states = rows.Select(r => r.State).ToArray();
        PpoOptions? ppo = planner?.Invoke(rows.Count);
        IReadOnlyList<CallListEntry> plan = ppo is null
            ? CallList.Plan(problem, states, seed)
            : await ProgressReporter.RunAsync(io, $"PPO training on {rows.Count} beneficiaries ({ppo.Epochs} epochs)", json, progress =>
                Task.Run(() => CallList.Plan(problem, states, seed, new PpoPlanner(ppo, Seeds.Derive(seed, "ppo"),
                    new EpochProgress(e => progress.Report(new StudyProgress(e.Epoch + 1, ppo.Epochs))))))).ConfigureAwait(false);
        string plannerName = planner is null ? "whittle" : "ppo";
        var all = plan.Select(e => new PlanEntry(e.Rank, rows[e.Arm].Id, e.State, e.Index, e.Indexable, e.Call)).ToArray();
        var summary = new PlanSummary("rmab plan", Path.GetFileName(file), rows.Count, budget, discount, rewardText, task, label,
            all.Where(e => e.Call).ToArray(), all.Where(e => !e.Indexable).Select(e => e.Id).ToArray(), all, plannerName);

        string? written = null;
        if (outDir is not null)
        {
            written = new Tandem.Cli.Hosting.CommonSettings(0, outDir, true, false, 1, null).PrepareOut();
            JsonOutput.Write(Path.Combine(written, "summary.json"), summary);
            CsvTables.WriteRows(Path.Combine(written, "plan.csv"), ["rank", "id", "state", planner is null ? "whittle_index" : "ppo_index", "indexable", "call"],
                all.Select(e => (IReadOnlyList<object?>)[e.Rank, e.Id, e.State, e.Index, e.Indexable ? 1 : 0, e.Call ? 1 : 0]));
            RunManifest.Capture("tandem rmab plan", parse.Tokens.Select(x => x.Value).ToArray(), seed, started, (DateTimeOffset.UtcNow - started).TotalSeconds,
                new Dictionary<string, string> { ["reward"] = rewardText, ["planner"] = plannerName }).Write(Path.Combine(written, "manifest.json"));
        }
        if (json)
        {
            io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
            return CliApp.Ok;
        }
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(io.Output);
        console.MarkupLine($"[bold]Call {summary.Calls.Count} of {rows.Count} beneficiaries this step[/] (budget {budget}, discount {discount.ToString(Inv)}, {(planner is null ? "Whittle index" : "PPO policy: index = log-odds of P(call)")})");
        console.MarkupLine("Reward: " + Markup.Escape(rewardText) + (label is null ? "" : $" (task {task}: {Markup.Escape(label)})"));
        var view = new Table().Border(TableBorder.Rounded);
        view.AddColumn(new TableColumn("rank").RightAligned());
        view.AddColumn("id");
        view.AddColumn("state");
        view.AddColumn(new TableColumn(planner is null ? "Whittle index" : "PPO index").RightAligned());
        foreach (PlanEntry e in summary.Calls) view.AddRow(e.Rank.ToString(Inv), Markup.Escape(e.Id), e.State == 1 ? "engaged" : "not engaged", G(e.Index));
        console.Write(view);
        PlanEntry? next = all.FirstOrDefault(e => !e.Call);
        if (next is not null) console.MarkupLine($"Next in line: {Markup.Escape(next.Id)} (index {G(next.Index)}).");
        if (summary.NonIndexable.Count > 0) console.MarkupLine($"[yellow]Not indexable:[/] {Markup.Escape(string.Join(", ", summary.NonIndexable))}");
        if (written is not null) console.MarkupLine($"Wrote {Markup.Escape(Path.Combine(written, "plan.csv"))} (every beneficiary ranked) and summary.json.");
        return CliApp.Ok;
    }

    private static string G(double v) => v.ToString("0.######", Inv);

    private sealed class EpochProgress(Action<PpoEpoch> report) : IProgress<PpoEpoch>
    {
        public void Report(PpoEpoch value) => report(value);
    }
}
