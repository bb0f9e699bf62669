using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Model;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Service.Storage;

namespace Tandem.Service.Tests;

/// <summary>
/// The replay protocol of docs/service.md written again with the library alone (no service type): a fresh policy,
/// then every committed event in commit order: a decision is decided again with the logged context and time after
/// setting the generator to the stream of (seed, decision number), a reward is learned, a restore is imported. Its
/// final state is what the service's learner must equal.
/// </summary>
internal static class IndependentReplay
{
    public static async Task<string> LinUcbAsync(string data, string study, string[] features, int arms, double alpha = 1, double lambda = 1)
    {
        var clock = new Clock();
        var problem = new RecourseProblem(study, [.. features.Select(f => new Feature(f, f, true))], [.. Enumerable.Range(0, arms).Select(a => new Treatment("a" + a, ""))], RecourseNorm.L2, 0);
        var policy = new LinUcbPolicy(problem, new LinUcbOptions { Alpha = alpha, Lambda = lambda }, clock);
        var pending = new Dictionary<long, (double[] Context, RecourseDecision Decision)>();
        using var store = new SqliteStudyStore(data);
        await foreach (StudyEvent e in store.ReadEventsAsync(study, 0))
        {
            using var body = JsonDocument.Parse(e.Body);
            JsonElement root = body.RootElement;
            switch (e.Type)
            {
                case StudyEventType.Decision:
                    double[] context = [.. root.GetProperty("context").EnumerateArray().Select(v => v.GetDouble())];
                    clock.Now = root.GetProperty("time").GetDateTimeOffset();
                    RecourseDecision d = await policy.DecideAsync(context);
                    Assert.Equal(root.GetProperty("arm").GetInt32(), d.Arm);
                    pending[e.DecisionSequence] = (context, d);
                    break;
                case StudyEventType.Reward:
                    var (ctx, decision) = pending[e.DecisionSequence];
                    JsonElement given = root.GetProperty("realizedContext"); // null: as recommended
                    ImmutableArray<double> realized = given.ValueKind == JsonValueKind.Null ? decision.Recourse : [.. given.EnumerateArray().Select(v => v.GetDouble())];
                    await policy.LearnAsync(ctx, decision, new RecourseOutcome(root.GetProperty("reward").GetDouble(), double.NaN, realized));
                    break;
                case StudyEventType.Restore:
                    policy.ImportState(PolicyStates.Deserialize(e.Body));
                    break;
            }
        }
        return PolicyStates.Serialize(policy.ExportState());
    }

    public static async Task<string> StdTsAsync(string data, string study, string[] contexts, int arms, ulong seed, int draws)
    {
        var clock = new Clock();
        var random = new Xoshiro256(seed);
        var space = new ContextSpace(contexts, [], [.. contexts.Select(_ => (IReadOnlyList<double>)[])]);
        var agent = new StandardThompson(space, arms, false, new AgentOptions { PropensityDraws = draws }, random, clock);
        var pending = new Dictionary<long, (GambitContext Context, GambitDecision Decision)>();
        using var store = new SqliteStudyStore(data);
        await foreach (StudyEvent e in store.ReadEventsAsync(study, 0))
        {
            using var body = JsonDocument.Parse(e.Body);
            JsonElement root = body.RootElement;
            if (e.Type == StudyEventType.Decision)
            {
                Assert.True(space.TryParse(root.GetProperty("context").GetString(), out GambitContext context));
                clock.Now = root.GetProperty("time").GetDateTimeOffset();
                random.SetState(new Xoshiro256(Seeds.Derive(seed, e.DecisionSequence)).GetState());
                GambitDecision d = agent.Decide(context);
                Assert.Equal(root.GetProperty("arm").GetInt32(), d.Arm);
                pending[e.DecisionSequence] = (context, d);
            }
            else if (e.Type == StudyEventType.Reward)
            {
                var (context, decision) = pending[e.DecisionSequence];
                agent.Learn(context, decision, new GambitOutcome(root.GetProperty("reward").GetDouble(), double.NaN, [], -1));
            }
        }
        return PolicyStates.Serialize(agent.ExportState());
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
