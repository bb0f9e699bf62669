using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Tests.Estimation;

/// <summary>The seeds' special cases (issue 17 item 5): advisor lines, Monte Carlo propensities, recourse logs.</summary>
public class SeedCaseTests
{
    private static readonly OpeOptions NoBootstrap = new() { BootstrapReplicates = 0 };

    // A recourse log: the logged context is noise the reward ignores; the reward follows the recourse z
    // (E[r | z, a] = 1 + (a + 1) z₀), and the logger is confounded with z (arm 1 mostly when z₀ > 0).
    private static List<LoggedDecision> RecourseLog(bool withRecourse)
    {
        var random = new Random(4);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var log = new List<LoggedDecision>();
        for (int i = 0; i < 4000; i++)
        {
            double[] context = [Gauss(), Gauss()];
            double[] z = [Gauss(), Gauss()];
            double p1 = z[0] > 0 ? 0.9 : 0.1;
            int arm = random.NextDouble() < p1 ? 1 : 0;
            double[] truth = [1 + z[0], 1 + 2 * z[0]];
            log.Add(new LoggedDecision(i + 1, 0, i, context, null, arm, arm == 1 ? p1 : 1 - p1, [1 - p1, p1], truth[arm] + 0.1 * Gauss(), truth)
            { Recourse = withRecourse ? z : null });
        }
        return log;
    }

    [Fact]
    public void RecourseLog_TheRewardModelReadsTheRecourse_SoTheDirectMethodIsRight()
    {
        OpeSummary with = OffPolicyEvaluator.Evaluate(new DecisionList(RecourseLog(withRecourse: true)), [TargetSpec.Parse("arm:1")], NoBootstrap);
        OpeSummary without = OffPolicyEvaluator.Evaluate(new DecisionList(RecourseLog(withRecourse: false)), [TargetSpec.Parse("arm:1")], NoBootstrap);

        double Dm(OpeSummary s) => s.Policies[0].Estimates.Single(e => e.Estimator == "dm").Value;
        Assert.Equal(4000, with.LinesWithRecourse);
        // Linear in z, so the recourse model is right up to noise (0.1 / √4000 per coefficient); on the context alone
        // the model sees arm 1's rewards where z₀ > 0 mostly: E[2 z₀ | logged arm 1] ≈ 2 · 0.8 · 0.8 ≈ 1.3 too high.
        Assert.Equal(with.Policies[0].Exact, Dm(with), 0.05);
        Assert.True(Math.Abs(Dm(without) - without.Policies[0].Exact) > 0.5, $"without the recourse DM = {Dm(without)}, exact {without.Policies[0].Exact}");
    }

    [Fact]
    public void AdvisorLines_AreCounted_AndLeftOutOfTheWeightedEstimators()
    {
        var log = new List<LoggedDecision>();
        for (int i = 0; i < 10; i++)
        {
            bool advised = i % 3 == 0;
            log.Add(new LoggedDecision(i + 1, 0, i, [i], null, i % 2, advised ? double.NaN : 0.5, advised ? [double.NaN, double.NaN] : [0.5, 0.5], i, null)
            { Flags = advised ? LineFlags.AdvisorFollowed : LineFlags.None });
        }

        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(log), [TargetSpec.Parse("arm:0")], NoBootstrap);

