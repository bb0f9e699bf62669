using System.Globalization;
using Spectre.Console;
using Tandem.Core.Running;
using Tandem.Core.Statistics;
using Tandem.Gambit.Experiments;
using Tandem.Reporting;

namespace Tandem.Cli.Gambit;

/// <summary>Writes a GAMBITTS experiment's files: summary.json, curves.csv, figures of cumulative regret with 95%
/// intervals in the style of the seed's Fig 2–4 and App. E (one per setting, plus final regret against the varied
/// value), and report.html.</summary>
public static class GambittsOutputs
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const double Z95 = 1.959963984540054;

    /// <summary>Write every file into <paramref name="outDir"/>.</summary>
    public static void Write(string outDir, GambittsSummary summary, ExperimentResult result)
    {
        JsonOutput.Write(Path.Combine(outDir, "summary.json"), summary);

        var headers = new List<string> { "step" };
        var columns = new List<IReadOnlyList<double>> { Enumerable.Range(1, summary.Horizon).Select(t => (double)t).ToArray() };
        foreach (SettingResult s in result.Settings)
        {
            foreach (PolicyTrace trace in s.Result.Policies)
            {
                string name = s.Setting.Label is null ? trace.Name : $"{trace.Name} [{s.Setting.Label}]";
                headers.Add(name + " regret mean");
                columns.Add(trace.MeanCumulativeRegretCurve());
                headers.Add(name + " regret ci95");
                columns.Add(Ci95Curve(trace));
            }
        }
        CsvTables.WriteColumns(Path.Combine(outDir, "curves.csv"), headers, columns);

        var figures = new List<(string File, string Caption)>();
        string title = $"{summary.Experiment} ({summary.Section})";
        foreach (SettingResult s in result.Settings)
        {
            string stem = s.Setting.Label is null ? "regret" : "regret-" + Slug(s.Setting.Label);
            string panel = s.Setting.Label is null ? title : $"{title}: {s.Setting.Label}";
            Figures.Line(Path.Combine(outDir, stem), panel, "step t", "cumulative regret",
                s.Result.Policies.Select(t => new Series(t.Name, t.MeanCumulativeRegretCurve(), Ci95Curve(t))).ToArray());
            figures.Add((stem + ".png", $"Mean cumulative regret over {summary.Runs} runs with 95% intervals" + (s.Setting.Label is null ? "." : $", {s.Setting.Label}.")));
        }
        if (result.Settings.Count > 1)
        {
            double[] x = result.Settings.Select(s => s.Setting.Value).ToArray();
            var lines = result.Agents.Select((a, i) =>
            {
                MeanSd[] finals = result.Settings.Select(s => MeanSd.Of(s.Result.Policies[i].FinalCumulativeRegret())).ToArray();
                return new Series(a.Name, finals.Select(f => f.Mean).ToArray(), finals.Select(f => f.Ci95).ToArray(), x);
            }).ToArray();
            Figures.Line(Path.Combine(outDir, "final-regret"), $"{title}: regret after {summary.Horizon} steps", summary.Varied ?? "setting", $"cumulative regret at T = {summary.Horizon}", lines);
            figures.Insert(0, ("final-regret.png", $"Cumulative regret at T = {summary.Horizon} against {summary.Varied}, mean with 95% intervals over {summary.Runs} runs (the summary panel of the seed's figure)."));
        }

        var report = new HtmlReport($"Tandem — GAMBITTS: {summary.Experiment}");
        report.AddHeading($"GAMBITTS — {summary.Experiment} ({summary.Section})", 2);
        report.AddParagraph($"{result.Experiment.Title}. {summary.Runs} runs × {summary.Horizon} steps, seed {summary.Seed}, bank: {summary.Bank}. " +
            $"Regret is exact: against the best prompt's expected reward in the current context, computed from the bank. Wall time {summary.WallSeconds:F1} s.");
        report.AddParagraph("**What the seed reports** (compare, do not tune toward): " + result.Experiment.SeedFinding);
        report.AddTable(["agent", "setting", "cumulative regret (mean)", "sd", "95% half-width"],
            summary.Series.Select(s => (IReadOnlyList<string>)[s.Agent, s.Setting ?? "—", F(s.CumulativeRegret.Mean), F(s.CumulativeRegret.Sd), F(s.CumulativeRegret.Ci95)]),
            $"Cumulative regret after {summary.Horizon} steps.");
        foreach (var (file, caption) in figures) report.AddFigure(file, caption);
        report.Save(Path.Combine(outDir, "report.html"));
    }

    /// <summary>The console summary table.</summary>
    public static void WriteTable(TextWriter output, GambittsSummary summary, string outDir)
    {
        IAnsiConsole console = Tandem.Cli.Console.ConsoleTables.CreateConsole(output);
        console.MarkupLine($"[bold]GAMBITTS — {Markup.Escape(summary.Experiment)}[/] ({Markup.Escape(summary.Section)}): {summary.Runs} runs × {summary.Horizon} steps, seed {summary.Seed}, bank {Markup.Escape(summary.Bank)}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("agent");
        table.AddColumn("setting");
        table.AddColumn(new TableColumn("cumulative regret").RightAligned());
        foreach (GambittsSeries s in summary.Series)
            table.AddRow(Markup.Escape(s.Agent), Markup.Escape(s.Setting ?? "—"), $"{F(s.CumulativeRegret.Mean)} ± {F(s.CumulativeRegret.Ci95)}");
        console.Write(table);
        console.MarkupLine($"{summary.WallSeconds:F1} s wall ({summary.SimulationSeconds:F1} s simulation). Report: {Markup.Escape(Path.Combine(outDir, "report.html"))}");
    }

    private static double[] Ci95Curve(PolicyTrace trace)
    {
        double[] sd = Curves.SdOfCumulative(trace.Regret);
        double root = Math.Sqrt(trace.Regret.Length);
        return sd.Select(s => Z95 * s / root).ToArray();
    }

    private static string Slug(string label)
    {
        var chars = label.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '-').ToArray();
        string slug = new string(chars).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug;
    }

    private static string F(double v) => v.ToString("0.00", Inv);
}
