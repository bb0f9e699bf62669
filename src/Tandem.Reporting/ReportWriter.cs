using Tandem.Core.Reports;

namespace Tandem.Reporting;

/// <summary>
/// Renders a <see cref="Report"/> (Core's report model, which every paper's result produces) into an output
/// folder: <c>summary.json</c>, each CSV table, each figure as PNG and SVG, and <c>report.html</c>. One
/// renderer for every paper, so hosts only choose the folder.
/// </summary>
public static class ReportWriter
{
    /// <summary>Write every file of <paramref name="report"/> into <paramref name="outDir"/> (created if needed).</summary>
    /// <returns>The file names written, in order.</returns>
    /// <exception cref="ArgumentException">A file name is empty, has a folder part, or repeats.</exception>
    public static IReadOnlyList<string> Write(string outDir, Report report)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);

        JsonOutput.Write(Path.Combine(outDir, "summary.json"), report.Summary);
        written.Add("summary.json");

        foreach (ReportFile file in report.Files)
        {
            string name = CheckName(file.Name, names);
            string stem = Path.Combine(outDir, name);
            FigureFiles? figure = file switch
            {
                ColumnTable t => Table(() => CsvTables.WriteColumns(stem, t.Headers, t.Columns)),
                RowTable t => Table(() => CsvTables.WriteRows(stem, t.Headers, t.Rows)),
                CurveTable t => Table(() => CsvTables.WriteRows(stem, ["series", "step", "statistic", "value"], LongRows(t))),
                LineFigure f => Figures.Line(stem, f.Title, f.XLabel, f.YLabel,
                    f.Series.Select(s => new Series(s.Name, s.Y, s.Band, s.X)).ToArray(), Options(f.Layout)),
                BarFigure f => Figures.Bars(stem, f.Title, f.YLabel, f.Categories,
                    f.Groups.Select(g => new BarSeries(g.Name, g.Values, g.Errors)).ToArray(), Options(f.Layout)),
                IntervalFigure f => Figures.Intervals(stem, f.Title, f.YLabel, f.Categories,
                    f.Groups.Select(g => new IntervalSeries(g.Name, g.Values, g.Lower, g.Upper)).ToArray(), Options(f.Layout)),
                ScatterFigure f => Figures.Scatter(stem, f.Title, f.XLabel, f.YLabel,
                    f.Series.Select(s => new ScatterSeries(s.Name, s.X, s.Y)).ToArray(), Options(f.Layout)),
                _ => throw new ArgumentException($"Unknown report file type {file.GetType().Name}.", nameof(report)),
            };
            if (figure is null) written.Add(name);
            else written.AddRange([name + ".png", name + ".svg"]);
        }

        Html(report).Save(Path.Combine(outDir, "report.html"));
        written.Add("report.html");
        return written;
    }

    // The long format: one row per series, step and statistic (docs/outputs.md).
    private static IEnumerable<IReadOnlyList<object?>> LongRows(CurveTable table)
    {
        foreach (Curve curve in table.Curves)
            for (int t = 0; t < curve.Values.Count; t++)
                yield return [curve.Series, t + 1, curve.Statistic, curve.Values[t]];
    }

    /// <summary>The HTML report of <paramref name="report"/>'s body.</summary>
    public static HtmlReport Html(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new HtmlReport(report.Title);
        foreach (ReportBlock block in report.Body)
        {
            switch (block)
            {
                case HeadingBlock h: html.AddHeading(h.Text, h.Level); break;
                case ParagraphBlock p: html.AddParagraph(p.Markdown); break;
                case FigureBlock f: html.AddFigure(f.File, f.Caption); break;
                case TableBlock t: html.AddTable(t.Headers, t.Rows, t.Caption); break;
                case CodeBlock c: html.AddCode(c.Text); break;
                default: throw new ArgumentException($"Unknown report block type {block.GetType().Name}.", nameof(report));
            }
        }
        return html;
    }

    // A table writes the one file its name says; null tells the loop so.
    private static FigureFiles? Table(Action write)
    {
        write();
        return null;
    }

    private static string CheckName(string name, HashSet<string> seen)
    {
        if (string.IsNullOrWhiteSpace(name) || name != Path.GetFileName(name) || name is "." or "..")
            throw new ArgumentException($"Report file name '{name}' must be a plain file name.", nameof(name));
        if (!seen.Add(name)) throw new ArgumentException($"Report file name '{name}' appears twice.", nameof(name));
        return name;
    }

    private static FigureOptions Options(FigureLayout? layout)
    {
        if (layout is null) return FigureOptions.Default;
        LegendPosition legend = layout.Legend switch
        {
            "upper-left" => LegendPosition.UpperLeft,
            "upper-right" => LegendPosition.UpperRight,
            "lower-left" => LegendPosition.LowerLeft,
            "lower-right" => LegendPosition.LowerRight,
            "none" => LegendPosition.Hidden,
            _ => throw new ArgumentException($"Unknown legend position '{layout.Legend}'; use upper-left, upper-right, lower-left, lower-right or none.", nameof(layout)),
        };
        return new FigureOptions(layout.Width, layout.Height, layout.LogY, Legend: legend);
    }
}
