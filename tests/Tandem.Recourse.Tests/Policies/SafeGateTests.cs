using Tandem.Core.Decisions;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

public class SafeGateTests
{
    private static async Task<(GlrbPolicy Glrb, Tandem.Recourse.Environments.RecourseEnvironment Env)> Trained(int steps)
    {
        var (problem, env) = TestWorlds.Hypertension();
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(2) });
        for (int t = 0; t < steps; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = await glrb.DecideAsync(x);
            await glrb.LearnAsync(x, d, env.Respond(x, d));
        }
        return (glrb, env);
    }

    [Fact]
    public async Task SafeGate_DeclinesExactlyTheAdviceWhoseUcbIsBelowTheBanditsLcb_CountedAsItsOwnReason()
    {
        // The worst possible advice: the recourse that lowers DietScore and PhyActHours by γ. After 300 steps the bandit is
        // sure it is worse; the gate must implement the bandit's pair, with its own fallback reason and note, and the
        // decision rule must be exactly UCB(advice) < LCB(bandit pair), checked here from the policy's stated bounds.
        var (glrb, env) = await Trained(300);
        var advisor = new ScriptedAdvisor(r => Advice.Give(0, [r.Context[6] - 2.1, r.Context[7] - 2.1]));
        var gate = AdvisorGateStage.Libra(glrb, advisor, new AdvisorGateOptions { Delta = 0, SafeGate = true });
        int declined = 0;
        for (int t = 0; t < 50; t++)
        {
            double[] x = env.NextContext();
            double[] advised = (double[])x.Clone();
            advised[6] -= 2.1;
            advised[7] -= 2.1;
            double adviceUpper = glrb.ConfidenceBounds(advised, 0).Upper;
            RecourseDecision proposal = glrb.Decide(x);
            double banditLower = glrb.ConfidenceBounds(proposal.Recourse.AsSpan(), proposal.Arm).Lower;
            // Decide on the gate (it asks GLRB again: the same pair, GLRB is deterministic between learns).
            RecourseDecision d = await gate.DecideAsync(x);
            bool shouldDecline = adviceUpper < banditLower;
            Assert.Equal(shouldDecline, d.Notes.Contains(AdvisorGateStage.SafeGateDeclined));
            if (shouldDecline)
            {
                declined++;
                Assert.Equal(proposal.Arm, d.Arm);
                Assert.Equal(proposal.Recourse.ToArray(), d.Recourse.ToArray());
                Assert.True(d.Notes.Contains(DecisionNotes.AdvisorFallback));
            }
            await gate.LearnAsync(x, d, env.Respond(x, d));
        }
        Assert.True(declined > 40, $"declined {declined}/50");
        Assert.Equal(declined, gate.Ledger.Fallbacks[AdvisorGateStage.SafeGateReason]);
        Assert.Equal(50, gate.Ledger.Queries);
        Assert.Equal(50 - declined, gate.Ledger.Followed + gate.Ledger.Projected);
    }

    [Fact]
    public async Task SafeGate_KeepsAdviceTheBanditCannotRuleOut()
    {
        // Advice equal to the bandit's own pair is never declined (UCB ≥ LCB of the same pair).
        var (glrb, env) = await Trained(50);
        var gate = AdvisorGateStage.Libra(glrb, new ScriptedAdvisor(r =>
        {
            RecourseDecision own = glrb.Decide(r.Context);
            return Advice.Give(own.Arm, [own.Recourse[6], own.Recourse[7]]);
        }), new AdvisorGateOptions { Delta = 0, SafeGate = true });
        for (int t = 0; t < 20; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = await gate.DecideAsync(x);
            Assert.True(d.Notes.Contains(DecisionNotes.AdvisorFollowed));
            await gate.LearnAsync(x, d, env.Respond(x, d));
        }
        Assert.Empty(gate.Ledger.Fallbacks);
    }

    [Fact]
    public void SafeGate_OverAPolicyWithoutBounds_IsRefused_NamingTheOptions()
    {
        var (problem, _) = TestWorlds.Hypertension();
        var ex = Assert.Throws<ArgumentException>(() => new AdvisorGateStage(new LinUcbPolicy(problem), problem,
            new ScriptedAdvisor(_ => Advice.Give(0, [0, 0])), new AdvisorGateOptions { SafeGate = true }));
        Assert.Equal("options", ex.ParamName);
        Assert.Contains("confidence bounds", ex.Message);
    }
}
