using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Randomness;

public class Xoshiro256Tests
{
    [Fact]
    public void SameSeed_GivesTheSameSequence_DifferentSeed_DoesNot()
    {
        var a = new Xoshiro256(123);
        var b = new Xoshiro256(123);
        var c = new Xoshiro256(124);
        ulong[] first = Enumerable.Range(0, 1000).Select(_ => a.NextUInt64()).ToArray();

        Assert.Equal(first, Enumerable.Range(0, 1000).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(first, Enumerable.Range(0, 1000).Select(_ => c.NextUInt64()).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void Next_StaysInRange(int maxValue)
    {
        var random = new Xoshiro256((ulong)maxValue);
        for (int i = 0; i < 10_000; i++) Assert.InRange(random.Next(maxValue), 0, maxValue - 1);
    }

    [Fact]
    public void Next_MinMax_StaysInRange_WithNegativeBounds()
    {
        var random = new Xoshiro256(5);
        for (int i = 0; i < 10_000; i++) Assert.InRange(random.Next(-5, 3), -5, 2);
        Assert.Equal(4, random.Next(4, 4));
        Assert.Equal(0, random.Next(0));
    }

    [Fact]
    public void Next_TenBins_IsRoughlyUniform_ChiSquareBelow40()
    {
        // 100 000 draws into 10 bins: χ² has 9 degrees of freedom (mean 9, sd 4.2); 40 is p ≈ 5e-6.
        const int bins = 10, draws = 100_000;
        var random = new Xoshiro256(2024);
        var counts = new int[bins];
        for (int i = 0; i < draws; i++) counts[random.Next(bins)]++;

        double expected = draws / (double)bins;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 40, $"χ² = {chiSquare:F2} with 9 dof, tolerance 40");
    }

    [Fact]
    public void NextDouble_IsInUnitInterval()
    {
        var random = new Xoshiro256(3);
        for (int i = 0; i < 100_000; i++) Assert.InRange(random.NextDouble(), 0.0, 0.9999999999999999);
    }

    [Fact]
    public void NextGaussian_200kDraws_MeanNearZero_VarianceNearOne()
    {
        // Standard errors over 200 000 draws: mean 0.0022, variance 0.0032; tolerances are ~4.5 and ~6 of them.
        const int draws = 200_000;
        var random = new Xoshiro256(77);
        double sum = 0, sumSquares = 0;
        for (int i = 0; i < draws; i++)
        {
            double z = random.NextGaussian();
            sum += z;
            sumSquares += z * z;
        }
        double mean = sum / draws;
        double variance = sumSquares / draws - mean * mean;

        Assert.True(Math.Abs(mean) < 0.01, $"mean {mean:F5}, tolerance 0.01");
        Assert.True(Math.Abs(variance - 1) < 0.02, $"variance {variance:F5}, tolerance 0.02");
    }

    [Fact]
    public void NextBytes_SameSeed_SameBytes_ForOddLengths()
    {
        var a = new byte[13];
        var b = new byte[13];
        new Xoshiro256(8).NextBytes(a);
        new Xoshiro256(8).NextBytes(b);

        Assert.Equal(a, b);
        Assert.Contains(a, v => v != 0);
    }

    [Fact]
    public void Next_NegativeMax_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Xoshiro256(1).Next(-1));
        Assert.Equal("maxValue", ex.ParamName);
    }
}
