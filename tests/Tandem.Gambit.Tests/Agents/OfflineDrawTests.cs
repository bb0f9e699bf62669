using Tandem.Gambit.Agents;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Agents;

public class OfflineDrawTests
{
    [Fact]
    public void DrawingAWholeCell_WithoutReplacement_GivesEveryResponseOnce_SoTheMeanIsTheCellsMean()
    {
        // Catches draws with replacement: 60 draws from 60 responses would then repeat some and miss others.
        GambitWorld world = TestWorlds.Illustrative();
        var generator = new BankTreatmentGenerator(world);
        var model = new OfflineTreatmentModel(generator, 60, TestWorlds.Rng(3));
        foreach (int c in new[] { 0, 7 })
        {
            GambitContext x = new(c);
            for (int a = 0; a < world.PromptCount; a++)
            {
                var drawn = Enumerable.Range(0, 60).Select(m => model.Draw(a, x, m)[0]).OrderBy(v => v).ToArray();
                var cell = Enumerable.Range(0, 60).Select(i => { var z = new double[1]; generator.Response(a, x, i, z); return z[0]; }).OrderBy(v => v).ToArray();
                Assert.Equal(cell, drawn);
                Assert.Equal(cell.Average(), model.Mean(a, x)[0], 12);
            }
        }
    }

    [Fact]
    public void MoreDrawsThanTheCellHolds_IsRefused_NamingTheDrawsAndTheCell()
    {
        GambitWorld world = TestWorlds.Illustrative();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new OfflineTreatmentModel(new BankTreatmentGenerator(world), 61, TestWorlds.Rng(3)));
        Assert.Equal("drawsPerCell", ex.ParamName);
        Assert.Contains("61 offline draws per cell exceed the 60 response(s)", ex.Message, StringComparison.Ordinal);
        var blended = Assert.Throws<ArgumentOutOfRangeException>(() => FullyOnlineGambitts.Blended(new BankTreatmentGenerator(world), new AgentOptions { OfflineDraws = 61 }, TestWorlds.Rng(1), TestWorlds.Rng(2)));
        Assert.Equal("OfflineDraws", blended.ParamName);
    }
}
