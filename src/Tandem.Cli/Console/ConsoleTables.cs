using Spectre.Console;
using Tandem.Core.Reports;
using Tandem.Recourse.Experiments;

namespace Tandem.Cli.Console;

/// <summary>Human-readable summaries on stdout (plain text when not a terminal).</summary>
public static class ConsoleTables
{
    /// <summary>The study's summary table.</summary>
    public static void WriteStudy(TextWriter output, LibraSummary summary, string outDir)
    {
        IAnsiConsole console = CreateConsole(output);
        console.MarkupLine($"[bold]LIBRA study — {Markup.Escape(summary.Env)}[/]: {summary.Runs} runs × {summary.Horizon} steps, seed {summary.Seed}, advisor {Markup.Escape(ConsoleText.Safe(summary.Advisor))}, γ = {ReportText.Number(summary.Gamma)}, Δ = {ReportText.Number(summary.Delta)}, non-compliance {Markup.Escape(summary.Noncompliance)}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("policy");
        table.AddColumn(new TableColumn("cumulative regret").RightAligned());
        table.AddColumn(new TableColumn("LLM queries").RightAligned());
        table.AddColumn(new TableColumn(Markup.Escape("mean " + summary.RewardLabel)).RightAligned());
        foreach (PolicySummary p in summary.Policies)
            table.AddRow(Markup.Escape(p.Name), Pm(p.CumulativeRegret), Pm(p.LlmQueries), Pm(p.MeanReward));
        console.Write(table);
        if (summary.FittedMutableCoefficients is { } fitted)
        {
            bool seed = fitted.Any(c => c.Seed is not null);
            var coefficients = new Table().Border(TableBorder.Rounded).Title(seed ? "fitted coefficients ± standard error (seed's)" : "fitted coefficients ± standard error");
            coefficients.AddColumn("treatment");
            foreach (string f in fitted[0].Features) coefficients.AddColumn(new TableColumn(Markup.Escape(f)).RightAligned());
            foreach (FittedCoefficients c in fitted)
                coefficients.AddRow([Markup.Escape(c.Treatment), .. c.Features.Select((f, j) => ReportText.MeanSd(c.Ours[j], c.StandardErrors[j])
                    + (c.Seed is { } s && s.TryGetValue(f, out double v) ? $" ({ReportText.Number(v)})" : ""))]);
            console.Write(coefficients);
        }
        if (summary.Llm is { } llm)
            console.MarkupLine(Markup.Escape($"LLM: {llm.Calls} calls, {llm.PromptTokens} prompt + {llm.CompletionTokens} completion tokens, {llm.CacheHits} cassette hits, mean latency {ReportText.Number(llm.MeanLatencyMs)} ms, fallbacks: {(llm.Fallbacks.Count == 0 ? "none" : string.Join(", ", llm.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}")))}"));
        console.MarkupLine($"{summary.WallSeconds:F2} s simulation, {summary.StepsPerSecond:N0} rounds/s. Report: [link]{Markup.Escape(Path.Combine(outDir, "report.html"))}[/]");
    }

    /// <summary>The ablation's summary table.</summary>
    public static void WriteAblation(TextWriter output, AblationSummary summary, string outDir)
    {
        IAnsiConsole console = CreateConsole(output);
        console.MarkupLine($"[bold]LIBRA ablation over {Markup.Escape(summary.Vary)} — {Markup.Escape(summary.Env)}[/]: {summary.Runs} runs × {summary.Horizon} steps, seed {summary.Seed}");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(summary.Vary == "delta" ? "Δ" : "q");
        table.AddColumn(new TableColumn("cumulative regret").RightAligned());
        table.AddColumn(new TableColumn("LLM queries").RightAligned());
        foreach (AblationSeries s in summary.Series) table.AddRow(ReportText.Number(s.Value), Pm(s.CumulativeRegret), Pm(s.LlmQueries));
        console.Write(table);
        console.MarkupLine($"Report: {Markup.Escape(Path.Combine(outDir, "report.html"))}");
    }

    private static string Pm(Stat s) => ReportText.MeanSd(s.Mean, s.Sd);

    /// <summary>A console on <paramref name="output"/>: colours and live features on a terminal, plain
    /// text and a 200-column width on pipes and logs (so tables and headers are not wrapped at 80).</summary>
    internal static IAnsiConsole CreateConsole(TextWriter output)
    {
        bool terminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 200;
        return console;
    }
}
