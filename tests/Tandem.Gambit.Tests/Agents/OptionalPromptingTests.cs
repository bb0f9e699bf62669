using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Agents;

public class OptionalPromptingTests
{
    private sealed class ScriptedPrimary(Func<int, bool> send) : IPrimaryAgent
    {
        private int _t;
        public int Learned { get; private set; }
        public SendDecision Decide(GambitContext context) => new(send(_t++), 0.5);
        public void Learn(GambitContext context, SendDecision decision, double reward) => Learned++;
    }

    private sealed class CountingPromptAgent(int k) : IPolicy<GambitContext, GambitDecision, GambitOutcome>
    {
        private readonly DecisionIssuer _issuer = new();
        public int Decided { get; private set; }
        public int Learned { get; private set; }
        public List<DecisionId> LearnedIds { get; } = [];
        public string Name => "counting";
        public ValueTask<GambitDecision> DecideAsync(GambitContext context, CancellationToken cancellationToken = default)
        {
            Decided++;
            DecisionStamp stamp = _issuer.Issue();
            return new(new GambitDecision { Id = stamp.Id, Time = stamp.Time, Arm = Decided % k, Probabilities = ProbabilityVectors.Uniform(k) });
        }
        public ValueTask LearnAsync(GambitContext context, GambitDecision decision, GambitOutcome outcome, CancellationToken cancellationToken = default)
        {
            _issuer.EnsurePending(decision.Id);
            _issuer.Settle(decision.Id);
            Learned++;
            LearnedIds.Add(decision.Id);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task PromptAgent_IsNeverCalled_WhenThePrimaryAbstains()
    {
        GambitWorld world = GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 5, allowNoMessage: true);
        var primary = new ScriptedPrimary(t => t % 3 == 0); // sends at t = 0, 3, 6, ...
        var prompts = new CountingPromptAgent(5);
        var policy = new OptionalPrompting(primary, prompts, 5);
        var env = new GambitEnvironment(world, new RunContext(0, 1));
        int sent = 0;
        for (int t = 0; t < 30; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = await policy.DecideAsync(x);
            bool sends = t % 3 == 0;
            Assert.Equal(sends ? sent + 1 : sent, prompts.Decided);
            if (sends) sent++;
            if (!sends)
            {
                Assert.Equal(5, d.Arm);
                Assert.Equal(0.5, d.Propensity);
                Assert.True(double.IsNaN(d.Probabilities[0]));
            }
            else
            {
                Assert.InRange(d.Arm, 0, 4);
                Assert.Equal(0.5 * 0.2, d.Propensity, 15);
                Assert.Equal(1.0, d.Probabilities.Sum(), 12);
            }
            GambitOutcome o = env.Respond(x, d);
            Assert.Equal(sends ? 0 : -1, Math.Min(0, o.Response));
            await policy.LearnAsync(x, d, o);
        }
        Assert.Equal(10, prompts.Decided);
        Assert.Equal(10, prompts.Learned);
        Assert.Equal(30, primary.Learned);
    }

    [Fact]
    public async Task ThompsonGate_WithAGambittsAgent_RunsAndStatesPropensities()
    {
        GambitWorld world = GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 5, allowNoMessage: true);
        var run = new RunContext(0, 3);
        var policy = new OptionalPrompting(new ThompsonSendGate(world.Contexts, NormalInverseGamma.AuthorsPrior, 20, run.CreateRandom("gate")),
            new PartiallyOnlineGambitts(new BankTreatmentGenerator(world), new AgentOptions { PropensityDraws = 20, OfflineDraws = 10 }, run.CreateRandom("a"), run.CreateRandom("o")), 5);
        var env = new GambitEnvironment(world, run);
        for (int t = 0; t < 50; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = await policy.DecideAsync(x);
            Assert.InRange(d.Propensity, 0.0, 1.0);
            await policy.LearnAsync(x, d, env.Respond(x, d));
        }
    }
}
