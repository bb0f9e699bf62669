using Tandem.Gambit.Bank;

namespace Tandem.Gambit.Tests.Environment;

/// <summary>Table 1 pooled over the bank, as the paper reports it (App. F), imposed by the synthetic generator.</summary>
public class PooledTable1Tests
{
    [Fact]
    public void DefaultBank_HasTable1_PooledOverEveryResponse()
    {
        // Catches imposing Table 1 within cells (pooled optimism–encouragement ≈ −0.82) or a map applied to the wrong dimensions.
        ResponseBank bank = TestWorlds.SmallBank;
        var order = StyleDimensions.Table1Order;
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++)
                Assert.Equal(StyleDimensions.Table1[i, j], BankCalibration.PooledCorrelation(bank, order[i], order[j]), 1e-9);
    }

    [Fact]
    public void WithinCellsOnly_DilutesTheStrongestPair()
    {
        // The earlier bank (Table 1 within cells only): pooled over cells the strongest pair is weaker than Table 1's −0.960,
        // which is why the pooled imposition exists.
        ResponseBank old = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 60, PooledTable1 = false });
        double r = BankCalibration.PooledCorrelation(old, StyleDimensions.Optimism, StyleDimensions.Encouragement);
        Assert.InRange(r, -0.9, -0.7);
    }

    [Fact]
    public void Imposition_KeepsMeansAndVariances_AndIsIdempotent()
    {
        // The map keeps each primary dimension's pooled mean and variance and leaves the other fifteen alone; applied to a
        // bank that already has Table 1 pooled, it changes nothing (a map that also rotated would not).
        var random = TestWorlds.Rng(8);
        int d = StyleDimensions.All.Count;
        var cells = new double[6][];
        for (int c = 0; c < cells.Length; c++)
        {
            cells[c] = new double[200 * d];
            for (int i = 0; i < cells[c].Length; i++) cells[c][i] = 0.5 * c * (i % d == 2 ? 1 : 0) + Tandem.Core.Randomness.RandomExtensions.NextGaussian(random) * (1 + i % d % 3);
        }
        double[][] before = cells.Select(c => (double[])c.Clone()).ToArray();
        SyntheticBank.ImposePooledTable1(cells, d);
        for (int j = 0; j < d; j++)
        {
            var (m0, v0) = Moments(before, d, j);
            var (m1, v1) = Moments(cells, d, j);
            Assert.Equal(m0, m1, 1e-9);
            Assert.Equal(v0, v1, 1e-9);
            if (j >= 5) Assert.True(before.Zip(cells).All(p => Enumerable.Range(0, p.First.Length / d).All(r => p.First[r * d + j] == p.Second[r * d + j])));
        }
        double[][] once = cells.Select(c => (double[])c.Clone()).ToArray();
        SyntheticBank.ImposePooledTable1(cells, d);
        for (int c = 0; c < cells.Length; c++) Assert.Equal(once[c], cells[c], (a, b) => Math.Abs(a - b) < 1e-9);
    }

    private static (double Mean, double Variance) Moments(double[][] cells, int d, int j)
    {
        var values = cells.SelectMany(c => Enumerable.Range(0, c.Length / d).Select(r => c[r * d + j])).ToArray();
        double mean = values.Average();
        return (mean, values.Select(v => (v - mean) * (v - mean)).Average());
    }
}
