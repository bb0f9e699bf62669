namespace Tandem.Reporting.Tests.Html;

// Issue 15, defect 4: model text in a paragraph must not become a live script link or a remote image (a beacon).
public class UntrustedLinkTests
{
    private static string Render(string markdown) => new HtmlReport("t").AddParagraph(markdown).ToHtml();

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JavaScript:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("[click](vbscript:msgbox)")]
    public void ScriptLinks_LoseTheirTarget(string markdown)
    {
        string html = Render(markdown);

        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:text", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("vbscript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("click", html);
    }

    [Theory]
    [InlineData("![x](https://tracker.example/pixel.png)")]
    [InlineData("![x](//tracker.example/pixel.png)")]
    [InlineData("![x](data:image/png;base64,AAAA)")]
    public void RemoteOrInlineImages_AreRemoved(string markdown)
    {
        string html = Render(markdown);

        Assert.DoesNotContain("<img", html);
        Assert.Contains("image removed", html);
    }

    [Fact]
    public void SafeLinksAndOwnFigures_AreKept()
    {
        string html = new HtmlReport("t")
            .AddParagraph("See [the paper](https://arxiv.org/abs/1) and [below](#summary).")
            .AddFigure("regret.png", "Regret.")
            .ToHtml();

        Assert.Contains("href=\"https://arxiv.org/abs/1\"", html);
        Assert.Contains("href=\"#summary\"", html);
        Assert.Contains("src=\"regret.png\"", html);
    }
}
