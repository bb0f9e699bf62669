using System.Text.Json;
using Tandem.Core.Reports;

namespace Tandem.Reporting.Tests;

public class ReportWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Summary(string Command, double Value);

    private static Report Sample() => new(
        "A study",
        new Summary("libra", double.NaN),
        [
            new ColumnTable("curves.csv", ["step", "regret"], [[1, 2], [0.5, 0.75]]),
            new CurveTable("long.csv", [new Curve("LIBRA", "regret_mean", [0.5, 0.75]), new Curve("=GLRB", "regret_sd", [0.1])]),
            new RowTable("rows.csv", ["policy", "n"], [["GLRB", 3], ["=cmd", null]]),
            new LineFigure("regret", "Regret", "step", "regret", [new LineSeries("GLRB", [0.5, 0.75], [0.1, 0.1])]),
            new BarFigure("bars", "Bars", "value", ["a", "b"], [new BarGroup("g", [1, 2])], new FigureLayout(Legend: "none")),
        ],
        [
            new HeadingBlock("Summary"),
            new ParagraphBlock("Model " + ReportText.Code("ev`il`` <b>")),
            new TableBlock(["policy", "regret"], [["<script>", "1"]], "caption"),
            new FigureBlock("regret.png", "The regret."),
        ]);

    [Fact]
    public void Write_WritesEveryFile_AndTheSummaryAsItsJsonContract()
    {
        IReadOnlyList<string> written = ReportWriter.Write(_dir, Sample());

        Assert.Equal(["summary.json", "curves.csv", "long.csv", "rows.csv", "regret.png", "regret.svg", "bars.png", "bars.svg", "report.html"], written);
        Assert.All(written, f => Assert.True(File.Exists(Path.Combine(_dir, f)), f));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "summary.json")));
        Assert.Equal("libra", summary.RootElement.GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("value").ValueKind);
        Assert.Equal("step,regret\n1,0.5\n2,0.75\n", File.ReadAllText(Path.Combine(_dir, "curves.csv")));
        // The long format of every curve file; a formula-like series name is defused.
        Assert.Equal("series,step,statistic,value\nLIBRA,1,regret_mean,0.5\nLIBRA,2,regret_mean,0.75\n'=GLRB,1,regret_sd,0.1\n",
            File.ReadAllText(Path.Combine(_dir, "long.csv")));
    }

    [Fact]
    public void Html_EscapesUntrustedText()
    {
        string html = ReportWriter.Html(Sample()).ToHtml();

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("ev`il``", html);
    }

    [Theory]
    [InlineData("../x.csv")]
    [InlineData("sub/x.csv")]
    [InlineData("")]
    public void Write_FileNameWithAFolder_Refused(string name)
    {
        var report = Sample() with { Files = [new ColumnTable(name, ["a"], [[1]])] };

        Assert.Throws<ArgumentException>(() => ReportWriter.Write(_dir, report));
    }

    [Fact]
    public void Write_RepeatedFileName_Refused()
    {
        var report = Sample() with { Files = [new ColumnTable("a.csv", ["a"], [[1]]), new ColumnTable("a.csv", ["a"], [[1]])] };

        var ex = Assert.Throws<ArgumentException>(() => ReportWriter.Write(_dir, report));
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public void ReportText_Code_CannotBeClosedByBackticks()
    {
        Assert.Equal("``a`b``", ReportText.Code("a`b"));
        Assert.Equal("``` ``x ```", ReportText.Code("``x"));
        Assert.Equal("`ab`", ReportText.Code("a\u001bb"));
    }

    [Fact]
    public void IntervalFigure_WritesPngAndSvg_AndRefusesMismatchedLengths()
    {
        var figure = new IntervalFigure("estimates", "Estimates", "value", ["uniform", "arm:1"],
            [new IntervalGroup("ips", [82.8, 93.7], [66.0, 62.0], [95.5, 125.3]), new IntervalGroup("exact", [82.79, 82.76])]);

        IReadOnlyList<string> written = ReportWriter.Write(_dir, Sample() with { Files = [figure] });

        Assert.Contains("estimates.png", written);
        Assert.True(new FileInfo(Path.Combine(_dir, "estimates.svg")).Length > 0);
        var bad = figure with { Groups = [new IntervalGroup("ips", [1.0], [0.5, 0.4], [1.5, 1.6])] };
        Assert.Throws<ArgumentException>(() => ReportWriter.Write(_dir, Sample() with { Files = [bad] }));
    }
}
