using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Models;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Tests.Estimation;

/// <summary>Every estimator against its formula on a hand-written log of four lines and a fixed reward model
/// q̂ = (0.5, 1.5); line 4 has no propensity.</summary>
public class ClosedFormTests
{
    private static readonly LoggedDecision[] Lines =
    [
        new(1, 0, 0, null, "c", 0, 0.5, [0.5, 0.5], 1, [1, 2]),
        new(2, 0, 1, null, "c", 1, 0.2, [0.8, 0.2], 2, [0, 3]),
        new(3, 0, 2, null, "c", 0, 0.25, [0.25, 0.75], 0, [1, 1]),
        new(4, 0, 3, null, "c", 0, double.NaN, [double.NaN, double.NaN], 7, [2, 0]),
    ];

    private sealed class FixedModel : IRewardModel
    {
        public void Predict(LoggedDecision line, Span<double> destination) => ((double[])[0.5, 1.5]).CopyTo(destination);
    }

    private static PolicyEvaluation Evaluate(ITargetPolicy target, OpeOptions? options = null) =>
        Assert.Single(OffPolicyEvaluator.Evaluate(new DecisionList(Lines), [target], new FixedModel(), options ?? new OpeOptions { BootstrapReplicates = 0 }).Policies);

    private static double Value(PolicyEvaluation e, string id) => e.Estimates.Single(x => x.Estimator == id).Value;

    [Fact]
    public void ArmOne_EveryEstimator_MatchesItsFormula()
    {
        // Weights on lines 1-3: 0, 1/0.2 = 5, 0. Residual of line 2: 2 − 1.5 = 0.5.
        PolicyEvaluation e = Evaluate(new SingleArmTarget(1), new OpeOptions { BootstrapReplicates = 0, SwitchThreshold = 10, ShrinkageLambda = 10 });

        Assert.Equal(1.5, Value(e, "dm"), 12);
        Assert.Equal(10.0 / 3, Value(e, "ips"), 12);
        Assert.Equal(2.0, Value(e, "snips"), 12);
        Assert.Equal(1.5 + 5 * 0.5 / 3, Value(e, "dr"), 12);
        Assert.Equal(1.5 + 5 * 0.5 / 3, Value(e, "switch-dr"), 12);
        Assert.Equal(1.5 + 10.0 * 5 / (25 + 10) * 0.5 / 3, Value(e, "dr-os"), 12);
        Assert.Equal(2.0, Value(e, "replay"), 12); // line 2 is the only one whose arm is 1
        Assert.Equal([4L, 3, 3, 3, 3, 3, 1], e.Estimates.Select(x => x.LinesUsed));
    }

