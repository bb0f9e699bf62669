using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Service.Storage;

namespace Tandem.Service.Orleans.Tests;

/// <summary>Issue 19 §3 in the cluster: a batched study's decisions are made by stateless workers from the latest
/// published snapshot, committed by the study grain before they are acknowledged; rewards are learned by the study grain
/// B at a time; a killed owner loses nothing acknowledged and the reactivated study equals a batched replay of its log.</summary>
public sealed class HotStudyTests
{
    private const string Study = """{"id":"ID","kind":"linucb","arms":["a0","a1","a2"],"features":["f0","f1","f2"],"options":{"alpha":0.5,"batchSize":5}}""";
    private static readonly string[] Features = ["f0", "f1", "f2"];

    [Fact]
    public async Task WorkerDecisions_CarryTheSnapshotVersionAndItsPropensities_AndTheVersionAdvancesAfterBRewards()
    {
        await using var service = await ClusterService.StartAsync(silos: 2);
        string key = await service.CreateStudyAsync(Study.Replace("ID", "hot", StringComparison.Ordinal));
        using var client = service.ClientWith(key);
        var study = service.Cluster.Client.GetGrain<IStudyGrain>("hot");
        var snapshots = new Dictionary<long, PolicyState>();
        async Task PublishedAsync()
        {
            GrainReply published = await study.PublishedAsync();
            snapshots[published.PublishedVersion] = PolicyStates.Deserialize(published.Json!);
        }
        await PublishedAsync();
        var rng = new Random(1);
        string Context() => "[" + string.Join(",", Enumerable.Range(0, 3).Select(_ => Math.Round(rng.NextDouble() * 2 - 1, 3).ToString(CultureInfo.InvariantCulture))) + "]";
        var made = new List<(string Id, string Context, JsonElement Body)>();
        async Task<JsonElement> DecideAsync()
        {
            string context = Context();
            var d = await client.PostAsync("/v1/studies/hot/decisions", $$"""{"context":{{context}}}""");
            Assert.Equal(200, d.Status);
            Assert.Contains(Studies.WorkerDecision.Note, d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
            made.Add((d.Body.GetProperty("decisionId").GetString()!, context, d.Body));
            return d.Body;
        }
        for (int i = 0; i < 12; i++) Assert.Equal(0, (await DecideAsync()).GetProperty("modelVersion").GetInt64());
        for (int i = 1; i <= 5; i++)
        {
            var r = await client.PostAsync("/v1/studies/hot/rewards", $$"""{"decisionId":"{{i}}","reward":{{(i % 3) * 0.5}}}""");
            Assert.Equal(200, r.Status);
            Assert.Equal(i == 5 ? 1 : 0, r.Body.GetProperty("modelVersion").GetInt64());
        }
        await PublishedAsync();
        Assert.Equal([0L, 1L], snapshots.Keys.Order());
        // A worker learns of version 1 with its next commit reply: each worker activation may answer once more from version 0.
        long last = 0;
        for (int i = 0; i < 30 && last == 0; i++) last = (await DecideAsync()).GetProperty("modelVersion").GetInt64();
        Assert.Equal(1, last);
        for (int i = 0; i < 5; i++) await DecideAsync();

        // Ids are the study's numbers: unique across workers, consecutive.
        Assert.Equal(Enumerable.Range(1, made.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)), made.Select(m => m.Id));
        // Each decision's arm and probability vector are those of the snapshot of its version, decided again here.
        foreach (var (_, context, body) in made)
        {
            var policy = NewPolicy("hot", new Clock());
            policy.ImportState(snapshots[body.GetProperty("modelVersion").GetInt64()]);
            RecourseDecision again = await policy.DecideAsync(JsonSerializer.Deserialize<double[]>(context)!);
            Assert.Equal(again.Arm, body.GetProperty("arm").GetInt32());
            Assert.Equal(again.Probabilities.Select(p => (double?)p), body.GetProperty("probabilities").EnumerateArray().Select(p => (double?)p.GetDouble()));
        }
        // The learned state differs between the two versions, so the check above could tell them apart.
        Assert.NotEqual(PolicyStates.Serialize(snapshots[0]), PolicyStates.Serialize(snapshots[1]));
    }

    [Fact]
    public async Task KillingTheOwningSilo_UnderConcurrentWorkerDecisions_LosesNothingAcknowledged_AndEqualsABatchedReplay()
    {
        await using var service = await ClusterService.StartAsync(silos: 3);
        string id = "";
        string key = "";
        SiloAddress owner = null!;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            id = "hotfail" + attempt.ToString(CultureInfo.InvariantCulture);
            key = await service.CreateStudyAsync(Study.Replace("ID", id, StringComparison.Ordinal));
            owner = await service.WhereAsync(id);
            if (!owner.Equals(service.Cluster.Primary!.SiloAddress)) break;
        }
        Assert.NotEqual(service.Cluster.Primary!.SiloAddress, owner);
        using var client = service.ClientWith(key);
        KillUnderLoad run = await KillUnderLoad.RunAsync(client, id, clients: 6, features: 3,
            () => service.Cluster.KillSiloAsync(service.Cluster.GetSiloForAddress(owner)!), TimeSpan.FromSeconds(60));

        Assert.NotEqual(owner, await service.WhereAsync(id));
        var lines = await run.AssertAllAcknowledgedInLogAsync(client, id);
        Assert.True(lines.Values.Count(l => l.GetProperty("notes").EnumerateArray().Any(n => n.GetString() == Studies.WorkerDecision.Note)) >= 200);
        var status = await client.GetAsync2($"/v1/studies/{id}");
        int committedRewards = lines.Values.Count(l => l.GetProperty("reward").ValueKind == JsonValueKind.Number);
        Assert.Equal(committedRewards / 5, status.Body.GetProperty("modelVersion").GetInt64()); // one version per batch of 5

