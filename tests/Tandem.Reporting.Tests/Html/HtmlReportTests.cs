namespace Tandem.Reporting.Tests.Html;

public class HtmlReportTests
{
    private static HtmlReport Sample() =>
        new HtmlReport("Study <1> results")
            .AddHeading("Regret")
            .AddParagraph("Policies ran for **500** steps. <b>raw</b>")
            .AddFigure("figures/regret.png", "Cumulative regret | mean ± 95% CI")
            .AddTable(
                ["Policy", "Mean regret", "Note"],
                [
                    ["LinUCB", "12.5", "best | overall"],
                    ["Random", "-3e2", "<script>alert('x')</script>"],
                    ["TS", "7%"],
                ],
                caption: "Final *regret*")
            .AddCode("tandem simulate --seed 1\n``` not a fence end");

    [Fact]
    public void ToHtml_IsACompletePage_WithTitleAndStyle()
    {
        string html = Sample().ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<title>Study &lt;1&gt; results</title>", html, StringComparison.Ordinal);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
        Assert.Contains("max-width", html, StringComparison.Ordinal);
        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_ContainsTableCells_AndEscapesPipesAndScript()
    {
        string html = Sample().ToHtml();
        Assert.Contains("<table>", html, StringComparison.Ordinal);
        Assert.Contains(">LinUCB</td>", html, StringComparison.Ordinal);
        Assert.Contains(">best | overall</td>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert('x')&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("Final *regret*", html, StringComparison.Ordinal);
        Assert.Contains("Table 1.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_RightAlignsNumericColumnsOnly()
    {
        string html = Sample().ToHtml();
        Assert.Contains("<td style=\"text-align: right;\">12.5</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td style=\"text-align: right;\">7%</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("text-align: right;\">LinUCB", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_ReferencesTheImage_WithNumberedCaption()
    {
        string html = Sample().ToHtml();
        Assert.Contains("src=\"figures/regret.png\"", html, StringComparison.Ordinal);
        Assert.Contains("<figure", html, StringComparison.Ordinal);
        Assert.Contains("<figcaption>", html, StringComparison.Ordinal);
        Assert.Contains("Figure 1.", html, StringComparison.Ordinal);
        Assert.Contains("Cumulative regret | mean ± 95% CI", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_ParagraphMarkdownRenders_ButRawHtmlIsText()
    {
        string html = Sample().ToHtml();
        Assert.Contains("<strong>500</strong>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;raw&lt;/b&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_CodeBlockKeepsBackticksLiteral()
    {
        string html = Sample().ToHtml();
        Assert.Contains("<pre><code", html, StringComparison.Ordinal);
        Assert.Contains("``` not a fence end", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTable_RowLongerThanHeaders_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HtmlReport("t").AddTable(["a"], [["1", "2"]]));
        Assert.Equal("rows", ex.ParamName);
    }

    [Fact]
    public void AddHeading_LevelOutOfRange_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new HtmlReport("t").AddHeading("x", 7));
        Assert.Equal("level", ex.ParamName);
    }

    [Fact]
    public void Save_WritesThePage()
    {
        using var temp = new TempFolder();
        string path = temp.File("report/index.html");
        HtmlReport report = Sample();
        report.Save(path);
        Assert.Equal(report.ToHtml(), File.ReadAllText(path));
    }
}
