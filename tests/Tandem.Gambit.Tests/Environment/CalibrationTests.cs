using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Environment;

public class CalibrationTests
{
    // An independent two-pass implementation of the authors' σ₀: mean over every response of Σ_j (z_j − z̄_j)².
    private static double SlowSummedVariance(ResponseBank bank, params string[] dims)
    {
        var rows = new List<double[]>();
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
                for (int i = 0; i < bank.ResponseCount(p, bank.Contexts[c]); i++)
                {
                    double[] z = bank.Response(p, bank.Contexts[c], i).ToArray();
                    rows.Add(dims.Select(d => z[bank.DimensionIndex(d)]).ToArray());
                }
        double total = 0;
        for (int j = 0; j < dims.Length; j++)
        {
            double mean = rows.Average(r => r[j]);
            total += rows.Average(r => (r[j] - mean) * (r[j] - mean));
        }
        return total;
    }

    [Fact]
    public void SyntheticBank_WholeBankSummedVariance_IsTheAuthors_ForBothOutcomes()
    {
        // Catches a calibration within one cell (the old bank: 8.38 and 2.91 measured this way) and one common scale
        // for the 1-D and 3-D outcomes (which cannot give both 0.7098 and 0.3757).
        ResponseBank bank = TestWorlds.SmallBank;
        Assert.Equal(0.7097845902500587, SlowSummedVariance(bank, StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity), 10);
        Assert.Equal(0.3757056955243268, SlowSummedVariance(bank, StyleDimensions.Optimism), 10);
        Assert.Equal(SlowSummedVariance(bank, StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity),
            GambittsExperiments.ThreeDSigma(bank), 10);
        Assert.Equal(SlowSummedVariance(bank, StyleDimensions.Optimism), GambittsExperiments.OneDSigma(bank), 10);
        // Another target is met just as exactly (nothing is tuned to the authors' values).
        ResponseBank other = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 4, ThreeDSummedVariance = 2, OptimismVariance = 0.5 });
        Assert.Equal(2, SlowSummedVariance(other, StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity), 10);
        Assert.Equal(0.5, SlowSummedVariance(other, StyleDimensions.Optimism), 10);
    }

    [Fact]
    public void SummedVariance_OfAHandMadeBank_IsItsClosedForm()
    {
        // Optimism {1, 3} for prompt a, {−2, 0} / {4, 6} for b: 48 responses, Σ z = 48 − 8 + 80 (mean 2.5), Σ z² = 12·10 + 4·4 + 8·52.
        ResponseBank bank = TestWorlds.HandMade((p, c) => p == 0 ? [1, 3] : new GambitContext(c).Location == Location.Home ? [-2, 0] : [4, 6]);
        double expected = (12 * 10.0 + 4 * 4 + 8 * 52) / 48 - 2.5 * 2.5;
        Assert.Equal(expected, BankCalibration.SummedVariance(bank, [StyleDimensions.Optimism]), 12);
        var ex = Assert.Throws<ArgumentException>(() => BankCalibration.SummedVariance(bank, [StyleDimensions.Formality]));
        Assert.Equal("dimensions", ex.ParamName);
        Assert.Contains("formality", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoiseGrid_FromTheAuthorsSigma0_IsAppendixE1sGrid()
    {
        double[] grid = BankCalibration.NoiseGrid(BankCalibration.AuthorsThreeD);
        double[] paper = [0.7098, 6.6751, 12.6405, 18.6058, 24.5712];
        for (int i = 0; i < 5; i++) Assert.Equal(paper[i], grid[i], 4);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => BankCalibration.NoiseGrid(0));
        Assert.Equal("sigma0", ex.ParamName);
    }

    [Fact]
    public void Experiments_UseTheBanksSigma0_OneDForOptimism_ThreeDOtherwise()
    {
        // Catches the 1-D outcome using the 3-D σ₀ (0.7098), as it did before.
        ResponseBank bank = TestWorlds.SmallBank;
        ExperimentSetting illustrative = GambittsExperiments.Find("illustrative")!.Settings(bank)[0];
        Assert.Equal(GambittsExperiments.OneDSigma(bank), illustrative.World.Outcome.NoiseSd, 12);
        Assert.Equal(illustrative.World.Outcome.NoiseSd, illustrative.Options.PerturbationSd, 12);
        Assert.All(GambittsExperiments.Find("misspecification")!.Settings(bank), s => Assert.Equal(GambittsExperiments.OneDSigma(bank), s.World.Outcome.NoiseSd, 12));
        Assert.All(GambittsExperiments.Find("arms")!.Settings(bank), s => Assert.Equal(GambittsExperiments.ThreeDSigma(bank), s.World.Outcome.NoiseSd, 12));
        Assert.Equal(BankCalibration.NoiseGrid(GambittsExperiments.ThreeDSigma(bank)), GambittsExperiments.Find("variance")!.Settings(bank).Select(s => s.World.Outcome.NoiseSd));
    }

    [Fact]
    public void Options_RefuseATotalBelowOptimismsShare_NamingIt()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticBankOptions { ThreeDSummedVariance = 0.3, OptimismVariance = 0.4 }.Validate());
        Assert.Equal("ThreeDSummedVariance", ex.ParamName);
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticBankOptions { OptimismVariance = 0 }.Validate());
        Assert.Equal("OptimismVariance", zero.ParamName);
    }

    [Fact]
    public async Task Summary_PrintsTheBanksCalibrationBesideTheAuthors()
    {
        GambittsExperimentResult result = await GambittsExperiment.RunAsync(
            new GambittsExperimentOptions { Agents = ["stdts"], Runs = 1, Horizon = 2, MaxDegreeOfParallelism = 1 }, TestWorlds.SmallBank);
        Assert.Equal(GambittsExperiments.ThreeDSigma(TestWorlds.SmallBank), result.Summary.Calibration!.ThreeD!.Value, 12);
        Assert.Equal(BankCalibration.AuthorsOneD, result.Summary.Calibration.AuthorsOneD);
        string body = string.Join("\n", result.ToReport().Body.OfType<Tandem.Core.Reports.ParagraphBlock>().Select(b => b.Markdown));
        Assert.Contains("3-D 0.7098 (authors' 0.7098), 1-D 0.3757 (authors' 0.3757)", body, StringComparison.Ordinal);
        SettingContextDependence dependence = Assert.Single(result.Summary.ContextDependence!);
        Assert.Equal(result.Result.Settings[0].Setting.World.MeasureContextDependence().MeanGap, dependence.MeanGap);
    }
}
