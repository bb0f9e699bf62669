using System.Text.Json;
using Tandem.Core.State;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Tests;

/// <summary>options.batchSize (docs/hot-studies.md): rewards learned B at a time, a new model version per batch,
/// decisions made from the latest published one, and replay with the same batching.</summary>
public sealed class BatchedStudyTests
{
    private const string LinUcb = """{"id":"hot","kind":"linucb","arms":["a","b","c"],"features":["x","y"],"options":{"batchSize":4}}""";

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("2.5")]
    [InlineData("1000001")]
    [InlineData("\"10\"")]
    public async Task BadBatchSize_Is400NamingTheField(string value)
    {
        await using var service = await TestService.StartAsync();
        var admin = service.ClientWith(TestService.AdminKeyText);
        var response = await admin.PostAsync("/v1/studies", LinUcb.Replace("\"batchSize\":4", "\"batchSize\":" + value));
        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal("options.batchSize", response.Body.GetProperty("field").GetString());
        Assert.Equal(404, (await admin.GetAsync2("/v1/studies/hot")).Status);
    }

    [Fact]
    public async Task DefaultBatchSize_IsNotStoredInTheSpec_AndTheLargestIsAccepted()
    {
        // A study without the option has the spec it always had (no batchSize written), so its stored bytes are unchanged.
        await using var service = await TestService.StartAsync();
        var key = await service.CreateStudyAsync(LinUcb.Replace(",\"options\":{\"batchSize\":4}", ""));
        var status = await service.ClientWith(key).GetAsync2("/v1/studies/hot");
        Assert.False(status.Body.GetProperty("spec").GetProperty("options").TryGetProperty("batchSize", out _));
        var key2 = await service.CreateStudyAsync(LinUcb.Replace("\"hot\"", "\"max\"").Replace("\"batchSize\":4", "\"batchSize\":1000000"));
        var max = await service.ClientWith(key2).GetAsync2("/v1/studies/max");
        Assert.Equal(1_000_000, max.Body.GetProperty("spec").GetProperty("options").GetProperty("batchSize").GetInt32());
    }

    [Fact]
    public async Task LearnsEveryFourRewards_DecisionsCarryTheVersion_AndAfterARestartEqualsAnIndependentBatchedReplay()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 5 } });
        string key = await service.CreateStudyAsync(LinUcb);
        var client = service.ClientWith(key);
        int rewards = 0;
        async Task StepAsync(int i)
        {
            var d = await client.PostAsync("/v1/studies/hot/decisions", $$"""{"context":[{{i % 3}},{{i * 7 % 5}}]}""");
            Assert.Equal(200, d.Status);
            // Every decision is made under the last published version: one per 4 rewards.
            Assert.Equal(rewards / 4, d.Body.GetProperty("modelVersion").GetInt64());
            if (i == 0) return;
            // Reward the previous decision (so one decision is always pending).
            var r = await client.PostAsync("/v1/studies/hot/rewards", $$"""{"decisionId":"{{i}}","reward":{{(i * 13 % 7) / 7.0}}}""");
            Assert.Equal(200, r.Status);
            rewards++;
            Assert.Equal(rewards / 4, r.Body.GetProperty("modelVersion").GetInt64());
            bool completes = rewards % 4 == 0;
            Assert.Equal(completes, r.Body.GetProperty("learned").GetBoolean());
            Assert.Equal(completes ? [] : [StudyHost.QueuedNote], r.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()).ToArray());
        }
        for (int i = 0; i < 22; i++) await StepAsync(i); // 21 rewards: 5 batches learned, 1 queued
        string live = (await client.GetAsync2("/v1/studies/hot/snapshot")).Text;
        Assert.Equal(await BatchedLinUcbReplayAsync(service.Data, "hot", 3, 4), live);

        await service.RestartAsync();
        client = service.ClientWith(key);
        var status = await client.GetAsync2("/v1/studies/hot");
        Assert.True(status.Body.GetProperty("snapshotEvent").GetInt64() > 0); // startup began from a batch-boundary snapshot
        Assert.Equal(5, status.Body.GetProperty("modelVersion").GetInt64());
        Assert.Equal(live, (await client.GetAsync2("/v1/studies/hot/snapshot")).Text);
        // The reward queued before the restart is still queued: three more complete the sixth batch.
        for (int i = 22; i < 26; i++) await StepAsync(i);
        Assert.Equal(25, rewards);
        Assert.Equal(await BatchedLinUcbReplayAsync(service.Data, "hot", 3, 4), (await client.GetAsync2("/v1/studies/hot/snapshot")).Text);
    }

    [Fact]
    public async Task RandomizedLearner_Batched_RestartReproducesTheStateAndTheDecisions()
    {
        const string spec = """{"id":"ts","kind":"stdts","arms":["calm","upbeat","none"],"options":{"seed":5,"contexts":["home","work"],"propensityDraws":20,"batchSize":3}}""";
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 4 } });
        string key = await service.CreateStudyAsync(spec);
        var client = service.ClientWith(key);
        for (int i = 1; i <= 14; i++)
        {
            await client.PostAsync("/v1/studies/ts/decisions", $$"""{"context":"{{(i % 2 == 0 ? "home" : "work")}}"}""");
            if (i % 3 != 0) await client.PostAsync("/v1/studies/ts/rewards", $$"""{"decisionId":"{{i}}","reward":{{i % 5}}}""");
        }
        string live = (await client.GetAsync2("/v1/studies/ts/snapshot")).Text;
        var before = (await client.GetAsync2("/v1/studies/ts")).Body;
        Assert.Equal(9 / 3, before.GetProperty("modelVersion").GetInt64()); // 10 rewards: 3 batches, 1 queued
        await service.RestartAsync();
        client = service.ClientWith(key);
        Assert.Equal(live, (await client.GetAsync2("/v1/studies/ts/snapshot")).Text);
    }

    [Fact]
    public async Task ARestoreWithRewardsQueued_LearnsThemFirst_AndARestartReproducesTheStateAndTheVersion()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 3 } });
        string key = await service.CreateStudyAsync(LinUcb);
        var client = service.ClientWith(key);
        var admin = service.ClientWith(TestService.AdminKeyText);
        for (int i = 1; i <= 7; i++) await client.PostAsync("/v1/studies/hot/decisions", $$"""{"context":[{{i % 2}},{{i % 3}}]}""");
        for (int i = 1; i <= 6; i++) await client.PostAsync("/v1/studies/hot/rewards", $$"""{"decisionId":"{{i}}","reward":{{i % 4}}}""");
        string before = (await client.GetAsync2("/v1/studies/hot/snapshot")).Text; // version 1, two rewards queued
        var restored = await admin.SendAsync(HttpMethod.Put, "/v1/studies/hot/snapshot", before);
        Assert.Equal(200, restored.Status);
        // The queued two are learned first (version 2), then the state is replaced (version 3).
        Assert.Equal(3, restored.Body.GetProperty("modelVersion").GetInt64());
        Assert.Equal(before, (await client.GetAsync2("/v1/studies/hot/snapshot")).Text);
        for (int i = 8; i <= 12; i++)
        {
            await client.PostAsync("/v1/studies/hot/decisions", $$"""{"context":[{{i % 2}},{{i % 3}}]}""");
            await client.PostAsync("/v1/studies/hot/rewards", $$"""{"decisionId":"{{i}}","reward":{{i % 4}}}""");
        }
        string live = (await client.GetAsync2("/v1/studies/hot/snapshot")).Text;
        long version = (await client.GetAsync2("/v1/studies/hot")).Body.GetProperty("modelVersion").GetInt64();
        Assert.Equal(4, version); // five more rewards: one batch of four, one queued
        await service.RestartAsync();
        client = service.ClientWith(key);
        Assert.Equal(live, (await client.GetAsync2("/v1/studies/hot/snapshot")).Text);
        Assert.Equal(version, (await client.GetAsync2("/v1/studies/hot")).Body.GetProperty("modelVersion").GetInt64());
    }

    /// <summary>The batched replay protocol written with the library alone: decide every logged decision again (LinUCB
    /// is deterministic), queue every reward in commit order and learn the queue each time it holds B.</summary>
    private static async Task<string> BatchedLinUcbReplayAsync(string data, string study, int arms, int batch)
    {
        var clock = new ReplayClock();
        var problem = new RecourseProblem(study, [new Feature("x", "x", true), new Feature("y", "y", true)],
            [.. Enumerable.Range(0, arms).Select(a => new Treatment("a" + a, ""))], RecourseNorm.L2, 0);
        var policy = new LinUcbPolicy(problem, new LinUcbOptions(), clock);
        var pending = new Dictionary<long, (double[] Context, RecourseDecision Decision)>();
        var queue = new List<(double[] Context, RecourseDecision Decision, double Reward)>();
        using var store = new SqliteStudyStore(data);
        await foreach (StudyEvent e in store.ReadEventsAsync(study, 0))
        {
            using var body = JsonDocument.Parse(e.Body);
            JsonElement root = body.RootElement;
            if (e.Type == StudyEventType.Decision)
            {
                double[] context = [.. root.GetProperty("context").EnumerateArray().Select(v => v.GetDouble())];
                clock.Now = root.GetProperty("time").GetDateTimeOffset();
                RecourseDecision d = await policy.DecideAsync(context);
                Assert.Equal(root.GetProperty("arm").GetInt32(), d.Arm);
                pending[e.DecisionSequence] = (context, d);
            }
            else if (e.Type == StudyEventType.Reward)
            {
                var (context, decision) = pending[e.DecisionSequence];
                queue.Add((context, decision, root.GetProperty("reward").GetDouble()));
                if (queue.Count < batch) continue;
                foreach (var (c, d, r) in queue) await policy.LearnAsync(c, d, new RecourseOutcome(r, double.NaN, d.Recourse));
                queue.Clear();
            }
        }
        return PolicyStates.Serialize(policy.ExportState());
    }

    private sealed class ReplayClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
