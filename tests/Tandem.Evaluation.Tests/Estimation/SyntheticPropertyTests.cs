using System.Text.Json;
using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Simulation;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Tests.Estimation;

/// <summary>The estimators' known properties on logs from a simulation that knows the exact value.</summary>
public class SyntheticPropertyTests
{
    private static readonly SyntheticBanditOptions Setting = new(Arms: 4, Dimension: 3, Offset: 5, Noise: 1, Epsilon: 0.2);

    private static double[] Estimates(SyntheticBandit world, TargetSpec target, string estimator, int repetitions, int lines, OpeOptions options) =>
    [
        .. Enumerable.Range(0, repetitions).Select(r =>
            OffPolicyEvaluator.Evaluate(new DecisionList(world.Log(lines, (ulong)(1000 + r))), [target], options with { Seed = (ulong)r })
                .Policies[0].Estimates.Single(e => e.Estimator == estimator).Value),
    ];

    private static (double Mean, double Variance) Moments(double[] x)
    {
        double mean = x.Average();
        return (mean, x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1));
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("arm:2")]
    public void Ips_FullSupport_IsUnbiased(string spec)
    {
        var world = new SyntheticBandit(Setting, worldSeed: 11);
        TargetSpec target = TargetSpec.Parse(spec);
        const int repetitions = 300;

        double[] ips = Estimates(world, target, "ips", repetitions, lines: 100, new OpeOptions { BootstrapReplicates = 0, Estimators = [OpeEstimator.Ips] });

        var (mean, variance) = Moments(ips);
        double standardError = Math.Sqrt(variance / repetitions);
        Assert.InRange(mean, world.Value(target) - 4 * standardError, world.Value(target) + 4 * standardError);
    }

    [Fact]
    public void SnipsAndDr_HaveLowerVarianceThanIps()
    {
        var world = new SyntheticBandit(Setting, worldSeed: 12);
        var options = new OpeOptions { BootstrapReplicates = 0, Estimators = [OpeEstimator.Ips, OpeEstimator.SelfNormalizedIps, OpeEstimator.DoublyRobust] };
        var target = TargetSpec.Parse("arm:1");
        const int repetitions = 150;
        var runs = Enumerable.Range(0, repetitions)
            .Select(r => OffPolicyEvaluator.Evaluate(new DecisionList(world.Log(200, (ulong)(5000 + r))), [target], options with { Seed = (ulong)r }).Policies[0])
            .ToList();
        double Var(string id) => Moments([.. runs.Select(p => p.Estimates.Single(e => e.Estimator == id).Value)]).Variance;

        Assert.True(Var("snips") < Var("ips"), $"SNIPS {Var("snips")} vs IPS {Var("ips")}");
        Assert.True(Var("dr") < Var("ips"), $"DR {Var("dr")} vs IPS {Var("ips")}");
    }

    [Fact]
    public void BootstrapIntervals_Cover95PercentOfTheTime()
    {
        var world = new SyntheticBandit(Setting, worldSeed: 13);
        TargetSpec target = TargetSpec.Parse("uniform");
        double truth = world.Value(target);
        var options = new OpeOptions { BootstrapReplicates = 200, Estimators = [OpeEstimator.Ips, OpeEstimator.SelfNormalizedIps, OpeEstimator.DoublyRobust] };
        const int repetitions = 200;
        var covered = new Dictionary<string, int> { ["ips"] = 0, ["snips"] = 0, ["dr"] = 0 };

        for (int r = 0; r < repetitions; r++)
        {
            PolicyEvaluation e = OffPolicyEvaluator.Evaluate(new DecisionList(world.Log(300, (ulong)(9000 + r))), [target], options with { Seed = (ulong)r }).Policies[0];
            foreach (OpeEstimate estimate in e.Estimates)
                if (estimate.Lower <= truth && truth <= estimate.Upper) covered[estimate.Estimator]++;
        }

        foreach (var (id, hits) in covered)
            Assert.True(hits / (double)repetitions is >= 0.9 and <= 0.99, $"{id}: coverage {hits / (double)repetitions}");
    }

    [Fact]
    public void DirectMethod_WellSpecifiedModel_IsNearTheTruth()
    {
        var world = new SyntheticBandit(Setting with { Noise = 0.5 }, worldSeed: 14);
        TargetSpec target = TargetSpec.Parse("arm:0");

        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(world.Log(4000, 3)), [target], new OpeOptions { BootstrapReplicates = 0 });

        // Linear truth, linear model: DM's error is the contexts' sampling error, ~ |θ₀| / √n ≈ 0.02; 0.1 is 5 of those.
        Assert.Equal(s.Policies[0].Exact, s.Policies[0].Estimates.Single(e => e.Estimator == "dm").Value, 0.1);
    }

    [Fact]
    public void SameSeed_SameNumbers_OtherSeed_OtherIntervals()
    {
        var world = new SyntheticBandit(Setting, worldSeed: 15);
        IReadOnlyList<LoggedDecision> log = world.Log(300, 1);
        TargetSpec[] targets = [TargetSpec.Parse("uniform"), TargetSpec.Parse("greedy-model")];
        var json = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        string Run(ulong seed) => JsonSerializer.Serialize(OffPolicyEvaluator.Evaluate(new DecisionList(log), targets, new OpeOptions { Seed = seed, BootstrapReplicates = 50 }), json);

        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void Simulator_SameSeed_SameLog_AndTheLoggerCoversEveryArm()
    {
        var world = new SyntheticBandit(Setting, worldSeed: 16);

        var a = world.Log(50, 4);
        var b = world.Log(50, 4);

        Assert.Equal(a.Select(l => (l.Arm, l.Reward)), b.Select(l => (l.Arm, l.Reward)));
        Assert.All(a, l => Assert.All(l.Probabilities, p => Assert.True(p >= Setting.Epsilon / Setting.Arms - 1e-15)));
        Assert.All(a, l => Assert.Equal(1, l.Probabilities.Sum(), 12));
    }

    [Fact]
    public void GreedyModel_IsDeterministic_SoReplayApplies()
    {
        var world = new SyntheticBandit(Setting, worldSeed: 17);

        PolicyEvaluation e = OffPolicyEvaluator.Evaluate(new DecisionList(world.Log(500, 2)), [TargetSpec.Parse("greedy-model")], new OpeOptions { BootstrapReplicates = 0 }).Policies[0];

        Assert.True(e.Diagnostics.TargetDeterministic);
        Assert.True(e.Diagnostics.ReplayMatches > 0);
        Assert.False(double.IsNaN(e.Estimates.Single(x => x.Estimator == "replay").Value));
        // It acts on a model of the log, never on the truth: its exact value is below the best arm's in every context.
        Assert.True(e.Exact <= world.Log(500, 2).Average(l => l.ExpectedRewards!.Max()));
    }
}
