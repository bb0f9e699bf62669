using Spectre.Console;
using Tandem.Rmab.Dlm;

namespace Tandem.Cli.Dlm;

/// <summary>Human-readable DLM tables on stdout (plain text when not a terminal).</summary>
public static class DlmConsole
{
    /// <summary>Table 4 with the average row.</summary>
    public static void WriteTable(TextWriter output, DlmSummary s, string outDir)
    {
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(output);
        console.MarkupLine($"[bold]DLM (seed 001 Table 4)[/]: {s.Tasks.Count} tasks × {s.Seeds} seeds, {s.Arms} arms, budget {s.Budget}, designer {Markup.Escape(Tandem.Cli.Console.ConsoleText.Safe(s.Designer))}, {s.Stages}×{s.Candidates} candidates");
        if (s.Designer == RewardDesigners.Oracle)
            console.MarkupLine("[bold]Oracle ablation[/]: the designer reads the Base reward's features, so its DLM columns are an upper bound, not a result about designing rewards from language.");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("idx");
        table.AddColumn("label");
        foreach (string m in DlmStudyResult.TableMethods) table.AddColumn(new TableColumn(Markup.Escape(DlmStudyResult.Display(m))).RightAligned());
        table.AddColumn(new TableColumn("p Refl>Def").RightAligned());
        foreach (DlmTaskSummary t in s.Tasks)
            table.AddRow([t.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(t.Label), .. DlmStudyResult.TableMethods.Select(m => DlmStudyResult.Pm(t.Mnr[m])), DlmStudyResult.P(t.PValues.ReflectionVsDefault)]);
        table.AddRow(["avg", "[bold]Average MNR[/]", .. DlmStudyResult.TableMethods.Select(m => DlmStudyResult.Pm(s.Average.Mnr[m])), ""]);
        console.Write(table);
        if (s.Embedding is { } e)
            console.MarkupLine($"Embedding model {Markup.Escape(e.Model)}: {e.Texts} texts in {e.Seconds:F1} s ({(s.WallSeconds > 0 ? e.Seconds / s.WallSeconds : 0):P1} of the wall time).");
        console.MarkupLine($"{s.WallSeconds:F1} s. Report: {Markup.Escape(Path.Combine(outDir, "report.html"))}");
    }
}
