using Tandem.Core.Running;
using Tandem.Gambit.Experiments;

namespace Tandem.Gambit.Tests.Experiments;

public class ExperimentTests
{
    [Fact]
    public async Task SameSeed_IdenticalNumbers_WhateverTheParallelism()
    {
        ExperimentDefinition illustrative = GambittsExperiments.Find("illustrative")!;
        var agents = new[] { "stdts", "fo", "po", "blended" }.Select(id => AgentCatalog.Find(id)!).ToArray();
        var settings = WithinSmallBank(illustrative.Settings(TestWorlds.SmallBank));
        var a = await GambittsStudy.RunAsync(illustrative, settings, agents, new RunnerOptions { Runs = 4, Horizon = 40, Seed = 12, MaxDegreeOfParallelism = 2 });
        var b = await GambittsStudy.RunAsync(illustrative, settings, agents, new RunnerOptions { Runs = 4, Horizon = 40, Seed = 12, MaxDegreeOfParallelism = 1 });
        var c = await GambittsStudy.RunAsync(illustrative, settings, agents, new RunnerOptions { Runs = 4, Horizon = 40, Seed = 13, MaxDegreeOfParallelism = 1 });
        for (int p = 0; p < agents.Length; p++)
        {
            for (int r = 0; r < 4; r++)
            {
                Assert.Equal(a.Settings[0].Result.Policies[p].Regret[r], b.Settings[0].Result.Policies[p].Regret[r]);
                Assert.Equal(a.Settings[0].Result.Policies[p].Reward[r], b.Settings[0].Result.Policies[p].Reward[r]);
            }
        }
        Assert.NotEqual(a.Settings[0].Result.Policies[0].Reward[0], c.Settings[0].Result.Policies[0].Reward[0]);
    }

    [Fact]
    public void EveryExperiment_BuildsItsSettings_AndNamesItsAgents()
    {
        Assert.Equal(["illustrative", "misspecification", "arms", "variance", "nonlinear", "simulator-access", "dimension", "fo-vs-contextual", "ensemble-options"], GambittsExperiments.Ids);
        foreach (ExperimentDefinition e in GambittsExperiments.All)
        {
            Assert.All(e.DefaultAgents, id => Assert.NotNull(AgentCatalog.Find(id)));
            var settings = e.Settings(TestWorlds.SmallBank);
            Assert.NotEmpty(settings);
            Assert.Equal(e.Varied is null, settings.Count == 1 && settings[0].Label is null);
        }
        Assert.Equal([3, 5, 15, 30, 40], GambittsExperiments.Find("arms")!.Settings(TestWorlds.SmallBank).Select(s => s.World.PromptCount));
        Assert.Equal([3, 5, 10, 15, 20], GambittsExperiments.Find("dimension")!.Settings(TestWorlds.SmallBank).Select(s => s.World.EmbeddingDimension));
    }

    [Fact]
    public async Task Illustrative_GambittsBeatsStandardTs_OnASmallRun()
    {
        // The seed's §6.1 ordering, on 12 runs × 300 steps (a loose check of direction, not of size).
        ExperimentDefinition illustrative = GambittsExperiments.Find("illustrative")!;
        var agents = new[] { "stdts", "po" }.Select(id => AgentCatalog.Find(id)!).ToArray();
        var result = await GambittsStudy.RunAsync(illustrative, WithinSmallBank(illustrative.Settings(TestWorlds.SmallBank)), agents,
            new RunnerOptions { Runs = 12, Horizon = 300, Seed = 3 });
        double std = result.Settings[0].Result.Policies[0].FinalCumulativeRegret().Average();
        double po = result.Settings[0].Result.Policies[1].FinalCumulativeRegret().Average();
        Assert.True(po < std, $"poGAMBITTS {po} vs StdTS {std}");
    }

