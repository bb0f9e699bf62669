using System.Text.Json;

namespace Tandem.Reporting.Tests.Json;

public class JsonOutputTests
{
    public sealed record Summary(string PolicyName, double MeanRegret, double[] Curve, double? Optional, float Ratio, LegendPosition Legend);

    [Fact]
    public void Serialize_NonFiniteDoubles_AreNull()
    {
        var summary = new Summary("LinUCB", double.NaN, [1.5, double.PositiveInfinity, double.NegativeInfinity], double.NaN, float.NaN, LegendPosition.UpperLeft);
        string json = JsonOutput.Serialize(summary, indented: false);
        Assert.Equal("""{"policyName":"LinUCB","meanRegret":null,"curve":[1.5,null,null],"optional":null,"ratio":null,"legend":"upperLeft"}""", json);
    }

    [Fact]
    public void Serialize_Indented_HasLineBreaks()
    {
        string json = JsonOutput.Serialize(new { A = 1 });
        Assert.Contains("\n", json, StringComparison.Ordinal);
        Assert.Contains("\"a\": 1", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        using var temp = new TempFolder();
        string path = temp.File("out/summary.json");
        var summary = new Summary("TS", 0.1 + 0.2, [double.NaN, 2.5, 1e-300], 4.0, 0.25f, LegendPosition.Hidden);

        JsonOutput.Write(path, summary);
        Summary? back = JsonOutput.Deserialize<Summary>(File.ReadAllText(path));

        Assert.NotNull(back);
        Assert.Equal(summary.PolicyName, back.PolicyName);
        Assert.Equal(BitConverter.DoubleToInt64Bits(summary.MeanRegret), BitConverter.DoubleToInt64Bits(back.MeanRegret));
        Assert.True(double.IsNaN(back.Curve[0]));
        Assert.Equal(summary.Curve[1..], back.Curve[1..]);
        Assert.Equal(4.0, back.Optional);
        Assert.Equal(0.25f, back.Ratio);
        Assert.Equal(LegendPosition.Hidden, back.Legend);
        Assert.EndsWith("}\n", File.ReadAllText(path), StringComparison.Ordinal);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("curve")[0].ValueKind);
    }

    [Fact]
    public void Options_AreReadOnly()
    {
        Assert.True(JsonOutput.Options.IsReadOnly);
        Assert.True(JsonOutput.CompactOptions.IsReadOnly);
    }
}
