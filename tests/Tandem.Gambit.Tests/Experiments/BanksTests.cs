using Tandem.Gambit.Bank;
using Tandem.Gambit.Experiments;

namespace Tandem.Gambit.Tests.Experiments;

public class BanksTests
{
    private static GambittsExperimentOptions Small(int banks) => new()
    {
        Agents = ["stdts", "po"], Runs = 3, Horizon = 30, Seed = 4, MaxDegreeOfParallelism = 1, Banks = banks, OfflineDraws = 20,
        SyntheticBank = new SyntheticBankOptions { Seed = 11, ResponsesPerCell = 40 },
    };

    [Fact]
    public void RegretStatOfBanks_IsTheClosedForm_OverTheBanksMeans()
    {
        // Two banks of two runs: means 2 and 6; sd of the means √8; t(0.975, 1) = 12.7062.
        RegretStat s = RegretStat.OfBanks([1, 3, 5, 7], 2);
        Assert.Equal(4, s.Mean, 12);
        Assert.Equal(Math.Sqrt(20.0 / 3), s.Sd, 12);
        Assert.Equal(12.706204736174707 * Math.Sqrt(8) / Math.Sqrt(2), s.Ci95, 9);
        RegretStat one = RegretStat.OfBanks([1, 3, 5, 7], 1);
        Assert.Equal(1.959963984540054 * Math.Sqrt(20.0 / 3) / 2, one.Ci95, 12);
    }

    [Fact]
    public async Task OneBank_GivesTheSingleBankNumbers_AndMoreBanksAddOthersWithTheirSeeds()
    {
        // Catches bank 0 drifting from the single-bank study, banks that repeat one bank, and intervals that ignore the banks.
        GambittsExperimentResult one = await GambittsExperiment.RunAsync(Small(1));
        GambittsExperimentResult single = await GambittsExperiment.RunAsync(Small(1) with { Banks = 1 });
        GambittsExperimentResult three = await GambittsExperiment.RunAsync(Small(3));
        GambittsExperimentResult again = await GambittsExperiment.RunAsync(Small(3));
        Assert.Equal(one.Summary.Series[1].CumulativeRegret, single.Summary.Series[1].CumulativeRegret);
        Assert.Equal(3, three.Summary.Banks);
        Assert.Equal(3, three.Summary.BankSeeds!.Distinct().Count());
        Assert.Equal(11UL, three.Summary.BankSeeds![0]);
        Assert.Equal(three.Summary.Series.Select(s => s.CumulativeRegret), again.Summary.Series.Select(s => s.CumulativeRegret));
        for (int p = 0; p < 2; p++)
        {
            double[] pooled = three.Result.Settings[0].Result.Policies[p].FinalCumulativeRegret();
            Assert.Equal(9, pooled.Length);
            // Bank 0's runs are the single-bank study's runs.
            Assert.Equal(one.Result.Settings[0].Result.Policies[p].FinalCumulativeRegret(), pooled.Take(3));
            Assert.NotEqual(pooled.Take(3), pooled.Skip(3).Take(3));
            Assert.Equal(RegretStat.OfBanks(pooled, 3), three.Summary.Series[p].CumulativeRegret);
        }
    }

    [Fact]
    public void BadBankCounts_AndABankFileWithSeveralBanks_AreRefused_NamingTheOption()
    {
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => (Small(0)).Validate());
        Assert.Equal("Banks", zero.ParamName);
        var many = Assert.Throws<ArgumentOutOfRangeException>(() => (Small(GambittsExperimentOptions.MaxBanks + 1)).Validate());
        Assert.Equal("Banks", many.ParamName);
        var file = Assert.Throws<ArgumentException>(() => (Small(2) with { SyntheticBank = null, BankFile = "bank.csv" }).Validate());
        Assert.Equal("Banks", file.ParamName);
        Assert.Contains("bank.csv", file.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MoreOfflineDrawsThanACellHolds_IsRefusedBeforeRunning_NamingTheOption_AndTheRangesAreChecked()
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => GambittsExperiment.RunAsync(Small(1) with { OfflineDraws = 41 }));
        Assert.Equal("OfflineDraws", ex.ParamName);
        Assert.Contains("synthetic bank's 40 responses per cell", ex.Message, StringComparison.Ordinal);
        // A given bank: the experiment's default M = 500 does not fit cells of 60; 60 does.
        var given = Assert.Throws<ArgumentOutOfRangeException>(() => GambittsExperiment.CheckBank(Small(1) with { SyntheticBank = null, OfflineDraws = null }, TestWorlds.SmallBank));
        Assert.Equal("OfflineDraws", given.ParamName);
        Assert.Contains("500 offline draws per cell exceed the bank's smallest cell (60 responses)", given.Message, StringComparison.Ordinal);
        GambittsExperiment.CheckBank(Small(1) with { SyntheticBank = null, OfflineDraws = 60 }, TestWorlds.SmallBank);
        var access = Assert.Throws<ArgumentException>(() => (Small(1) with { Experiment = "simulator-access" }).Validate());
        Assert.Equal("OfflineDraws", access.ParamName);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => (Small(1) with { PropensityDraws = -1 }).Validate());
        Assert.Equal("PropensityDraws", negative.ParamName);
    }
}
