using Tandem.Core.Randomness;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Experiments;

/// <summary>The dimension experiment as the authors ran it (App. E.4): an outcome refitted on d_z clustered dimensions.</summary>
public class DimensionExperimentTests
{
    [Fact]
    public void Refit_OnAllOfItsDimensions_ReturnsTheModel()
    {
        // Catches a wrong projection (a dropped intercept column, transposed normal equations, dimensions resolved in the wrong order).
        LinearOutcomeModel full = LinearOutcomeModel.AuthorsFull();
        string[] shuffled = StyleDimensions.All.Reverse().ToArray();
        LinearOutcomeModel refit = full.Refit(TestWorlds.SmallBank, shuffled, 2.5);
        Assert.Equal(full.Intercept, refit.Intercept, 1e-6);
        for (int j = 0; j < shuffled.Length; j++)
            Assert.Equal(full.Coefficients[StyleDimensions.All.ToList().IndexOf(shuffled[j])], refit.Coefficients[j], 1e-7);
        Assert.Equal(2.5, refit.NoiseSd);
        Assert.Equal(0, refit.ContextTermCount);
    }

    [Fact]
    public void Refit_OnASubset_LeavesResidualsOrthogonalToItsRegressors()
    {
        // The normal equations, checked independently: over every response, the residual f(z) − refit(z) has mean 0 and no
        // covariance with each kept dimension. A refit that merely copied the kept coefficients would fail (the dropped
        // dimensions correlate with the kept ones).
        ResponseBank bank = TestWorlds.SmallBank;
        LinearOutcomeModel full = LinearOutcomeModel.AuthorsFull();
        string[] kept = [StyleDimensions.Optimism, "threat", "humor"];
        LinearOutcomeModel refit = full.Refit(bank, kept, 1);
        int[] all = StyleDimensions.All.Select(bank.DimensionIndex).ToArray();
        int[] k = kept.Select(bank.DimensionIndex).ToArray();
        double sum = 0;
        var cross = new double[kept.Length];
        long n = 0;
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
                for (int i = 0; i < bank.ResponseCount(p, bank.Contexts[c]); i++)
                {
                    double[] z = bank.Response(p, bank.Contexts[c], i).ToArray();
                    double residual = full.Mean(all.Select(j => z[j]).ToArray(), bank.Contexts[c]) - refit.Mean(k.Select(j => z[j]).ToArray(), bank.Contexts[c]);
                    sum += residual;
                    for (int j = 0; j < k.Length; j++) cross[j] += residual * z[k[j]];
                    n++;
                }
        Assert.Equal(0, sum / n, 1e-8);
        Assert.All(cross, v => Assert.Equal(0, v / n, 1e-8));
        Assert.NotEqual(full.Coefficients[0], refit.Coefficients[0], 1e-3);
    }

    [Fact]
    public void Refit_RefusesAContextualModel_NamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => LinearOutcomeModel.ThreeDWithContext().Refit(TestWorlds.SmallBank, [StyleDimensions.Optimism], 1));
        Assert.Contains("'3-D+context' reads the context", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clusters_TakeOneDimensionFromEachGroup()
    {
        // Nine dimensions made from three independent factors (three per factor, small own noise): with k = 3 the
        // 1 − r² distances put each factor's dimensions together, so exactly one of each group is chosen.
        var random = TestWorlds.Rng(4);
        string[] names = Enumerable.Range(0, 9).Select(i => $"g{i / 3}-{i % 3}").ToArray();
        var cells = new double[2 * GambitContext.Count][];
        for (int cell = 0; cell < cells.Length; cell++)
        {
            var scores = new double[50 * 9];
            for (int r = 0; r < 50; r++)
            {
                double[] f = [random.NextGaussian(), random.NextGaussian(), random.NextGaussian()];
                for (int j = 0; j < 9; j++) scores[r * 9 + j] = f[j / 3] + 0.3 * random.NextGaussian();
            }
            cells[cell] = scores;
        }
        var bank = new ResponseBank(["a", "b"], names, cells);
        for (ulong seed = 1; seed <= 5; seed++)
        {
            IReadOnlyList<string> chosen = StyleClusters.Select(bank, names, 3, seed);
            Assert.Equal(["g0", "g1", "g2"], chosen.Select(n => n[..2]));
            Assert.Equal(chosen, StyleClusters.Select(bank, names, 3, seed)); // same seed, same choice
        }
        Assert.Equal(names, StyleClusters.Select(bank, names, 9, 1));
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => StyleClusters.Select(bank, names, 10, 1)).ParamName);
    }

    [Fact]
    public void Settings_AreCorrectlySpecified_WithTheAuthorsCalibration()
    {
        // Each setting: the outcome reads exactly the working dimensions (correctly specified), d_z distinct dimensions,
        // noise sd = their summed variance over the bank (σ₀ as the authors define it), and d_z = 20 is the authors' model.
        ResponseBank bank = TestWorlds.SmallBank;
        var settings = GambittsExperiments.Find("dimension")!.Settings(bank);
        foreach (ExperimentSetting s in settings)
        {
            Assert.Equal(s.World.WorkingDimensionNames, s.World.Outcome.Dimensions);
            Assert.Equal((int)s.Value, s.World.WorkingDimensionNames.Distinct().Count());
            Assert.Equal(BankCalibration.SummedVariance(bank, s.World.WorkingDimensionNames), s.World.Outcome.NoiseSd, 12);
            Assert.Equal(s.World.Outcome.NoiseSd, s.Options.PerturbationSd);
            Assert.False(s.Options.ContextTerms);
            Assert.Equal(0, s.World.Outcome.ContextTermCount);
        }
        var all = (LinearOutcomeModel)settings[^1].World.Outcome;
        Assert.Equal(LinearOutcomeModel.AuthorsFull().Coefficients, all.Coefficients, (a, b) => Math.Abs(a - b) < 1e-7);
    }
}

/// <summary>The ensemble-options experiment (docs/gambitts-ensembles.md): the four training choices on one world.</summary>
public class EnsembleOptionsExperimentTests
{
    [Fact]
    public void Settings_AreTheFourChoices_OnOneWorld()
    {
        var settings = GambittsExperiments.Find("ensemble-options")!.Settings(TestWorlds.SmallBank);
        Assert.Equal([(77.0, false), (0.0, false), (77.0, true), (0.0, true)], settings.Select(s => (s.Options.EnsembleTargetOffset, s.Options.EnsembleResetOptimizer)));
        Assert.All(settings, s => Assert.Same(settings[0].World, s.World));
        Assert.Contains("authors'", settings[3].Label, StringComparison.Ordinal);
    }

    [Fact]
    public void ImposingAChoice_IsRefused_NamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new GambittsExperimentOptions { Experiment = "ensemble-options", EnsembleTargetOffset = 0 }.Validate());
        Assert.Equal(nameof(GambittsExperimentOptions.EnsembleTargetOffset), ex.ParamName);
    }
}
