using System.Xml;

namespace Tandem.Reporting.Tests.Figures;

public class FiguresTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static Series Curve(string name, int n, double rate, bool band = true)
    {
        double[] y = new double[n];
        double[] sd = new double[n];
        double sum = 0;
        for (int t = 0; t < n; t++)
        {
            sum += rate / Math.Sqrt(t + 1);
            y[t] = sum;
            sd[t] = 0.1 * Math.Sqrt(t + 1);
        }

        return new Series(name, y, band ? sd : null);
    }

    private static void AssertPngAndSvg(FigureFiles files, string title)
    {
        byte[] png = File.ReadAllBytes(files.PngPath);
        Assert.True(png.Length > 5 * 1024, $"PNG is only {png.Length} bytes.");
        Assert.Equal(PngSignature, png[..8]);

        var svg = new XmlDocument { XmlResolver = null };
        svg.Load(files.SvgPath);
        Assert.Equal("svg", svg.DocumentElement!.LocalName);
        Assert.Contains(title, svg.DocumentElement.InnerText, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_WritesPngAndSvg_WithTitle()
    {
        using var temp = new TempFolder();
        var files = Tandem.Reporting.Figures.Line(
            temp.File("nested/regret"), "Cumulative regret", "Step", "Regret",
            [Curve("LinUCB", 300, 1), Curve("Random", 300, 4, band: false)]);

        Assert.Equal(temp.File("nested/regret.png"), files.PngPath);
        Assert.Equal(temp.File("nested/regret.svg"), files.SvgPath);
        AssertPngAndSvg(files, "Cumulative regret");
    }

    [Fact]
    public void Line_StemWithExtension_ExtensionIsDropped()
    {
        using var temp = new TempFolder();
        var files = Tandem.Reporting.Figures.Line(temp.File("curve.png"), "T", "x", "y", [Curve("a", 10, 1)]);
        Assert.Equal(temp.File("curve.png"), files.PngPath);
        Assert.True(File.Exists(temp.File("curve.svg")));
    }

    [Fact]
    public void Line_CustomSizeAndLogY_PngHasRequestedSize()
    {
        using var temp = new TempFolder();
        var files = Tandem.Reporting.Figures.Line(
            temp.File("log"), "Log regret", "Step", "Regret", [Curve("a", 100, 1), Curve("b", 100, 2)],
            FigureOptions.Default with { Width = 640, Height = 480, LogY = true, Legend = LegendPosition.LowerRight });

        byte[] png = File.ReadAllBytes(files.PngPath);

        // IHDR: width and height are big-endian 32-bit integers at bytes 16 and 20.
        Assert.Equal(640, (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19]);
        Assert.Equal(480, (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23]);
    }

    [Fact]
    public void Line_NonFiniteValues_DoNotThrow()
    {
        using var temp = new TempFolder();
        double[] y = [1, double.NaN, 3, double.PositiveInfinity, 5, 6, double.NegativeInfinity, 8];
        double[] band = [0.1, 0.1, double.NaN, 0.1, 0.1, double.PositiveInfinity, 0.1, 0.1];
        double[] x = [1, 2, 3, 4, double.NaN, 6, 7, 8];
        var files = Tandem.Reporting.Figures.Line(
            temp.File("nan"), "With gaps", "Step", "Value",
            [new Series("gappy", y, band, x), new Series("all NaN", [double.NaN, double.NaN]), new Series("empty", [])],
            FigureOptions.Default with { LogY = true });

        AssertPngAndSvg(files, "With gaps");
    }

    [Fact]
    public void Line_BandOfOtherLength_ThrowsNamingSeries()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<ArgumentException>(() => Tandem.Reporting.Figures.Line(
            temp.File("bad"), "T", "x", "y", [new Series("mine", [1, 2, 3], [0.1])]));
        Assert.Equal("series", ex.ParamName);
        Assert.Contains("mine", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_WidthOutOfRange_Throws()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tandem.Reporting.Figures.Line(
            temp.File("bad"), "T", "x", "y", [Curve("a", 5, 1)], FigureOptions.Default with { Width = 10 }));
        Assert.Equal("Width", ex.ParamName);
    }

    [Fact]
    public void Bars_WritesPngAndSvg_WithCategoriesAndNaN()
    {
        using var temp = new TempFolder();
        var files = Tandem.Reporting.Figures.Bars(
            temp.File("bars"), "Mean reward by arm", "Mean reward", ["Diet", "Exercise", "Sleep"],
            [
                new BarSeries("LinUCB", [0.6, 0.5, 0.4], [0.05, double.NaN, 0.02]),
                new BarSeries("Random", [0.3, double.NaN, double.PositiveInfinity]),
            ]);

        AssertPngAndSvg(files, "Mean reward by arm");
        string svg = File.ReadAllText(files.SvgPath);
        Assert.Contains("Exercise", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Bars_ValuesNotOnePerCategory_Throws()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<ArgumentException>(() => Tandem.Reporting.Figures.Bars(
            temp.File("bad"), "T", "y", ["a", "b"], [new BarSeries("s", [1])]));
        Assert.Equal("series", ex.ParamName);
    }

    [Fact]
    public void Bars_LogY_Throws()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<ArgumentException>(() => Tandem.Reporting.Figures.Bars(
            temp.File("bad"), "T", "y", ["a"], [new BarSeries("s", [1])], FigureOptions.Default with { LogY = true }));
        Assert.Equal("options", ex.ParamName);
    }

    [Fact]
    public void Scatter_WritesPngAndSvg_SkippingNonFinitePoints()
    {
        using var temp = new TempFolder();
        var rng = new Random(7);
        double[] x = Enumerable.Range(0, 60).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] y = x.Select(v => v * 0.5 + rng.NextDouble()).ToArray();
        x[3] = double.NaN;
        y[4] = double.NegativeInfinity;
        var files = Tandem.Reporting.Figures.Scatter(
            temp.File("recourse"), "Recommended recourse", "DietScore change", "PhyActHours change",
            [new ScatterSeries("patients", x, y), new ScatterSeries("none", [], [])]);

        AssertPngAndSvg(files, "Recommended recourse");
    }
}
