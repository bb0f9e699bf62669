using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Environment;

public class ContextDependenceTests
{
    [Fact]
    public void ContextDependence_OfAHandMadeWorld_IsItsClosedForm()
    {
        // a: μ = 11 everywhere; b: 9.5 at home (4 contexts), 12.5 elsewhere → b is best on average (11.5 > 11), a at home.
        ResponseBank bank = TestWorlds.HandMade((p, c) => p == 0 ? [1, 3] : new GambitContext(c).Location == Location.Home ? [-2, 0] : [4, 6]);
        GambitWorld world = GambitWorld.Create(bank, new LinearOutcomeModel("hand", 10, [StyleDimensions.Optimism], [0.5], 0), [StyleDimensions.Optimism], 2);
        ContextDependence d = world.MeasureContextDependence();
        Assert.Equal(4, d.ContextsWhereBestDiffers);
        Assert.Equal(12, d.ContextCount);
        Assert.Equal(4 * 1.5 / 12, d.MeanGap, 12);
        Assert.Equal(1.5, d.MaxGap, 12);
    }

    [Fact]
    public void WithoutInteraction_FewerContextsChangeTheirBestPrompt_ThanWithIt()
    {
        // Catches a gain that is drawn but not applied (both banks would then rank prompts alike in every context).
        static int Differing(double sd)
        {
            ResponseBank bank = SyntheticBank.Create(new SyntheticBankOptions { Seed = 4, ResponsesPerCell = 30, ContextInteractionSd = sd });
            GambitWorld world = GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(), [StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity], 40);
            return world.MeasureContextDependence().ContextsWhereBestDiffers;
        }
        Assert.True(Differing(1.0) > Differing(0), $"{Differing(1.0)} vs {Differing(0)}");
    }

    [Fact]
    public void ANegativeInteraction_IsRefused_NamingIt()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticBankOptions { ContextInteractionSd = -0.1 }.Validate());
        Assert.Equal("ContextInteractionSd", ex.ParamName);
    }
}
