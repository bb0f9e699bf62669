using Tandem.Core.Randomness;
using Tandem.Core.Statistics;

namespace Tandem.Core.Tests.Statistics;

public class SummaryTests
{
    [Fact]
    public void MeanSd_Of_MatchesTwoPassFormula_WithLargeOffset_RelativeOneE9()
    {
        var random = new Xoshiro256(11);
        double[] values = Enumerable.Range(0, 5000).Select(_ => 1e9 + random.NextGaussian()).ToArray();
        double mean = values.Sum() / values.Length;
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));

        MeanSd summary = MeanSd.Of(values);

        Assert.Equal(values.Length, summary.Count);
        Assert.True(Math.Abs(summary.Mean - mean) <= 1e-9 * Math.Abs(mean));
        Assert.True(Math.Abs(summary.Sd - sd) <= 1e-6 * sd, $"sd {summary.Sd} vs two-pass {sd}");
        Assert.Equal(1.959963984540054 * summary.Sd / Math.Sqrt(values.Length), summary.Ci95, 15);
    }

    [Fact]
    public void MeanSd_Of_SmallExactCase()
    {
        MeanSd summary = MeanSd.Of([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);

        Assert.Equal(5.0, summary.Mean, 14);
        Assert.Equal(Math.Sqrt(32.0 / 7.0), summary.Sd, 14);
    }

    [Fact]
    public void MeanSd_Of_OneValue_HasZeroSd_AndEmptyIsNaN()
    {
        Assert.Equal(new MeanSd(3.5, 0.0, 1), MeanSd.Of([3.5]));
        MeanSd empty = MeanSd.Of(Array.Empty<double>());
        Assert.True(double.IsNaN(empty.Mean) && double.IsNaN(empty.Sd) && double.IsNaN(empty.Ci95));
        Assert.Equal(0, empty.Count);
    }

    [Fact]
    public void Curves_MeanOfCumulative_RaggedRows_AveragesOverRowsThatReachTheStep()
    {
        // Cumulative rows: [1, 3, 6], [10], [0, 1].
        double[][] rows = [[1, 2, 3], [10], [0, 1]];

        double[] mean = Curves.MeanOfCumulative(rows);

        Assert.Equal(3, mean.Length);
        Assert.Equal(11.0 / 3.0, mean[0], 14);
        Assert.Equal(2.0, mean[1], 14);
        Assert.Equal(6.0, mean[2], 14);
    }

    [Fact]
    public void Curves_SdOfCumulative_RaggedRows()
    {
        double[][] rows = [[1, 2, 3], [10], [0, 1]];

        double[] sd = Curves.SdOfCumulative(rows);

        Assert.Equal(MeanSd.Of([1.0, 10.0, 0.0]).Sd, sd[0], 14);
        Assert.Equal(Math.Sqrt(2.0), sd[1], 14);
        Assert.Equal(0.0, sd[2]);
    }

    [Fact]
    public void Curves_MeanOfCumulative_NoRows_IsEmpty() => Assert.Empty(Curves.MeanOfCumulative([]));
}
