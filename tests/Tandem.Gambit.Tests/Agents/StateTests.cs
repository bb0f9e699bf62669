using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Running;
using Tandem.Core.State;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Agents;

/// <summary>The brief's (a)–(e) for every GAMBITTS policy: learning from the decision's payload, snapshots that
/// restore bit for bit (also through JSON), refused snapshots and decisions that change nothing, same seed ⇒ same numbers.</summary>
public class StateTests
{
    public static TheoryData<string> Policies => new() { "stdts", "stdts-contextual", "po", "fo", "blended", "ens-po", "ens-fo", "optional" };

    /// <summary>Agents whose updates commute (conjugate posteriors, no randomness in Learn).</summary>
    public static TheoryData<string> Commuting => new() { "stdts", "stdts-contextual", "po", "fo", "blended", "optional" };

    private static readonly AgentOptions Small = new()
    {
        PropensityDraws = 10, EnsembleMembers = 4, EnsembleHidden = 8, EnsembleBatch = 8, EnsembleBuffer = 16, EnsembleBurnIn = 10,
        MonteCarloDraws = 5, OfflineDraws = 8,
    };

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
    }

    private static GambitWorld World(int k = 5, bool threeD = false) => threeD
        ? GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.ThreeDWithContext(), [StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity], k, allowNoMessage: true)
        : GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], k, allowNoMessage: true);

    private static IPolicy<GambitContext, GambitDecision, GambitOutcome> Build(string id, GambitWorld world, ulong seed, AgentOptions? options = null)
    {
        var run = new RunContext(0, seed);
        var o = options ?? Small;
        var time = new FixedTime();
        return id switch
        {
            "stdts" => new StandardThompson(world.Contexts, world.PromptCount, false, o, run.CreateRandom("a"), time),
            "stdts-contextual" => new StandardThompson(world.Contexts, world.PromptCount, true, o, run.CreateRandom("a"), time),
            "po" => new PartiallyOnlineGambitts(new BankTreatmentGenerator(world), o, run.CreateRandom("a"), run.CreateRandom("o"), time),
            "fo" => new FullyOnlineGambitts(world.Contexts, world.PromptCount, world.EmbeddingDimension, o, run.CreateRandom("a"), time),
            "blended" => FullyOnlineGambitts.Blended(new BankTreatmentGenerator(world), o, run.CreateRandom("a"), run.CreateRandom("o"), time),
            "ens-po" => EnsembleGambitts.PartiallyOnline(new BankTreatmentGenerator(world), o, run.CreateRandom("a"), run.CreateRandom("o"), time),
            "ens-fo" => EnsembleGambitts.FullyOnline(world.Contexts, world.PromptCount, world.EmbeddingDimension, o, run.CreateRandom("a"), time),
            _ => new OptionalPrompting(new ThompsonSendGate(world.Contexts, NormalInverseGamma.AuthorsPrior, 10, run.CreateRandom("gate")),
                new PartiallyOnlineGambitts(new BankTreatmentGenerator(world), o, run.CreateRandom("a"), run.CreateRandom("o"), time), world.PromptCount, time),
        };
    }

    private static IStateful S(IPolicy<GambitContext, GambitDecision, GambitOutcome> policy) => (IStateful)policy;

    private static string Json(IPolicy<GambitContext, GambitDecision, GambitOutcome> policy) => PolicyStates.Serialize(S(policy).ExportState());

    private static async Task Teach(IPolicy<GambitContext, GambitDecision, GambitOutcome> policy, GambitEnvironment env, int steps)
    {
        for (int t = 0; t < steps; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = await policy.DecideAsync(x);
            await policy.LearnAsync(x, d, env.Respond(x, d));
        }
    }

    private static GambitOutcome OutcomeOf(GambitWorld world, GambitContext x, GambitDecision d, ulong seed) =>
        new GambitEnvironment(world, new RunContext(0, seed)).Respond(x, d);

    /// <summary>The state without what legitimately differs (random streams, issuers; for ensembles whatever the
    /// perturbation draws feed: targets, networks, optimizers), as JSON.</summary>
    private static JsonNode Model(IPolicy<GambitContext, GambitDecision, GambitOutcome> policy, bool ensemble)
    {
        JsonNode node = JsonNode.Parse(Json(policy))!;
        string[] drop = ensemble ? ["random", "issuer", "members", "optimizers", "targets"] : ["random", "issuer"];
        Strip(node, drop);
        return node;
    }

    private static void Strip(JsonNode? node, string[] names)
    {
        if (node is JsonObject obj)
        {
            foreach (string name in names) obj.Remove(name);
            foreach (var kv in obj.ToList()) Strip(kv.Value, names);
        }
        else if (node is JsonArray array)
        {
            foreach (JsonNode? item in array) Strip(item, names);
        }
    }

    private static void AssertClose(JsonNode? expected, JsonNode? actual, double tolerance, string path = "$")
    {
        switch (expected)
        {
            case JsonObject eo:
                var ao = Assert.IsType<JsonObject>(actual);
                Assert.Equal(eo.Select(p => p.Key).Order(), ao.Select(p => p.Key).Order());
                foreach (var kv in eo) AssertClose(kv.Value, ao[kv.Key], tolerance, path + "." + kv.Key);
                break;
            case JsonArray ea:
                var aa = Assert.IsType<JsonArray>(actual);
                Assert.Equal(ea.Count, aa.Count);
                for (int i = 0; i < ea.Count; i++) AssertClose(ea[i], aa[i], tolerance, $"{path}[{i}]");
                break;
            case JsonValue ev when ev.GetValueKind() == JsonValueKind.Number:
                double e = ev.GetValue<double>(), a = actual!.GetValue<double>();
                Assert.True(Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e)), $"{path}: {e} vs {a}");
                break;
            default:
                Assert.Equal(expected?.ToJsonString(), actual?.ToJsonString());
                break;
        }
    }

    // (a) Learning from the decision's payload: a decision learned several calls later equals one learned at once.
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task LearningADecisionMadeSeveralCallsAgo_EqualsLearningItAtOnce(string id)
    {
        GambitWorld world = World();
        GambitContext x1 = new(0), x2 = new(5), x3 = new(11);
        var late = Build(id, world, 7);
        var once = Build(id, world, 7);
        GambitDecision d1 = await late.DecideAsync(x1);
        await late.DecideAsync(x2);
        await late.DecideAsync(x3);
        GambitDecision e1 = await once.DecideAsync(x1);
        Assert.Equal(d1.Arm, e1.Arm);
        GambitOutcome o1 = OutcomeOf(world, x1, d1, 3);
        await late.LearnAsync(x1, d1, o1);
        await once.LearnAsync(x1, e1, o1);
        bool ensemble = id.StartsWith("ens", StringComparison.Ordinal);
        AssertClose(Model(once, ensemble), Model(late, ensemble), 0);
    }

    // (a) Order independence where the updates commute: decide twice, learn in reverse order.
    [Theory]
    [MemberData(nameof(Commuting))]
    public async Task LearningInReverseOrder_EqualsLearningInOrder(string id)
    {
        GambitWorld world = World();
        GambitContext x1 = new(2), x2 = new(9);
        var reverse = Build(id, world, 8);
        var inOrder = Build(id, world, 8);
        await Teach(reverse, new GambitEnvironment(world, new RunContext(0, 1)), 5);
        await Teach(inOrder, new GambitEnvironment(world, new RunContext(0, 1)), 5);
        GambitDecision d1 = await reverse.DecideAsync(x1), d2 = await reverse.DecideAsync(x2);
        GambitDecision e1 = await inOrder.DecideAsync(x1), e2 = await inOrder.DecideAsync(x2);
        GambitOutcome o1 = OutcomeOf(world, x1, d1, 4), o2 = OutcomeOf(world, x2, d2, 5);
        await reverse.LearnAsync(x2, d2, o2);
        await reverse.LearnAsync(x1, d1, o1);
        await inOrder.LearnAsync(x1, e1, o1);
        await inOrder.LearnAsync(x2, e2, o2);
        AssertClose(Model(inOrder, false), Model(reverse, false), 1e-9);
    }

    // (b) Snapshot → restore into a fresh instance (other seeds) → the next 100 decisions and learns are identical.
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task Snapshot_RestoredIntoAFreshInstance_ContinuesIdentically_AlsoThroughJson(string id)
    {
        GambitWorld world = World();
        var original = Build(id, world, 11);
        await Teach(original, new GambitEnvironment(world, new RunContext(0, 2)), 30);
        PolicyState snapshot = S(original).ExportState();
        var restored = Build(id, world, 999);
        S(restored).ImportState(snapshot);
        var fromJson = Build(id, world, 1234);
        S(fromJson).ImportState(PolicyStates.Deserialize(PolicyStates.Serialize(snapshot)));
        Assert.Equal(Json(original), Json(restored));
        Assert.Equal(Json(original), Json(fromJson));

        var env = new GambitEnvironment(world, new RunContext(0, 3));
        for (int t = 0; t < 100; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision a = await original.DecideAsync(x), b = await restored.DecideAsync(x), c = await fromJson.DecideAsync(x);
            foreach (GambitDecision other in new[] { b, c })
            {
                Assert.Equal(a.Id, other.Id);
                Assert.Equal(a.Arm, other.Arm);
                Assert.Equal(a.Probabilities.ToArray(), other.Probabilities.ToArray());
                Assert.Equal(a.Notes, other.Notes);
                Assert.Equal(a.Send, other.Send);
            }
            GambitOutcome o = env.Respond(x, a);
            await original.LearnAsync(x, a, o);
            await restored.LearnAsync(x, b, o);
            await fromJson.LearnAsync(x, c, o);
        }
        Assert.Equal(Json(original), Json(restored));
        Assert.Equal(Json(original), Json(fromJson));
    }

    private static void AssertRefused(IPolicy<GambitContext, GambitDecision, GambitOutcome> policy, PolicyState state, string expectedInMessage)
    {
        string before = Json(policy);
        var ex = Assert.Throws<PolicyStateException>(() => S(policy).ImportState(state));
        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Json(policy));
    }

    private static PolicyState Edit(PolicyState state, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(state.Data.GetRawText())!.AsObject();
        edit(node);
        return state with { Data = JsonSerializer.SerializeToElement(node) };
    }

    // (c) Snapshots of another kind, version, K, embedding dimension or options, and broken data, are refused; nothing changes.
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task MismatchedSnapshots_AreRefused_NamingTheMismatch_AndChangeNothing(string id)
    {
        GambitWorld world = World();
        var policy = Build(id, world, 21);
        await Teach(policy, new GambitEnvironment(world, new RunContext(0, 4)), 15);
        PolicyState own = S(policy).ExportState();

        var otherKind = Build(id == "stdts" ? "fo" : "stdts", world, 21);
        AssertRefused(policy, S(otherKind).ExportState(), "state was expected");
        AssertRefused(policy, own with { Version = own.Version + 1 }, "version");

        var otherK = Build(id, World(k: 3), 21);
        await Teach(otherK, new GambitEnvironment(World(k: 3), new RunContext(0, 4)), 3);
        AssertRefused(policy, S(otherK).ExportState(), "K = 5");

        // A snapshot of an agent over another context space (same K, same options) is refused.
        var otherSpace = Build(id, GambitWorld.Create(TestWorlds.ThreeContextBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 5, allowNoMessage: true), 21);
        AssertRefused(policy, S(otherSpace).ExportState(), "space of 3 context(s)");

        if (id is "po" or "fo" or "blended" or "ens-po" or "ens-fo")
        {
            var otherD = Build(id, World(threeD: true), 21);
            AssertRefused(policy, S(otherD).ExportState(), id.StartsWith("ens", StringComparison.Ordinal) ? "layer widths" : "coefficients");
        }
        if (id != "optional")
        {
            var otherOptions = Build(id, world, 21, Small with { PropensityDraws = 11 });
            AssertRefused(policy, S(otherOptions).ExportState(), "options");
            AssertRefused(policy, Edit(own, o => o["random"] = new JsonArray(0, 0, 0, 0)), "all zero");
            AssertRefused(policy, Edit(own, o => o["issuer"]!["next"] = 0), "next decision id");
        }
        else
        {
            AssertRefused(policy, Edit(own, o => o["promptCount"] = 4), "K = 5");
        }

        string json = PolicyStates.Serialize(own);
        var truncated = Assert.Throws<PolicyStateException>(() => PolicyStates.Deserialize(json[..(json.Length / 2)]));
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stdts", "posterior 0")]
    [InlineData("po", "reward model covariance")]
    [InlineData("fo", "reward model covariance")]
    [InlineData("ens-fo", "network parameters")]
    public async Task NonFiniteModelValues_AreRefused_AndChangeNothing(string id, string expected)
    {
        GambitWorld world = World();
        var policy = Build(id, world, 22);
        await Teach(policy, new GambitEnvironment(world, new RunContext(0, 5)), 12);
        PolicyState own = S(policy).ExportState();
        PolicyState broken = Edit(own, o =>
        {
            JsonObject model = o["model"]!.AsObject();
            switch (id)
            {
                case "stdts": model["cells"]![0]!["mean"] = "NaN"; break;
                case "ens-fo": model["members"]![0]!["parameters"]![3] = "Infinity"; break;
                default: model["reward"]!["covariance"]![0] = "NaN"; break;
            }
        });
        AssertRefused(policy, broken, expected);
    }

    // (d) An id never issued, or one learned twice, is refused and changes nothing.
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task UnknownOrTwiceLearnedDecisions_AreRefused_AndChangeNothing(string id)
    {
        GambitWorld world = World();
        var policy = Build(id, world, 31);
        var env = new GambitEnvironment(world, new RunContext(0, 6));
        GambitContext x = env.NextContext();
        GambitDecision d = await policy.DecideAsync(x);
        GambitOutcome o = env.Respond(x, d);
        await policy.LearnAsync(x, d, o);

        string before = Json(policy);
        await Assert.ThrowsAsync<UnknownDecisionException>(async () => await policy.LearnAsync(x, d, o));
        Assert.Equal(before, Json(policy));
        GambitDecision never = d with { Id = new DecisionId(d.Id.Value + 50) };
        await Assert.ThrowsAsync<UnknownDecisionException>(async () => await policy.LearnAsync(x, never, o));
        Assert.Equal(before, Json(policy));
    }

    // (e) Same seed ⇒ same numbers; another seed ⇒ other numbers.
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task SameSeed_SameNumbers(string id)
    {
        GambitWorld world = World();
        var a = Build(id, world, 41);
        var b = Build(id, world, 41);
        var c = Build(id, world, 42);
        var ea = new GambitEnvironment(world, new RunContext(0, 7));
        var eb = new GambitEnvironment(world, new RunContext(0, 7));
        await Teach(a, ea, 40);
        await Teach(b, eb, 40);
        await Teach(c, new GambitEnvironment(world, new RunContext(0, 7)), 40);
        Assert.Equal(Json(a), Json(b));
        Assert.NotEqual(Json(a), Json(c));
    }
}
