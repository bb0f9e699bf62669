using Tandem.Core.Decisions;
using Tandem.Core.Ports;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

public class LibraPolicyTests
{
    private static async Task<List<RecourseDecision>> Drive(AdvisorGateStage policy, Tandem.Recourse.Environments.RecourseEnvironment env, int steps)
    {
        var decisions = new List<RecourseDecision>();
        for (int t = 0; t < steps; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = await policy.DecideAsync(x);
            decisions.Add(d);
            await policy.LearnAsync(x, d, env.Respond(x, d));
        }
        return decisions;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(5.0)]
    [InlineData(1e9)]
    public async Task Libra_AsksTheAdvisor_ExactlyWhenTheWidthExceedsDelta(double delta)
    {
        var (problem, env) = TestWorlds.Hypertension();
        var advisor = new ScriptedAdvisor(r => Advice.Give(0, [r.Context[6] + 1, r.Context[7]]));
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(2) }), advisor, new AdvisorGateOptions { Delta = delta });
        List<RecourseDecision> decisions = await Drive(libra, env, 200);
        foreach (RecourseDecision d in decisions)
        {
            bool asked = d.Notes.Contains(DecisionNotes.AdvisorConsulted);
            Assert.Equal(d.ConfidenceWidth > delta, asked);
        }
        Assert.Equal(decisions.Count(d => d.Notes.Contains(DecisionNotes.AdvisorConsulted)), advisor.Calls);
        if (delta >= 1e9) Assert.Equal(0, advisor.Calls);
        if (delta == 0) Assert.Equal(200, advisor.Calls);
    }

    [Fact]
    public async Task Libra_QueriesFlatten_AsTheBanditLearns()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var advisor = new ScriptedAdvisor(r => Advice.Give(1, [r.Context[6] + 2, r.Context[7] + 1]));
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(2) }), advisor, new AdvisorGateOptions { Delta = 1 });
        List<RecourseDecision> decisions = await Drive(libra, env, 500);
        int early = decisions.Take(100).Count(d => d.Notes.Contains(DecisionNotes.AdvisorConsulted));
        int late = decisions.Skip(400).Count(d => d.Notes.Contains(DecisionNotes.AdvisorConsulted));
        Assert.True(late < early, $"queries in steps 401-500 ({late}) should be fewer than in 1-100 ({early})");
    }

    public static TheoryData<string, PortAnswer<Advice>> HostileAdvice => new()
    {
        { "abstained", Advice.Abstain("timeout") },
        { "unknown treatment", Advice.Give(7, [0, 0]) },
        { "negative treatment", Advice.Give(-1, [0, 0]) },
        { "wrong count", Advice.Give(0, [1, 2, 3]) },
        { "NaN", Advice.Give(0, [double.NaN, 0]) },
        { "infinity", Advice.Give(0, [double.PositiveInfinity, 0]) },
        { "null values", Advice.Give(0, null) },
        { "no advice at all", PortAnswer<Advice>.Given(null!) },
        { "default answer", default },
    };

    [Theory]
    [MemberData(nameof(HostileAdvice))]
    public async Task Libra_UnusableAdvice_FallsBackToTheBanditPair_AndCountsIt(string label, PortAnswer<Advice> advice)
    {
        var (problem, env) = TestWorlds.Hypertension();
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem), new ScriptedAdvisor(_ => advice), new AdvisorGateOptions { Delta = 0 });
        var reference = new GlrbPolicy(problem);
        double[] x = env.NextContext();
        RecourseDecision d = await libra.DecideAsync(x);
        RecourseDecision r = reference.Decide(x);
        Assert.Equal(r.Arm, d.Arm);
        Assert.Equal(r.Recourse.ToArray(), d.Recourse.ToArray());
        Assert.True(d.Notes.Contains(DecisionNotes.AdvisorFallback), label);
        Assert.Equal(1, libra.Ledger.Fallbacks.Values.Sum());
        env.Respond(x, d); // feasible: the environment would throw otherwise
    }

    [Fact]
    public async Task Libra_InfeasibleAdvice_IsProjectedOntoTheFeasibleSet()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem), new ScriptedAdvisor(r => Advice.Give(1, [r.Context[6] + 1e308, r.Context[7] - 50])), new AdvisorGateOptions { Delta = 0 });
        for (int t = 0; t < 20; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = await libra.DecideAsync(x);
            Assert.True(d.Notes.Contains(DecisionNotes.AdviceProjected));
            Assert.Equal(1, d.Arm);
            var xm = new double[2];
            var rm = new double[2];
            problem.GetMutable(x, xm);
            problem.GetMutable(d.Recourse.AsSpan(), rm);
            Assert.True(problem.Set.Contains(xm, rm, 1e-9));
            await libra.LearnAsync(x, d, env.Respond(x, d));
        }
        Assert.Equal(20, libra.Ledger.Projected);
    }

    [Fact]
    public async Task Libra_ThrowingAdvisor_IsAFallback_NotACrash()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem), new ScriptedAdvisor(_ => throw new HttpRequestException("boom")), new AdvisorGateOptions { Delta = 0 });
        double[] x = env.NextContext();
        RecourseDecision d = await libra.DecideAsync(x);
        Assert.True(d.Notes.Contains(DecisionNotes.AdvisorFallback));
        Assert.Contains("HttpRequestException", libra.Ledger.Fallbacks.Keys.Single());
    }

    [Fact]
    public async Task Libra_AdvisorThatStopsTheStudy_IsNotAFallback()
    {
        // Catches a gate that swallows StudyStopException (a cassette miss or a used-up budget) into a fallback, which
        // would silently change a recorded study.
        var (problem, env) = TestWorlds.Hypertension();
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem), new ScriptedAdvisor(_ => throw new StudyStopException("cassette miss")), new AdvisorGateOptions { Delta = 0 });
        var stop = await Assert.ThrowsAsync<StudyStopException>(async () => await libra.DecideAsync(env.NextContext()));
        Assert.Equal("cassette miss", stop.Message);
        Assert.Empty(libra.Ledger.Fallbacks);
    }

    [Fact]
    public async Task LlmOnly_AbstainingAdvisor_UsesARandomArmWithoutRecourse()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var policy = AdvisorGateStage.LlmOnly(problem, new ScriptedAdvisor(_ => Advice.Abstain("refused")), new Random(1));
        double[] x = env.NextContext();
        RecourseDecision d = await policy.DecideAsync(x);
        Assert.Equal(x, d.Recourse.ToArray());
        Assert.Equal(0.5, d.Propensity);
        Assert.True(d.Notes.Contains(DecisionNotes.AdvisorFallback));
    }
}
