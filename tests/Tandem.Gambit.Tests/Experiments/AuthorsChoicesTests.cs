using System.Text.Json;
using MathNet.Numerics.Statistics;
using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Experiments;

public class AuthorsChoicesTests
{
    private static double[] Column(ResponseBank bank, string dimension)
    {
        int j = bank.DimensionIndex(dimension);
        var values = new List<double>();
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
                for (int i = 0; i < bank.ResponseCount(p, bank.Contexts[c]); i++) values.Add(bank.Response(p, bank.Contexts[c], i)[j]);
        return values.ToArray();
    }

    [Fact]
    public void PooledCorrelations_MatchMathNetsPearson_OverEveryResponse_AndTheMisspecificationAxisUsesThem()
    {
        // Catches a correlation measured within cells (Table 1 is pooled over the database) and an axis that plots
        // Table 1's values instead of the bank's.
        ResponseBank bank = TestWorlds.SmallBank;
        double[] optimism = Column(bank, StyleDimensions.Optimism);
        IReadOnlyList<CorrelationPair> pairs = CorrelationPair.Of(bank);
        Assert.Equal(10, pairs.Count);
        foreach (CorrelationPair p in pairs)
            Assert.Equal(Correlation.Pearson(Column(bank, p.First), Column(bank, p.Second)), p.Bank, 10);
        Assert.Equal(-0.960, pairs.Single(p => p.First == StyleDimensions.Optimism && p.Second == StyleDimensions.Encouragement).Paper);

        var settings = GambittsExperiments.Find("misspecification")!.Settings(bank);
        foreach (ExperimentSetting s in settings)
        {
            string dim = s.World.WorkingDimensionNames[0];
            Assert.Equal(Math.Abs(Correlation.Pearson(optimism, Column(bank, dim))), s.Value, 10);
            Assert.Contains("Table 1 r=", s.Label, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EnsembleOptimizerReset_RestartsAdamAtEveryUpdate_OnlyWhenAsked(bool reset)
    {
        // Catches the option being ignored (Adam's step count would then grow with the updates either way).
        GambitWorld world = TestWorlds.ThreeD();
        var options = new AgentOptions { EnsembleMembers = 3, EnsembleHidden = 4, EnsembleBatch = 8, EnsembleBurnIn = 2, MonteCarloDraws = 5, OfflineDraws = 10, PropensityDraws = 0, EnsembleResetOptimizer = reset };
        var run = new RunContext(0, 3);
        GambitAgent agent = AgentCatalog.Find("ens-fo")!.Create(world, run, options);
        var env = new GambitEnvironment(world, run);
        for (int t = 0; t < 7; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = agent.Decide(x);
            agent.Learn(x, d, env.Respond(x, d));
        }
        JsonElement optimizers = agent.ExportState().Data.GetProperty("model").GetProperty("optimizers");
        Assert.All(optimizers.EnumerateArray(), o => Assert.Equal(reset ? 1 : 5, o.GetProperty("steps").GetInt64()));
    }

    [Fact]
    public async Task TheSummary_RecordsTheEnsembleChoices_AndThePropensityDraws()
    {
        var options = new GambittsExperimentOptions
        {
            Agents = ["stdts"], Runs = 1, Horizon = 5, MaxDegreeOfParallelism = 1, PropensityDraws = 7,
            EnsembleTargetOffset = 0, EnsembleResetOptimizer = true, SyntheticBank = new SyntheticBankOptions { Seed = 2, ResponsesPerCell = 20 }, OfflineDraws = 20,
        };
        GambittsSummary summary = (await GambittsExperiment.RunAsync(options)).Summary;
        Assert.Equal(new EnsembleSettings(0, true), summary.Ensemble);
        Assert.Equal(7, summary.PropensityDraws);
        GambittsSummary defaults = (await GambittsExperiment.RunAsync(options with { PropensityDraws = null, EnsembleTargetOffset = null, EnsembleResetOptimizer = null })).Summary;
        Assert.Equal(new EnsembleSettings(77, false), defaults.Ensemble);
        Assert.Equal(100, defaults.PropensityDraws);
    }
}
