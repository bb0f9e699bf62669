using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Agents;

public class PropensityTests
{
    public static TheoryData<string> Agents()
    {
        var data = new TheoryData<string>();
        foreach (Tandem.Gambit.Experiments.AgentSpec a in Tandem.Gambit.Experiments.AgentCatalog.All) data.Add(a.Id);
        return data;
    }

    private static GambitAgent Build(string id, GambitWorld world, AgentOptions options, RunContext run) =>
        Tandem.Gambit.Experiments.AgentCatalog.Find(id)!.Create(world, run, options);

    private static AgentOptions SmallEnsemble => new()
    {
        PropensityDraws = 50, EnsembleMembers = 8, EnsembleHidden = 8, EnsembleBatch = 16, EnsembleBurnIn = 10, MonteCarloDraws = 10, OfflineDraws = 20,
    };

    /// <summary>Teach an agent for a few steps so its posterior is not the prior, then freeze it.</summary>
    private static (GambitAgent Agent, GambitContext Context) Trained(string id, int steps)
    {
        GambitWorld world = TestWorlds.Illustrative();
        var run = new RunContext(0, 77);
        GambitAgent agent = Build(id, world, SmallEnsemble, run);
        var env = new GambitEnvironment(world, run);
        for (int t = 0; t < steps; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = agent.Decide(x);
            agent.Learn(x, d, env.Respond(x, d));
        }
        return (agent, GambitContext.Of(Location.Work, 2));
    }

    [Theory]
    [MemberData(nameof(Agents))]
    public void Propensities_SumToOne_AndMatchTheEmpiricalFrequencyOfTheAgentsOwnChoices(string id)
    {
        var (agent, context) = Trained(id, 12);
        const int decisions = 3000;
        var chosen = new double[agent.ArmCount];
        var meanPropensity = new double[agent.ArmCount];
        for (int i = 0; i < decisions; i++)
        {
            GambitDecision d = agent.Decide(context);
            ReadOnlySpan<double> p = d.Probabilities.AsSpan();
            Assert.Equal(agent.ArmCount, p.Length);
            Assert.Equal(1.0, p.ToArray().Sum(), 12);
            Assert.Equal(p[d.Arm], d.Propensity);
            Assert.InRange(d.Propensity, 0, 1); // 0 is possible: the estimate excludes the deciding draw
            chosen[d.Arm]++;
            for (int a = 0; a < p.Length; a++) meanPropensity[a] += p[a] / decisions;
        }
        // Frequency of own choices vs mean stated propensity: within 5 binomial sds (≤ 0.046) + 0.01.
        for (int a = 0; a < agent.ArmCount; a++)
        {
            double tolerance = 5 * Math.Sqrt(0.25 / decisions) + 0.01;
            Assert.InRange(chosen[a] / decisions - meanPropensity[a], -tolerance, tolerance);
        }
    }

    [Fact]
    public void EnsembleBurnIn_IsUniform_WithExactPropensities()
    {
        var (agent, context) = Trained("ens-po", 0);
        GambitDecision d = agent.Decide(context);
        Assert.All(d.Probabilities, p => Assert.Equal(1.0 / agent.ArmCount, p, 15));
    }

    [Fact]
    public void ZeroPropensityDraws_StatesNaN()
    {
        GambitWorld world = TestWorlds.Illustrative();
        var agent = new StandardThompson(world.Contexts, world.PromptCount, false, new AgentOptions { PropensityDraws = 0 }, TestWorlds.Rng(1));
        Assert.True(double.IsNaN(agent.Decide(new GambitContext(0)).Propensity));
    }

    [Fact]
    public void EstimatedPropensities_SayHowManyDraws_InTheDecisionAndItsLoggedPayload()
    {
        // Off-policy evaluation reports the Monte Carlo noise of logged propensities from this number (issue 17).
        GambitWorld world = TestWorlds.Illustrative();
        var agent = new StandardThompson(world.Contexts, world.PromptCount, false, new AgentOptions { PropensityDraws = 37 }, TestWorlds.Rng(1));
        GambitDecision d = agent.Decide(new GambitContext(0));

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            d.WritePayload(writer);
            writer.WriteEndObject();
        }
        using var payload = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);

        Assert.Equal(37, d.PropensityDraws);
        Assert.Equal(37, payload.RootElement.GetProperty("propensityDraws").GetInt32());
        Assert.Equal(0, new StandardThompson(world.Contexts, world.PromptCount, false, new AgentOptions { PropensityDraws = 0 }, TestWorlds.Rng(1))
            .Decide(new GambitContext(0)).PropensityDraws);
    }
}
