using Tandem.Recourse.Experiments;

namespace Tandem.Recourse.Tests.Experiments;

/// <summary>Issue 15 defect 19: extreme option values are refused by the library, naming the option and the limit.</summary>
public class LibraLimitsTests
{
    private static LibraExperimentOptions Options(LibraStudyOptions? study = null, int? horizon = 10, int? runs = 1) => new()
    {
        Env = "synthetic",
        Horizon = horizon,
        Runs = runs,
        MaxDegreeOfParallelism = 1,
        DataDirectory = TestWorlds.DataDirectory(),
        Study = study ?? new LibraStudyOptions(),
    };

    private static ArgumentOutOfRangeException Refused(LibraExperimentOptions options) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LibraExperiment.Check(options));

    [Theory]
    [InlineData(1e308, "Gamma", "γ")]
    [InlineData(1e7, "Gamma", "γ")]
    [InlineData(1e-320, "Gamma", "γ")]
    [InlineData(double.PositiveInfinity, "Gamma", "γ")]
    [InlineData(-1, "Gamma", "γ")]
    public void Gamma_OutsideWhatTheSolversCompute_IsRefused(double gamma, string parameter, string symbol)
    {
        var ex = Refused(Options(new LibraStudyOptions { Gamma = gamma }));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(symbol + " must be 0 or lie in [1E-06, 1000000]", ex.Message);
    }

    [Fact]
    public void Lambda_Subnormal_Zero_OrHuge_IsRefused()
    {
        foreach (double lambda in new[] { 1e-320, 0, 1e-7, 1e7, double.NaN })
        {
            var ex = Refused(Options(new LibraStudyOptions { Lambda = lambda }));
            Assert.Equal("Lambda", ex.ParamName);
            Assert.Contains("λ must lie in [1E-06, 1000000]", ex.Message);
        }
    }

    [Fact]
    public void RhoDeltaAndEpsilon_Subnormal_OrHuge_AreRefused_ZeroIsAllowed()
    {
        Assert.Equal("Radius", Refused(Options(new LibraStudyOptions { Radius = RadiusSpec.Constant(1e-320) })).ParamName);
        Assert.Equal("Radius", Refused(Options(new LibraStudyOptions { Radius = RadiusSpec.Constant(1e300) })).ParamName);
        Assert.Equal("Delta", Refused(Options(new LibraStudyOptions { Delta = 1e-320 })).ParamName);
        Assert.Equal("Delta", Refused(Options(new LibraStudyOptions { Delta = double.PositiveInfinity })).ParamName);
        LibraExperiment.Check(Options(new LibraStudyOptions { Delta = 1e300 })); // a threshold only: "never consult"
        Assert.Equal("Epsilon", Refused(Options(new LibraStudyOptions { NonCompliance = NonComplianceSpec.Parse("random:eps=1e300") })).ParamName);
        LibraExperiment.Check(Options(new LibraStudyOptions { Radius = RadiusSpec.Constant(0), Delta = 0, Gamma = 0 }));
        LibraExperiment.Check(Options(new LibraStudyOptions { Radius = RadiusSpec.Constant(1e6), Delta = 1e-6, Gamma = 1e6, Lambda = 1e-6 }));
    }

    [Theory]
    [InlineData(int.MaxValue, 1, "Horizon", "1..10,000,000")]
    [InlineData(10, 200_000, "Runs", "1..100,000")]
    public void Sizes_AboveTheirBounds_AreRefused(int horizon, int runs, string parameter, string range)
    {
        var ex = Refused(Options(horizon: horizon, runs: runs));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(range, ex.Message);
    }

    [Fact]
    public void HorizonTimesRunsTimesPolicies_AboveTheMemoryLimit_IsRefused_WithTheLimit()
    {
        // 10⁶ steps × 10 runs × 5 policies = 5·10⁷ cells > 2·10⁷; the same with 4 runs fits (2·10⁷).
        var ex = Refused(Options(horizon: 1_000_000, runs: 10));
        Assert.Equal("Horizon", ex.ParamName);
        Assert.Contains("horizon × runs × policies = 1000000 × 10 × 5 = 50,000,000 exceeds 20,000,000", ex.Message);
        Assert.Contains("GB", ex.Message);
        LibraExperiment.Check(Options(horizon: 1_000_000, runs: 4));
    }

    [Fact]
    public async Task Ablation_TooManyCellsOrValues_IsRefusedBeforeWork()
    {
        var cells = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            LibraExperiment.RunAblationAsync(Options(horizon: 5_000_000, runs: 2), new LibraAblationOptions { Values = [0.5, 1, 2] }));
        Assert.Equal("Horizon", cells.ParamName);
        var values = Assert.Throws<ArgumentOutOfRangeException>(() => new LibraAblationOptions { Values = [.. Enumerable.Repeat(1.0, 1001)] }.Validate());
        Assert.Equal("Values", values.ParamName);
        Assert.Equal("Values", Assert.Throws<ArgumentOutOfRangeException>(() => new LibraAblationOptions { Values = [1e-320] }.Validate()).ParamName);
    }
}
