using Tandem.Core.Randomness;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Experiments;

namespace Tandem.Gambit.Tests.Experiments;

public class BankSeedTests
{
    private static GambittsExperimentOptions Small(ulong seed) =>
        new() { Agents = ["po"], Runs = 2, Horizon = 30, Seed = seed, MaxDegreeOfParallelism = 1 };

    [Fact]
    public void TheBankSeed_FollowsTheStudySeed_UnlessGiven()
    {
        Assert.Equal(Seeds.Derive(3, "synthetic-bank"), Small(3).EffectiveBankSeed);
        Assert.NotEqual(Small(3).EffectiveBankSeed, Small(4).EffectiveBankSeed);
        Assert.Equal(2025UL, (Small(3) with { BankSeed = 2025 }).EffectiveBankSeed);
        Assert.Equal(9UL, (Small(3) with { SyntheticBank = new SyntheticBankOptions { Seed = 9 } }).EffectiveBankSeed);
    }

    [Fact]
    public async Task OneBankPerStudy_SameSeedSameNumbers_AndTheOldBankByOption()
    {
        // Catches a bank seed that ignores --seed (one bank for every study) and a derived seed that is not deterministic.
        GambittsExperimentResult a = await GambittsExperiment.RunAsync(Small(3));
        GambittsExperimentResult again = await GambittsExperiment.RunAsync(Small(3) with { BankSeed = Seeds.Derive(3, "synthetic-bank") });
        GambittsExperimentResult old = await GambittsExperiment.RunAsync(Small(3) with { BankSeed = 2025 });
        Assert.Equal(a.Summary.Series[0].RegretCurve, again.Summary.Series[0].RegretCurve);
        Assert.NotEqual(a.Summary.Series[0].RegretCurve, old.Summary.Series[0].RegretCurve);
        Assert.Equal($"synthetic (bank seed {Seeds.Derive(3, "synthetic-bank")})", a.Summary.Bank);
        Assert.Equal("synthetic (bank seed 2025)", old.Summary.Bank);
    }

    [Fact]
    public void ABankSeed_WithBankSettingsOrAFile_IsRefused_NamingIt()
    {
        var both = Assert.Throws<ArgumentException>(() => (Small(1) with { BankSeed = 4, SyntheticBank = new SyntheticBankOptions() }).Validate());
        Assert.Equal("BankSeed", both.ParamName);
        var file = Assert.Throws<ArgumentException>(() => (Small(1) with { BankSeed = 4, BankFile = "bank.csv" }).Validate());
        Assert.Equal("BankSeed", file.ParamName);
        Assert.Contains("bank.csv", file.Message, StringComparison.Ordinal);
    }
}
