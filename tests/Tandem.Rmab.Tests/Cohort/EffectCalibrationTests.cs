using Tandem.Rmab.Cohort;

namespace Tandem.Rmab.Tests.Cohort;

public class EffectCalibrationTests
{
    // The shipped cohort (7,668 mothers) with seed 001's 20% called once in 7 weeks: 219 calls a week.
    private static readonly FieldStudyDesign EndState = new() { WeeklyBudget = 219, Drop = DropDefinition.EngagedAtStartNotAtEnd };

    [Fact]
    public void PopulationAndTruth_ShipsExactlyThePopulation()
    {
        // Catches a refactor of Population that changes the shipped cohort (every DLM number would move).
        var (truth, shipped) = Fixtures.Generator.PopulationAndTruth(42);
        Beneficiary[] population = Fixtures.Generator.Population(42);
        Assert.Equal(population.Select(b => b.Dynamics), shipped.Select(b => b.Dynamics));
        Assert.Equal(population.Select(b => b.InitialEngaged), shipped.Select(b => b.InitialEngaged));
        Assert.Equal(population.Select(b => b.Features), truth.Select(b => b.Features));
        Assert.NotEqual(truth.Select(b => b.Dynamics), shipped.Select(b => b.Dynamics)); // truth is not the estimate
    }

    [Theory]
    [InlineData(DropDefinition.EngagedToNotEngaged)]
    [InlineData(DropDefinition.EngagedAtStartNotAtEnd)]
    [InlineData(DropDefinition.CumulativeEngagedAtStartNotEngaged)]
    public void CallsWithoutEffect_LeaveTheDropsExactlyUnchanged(DropDefinition drop)
    {
        // exp(−100 + …) vanishes against logits of order 1 and there is no re-engagement lift, so a true call changes no
        // transition: with common random numbers both groups follow the same path (catches groups drawn from different
        // uniforms, or a call applied to the never-called group). The estimates still differ, so Whittle still calls.
        CohortParameters none = Fixtures.Parameters with { Effect = Fixtures.Parameters.Effect with { Intercept = -100, State0Extra = 0 } };
        FieldStudyOutcome outcome = EffectCalibration.Simulate(none, EndState with { Drop = drop }, 3);
        Assert.True(outcome.DropsWithoutCalls > 0);
        Assert.Equal(outcome.DropsWithoutCalls, outcome.DropsWithCalls);
        Assert.Equal(0, outcome.Reduction);
    }

    [Fact]
    public void Reduction_GrowsWithTheIntercept()
    {
        // Catches a sign error in the effect or a policy that calls the wrong end of the index ranking.
        double low = EffectCalibration.Reduction(Fixtures.Parameters, EndState, -2, 1);
        double mid = EffectCalibration.Reduction(Fixtures.Parameters, EndState, 0.3, 1);
        double high = EffectCalibration.Reduction(Fixtures.Parameters, EndState, 2, 1);
        Assert.True(low < mid && mid < high, $"reductions {low}, {mid}, {high} are not increasing");
        Assert.True(high > 0);
    }

    [Fact]
    public void OneWeek_TheCumulativeAndEndDefinitionsAgree()
    {
        // After one week "not engaged at the end" and "not engaged after week 1, summed over one week" are the same count
        // (catches a cumulative count taken before the transition or over the wrong mothers).
        FieldStudyDesign end = EndState with { Weeks = 1 };
        Assert.Equal(EffectCalibration.Simulate(Fixtures.Parameters, end, 5),
            EffectCalibration.Simulate(Fixtures.Parameters, end with { Drop = DropDefinition.CumulativeEngagedAtStartNotEngaged }, 5));
    }

    [Fact]
    public void SameSeed_SameNumbers_OtherSeed_OtherNumbers()
    {
        FieldStudyOutcome a = EffectCalibration.Simulate(Fixtures.Parameters, EndState, 7);
        FieldStudyOutcome b = EffectCalibration.Simulate(Fixtures.Parameters, EndState, 7);
        FieldStudyOutcome c = EffectCalibration.Simulate(Fixtures.Parameters, EndState, 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Calibrate_FindsTheCrossing_AndReportsAnUnreachableTarget()
    {
        var options = new EffectCalibrationOptions { Design = EndState, TargetReduction = 0.03, Seeds = [1], Steps = 16, Curve = [0.3] };
        EffectCalibrationResult found = EffectCalibration.Calibrate(Fixtures.Parameters, options);
        Assert.Equal(1, found.Bracketed);
        double c = found.PerSeed[0];
        double width = (options.InterceptHigh - options.InterceptLow) / Math.Pow(2, options.Steps);
        // The bisection's final bracket [c − w/2, c + w/2] straddles the target.
        Assert.True(EffectCalibration.Reduction(Fixtures.Parameters, EndState, c - width / 2, 1) < 0.03);
        Assert.True(EffectCalibration.Reduction(Fixtures.Parameters, EndState, c + width / 2, 1) >= 0.03);
        Assert.Equal(EffectCalibration.Reduction(Fixtures.Parameters, EndState, 0.3, 1), found.Curve[0].PerSeed[0]);

        EffectCalibrationResult unreachable = EffectCalibration.Calibrate(Fixtures.Parameters, options with { TargetReduction = 0.9, Curve = [] });
        Assert.Equal(0, unreachable.Bracketed);
        Assert.True(double.IsNaN(unreachable.Mean));
    }

    [Fact]
    public void BadOptions_NameTheField()
    {
        var e1 = Assert.Throws<ArgumentException>(() => EffectCalibration.Simulate(Fixtures.Parameters, EndState with { WeeklyBudget = 0 }, 1));
        Assert.Contains("weeklyBudget", e1.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<ArgumentException>(() => EffectCalibration.Calibrate(Fixtures.Parameters, new EffectCalibrationOptions { TargetReduction = 1.5 }));
        Assert.Contains("targetReduction", e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<ArgumentException>(() => EffectCalibration.Calibrate(Fixtures.Parameters, new EffectCalibrationOptions { InterceptLow = 2, InterceptHigh = 1 }));
        Assert.Contains("interceptLow", e3.Message, StringComparison.Ordinal);
    }
}
