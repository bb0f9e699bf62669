using System.Globalization;
using Spectre.Console;
using Tandem.Gambit.Experiments;

namespace Tandem.Cli.Gambit;

/// <summary>The GAMBITTS summary on the console (the files are the library's report, rendered by ReportWriter).</summary>
public static class GambittsOutputs
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The summary table on stdout.</summary>
    public static void WriteTable(TextWriter output, GambittsSummary summary, string outDir)
    {
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(output);
        console.MarkupLine($"[bold]GAMBITTS — {Markup.Escape(summary.Experiment)}[/] ({Markup.Escape(summary.Section)}): {summary.Runs} runs × {summary.Horizon} steps, seed {summary.Seed}, bank {Markup.Escape(Tandem.Cli.Console.ConsoleText.Safe(summary.Bank))}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("agent");
        table.AddColumn("setting");
        table.AddColumn(new TableColumn("cumulative regret").RightAligned());
        foreach (GambittsSeries s in summary.Series)
            table.AddRow(Markup.Escape(s.Agent), Markup.Escape(s.Setting ?? "—"), $"{F(s.CumulativeRegret.Mean)} ± {F(s.CumulativeRegret.Ci95)}");
        console.Write(table);
        console.MarkupLine($"{summary.WallSeconds:F1} s wall ({summary.SimulationSeconds:F1} s simulation). Report: {Markup.Escape(Path.Combine(outDir, "report.html"))}");
    }

    private static string F(double v) => v.ToString("0.00", Inv);
}
