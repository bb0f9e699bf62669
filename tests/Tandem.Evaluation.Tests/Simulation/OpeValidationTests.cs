using System.Text.Json;
using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Simulation;

namespace Tandem.Evaluation.Tests.Simulation;

public class OpeValidationTests
{
    private static readonly OpeOptions Fast = new() { BootstrapReplicates = 50, Estimators = [OpeEstimator.Ips, OpeEstimator.SelfNormalizedIps, OpeEstimator.DoublyRobust, OpeEstimator.Replay] };

    [Fact]
    public void Run_ReportsEveryTargetAndEstimator_WithTheUniformValueTheMeanOfTheArms()
    {
        OpeValidationSummary s = OpeValidation.Run(new OpeValidationOptions(Repetitions: 20, Lines: 200), Fast);

        Assert.Equal(5 * 4, s.Checks.Count); // uniform + 4 arms, 4 estimators
        double uniform = s.Checks.First(c => c.Policy == "uniform").Exact;
        double meanOfArms = s.Checks.Where(c => c.Policy.StartsWith("arm:", StringComparison.Ordinal)).GroupBy(c => c.Policy).Average(g => g.First().Exact);
        Assert.Equal(meanOfArms, uniform, 12);
        Assert.All(s.Checks, c => Assert.Equal(c.Mean - c.Exact, c.Bias, 12));
        Assert.All(s.Checks.Where(c => c.Repetitions > 0), c => Assert.True(c.Rmse >= Math.Abs(c.Bias) - 1e-12, $"{c.Policy} {c.Estimator}: RMSE below |bias|"));
        // Replay needs a deterministic target: none for uniform.
        Assert.Equal(0, s.Checks.Single(c => c.Policy == "uniform" && c.Estimator == "replay").Repetitions);
    }

    [Fact]
    public void Run_IpsIsUnbiased_AndItsIntervalsCoverNearTheNominalRate()
    {
        OpeValidationSummary s = OpeValidation.Run(new OpeValidationOptions(Repetitions: 200, Lines: 200), Fast with { BootstrapReplicates = 100 });

        foreach (EstimatorCheck c in s.Checks.Where(c => c.Estimator == "ips"))
        {
            // The bias is within 4 standard errors of 0 (RMSE bounds the standard deviation).
            Assert.True(Math.Abs(c.Bias) < 4 * c.Rmse / Math.Sqrt(c.Repetitions), $"{c.Policy}: bias {c.Bias}, RMSE {c.Rmse}");
            Assert.InRange(c.Coverage, 0.85, 1.0);
        }
    }

    [Fact]
    public void Run_SameSeed_SameNumbers()
    {
        var v = new OpeValidationOptions(Repetitions: 5, Lines: 100);
        var json = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

        string a = JsonSerializer.Serialize(OpeValidation.Run(v, Fast with { Seed = 4 }), json);
        string b = JsonSerializer.Serialize(OpeValidation.Run(v, Fast with { Seed = 4 }), json);
        string c = JsonSerializer.Serialize(OpeValidation.Run(v, Fast with { Seed = 5 }), json);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Run_TooFewRepetitions_NamesTheParameter()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => OpeValidation.Run(new OpeValidationOptions(Repetitions: 1), Fast));

        Assert.Equal("Repetitions", ex.ParamName);
    }
}