        string served = (await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text;
        Assert.Equal(await BatchedReplayAsync(service.Data, id, 5), served);
    }

    [Fact]
    public async Task WorkerCommits_AreRefusedNamingTheProblem_AndChangeNothing()
    {
        await using var service = await ClusterService.StartAsync(silos: 1);
        await service.CreateStudyAsync(Study.Replace("ID", "hot", StringComparison.Ordinal));
        await service.CreateStudyAsync(Study.Replace("ID", "cold", StringComparison.Ordinal).Replace(",\"batchSize\":5", "", StringComparison.Ordinal));
        var hot = service.Cluster.Client.GetGrain<IStudyGrain>("hot");
        var cold = service.Cluster.Client.GetGrain<IStudyGrain>("cold");
        // A study without batching takes no worker decisions.
        GrainReply refused = await cold.CommitAsync("{}", 0, null, null);
        Assert.Equal((409, "study"), (refused.Status, refused.Field));
        // A line not written for this study's decision 0, and a snapshot version never published.
        GrainReply wrongLine = await hot.CommitAsync("""{"study":"cold","run":0,"step":-1,"policy":"x"}""", 0, null, null);
        Assert.Equal((400, "line"), (wrongLine.Status, wrongLine.Field));
        GrainReply future = await hot.CommitAsync("""{"study":"hot","run":0,"step":-1,"policy":"x"}""", 7, null, null);
        Assert.Equal((409, "snapshotVersion"), (future.Status, future.Field));
        Assert.Contains("7", future.Detail, StringComparison.Ordinal);
        var status = JsonDocument.Parse((await hot.StatusAsync()).Json!).RootElement;
        Assert.Equal(0, status.GetProperty("decisions").GetInt64());
        Assert.Equal(0, status.GetProperty("events").GetInt64());
    }

    private static LinUcbPolicy NewPolicy(string study, Clock clock) =>
        new(new RecourseProblem(study, [.. Features.Select(f => new Feature(f, f, true))], [.. Enumerable.Range(0, 3).Select(a => new Treatment("a" + a, ""))], RecourseNorm.L2, 0),
            new LinUcbOptions { Alpha = 0.5 }, clock);

    /// <summary>The batched replay protocol of docs/hot-studies.md with the library alone: a decision the writer made is
    /// decided again; a worker's decision (noted decided-from-snapshot) is taken as logged, its snapshot version checked
    /// published; rewards are queued in commit order and, every B, the workers' decisions among them are given the
    /// learner's next ids (marked pending in its issuer) and the batch is learned.</summary>
    private static async Task<string> BatchedReplayAsync(string data, string study, int batch)
    {
        var clock = new Clock();
        var policy = NewPolicy(study, clock);
        long version = 0;
        var pending = new Dictionary<long, (double[] Context, RecourseDecision Decision, bool Worker)>();
        var queue = new List<(double[] Context, RecourseDecision Decision, bool Worker, double Reward)>();
        using var store = new SqliteStudyStore(data);
        await foreach (StudyEvent e in store.ReadEventsAsync(study, 0))
        {
            using var body = JsonDocument.Parse(e.Body);
            JsonElement root = body.RootElement;
            if (e.Type == StudyEventType.Decision)
            {
                double[] context = [.. root.GetProperty("context").EnumerateArray().Select(v => v.GetDouble())];
                if (root.GetProperty("notes").EnumerateArray().Any(n => n.GetString() == Studies.WorkerDecision.Note))
                {
                    Assert.True(e.ModelVersion <= version);
                    var logged = new RecourseDecision
                    {
                        Id = new DecisionId(root.GetProperty("decisionId").GetInt64()),
                        Time = root.GetProperty("time").GetDateTimeOffset(),
                        Arm = root.GetProperty("arm").GetInt32(),
                        Probabilities = [.. root.GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble())],
                        Recourse = [.. root.GetProperty("payload").GetProperty("recourse").EnumerateArray().Select(v => v.GetDouble())],
                    };
                    pending[e.DecisionSequence] = (context, logged, true);
                    continue;
                }
                clock.Now = root.GetProperty("time").GetDateTimeOffset();
                RecourseDecision d = await policy.DecideAsync(context);
                Assert.Equal(root.GetProperty("arm").GetInt32(), d.Arm);
                pending[e.DecisionSequence] = (context, d, false);
            }
            else if (e.Type == StudyEventType.Reward)
            {
                var (context, decision, worker) = pending[e.DecisionSequence];
                queue.Add((context, decision, worker, root.GetProperty("reward").GetDouble()));
                if (queue.Count < batch) continue;
                PolicyState state = policy.ExportState();
                var node = JsonNode.Parse(state.Data.GetRawText())!.AsObject();
                long next = node["issuer"]!["next"]!.GetValue<long>();
                var ids = node["issuer"]!["pending"]!.AsArray();
                for (int i = 0; i < queue.Count; i++)
                {
                    if (!queue[i].Worker) continue;
                    ids.Add(next);
                    queue[i] = queue[i] with { Decision = queue[i].Decision with { Id = new DecisionId(next++) } };
                }
                node["issuer"]!["next"] = next;
                policy.ImportState(state with { Data = JsonSerializer.SerializeToElement(node) });
                foreach (var (c, d, _, r) in queue) await policy.LearnAsync(c, d, new RecourseOutcome(r, double.NaN, d.Recourse));
                queue.Clear();
                version++;
            }
        }
        return PolicyStates.Serialize(policy.ExportState());
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
