using System.Globalization;
using Spectre.Console;
using Tandem.Cli.Console;
using Tandem.Rmab.Programme;

namespace Tandem.Cli.Dlm;

/// <summary>How `tandem rmab whittle` and `tandem rmab plan` render the library's results (<see cref="RmabProgramme"/>).</summary>
public static class RmabRunner
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The table of Whittle indices.</summary>
    public static void WriteWhittle(TextWriter output, RmabWhittleResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        WhittleSummary summary = result.Summary;
        IAnsiConsole console = ConsoleTables.CreateConsole(output);
        var table = new Table().Border(TableBorder.Rounded).Title($"Whittle indices, discount {summary.Discount.ToString(Inv)}");
        table.AddColumn("id");
        table.AddColumn(new TableColumn("index (state 0)").RightAligned());
        table.AddColumn(new TableColumn("index (state 1)").RightAligned());
        table.AddColumn("indexable");
        foreach (var r in summary.Arms) table.AddRow(Markup.Escape(ConsoleText.Safe(r.Id, 200)), G(r.Index[0]), G(r.Index[1]), r.Indexable ? "yes" : "[red]no[/]");
        console.Write(table);
        if (result.NonIndexable > 0)
            console.MarkupLine($"[red]{result.NonIndexable} arm(s) are not indexable[/]: their indices are bisection roots and the index policy may be far from optimal for them.");
    }

    /// <summary>Calls the console lists (the top of the list); plan.csv (with --out) and --json have every beneficiary.</summary>
    public const int ConsoleRows = 20;

    /// <summary>Extra columns of the file the console shows beside the plan (all go to plan.csv).</summary>
    public const int ConsoleExtraColumns = 3;

    /// <summary>This week's calls (the first <see cref="ConsoleRows"/>), how the budget was used, the next in line and
    /// where the files went.</summary>
    public static void WritePlan(TextWriter output, RmabPlanResult result, string? folder, string? savedPlan)
    {
        ArgumentNullException.ThrowIfNull(result);
        PlanSummary summary = result.Summary;
        bool ppo = summary.Planner == Tandem.Rmab.Planning.RmabPlanners.Ppo;
        IAnsiConsole console = ConsoleTables.CreateConsole(output);
        console.MarkupLine($"[bold]Call {summary.Calls.Count} of {summary.Beneficiaries} beneficiaries this step[/] (budget {summary.Budget}, discount {summary.Discount.ToString(Inv)}, {(ppo ? "PPO policy: index = log-odds of P(call)" : "Whittle index")})");
        console.MarkupLine("Reward: " + Markup.Escape(ConsoleText.Safe(summary.Reward, 2000)) + (summary.TaskLabel is null ? "" : $" (task {summary.Task}: {Markup.Escape(summary.TaskLabel)})"));
        string note = Markup.Escape(RmabPlanResult.BudgetNote(summary));
        console.MarkupLine(summary.Unused > 0 || summary.Calls.Any(e => e.Index < 0) ? $"[yellow]{note}[/]" : note);
        IReadOnlyList<string> extras = summary.ExtraColumns ?? [];
        int shownExtras = Math.Min(extras.Count, ConsoleExtraColumns);
        if (summary.Calls.Count > 0)
        {
            var view = new Table().Border(TableBorder.Rounded);
            view.AddColumn(new TableColumn("rank").RightAligned());
            view.AddColumn("id");
            view.AddColumn("state");
            view.AddColumn(new TableColumn(ppo ? "PPO index" : "Whittle index").RightAligned());
            view.AddColumn(new TableColumn("expected gain").RightAligned());
            for (int k = 0; k < shownExtras; k++) view.AddColumn(Markup.Escape(ConsoleText.Safe(extras[k], 40)));
            foreach (PlanEntry e in summary.Calls.Take(ConsoleRows))
            {
                var cells = new List<string> { e.Rank.ToString(Inv), Markup.Escape(ConsoleText.Safe(e.Id, 200)), e.State == 1 ? "engaged" : "not engaged", G(e.Index), Gain(e.ExpectedGain) };
                for (int k = 0; k < shownExtras; k++) cells.Add(Markup.Escape(ConsoleText.Safe(e.Extra![k], 40)));
                view.AddRow(cells.ToArray());
            }
            console.Write(view);
        }
        if (summary.Calls.Count > ConsoleRows)
            console.MarkupLine($"... and {summary.Calls.Count - ConsoleRows} more calls: {(folder is null ? "give --out for plan.csv, which lists" : "plan.csv lists")} every beneficiary by rank.");
        PlanEntry? next = summary.All.FirstOrDefault(e => !e.Call);
        if (next is not null) console.MarkupLine($"Next in line: {Markup.Escape(ConsoleText.Safe(next.Id, 200))} (index {G(next.Index)}, expected gain {Gain(next.ExpectedGain)}).");
        if (summary.NonIndexable.Count > 0) console.MarkupLine($"[yellow]Not indexable ({summary.NonIndexable.Count}):[/] {Markup.Escape(ConsoleText.Safe(string.Join(", ", summary.NonIndexable.Take(50)), 2000))}{(summary.NonIndexable.Count > 50 ? ", ..." : "")}");
        if (extras.Count > shownExtras) console.MarkupLine($"Extra columns carried into plan.csv: {Markup.Escape(ConsoleText.Safe(string.Join(", ", extras), 2000))}.");
        if (folder is not null) console.MarkupLine($"Wrote {Markup.Escape(Path.Combine(folder, "plan.csv"))} (every beneficiary ranked), summary.json and report.html.");
        if (savedPlan is not null) console.MarkupLine($"Saved the plan to {Markup.Escape(savedPlan)}.");
    }

    private static string Gain(double v) => v.ToString("+0.####;-0.####;0", Inv);

    private static string G(double v) => v.ToString("0.######", Inv);
}