    [Fact]
    public void SwitchDr_AboveTheThreshold_UsesTheModelAlone()
    {
        PolicyEvaluation e = Evaluate(new SingleArmTarget(1), new OpeOptions { BootstrapReplicates = 0, SwitchThreshold = 4 });

        Assert.Equal(1.5, Value(e, "switch-dr"), 12);
        Assert.Equal(1, e.Diagnostics.SwitchedToModel);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.PositiveInfinity)]
    public void DrOs_AtItsLimits_IsDmOrDr(double lambda)
    {
        PolicyEvaluation e = Evaluate(new SingleArmTarget(1), new OpeOptions { BootstrapReplicates = 0, ShrinkageLambda = lambda });

        Assert.Equal(Value(e, lambda == 0 ? "dm" : "dr"), Value(e, "dr-os"), 12);
    }

    [Fact]
    public void Clipping_CapsTheWeight_InIpsAndTheDiagnostics()
    {
        PolicyEvaluation e = Evaluate(new SingleArmTarget(1), new OpeOptions { BootstrapReplicates = 0, Clip = 2 });

        Assert.Equal(2.0 * 2 / 3, Value(e, "ips"), 12);
        Assert.Equal(1.5 + 2 * 0.5 / 3, Value(e, "dr"), 12);
        Assert.Equal(1, e.Diagnostics.ClippedWeights);
        Assert.Equal(5, e.Diagnostics.MaxWeight); // the unclipped weight
    }

    [Fact]
    public void Uniform_IpsSnipsAndDiagnostics_MatchTheirFormulas()
    {
        // Weights 0.5/0.5 = 1, 0.5/0.2 = 2.5, 0.5/0.25 = 2.
        PolicyEvaluation e = Evaluate(new UniformTarget());

        Assert.Equal((1 * 1 + 2.5 * 2 + 2 * 0) / 3.0, Value(e, "ips"), 12);
        Assert.Equal((1 * 1 + 2.5 * 2) / 5.5, Value(e, "snips"), 12);
        Assert.Equal(5.5 * 5.5 / (1 + 6.25 + 4), e.Diagnostics.EffectiveSampleSize, 12);
        Assert.Equal(2.5, e.Diagnostics.MaxWeight);
        Assert.Equal(5.5 / 3, e.Diagnostics.MeanWeight, 12);
        Assert.Equal(0, e.Diagnostics.UnsupportedTargetMass);
        Assert.False(e.Diagnostics.TargetDeterministic);
        Assert.True(double.IsNaN(Value(e, "replay")));
        Assert.Contains("not deterministic", e.Estimates.Single(x => x.Estimator == "replay").Note);
    }

    [Fact]
    public void LinesWithoutPropensity_AreCountedAndNamed_NotDroppedSilently()
    {
        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(Lines), [new UniformTarget()], new FixedModel(), new OpeOptions { BootstrapReplicates = 0, PropensityFloor = 0.3 });

        Assert.Equal(1, s.LinesWithoutPropensity);
        Assert.Equal(2, s.LinesBelowFloor); // 0.2 and 0.25
        OpeEstimate ips = s.Policies[0].Estimates.Single(x => x.Estimator == "ips");
        Assert.Equal("1 of 4 lines have no propensity and cannot support it; estimated on the other 3", ips.Note);
        Assert.Null(s.Policies[0].Estimates.Single(x => x.Estimator == "dm").Note);
    }

    [Fact]
    public void Exact_IsTheMeanTruthUnderTheTarget()
    {
        PolicyEvaluation uniform = Evaluate(new UniformTarget());
        PolicyEvaluation one = Evaluate(new SingleArmTarget(1));

        Assert.Equal((1.5 + 1.5 + 1 + 1) / 4, uniform.Exact, 12);
        Assert.Equal((2 + 3 + 1 + 0) / 4.0, one.Exact, 12);
        Assert.Equal(4, one.TruthLines);
    }

    [Fact]
    public void Exact_WithALineLackingTheTruth_IsNaN()
    {
        LoggedDecision[] lines = [Lines[0], Lines[1] with { ExpectedRewards = null }];

        PolicyEvaluation e = Assert.Single(OffPolicyEvaluator.Evaluate(new DecisionList(lines), [new UniformTarget()], new FixedModel(), new OpeOptions { BootstrapReplicates = 0 }).Policies);

        Assert.True(double.IsNaN(e.Exact));
        Assert.Equal(1, e.TruthLines);
    }

    [Fact]
    public void DeterministicLogger_UniformTarget_ReportsUnsupportedMass()
    {
        LoggedDecision[] lines = [new(1, 0, 0, null, "c", 0, 1, [1, 0], 1, null), new(2, 0, 1, null, "c", 1, 1, [0, 1], 2, null)];

        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(lines), [new UniformTarget()], new FixedModel(), new OpeOptions { BootstrapReplicates = 0 });

        Assert.Equal(0.5, s.Policies[0].Diagnostics.UnsupportedTargetMass, 12);
        Assert.Contains("biased", s.Policies[0].Estimates.Single(x => x.Estimator == "ips").Note);
        Assert.False(s.LoggingUniform);
    }

    [Fact]
    public void Replay_UnderUniformLogging_HasNoBiasNote()
    {
        LoggedDecision[] lines = [new(1, 0, 0, null, "c", 0, 0.5, [0.5, 0.5], 1, null), new(2, 0, 1, null, "c", 1, 0.5, [0.5, 0.5], 3, null)];

        OpeSummary s = OffPolicyEvaluator.Evaluate(new DecisionList(lines), [new SingleArmTarget(1)], new FixedModel(), new OpeOptions { BootstrapReplicates = 0 });

        OpeEstimate replay = s.Policies[0].Estimates.Single(x => x.Estimator == "replay");
        Assert.True(s.LoggingUniform);
        Assert.Equal(3, replay.Value);
        Assert.Null(replay.Note);
    }

    [Fact]
    public void Estimators_OnlyThoseAsked_InTheOrderAsked()
    {
        PolicyEvaluation e = Evaluate(new UniformTarget(), new OpeOptions { BootstrapReplicates = 0, Estimators = [OpeEstimator.DoublyRobust, OpeEstimator.Ips] });

        Assert.Equal(["dr", "ips"], e.Estimates.Select(x => x.Estimator));
    }

    [Fact]
    public void TargetSpec_ArmOutsideTheLog_NamesBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            OffPolicyEvaluator.Evaluate(new DecisionList(Lines), [TargetSpec.Parse("arm:2")], new OpeOptions { BootstrapReplicates = 0 }));

        Assert.StartsWith("Target policy 'arm:2' needs arm 2; the log has 2 arms (0..1).", ex.Message);
    }

    [Theory]
    [InlineData("arm:x")]
    [InlineData("snapshot:file.json")]
    [InlineData("best")]
    public void TargetSpec_Unknown_NamesTheSpecAndTheAllowedOnes(string spec)
    {
        var ex = Assert.Throws<ArgumentException>(() => TargetSpec.Parse(spec));

        Assert.Contains($"'{spec}' is unknown; allowed: uniform, arm:N, greedy-model", ex.Message);
    }

    [Fact]
    public void Options_OutOfRange_NameTheParameter()
    {
        Assert.Equal("Clip", Assert.ThrowsAny<ArgumentException>(() => new OpeOptions { Clip = 0 }.Validate()).ParamName);
        Assert.Equal("Folds", Assert.ThrowsAny<ArgumentException>(() => new OpeOptions { Folds = 1 }.Validate()).ParamName);
        Assert.Equal("BootstrapReplicates", Assert.ThrowsAny<ArgumentException>(() => new OpeOptions { BootstrapReplicates = 5 }.Validate()).ParamName);
        Assert.Equal("PropensityFloor", Assert.ThrowsAny<ArgumentException>(() => new OpeOptions { PropensityFloor = 1 }.Validate()).ParamName);
        Assert.Equal("Estimators", Assert.ThrowsAny<ArgumentException>(() => OpeEstimators.Parse("wis")).ParamName);
    }

    [Fact]
    public void Percentiles_InterpolateBetweenOrderStatistics()
    {
        double[] values = [.. Enumerable.Range(0, 101).Select(i => (double)i)];

        var (lo, hi) = OffPolicyEvaluator.Percentiles(values, 0.95);

        Assert.Equal(2.5, lo, 12);
        Assert.Equal(97.5, hi, 12);
    }
}
