using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

/// <summary>The owned-decision and state contract (brief (a)-(e)) for every recourse policy.</summary>
public class PolicyContractTests
{
    public static TheoryData<string> Cases => new()
    {
        "linucb", "glrb", "glrb-global", "glrb-random-guard", "glrb-adversarial-guard", "glrb-logistic", "libra", "llm-only", "uniform",
    };

    private static RecourseEnvironment Environment(string name, ulong seed = 7)
    {
        if (name == "glrb-logistic") return TestWorlds.Logistic(seed);
        INonCompliance? nc = name switch
        {
            "glrb-random-guard" => new RandomNonCompliance(TestWorlds.Hypertension(seed).Problem, 0.5),
            _ => null,
        };
        return TestWorlds.Hypertension(seed, nc).Environment;
    }

    // A fresh policy on its own problem; policySeed seeds every random source it owns (uniform arm, simulated advisor).
    private static IPolicy<double[], RecourseDecision, RecourseOutcome> Build(string name, RecourseEnvironment env, ulong policySeed = 1)
    {
        RecourseProblem problem = env.Problem;
        var cd = new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(2) };
        return name switch
        {
            "linucb" => new LinUcbPolicy(problem),
            "glrb" or "glrb-logistic" => new GlrbPolicy(problem, cd),
            "glrb-global" => new GlrbPolicy(problem, cd with { Solver = OroSolverKind.Global }),
            "glrb-random-guard" => new GlrbPolicy(problem, cd with { Guard = NonComplianceGuard.Random }),
            "glrb-adversarial-guard" => new GlrbPolicy(problem, cd with { Guard = NonComplianceGuard.Adversarial, Epsilon = 0.3 }),
            "libra" => AdvisorGateStage.Libra(new GlrbPolicy(problem, cd), new SimulatedQualityAdvisor(env.Truth, 0.6, Seeds.CreateRandom(policySeed)), new AdvisorGateOptions { Delta = 0 }),
            "llm-only" => AdvisorGateStage.LlmOnly(problem, new SimulatedQualityAdvisor(env.Truth, 0.6, Seeds.CreateRandom(policySeed)), Seeds.CreateRandom(policySeed + 100)),
            "uniform" => new UniformRecoursePolicy(problem, Seeds.CreateRandom(policySeed)),
            _ => throw new ArgumentException(name),
        };
    }

    private static IStateful Stateful(IPolicy<double[], RecourseDecision, RecourseOutcome> policy) => (IStateful)policy;

    private static string Snapshot(IPolicy<double[], RecourseDecision, RecourseOutcome> policy) => PolicyStates.Serialize(Stateful(policy).ExportState());

    private static async Task Drive(IPolicy<double[], RecourseDecision, RecourseOutcome> policy, RecourseEnvironment env, int steps)
    {
        for (int t = 0; t < steps; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = await policy.DecideAsync(x);
            await policy.LearnAsync(x, d, env.Respond(x, d));
        }
    }

    private static void AssertSameDecision(RecourseDecision expected, RecourseDecision actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Arm, actual.Arm);
        Assert.Equal(expected.Recourse.ToArray(), actual.Recourse.ToArray());
        Assert.Equal(expected.Probabilities.ToArray(), actual.Probabilities.ToArray());
        Assert.Equal(expected.Notes, actual.Notes);
        Assert.Equal(expected.ConfidenceWidth, actual.ConfidenceWidth);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task LearningADecisionMadeSeveralCallsAgo_EqualsLearningItAtOnce(string name)
    {
        // Catches a Learn that reads a policy buffer (e.g. the last recourse) instead of the decision's payload.
        RecourseEnvironment env = Environment(name);
        var late = Build(name, env);
        var prompt = Build(name, Environment(name));
        await Drive(late, env, 20);
        await Drive(prompt, Environment(name), 20); // an identically seeded environment: the same history

        double[] x1 = env.NextContext(), x2 = env.NextContext(), x3 = env.NextContext();
        RecourseDecision d1 = await late.DecideAsync(x1);
        RecourseDecision d2 = await late.DecideAsync(x2);
        RecourseDecision d3 = await late.DecideAsync(x3);
        double[] d1Recourse = d1.Recourse.ToArray();
        RecourseOutcome o1 = env.Respond(x1, d1), o2 = env.Respond(x2, d2), o3 = env.Respond(x3, d3);
        await late.LearnAsync(x1, d1, o1);
        await late.LearnAsync(x2, d2, o2);
        await late.LearnAsync(x3, d3, o3);
        Assert.Equal(d1Recourse, d1.Recourse.ToArray()); // the caller's decision was not changed by later calls

        AssertSameDecision(d1, await prompt.DecideAsync(x1));
        await prompt.LearnAsync(x1, d1, o1);
        await prompt.DecideAsync(x2);
        await prompt.LearnAsync(x2, d2, o2);
        await prompt.DecideAsync(x3);
        await prompt.LearnAsync(x3, d3, o3);
        Assert.Equal(Snapshot(late), Snapshot(prompt));
    }

    [Theory]
    [InlineData("linucb")]
    [InlineData("glrb")]
    public async Task IdentityLink_DecideTwice_LearnInReverseOrder_MatchesInOrder_WithinRounding(string name)
    {
        RecourseEnvironment env = Environment(name);
        var reversed = Build(name, env);
        var inOrder = Build(name, Environment(name));
        var x = new double[2][];
        var d = new RecourseDecision[2];
        var o = new RecourseOutcome[2];
        for (int round = 0; round < 30; round++)
        {
            for (int i = 0; i < 2; i++)
            {
                x[i] = env.NextContext();
                d[i] = await reversed.DecideAsync(x[i]);
                Assert.Equal(d[i].Arm, (await inOrder.DecideAsync(x[i])).Arm);
            }
            for (int i = 0; i < 2; i++) o[i] = env.Respond(x[i], d[i]);
            await reversed.LearnAsync(x[1], d[1], o[1]);
            await reversed.LearnAsync(x[0], d[0], o[0]);
            await inOrder.LearnAsync(x[0], d[0], o[0]);
            await inOrder.LearnAsync(x[1], d[1], o[1]);
        }
        IReadOnlyList<GlmArm> a = reversed is GlrbPolicy g1 ? g1.Arms : ((LinUcbPolicy)reversed).Arms;
        IReadOnlyList<GlmArm> b = inOrder is GlrbPolicy g2 ? g2.Arms : ((LinUcbPolicy)inOrder).Arms;
        for (int arm = 0; arm < a.Count; arm++)
        {
            Assert.Equal(b[arm].Count, a[arm].Count);
            for (int i = 0; i < a[arm].Theta.Length; i++) Assert.True(Math.Abs(a[arm].Theta[i] - b[arm].Theta[i]) < 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Snapshot_RestoredIntoAFreshInstance_ThroughJson_DecidesAndLearnsIdentically(string name)
    {
        RecourseEnvironment env = Environment(name);
        var original = Build(name, env);
        await Drive(original, env, 60);
        RecourseDecision pending = await original.DecideAsync(env.NextContext()); // a pending id travels too

        PolicyState restoredState = PolicyStates.Deserialize(PolicyStates.Serialize(Stateful(original).ExportState()));
        var copy = Build(name, Environment(name), policySeed: 99); // other random sources: the snapshot must set them
        Stateful(copy).ImportState(restoredState);
        Assert.Equal(Snapshot(original), Snapshot(copy));

        for (int t = 0; t < 100; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision a = await original.DecideAsync(x);
            RecourseDecision b = await copy.DecideAsync(x);
            AssertSameDecision(a, b);
            RecourseOutcome o = env.Respond(x, a);
            await original.LearnAsync(x, a, o);
            await copy.LearnAsync(x, b, o);
        }
        Assert.Equal(Snapshot(original), Snapshot(copy));
        Assert.Equal(61, pending.Id.Value);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ForeignSnapshots_AreRefused_NamingTheMismatch_AndChangeNothing(string name)
    {
        RecourseEnvironment env = Environment(name);
        var policy = Build(name, env);
        await Drive(policy, env, 15);
        string before = Snapshot(policy);
        PolicyState own = Stateful(policy).ExportState();

        // Another kind.
        PolicyState other = name == "uniform"
            ? new LinUcbPolicy(env.Problem).ExportState()
            : new UniformRecoursePolicy(env.Problem, Seeds.CreateRandom(1)).ExportState();
        Assert.Contains("state was expected", Assert.Throws<PolicyStateException>(() => Stateful(policy).ImportState(other)).Message);
        // Another version.
        Assert.Contains("format version 99", Assert.Throws<PolicyStateException>(() => Stateful(policy).ImportState(own with { Version = 99 })).Message);
        // Other dimensions: the same policy on a synthetic problem (d = 5, K = 3).
        var small = TestWorlds.Synthetic(d: 5, k: 3).Environment;
        var smallPolicy = Build(name == "glrb-logistic" ? "glrb" : name, small);
        var ex = Assert.Throws<PolicyStateException>(() => Stateful(policy).ImportState(Stateful(smallPolicy).ExportState()));
        Assert.Matches("dimension|arms|options|Δ|mutable", ex.Message);
        // Truncated JSON.
        string json = PolicyStates.Serialize(own);
        Assert.Throws<PolicyStateException>(() => PolicyStates.Deserialize(json[..(json.Length / 2)]));

        Assert.Equal(before, Snapshot(policy));
    }

    [Theory]
    [InlineData("glrb")]
    [InlineData("linucb")]
    [InlineData("libra")]
    public async Task ASnapshotBadOnlyInItsLastArm_IsRefused_BeforeAnyArmChanges(string name)
    {
        // Catches an import that applies arm by arm and throws half-way.
        RecourseEnvironment env = Environment(name);
        var policy = Build(name, env);
        await Drive(policy, env, 30);
        string before = Snapshot(policy);
        JsonNode root = JsonNode.Parse(before)!;
        JsonNode data = name == "libra" ? root["data"]!["inner"]!["data"]! : root["data"]!;
        JsonArray models = data["models"]!.AsArray();
        models[models.Count - 1]!["theta"]![0] = "NaN";
        PolicyState corrupt = PolicyStates.Deserialize(root.ToJsonString());
        var ex = Assert.Throws<PolicyStateException>(() => Stateful(policy).ImportState(corrupt));
        Assert.Contains("finite", ex.Message);
        Assert.Equal(before, Snapshot(policy));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task UnknownOrTwiceLearnedDecisions_AreRefused_AndChangeNothing(string name)
    {
        RecourseEnvironment env = Environment(name);
        var policy = Build(name, env);
        await Drive(policy, env, 10);
        double[] x = env.NextContext();
        RecourseDecision d = await policy.DecideAsync(x);
        RecourseOutcome o = env.Respond(x, d);
        await policy.LearnAsync(x, d, o);
        string before = Snapshot(policy);

        await Assert.ThrowsAsync<UnknownDecisionException>(async () => await policy.LearnAsync(x, d, o));
        await Assert.ThrowsAsync<UnknownDecisionException>(async () => await policy.LearnAsync(x, d with { Id = new DecisionId(999) }, o));
        await Assert.ThrowsAsync<UnknownDecisionException>(async () => await policy.LearnAsync(x, d with { Id = new DecisionId(0) }, o));
        Assert.Equal(before, Snapshot(policy));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SameSeed_SameDecisions(string name)
    {
        RecourseEnvironment e1 = Environment(name, 3), e2 = Environment(name, 3);
        var a = Build(name, e1, 5);
        var b = Build(name, e2, 5);
        for (int t = 0; t < 80; t++)
        {
            double[] x1 = e1.NextContext(), x2 = e2.NextContext();
            Assert.Equal(x1, x2);
            RecourseDecision da = await a.DecideAsync(x1), db = await b.DecideAsync(x2);
            AssertSameDecision(da, db);
            RecourseOutcome oa = e1.Respond(x1, da), ob = e2.Respond(x2, db);
            Assert.Equal(oa.Reward, ob.Reward);
            await a.LearnAsync(x1, da, oa);
            await b.LearnAsync(x2, db, ob);
        }
    }

    [Fact]
    public async Task Probabilities_OneHotForBandits_UniformForUniform_UnknownForFollowedAdvice()
    {
        RecourseEnvironment env = Environment("libra");
        double[] x = env.NextContext();
        RecourseDecision glrb = await Build("glrb", env).DecideAsync(x);
        Assert.Equal(1.0, glrb.Propensity);
        Assert.True(glrb.Notes.Contains(DecisionNotes.Deterministic));
        RecourseDecision uniform = await Build("uniform", env).DecideAsync(x);
        Assert.Equal(0.5, uniform.Propensity); // K = 2
        Assert.Equal(double.PositiveInfinity, uniform.ConfidenceWidth);
        Assert.Equal(x, uniform.Recourse.ToArray());
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(env.Problem), new ScriptedAdvisor(r => Advice.Give(1, [r.Context[6] + 0.5, r.Context[7]])), new AdvisorGateOptions { Delta = 0 });
        RecourseDecision advised = await libra.DecideAsync(x);
        Assert.Equal(1, advised.Arm);
        Assert.True(double.IsNaN(advised.Propensity));
        Assert.True(advised.Notes.Contains(DecisionNotes.PropensityUnknownAdvice));
        Assert.False(advised.Notes.Contains(DecisionNotes.Deterministic));
    }

    [Fact]
    public async Task Gate_WorksOverAnyPolicyWithAWidth_AndTheInnerPolicyLearnsTheAdvisedArm()
    {
        // The gate over LinUCB (width 2α‖x‖): with Δ = 0 every decision is the advisor's, under LinUCB's id.
        RecourseEnvironment env = Environment("linucb");
        var inner = new LinUcbPolicy(env.Problem);
        var gate = new AdvisorGateStage(inner, env.Problem, new ScriptedAdvisor(r => Advice.Give(1, [r.Context[6], r.Context[7]])), new AdvisorGateOptions { Delta = 0 });
        for (int t = 0; t < 5; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = await gate.DecideAsync(x);
            Assert.Equal(1, d.Arm);
            Assert.Equal(t + 1, d.Id.Value);
            await gate.LearnAsync(x, d, env.Respond(x, d));
        }
        Assert.Equal(5, inner.Arms[1].Count);
        Assert.Equal(0, inner.Arms[0].Count);
        Assert.Equal("LinUCB+advisor", gate.Name);
    }

    [Fact]
    public void WritePayload_WritesTheRecourseAndTheWidth_NonFiniteAsNull()
    {
        var d = TestWorlds.Decision(1, [1.5, double.NaN]) with { ConfidenceWidth = double.PositiveInfinity };
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            d.WritePayload(writer);
            writer.WriteEndObject();
        }
        Assert.Equal("""{"recourse":[1.5,null],"confidenceWidth":null}""", System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
