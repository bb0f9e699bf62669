namespace Tandem.Core.Reports;

/// <summary>
/// What a study produced, as data that Tandem.Reporting renders: the summary object (written as
/// <c>summary.json</c> and printed by <c>--json</c>), tables written as CSV, figures, and the body of the
/// HTML report. One model for every paper, so hosts only render (ARCHITECTURE: thin hosts).
/// </summary>
/// <param name="Title">The report's title.</param>
/// <param name="Summary">The summary object; its public properties are the JSON contract.</param>
/// <param name="Files">CSV tables and figures, written under the output folder by name.</param>
/// <param name="Body">The HTML report's content, in order.</param>
public sealed record Report(string Title, object Summary, IReadOnlyList<ReportFile> Files, IReadOnlyList<ReportBlock> Body);

/// <summary>A result that can summarise and report itself.</summary>
public interface IReportable
{
    /// <summary>The summary object (the <c>--json</c> contract).</summary>
    object Summary { get; }

    /// <summary>The whole report.</summary>
    Report ToReport();
}

/// <summary>A file of a report: a CSV table or a figure. <see cref="Name"/> is the file name without
/// extension for figures (PNG and SVG are written), with ".csv" for tables.</summary>
public abstract record ReportFile(string Name);

/// <summary>A CSV file of numeric columns of equal length.</summary>
public sealed record ColumnTable(string Name, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<double>> Columns) : ReportFile(Name);

/// <summary>
/// Curves over steps as a CSV in the one long format of every command (docs/outputs.md): a row per series, step and
/// statistic, with the columns <c>series,step,statistic,value</c>. Step t (from 1) is the value at index t − 1.
/// </summary>
/// <param name="Name">The file name, ending in ".csv".</param>
/// <param name="Curves">The curves; each is one series' statistic (e.g. "LIBRA", "regret_mean").</param>
public sealed record CurveTable(string Name, IReadOnlyList<Curve> Curves) : ReportFile(Name);

/// <summary>One statistic of one series over steps 1..n.</summary>
/// <param name="Series">The policy, agent or setting.</param>
/// <param name="Statistic">What the value is, in snake case: regret_mean, regret_sd, queries_mean, regret_ci95, ...</param>
/// <param name="Values">The value at each step, from step 1.</param>
public sealed record Curve(string Series, string Statistic, IReadOnlyList<double> Values);

/// <summary>A CSV file of rows (numbers, strings, null for empty).</summary>
public sealed record RowTable(string Name, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<object?>> Rows) : ReportFile(Name);

/// <summary>How a figure is drawn: size, a logarithmic y axis, where the legend goes.</summary>
/// <param name="Width">Pixels. Range: 200..8000.</param>
/// <param name="Height">Pixels. Range: 150..8000.</param>
/// <param name="LogY">A base-10 logarithmic y axis.</param>
/// <param name="Legend">"upper-left" (default), "upper-right", "lower-left", "lower-right" or "none".</param>
public sealed record FigureLayout(int Width = 1000, int Height = 600, bool LogY = false, string Legend = "upper-left");

/// <summary>One line: values, an optional symmetric band (e.g. ± 1 sd) and optional abscissae (1..n when null).</summary>
public sealed record LineSeries(string Name, double[] Y, double[]? Band = null, double[]? X = null);

/// <summary>One group member of a bar chart: a value per category, optional error half-widths.</summary>
public sealed record BarGroup(string Name, double[] Values, double[]? Errors = null);

/// <summary>Points drawn as markers.</summary>
public sealed record PointSeries(string Name, double[] X, double[] Y);

/// <summary>Values with the lower and upper ends of their intervals, one per category (NaN where there is none).</summary>
public sealed record IntervalGroup(string Name, double[] Values, double[]? Lower = null, double[]? Upper = null);

/// <summary>Estimates with intervals, markers grouped by category, the y axis fitted to the data (e.g. off-policy
/// estimates per target policy).</summary>
public sealed record IntervalFigure(string Name, string Title, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<IntervalGroup> Groups, FigureLayout? Layout = null)
    : ReportFile(Name);

/// <summary>A line figure (cumulative regret curves and the like).</summary>
public sealed record LineFigure(string Name, string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Series, FigureLayout? Layout = null)
    : ReportFile(Name);

/// <summary>A grouped bar figure.</summary>
public sealed record BarFigure(string Name, string Title, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<BarGroup> Groups, FigureLayout? Layout = null)
    : ReportFile(Name);

/// <summary>A scatter figure.</summary>
public sealed record ScatterFigure(string Name, string Title, string XLabel, string YLabel, IReadOnlyList<PointSeries> Series, FigureLayout? Layout = null)
    : ReportFile(Name);

/// <summary>A block of the HTML report.</summary>
public abstract record ReportBlock;

/// <summary>A heading. Range: level 2..4 (the title is level 1).</summary>
public sealed record HeadingBlock(string Text, int Level = 2) : ReportBlock;

/// <summary>A paragraph of trusted Markdown written by Tandem; untrusted text (model names, file names,
/// model output) goes in <see cref="CodeBlock"/>s, table cells or <see cref="ReportText.Code"/>, which escape it.</summary>
public sealed record ParagraphBlock(string Markdown) : ReportBlock;

/// <summary>A figure of this report, by its file name (e.g. "regret.png"), with a caption.</summary>
public sealed record FigureBlock(string File, string Caption) : ReportBlock;

/// <summary>A table; cells are plain text (escaped when rendered).</summary>
public sealed record TableBlock(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows, string? Caption = null) : ReportBlock;

/// <summary>Preformatted text, escaped when rendered.</summary>
public sealed record CodeBlock(string Text) : ReportBlock;

/// <summary>Formatting helpers for report text.</summary>
public static class ReportText
{
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>Up to three decimals, "—" when not finite.</summary>
    public static string Number(double value) => double.IsFinite(value) ? value.ToString("0.###", Inv) : "—";

    /// <summary>"mean ± sd" with two decimals.</summary>
    public static string MeanSd(double mean, double sd) => $"{mean.ToString("0.00", Inv)} ± {sd.ToString("0.00", Inv)}";

    /// <summary>Inline code for untrusted text in Markdown: a code span whose fence is longer than any run of
    /// backticks inside, control characters removed, so the text cannot close it.</summary>
    public static string Code(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray());
        int longest = 0, run = 0;
        foreach (char c in clean)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        string fence = new('`', longest + 1);
        string pad = clean.StartsWith('`') || clean.EndsWith('`') || clean.Length == 0 ? " " : "";
        return fence + pad + clean + pad + fence;
    }

    /// <summary>A file-name-safe slug, e.g. "libra-openai-gpt-4o-mini".</summary>
    public static string Slug(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '-').ToArray();
        return string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>How much a study used language models (the summary's <c>llm</c> object): calls, tokens, cassette
/// hits, fallbacks by reason, mean latency. Filled by the host from its model ledgers; null when no model was used.</summary>
public sealed record ModelUse(long Calls, long PromptTokens, long CompletionTokens, long CacheHits, IReadOnlyDictionary<string, int> Fallbacks, double MeanLatencyMs);
