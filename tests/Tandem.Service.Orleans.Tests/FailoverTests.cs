using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Tandem.Service.Storage;
using Tandem.Service.Tests;

namespace Tandem.Service.Orleans.Tests;

/// <summary>Issue 19 §2: the silo that hosts a study is killed under concurrent load; the study reactivates on another
/// silo from the shared store with every acknowledged decision and reward, and its learner equals a replay of the log.</summary>
public sealed class FailoverTests
{
    private const string Study = """{"id":"ID","kind":"linucb","arms":["a0","a1","a2","a3"],"features":["f0","f1","f2","f3","f4"],"options":{"alpha":0.5}}""";

    [Fact]
    public Task KillingTheOwningSilo_UnderConcurrentLoad_LosesNothingAcknowledged_AndTheStudyReactivatesElsewhereEqualToAReplay() =>
        KillTheOwnerAsync(postgres: null);

    [PostgresFact]
    public async Task OverPostgres_KillingTheOwningSilo_LosesNothingAcknowledged_AndTheStudyReactivatesElsewhereEqualToAReplay()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await KillTheOwnerAsync(database.ConnectionString);
    }

    private static async Task KillTheOwnerAsync(string? postgres)
    {
        await using var service = await ClusterService.StartAsync(silos: 3, postgres);
        string prefix = postgres is null ? "fail" : "pgfail" + Guid.NewGuid().ToString("N")[..8] + "-";
        // The test cluster keeps its membership table on the primary silo, so the silo killed must be a secondary one:
        // create studies until one is placed on a secondary silo (placement is random; three tries suffice nearly always).
        string id = "";
        string key = "";
        SiloAddress owner = null!;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            id = prefix + attempt.ToString(CultureInfo.InvariantCulture);
            key = await service.CreateStudyAsync(Study.Replace("ID", id, StringComparison.Ordinal));
            owner = await service.WhereAsync(id);
            if (!owner.Equals(service.Cluster.Primary!.SiloAddress)) break;
        }
        Assert.NotEqual(service.Cluster.Primary!.SiloAddress, owner);
        using var client = service.ClientWith(key);

        var decisions = new ConcurrentDictionary<string, int>(); // acknowledged decision → arm
        var rewards = new ConcurrentDictionary<string, double>(); // acknowledged reward → value
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                string context = "[" + string.Join(",", Enumerable.Range(0, 5).Select(_ => Math.Round(rng.NextDouble() * 2 - 1, 3).ToString(CultureInfo.InvariantCulture))) + "]";
                var d = await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":{{context}}}""");
                if (d.Status != 200)
                {
                    Assert.Equal(503, d.Status); // a failing-over study is unavailable, never wrong
                    await Task.Delay(50);
                    continue;
                }
                string decision = d.Body.GetProperty("decisionId").GetString()!;
                decisions[decision] = d.Body.GetProperty("arm").GetInt32();
                if (rng.NextDouble() < 0.2) continue; // some stay pending
                double reward = Math.Round(rng.NextDouble(), 4);
                var r = await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{decision}}","reward":{{reward.ToString(CultureInfo.InvariantCulture)}}}""");
                if (r.Status == 200) rewards[decision] = reward;
                else Assert.Equal(503, r.Status);
            }
        })).ToArray();

        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(40);
            while (decisions.Count < 100 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(decisions.Count >= 100, $"only {decisions.Count} decisions before the kill");
            await service.Cluster.KillSiloAsync(service.Cluster.GetSiloForAddress(owner)!);
            int atKill = decisions.Count;
            while (decisions.Count < atKill + 100 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(decisions.Count >= atKill + 100, $"only {decisions.Count - atKill} decisions after the kill: the study did not come back");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        SiloAddress now = await service.WhereAsync(id);
        Assert.NotEqual(owner, now);
        var log = await client.GetAsync2($"/v1/studies/{id}/log?limit=100000");
        var lines = log.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(l => (l.GetProperty("step").GetInt64() + 1).ToString(CultureInfo.InvariantCulture));
        foreach (var (decision, arm) in decisions) Assert.Equal(arm, lines[decision].GetProperty("arm").GetInt32());
        foreach (var (decision, reward) in rewards) Assert.Equal(reward, lines[decision].GetProperty("reward").GetDouble());

        string served = (await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text;
        string replayed = postgres is null
            ? await IndependentReplay.LinUcbAsync(service.Data, id, ["f0", "f1", "f2", "f3", "f4"], 4, alpha: 0.5)
            : await Replay.LinUcbAsync(service.Store, id); // the independent replay reads a SQLite store: a copy of the log
        Assert.Equal(replayed, served);
    }
}