        Assert.Equal(4, s.AdvisorLinesWithoutPropensity); // lines 0, 3, 6, 9
        Assert.Equal(6, s.Policies[0].Estimates.Single(e => e.Estimator == "ips").LinesUsed);
        Assert.Equal(10, s.Policies[0].Estimates.Single(e => e.Estimator == "dm").LinesUsed);
        Assert.Contains("4 lines followed an advisor with no stated propensity", OpeResult.SeedCases(s));
    }

    [Fact]
    public void MonteCarloPropensities_TheirDrawsAndAddedStandardError_AreReported()
    {
        // Two estimated lines (M = 10 and 40), one exact line; target arm:0.
        LoggedDecision Line(int n, int arm, double p, double r, int draws, LineFlags flags) =>
            new(n, 0, n, null, "c", arm, p, arm == 0 ? [p, 1 - p] : [1 - p, p], r, null) { Flags = flags, PropensityDraws = draws };
        var log = new List<LoggedDecision>
        {
            Line(1, 0, 0.25, 2, 10, LineFlags.PropensityEstimated),
            Line(2, 0, 0.5, 3, 40, LineFlags.PropensityEstimated),
            Line(3, 0, 0.5, 1, 0, LineFlags.None),
        };

        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(log), [TargetSpec.Parse("arm:0")], NoBootstrap);

        Assert.Equal(2, s.LinesWithEstimatedPropensity);
        Assert.Equal(10, s.MinPropensityDraws);
        Assert.Equal(40, s.MaxPropensityDraws);
        // (w r)² (1 − p)/(M p): line 1 w = 4, r = 2 → 64 · 0.75 / 2.5 = 19.2; line 2 w = 2, r = 3 → 36 · 0.5 / 20 = 0.9.
        Assert.Equal(Math.Sqrt(19.2 + 0.9) / 3, s.Policies[0].Diagnostics.PropensityNoiseStandardError, 12);
    }

    [Fact]
    public void MonteCarloPropensities_WithoutStatedDraws_SaySoAndGiveNoStandardError()
    {
        var log = new List<LoggedDecision>
        {
            new(1, 0, 0, null, "c", 0, 0.5, [0.5, 0.5], 1, null) { Flags = LineFlags.PropensityEstimated },
            new(2, 0, 1, null, "c", 1, 0.5, [0.5, 0.5], 2, null) { Flags = LineFlags.PropensityEstimated },
        };

        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(log), [TargetSpec.Parse("uniform")], NoBootstrap);

        Assert.True(double.IsNaN(s.Policies[0].Diagnostics.PropensityNoiseStandardError));
        Assert.Contains("does not state the number of draws", OpeResult.SeedCases(s));
    }

    [Fact]
    public void RecourseOfAnotherLength_NamesTheLineAndField()
    {
        List<LoggedDecision> log = RecourseLog(withRecourse: true).Take(5).ToList();
        log[3] = log[3] with { Recourse = [1, 2, 3] };

        var ex = Assert.Throws<DecisionLogException>(() => OffPolicyEvaluator.Evaluate(new DecisionList(log), [TargetSpec.Parse("uniform")], NoBootstrap));

        Assert.Equal(4, ex.Line);
        Assert.Equal("payload.recourse", ex.Field);
    }

    // A Thompson-sampling target: π̂ = (0.8, 0.2) from M = 25 draws on every line.
    private sealed class DrawnTarget : ITargetPolicy
    {
        public string Name => "drawn";

        public int ProbabilityDraws => 25;

        public void Probabilities(LoggedDecision line, Span<double> destination)
        {
            destination[0] = 0.8;
            destination[1] = 0.2;
        }
    }

    [Fact]
    public void MonteCarloTarget_ReportsItsDraws_AndTheDeltaMethodStandardError()
    {
        // (r/μ)² π̂(1 − π̂)/M of the logged arm: line 1 (arm 0, μ 0.5, r 2): 16 · 0.16 / 25; line 2 (arm 1, μ 0.25,
        // r 1): 16 · 0.16 / 25; line 3 has no propensity. SE = √(2 · 0.1024) / 2. Catches the target's draws ignored
        // or the logging propensity's formula used instead.
        var log = new List<LoggedDecision>
        {
            new(1, 0, 0, null, "c", 0, 0.5, [0.5, 0.5], 2, null),
            new(2, 0, 1, null, "c", 1, 0.25, [0.75, 0.25], 1, null),
            new(3, 0, 2, null, "c", 1, double.NaN, [double.NaN, double.NaN], 5, null),
        };

        OpeDiagnostics d = OffPolicyEvaluator.Evaluate(new DecisionList(log), [new DrawnTarget()], new ClosedFormModel(), NoBootstrap).Policies[0].Diagnostics;

        Assert.Equal(25, d.TargetDraws);
        Assert.Equal(Math.Sqrt(2 * 0.1024) / 2, d.TargetDrawStandardError, 12);
        Assert.True(double.IsNaN(OffPolicyEvaluator.Evaluate(new DecisionList(log), [TargetSpec.Parse("uniform")], NoBootstrap).Policies[0].Diagnostics.TargetDrawStandardError));
    }

    private sealed class ClosedFormModel : Tandem.Evaluation.Models.IRewardModel
    {
        public void Predict(LoggedDecision line, Span<double> destination) => destination.Clear();
    }

    // LIBRA as a target: arm 0 where it decides itself (even lines), no probability where it followed its advisor.
    private sealed class GateTarget : ITargetPolicy
    {
        public string Name => "gate";

        public void Probabilities(LoggedDecision line, Span<double> destination)
        {
            if (line.Line % 2 == 1) destination.Fill(double.NaN);
            else
            {
                destination[0] = 1;
                destination[1] = 0;
            }
        }
    }

    [Fact]
    public void TargetFollowingAnAdvisor_LinesAreCountedNamedAndLeftOut()
    {
        // Catches NaN probabilities leaking into the sums (NaN estimates) or the lines dropped silently.
        var log = Enumerable.Range(1, 8).Select(i => new LoggedDecision(i, 0, i, null, "c", i % 3 == 0 ? 1 : 0, 0.5, [0.5, 0.5], i, null)).ToList();
        var options = new OpeOptions { BootstrapReplicates = 0, SwitchThreshold = 10, ShrinkageLambda = 10 };

        PolicyEvaluation gate = OffPolicyEvaluator.Evaluate(new DecisionList(log), [new GateTarget()], new ClosedFormModel(), options).Policies[0];
        PolicyEvaluation even = OffPolicyEvaluator.Evaluate(new DecisionList([.. log.Where(l => l.Line % 2 == 0)]), [TargetSpec.Parse("arm:0").Create(2, 0, new Tandem.Evaluation.Models.CrossFittedRidge(2, 0, true, 2, 1, 1))], new ClosedFormModel(), options).Policies[0];

        Assert.Equal(4, gate.Diagnostics.TargetUnstatedLines);
        Assert.Equal(even.Estimates.Select(e => e.Value), gate.Estimates.Select(e => e.Value));
        Assert.All(gate.Estimates, e => Assert.Contains("on 4 of 8 lines the target states no probability", e.Note));
    }
}
