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

        KillUnderLoad run = await KillUnderLoad.RunAsync(client, id, clients: 8, features: 5,
            () => service.Cluster.KillSiloAsync(service.Cluster.GetSiloForAddress(owner)!), TimeSpan.FromSeconds(40));

        SiloAddress now = await service.WhereAsync(id);
        Assert.NotEqual(owner, now);
        await run.AssertAllAcknowledgedInLogAsync(client, id);

        string served = (await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text;
        string replayed = postgres is null
            ? await IndependentReplay.LinUcbAsync(service.Data, id, ["f0", "f1", "f2", "f3", "f4"], 4, alpha: 0.5)
            : await Replay.LinUcbAsync(service.Store, id); // the independent replay reads a SQLite store: a copy of the log
        Assert.Equal(replayed, served);
    }
}