    /// <summary>The settings with 50 offline draws per cell: the small bank's cells hold 60, and draws are without replacement.</summary>
    internal static ExperimentSetting[] WithinSmallBank(IEnumerable<ExperimentSetting> settings) =>
        settings.Select(s => s with { Options = s.Options with { OfflineDraws = 50 } }).ToArray();
}

public class GambittsExperimentTests
{
    [Fact]
    public async Task RunAsync_MatchesTheStudy_AndReportsCurvesFiguresAndBody()
    {
        var options = new GambittsExperimentOptions { Experiment = "arms", Agents = ["stdts", "po"], Runs = 3, Horizon = 25, Seed = 5, MaxDegreeOfParallelism = 1, OfflineDraws = 50 };
        GambittsExperimentResult result = await GambittsExperiment.RunAsync(options, TestWorlds.SmallBank);
        ExperimentDefinition arms = GambittsExperiments.Find("arms")!;
        var direct = await GambittsStudy.RunAsync(arms, ExperimentTests.WithinSmallBank(arms.Settings(TestWorlds.SmallBank)), [AgentCatalog.Find("stdts")!, AgentCatalog.Find("po")!],
            new RunnerOptions { Runs = 3, Horizon = 25, Seed = 5, MaxDegreeOfParallelism = 2 });
        Assert.Equal(2 * 5, result.Summary.Series.Count);
        for (int s = 0; s < 5; s++)
            for (int p = 0; p < 2; p++)
            {
                GambittsSeries series = result.Summary.Series[2 * s + p];
                Assert.Equal(direct.Settings[s].Result.Policies[p].MeanCumulativeRegretCurve(), series.RegretCurve);
                Assert.Equal(direct.Settings[s].Result.Policies[p].FinalCumulativeRegret().Average(), series.CumulativeRegret.Mean, 10);
            }
        Assert.Equal("host bank", result.Summary.Bank);
        Tandem.Core.Reports.Report report = result.ToReport();
        var curves = Assert.IsType<Tandem.Core.Reports.CurveTable>(report.Files[0]);
        Assert.Equal("curves.csv", curves.Name);
        Assert.Equal(2 * 2 * 5, curves.Curves.Count);
        Assert.Equal(("StdTS [K=3]", "regret_mean"), (curves.Curves[0].Series, curves.Curves[0].Statistic));
        Assert.Equal(direct.Settings[0].Result.Policies[0].MeanCumulativeRegretCurve(), curves.Curves[0].Values);
        Assert.Equal(["curves.csv", "regret-k-3", "regret-k-5", "regret-k-15", "regret-k-30", "regret-k-40", "final-regret"], report.Files.Select(f => f.Name));
        Assert.Equal("final-regret.png", report.Body.OfType<Tandem.Core.Reports.FigureBlock>().First().File);
        // The summary panel: points with intervals per setting (categories), no line through them.
        var summaryFigure = Assert.IsType<Tandem.Core.Reports.IntervalFigure>(report.Files.Single(f => f.Name == "final-regret"));
        Assert.Equal(["K=3", "K=5", "K=15", "K=30", "K=40"], summaryFigure.Categories);
        for (int p = 0; p < 2; p++)
            for (int s = 0; s < 5; s++)
            {
                RegretStat stat = result.Summary.Series[2 * s + p].CumulativeRegret;
                Assert.Equal(stat.Mean, summaryFigure.Groups[p].Values[s]);
                Assert.Equal(stat.Mean - stat.Ci95, summaryFigure.Groups[p].Lower![s]);
                Assert.Equal(stat.Mean + stat.Ci95, summaryFigure.Groups[p].Upper![s]);
            }
        Assert.Same(result.Summary, report.Summary);
    }

    [Fact]
    public async Task Options_AreValidated_NamingTheSetting()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => GambittsExperiment.RunAsync(new GambittsExperimentOptions { Agents = ["nope"] }));
        Assert.Equal("Agents", ex.ParamName);
        var runs = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => GambittsExperiment.RunAsync(new GambittsExperimentOptions { Runs = 0 }));
        Assert.Equal("Runs", runs.ParamName);
    }
}
