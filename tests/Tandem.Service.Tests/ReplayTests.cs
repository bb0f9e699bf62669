using System.Text.Json;
using Tandem.Service.Studies;

namespace Tandem.Service.Tests;

public sealed class ReplayTests
{
    private const string StdTs = """{"id":"ts","kind":"stdts","arms":["calm","upbeat","none"],"options":{"seed":42,"contexts":["home","work"],"propensityDraws":20}}""";

    [Fact]
    public async Task State_EqualsAnIndependentReplayOfTheLog_WithOutOfOrderRewards_AndAfterARestartFromASnapshot()
    {
        var options = new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 7 } };
        await using var service = await TestService.StartAsync(options);
        string key = await service.CreateStudyAsync(StdTs);
        var client = service.ClientWith(key);
        var rng = new Random(3);
        var ids = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            var d = await client.PostAsync("/v1/studies/ts/decisions", $$"""{"context":"{{(i % 3 == 0 ? "work" : "home")}}"}""");
            ids.Add(d.Body.GetProperty("decisionId").GetString()!);
            if (i % 4 == 3)
            {
                // Reward an earlier decision, out of order; a few stay pending.
                string id = ids[rng.Next(ids.Count)];
                await client.PostAsync("/v1/studies/ts/rewards", $$"""{"decisionId":"{{id}}","reward":{{rng.Next(100)}}}""");
            }
        }
        string live = (await client.GetAsync2("/v1/studies/ts/snapshot")).Text;
        Assert.Equal(await IndependentReplay.StdTsAsync(service.Data, "ts", ["home", "work"], 3, 42, 20), live);

        await service.RestartAsync();
        client = service.ClientWith(key);
        var status = await client.GetAsync2("/v1/studies/ts");
        Assert.True(status.Body.GetProperty("snapshotEvent").GetInt64() > 0); // startup began from a snapshot, not from event 1
        Assert.Equal(live, (await client.GetAsync2("/v1/studies/ts/snapshot")).Text);
    }

    [Fact]
    public async Task Glrb_LearnsFromTheRealizedContextWhenGiven_AndARestartReproducesIt()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 4 } });
        string spec = """{"id":"g","kind":"glrb","arms":["a","b"],"features":["age","diet"],"options":{"mutable":["diet"],"gamma":0.5}}""";
        string key = await service.CreateStudyAsync(spec);
        var client = service.ClientWith(key);
        var other = service.ClientWith(await service.CreateStudyAsync(spec.Replace("\"g\"", "\"h\"")));
        for (int i = 0; i < 10; i++)
        {
            string body = $$"""{"context":[{{i % 3}},{{i % 2}}]}""";
            var d = await client.PostAsync("/v1/studies/g/decisions", body);
            await other.PostAsync("/v1/studies/h/decisions", body);
            Assert.Contains("recourse-recommended", d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
            // Study g's patients did not follow the recourse (diet unchanged); study h's did (no realizedContext).
            string realized = $$"""[{{i % 3}},{{i % 2}}]""";
            Assert.Equal(200, (await client.PostAsync("/v1/studies/g/rewards", $$"""{"decisionId":"{{i + 1}}","reward":{{i}},"realizedContext":{{realized}}}""")).Status);
            Assert.Equal(200, (await other.PostAsync("/v1/studies/h/rewards", $$"""{"decisionId":"{{i + 1}}","reward":{{i}}}""")).Status);
        }
        string live = (await client.GetAsync2("/v1/studies/g/snapshot")).Text;
        Assert.NotEqual(live, (await other.GetAsync2("/v1/studies/h/snapshot")).Text.Replace("\"h\"", "\"g\"")); // the realized context was learned
        await service.RestartAsync();
        Assert.Equal(live, (await service.ClientWith(key).GetAsync2("/v1/studies/g/snapshot")).Text);
    }

    [Fact]
    public async Task SameSeed_SameRequests_GiveTheSameDecisions_WithOrWithoutARestartBetween()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 3 } });
        var a = service.ClientWith(await service.CreateStudyAsync(StdTs));
        string keyB = await service.CreateStudyAsync(StdTs.Replace("\"ts\"", "\"ts2\""));
        var b = service.ClientWith(keyB);
        var fromA = new List<string>();
        var fromB = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            if (i == 6)
            {
                await service.RestartAsync();
                a = service.ClientWith(TestService.AdminKeyText);
                b = service.ClientWith(keyB);
            }
            string context = i % 2 == 0 ? "home" : "work";
            var da = await a.PostAsync("/v1/studies/ts/decisions", $$"""{"context":"{{context}}"}""");
            var db = await b.PostAsync("/v1/studies/ts2/decisions", $$"""{"context":"{{context}}"}""");
            fromA.Add(Strip(da.Body));
            fromB.Add(Strip(db.Body));
            await a.PostAsync("/v1/studies/ts/rewards", $$"""{"decisionId":"{{i + 1}}","reward":{{i * 7 % 11}}}""");
            await b.PostAsync("/v1/studies/ts2/rewards", $$"""{"decisionId":"{{i + 1}}","reward":{{i * 7 % 11}}}""");
        }
        Assert.Equal(fromA, fromB);
        // Thompson sampling drew: the probabilities are not all one-hot, so equality is not trivial.
        Assert.Contains(fromA, s => s.Contains("0.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailedCommit_RefusesTheGroup_AndTheLearnerDoesNotRunAhead()
    {
        using var store = new FailingStore(new Storage.SqliteStudyStore(TestService.NewFolder()));
        await using var host = await OpenLinUcbAsync(store);
        var ok = await host.DecideAsync(new DecideCommand(new[] { 1.0 }, null, null));
        Assert.Null(ok.Error);
        string before = Core.State.PolicyStates.Serialize((await host.ExportAsync()).Value!);

        store.Fail = true;
        var refused = await host.RewardAsync(new RewardCommand("1", 5, default));
        Assert.Equal(503, refused.Error!.Status);
        store.Fail = false;
        Assert.Equal(before, Core.State.PolicyStates.Serialize((await host.ExportAsync()).Value!)); // the reward was not learned
        var accepted = await host.RewardAsync(new RewardCommand("1", 5, default));
        Assert.Null(accepted.Error); // and can be sent again: it was never committed
        Assert.Equal(1, accepted.Value!.ModelVersion);
    }

    [Fact]
    public async Task FailedCommit_WhoseReloadFailsToo_AnswersUnavailable_UntilTheStoreIsBack()
    {
        // The bug this catches: after a failed commit whose reload also failed, the host went on serving (and learning
        // on) a learner that held the refused reward, with its pending decisions cleared.
        using var store = new FailingStore(new Storage.SqliteStudyStore(TestService.NewFolder()));
        await using var host = await OpenLinUcbAsync(store);
        Assert.Null((await host.DecideAsync(new DecideCommand(new[] { 1.0 }, null, null))).Error);
        string before = Core.State.PolicyStates.Serialize((await host.ExportAsync()).Value!);

        store.Fail = true;
        store.FailReads = true;
        Assert.Equal(503, (await host.RewardAsync(new RewardCommand("1", 5, default))).Error!.Status);
        Assert.Equal(503, (await host.ExportAsync()).Error!.Status); // not the state holding the refused reward
        Assert.Equal(503, (await host.DecideAsync(new DecideCommand(new[] { 1.0 }, null, null))).Error!.Status);

        store.Fail = false;
        store.FailReads = false;
        Assert.Equal(before, Core.State.PolicyStates.Serialize((await host.ExportAsync()).Value!)); // reloaded from the store
        var accepted = await host.RewardAsync(new RewardCommand("1", 5, default)); // decision 1 is pending again
        Assert.Null(accepted.Error);
        Assert.Equal(1, accepted.Value!.ModelVersion);
    }

    // A one-feature, two-arm LinUCB study on a store whose failures the test switches on and off.
    private static async Task<StudyHost> OpenLinUcbAsync(FailingStore store)
    {
        var spec = StudySpec.Parse(JsonDocument.Parse("""{"id":"f","kind":"linucb","arms":["a","b"],"features":["x"]}""").RootElement, () => 1);
        var (_, salt, hash) = Security.ApiKeys.Create();
        var stored = new Storage.StoredStudy("f", "linucb", spec.ToJson(), salt, hash, 1, DateTimeOffset.UnixEpoch);
        await store.CreateStudyAsync(stored);
        return await StudyHost.OpenAsync(stored, store, TimeProvider.System, new WriterOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    private static string Strip(JsonElement decision) =>
        decision.GetProperty("arm").GetInt32() + ":" + decision.GetProperty("probabilities").GetRawText();

    private sealed class FailingStore(Storage.IStudyStore inner) : Storage.IStudyStore
    {
        public bool Fail { get; set; }

        public bool FailReads { get; set; }

        private void Read()
        {
            if (FailReads) throw new IOException("store unreachable (simulated)");
        }

        public Task CreateStudyAsync(Storage.StoredStudy study, CancellationToken cancellationToken = default) => inner.CreateStudyAsync(study, cancellationToken);

        public Task<IReadOnlyList<Storage.StoredStudy>> ListStudiesAsync(CancellationToken cancellationToken = default) => inner.ListStudiesAsync(cancellationToken);

        public Task AppendAsync(string studyId, IReadOnlyList<Storage.StudyEvent> events, Storage.StoredSnapshot? snapshot, CancellationToken cancellationToken = default) =>
            Fail ? throw new IOException("disk full (simulated)") : inner.AppendAsync(studyId, events, snapshot, cancellationToken);

        public Task<Storage.StoredSnapshot?> LoadSnapshotAsync(string studyId, CancellationToken cancellationToken = default)
        {
            Read();
            return inner.LoadSnapshotAsync(studyId, cancellationToken);
        }

        public IAsyncEnumerable<Storage.StudyEvent> ReadEventsAsync(string studyId, long afterSequence, CancellationToken cancellationToken = default) => inner.ReadEventsAsync(studyId, afterSequence, cancellationToken);

        public IAsyncEnumerable<Storage.StudyEvent> ReadPendingDecisionsAsync(string studyId, long atOrBefore, CancellationToken cancellationToken = default) => inner.ReadPendingDecisionsAsync(studyId, atOrBefore, cancellationToken);

        public Task<Storage.StudyIndex> ReadIndexAsync(string studyId, CancellationToken cancellationToken = default)
        {
            Read();
            return inner.ReadIndexAsync(studyId, cancellationToken);
        }

        public Task<Storage.StudyEvent?> ReadDecisionAsync(string studyId, long decisionSequence, CancellationToken cancellationToken = default) => inner.ReadDecisionAsync(studyId, decisionSequence, cancellationToken);

        public Task<IReadOnlyList<Storage.LogRow>> ReadLogAsync(string studyId, long afterDecision, int limit, CancellationToken cancellationToken = default) => inner.ReadLogAsync(studyId, afterDecision, limit, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
