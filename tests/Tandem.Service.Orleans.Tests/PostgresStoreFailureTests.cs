using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tandem.Service.Orleans.Tests;

/// <summary>Issue 19, bad input: the cluster's PostgreSQL store unreachable at start (the service refuses to start with
/// one line) and failing mid-run (requests are answered 503 with a problem document; nothing acknowledged is missing
/// from the store, and once the store is back the study serves again with a learner equal to a replay of what was
/// stored).</summary>
public sealed class PostgresStoreFailureTests
{
    private const string Study = """{"id":"ID","kind":"linucb","arms":["a0","a1","a2","a3"],"features":["f0","f1","f2","f3","f4"],"options":{"alpha":0.5}}""";

    [Fact]
    public async Task Main_WithPostgresClusteringAndNoServer_RefusesToStart_WithOneLineNamingTheStore()
    {
        string config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, """
            {"clustering":{"kind":"postgres"},"store":{"kind":"postgres","connectionString":"Host=127.0.0.1;Port=1;Username=u;Password=secret-pw;Timeout=2"},
             "siloPort":40111,"gatewayPort":40112}
            """);
        Environment.SetEnvironmentVariable("TANDEM_ADMIN_KEY", ClusterService.AdminKeyText);
        var error = new StringWriter();
        Assert.Equal(2, await ClusterServiceApp.MainAsync(["--cluster", config, "--urls", "http://127.0.0.1:0"], error));
        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("postgres 127.0.0.1:1/", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", lines[0], StringComparison.Ordinal);
        File.Delete(config);
    }

    [PostgresFact]
    public async Task AStoreThatFailsMidRun_Gets503ProblemDocuments_LosesNothingAcknowledged_AndServesAgainEqualToAReplay()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var service = await ClusterService.StartAsync(silos: 2, database.ConnectionString);
        string id = "pgdown-" + Guid.NewGuid().ToString("N")[..8];
        using var client = service.ClientWith(await service.CreateStudyAsync(Study.Replace("ID", id, StringComparison.Ordinal)));
        var acknowledged = new Dictionary<string, int>(); // decision → arm
        var rewards = new Dictionary<string, double>();
        var rng = new Random(5);
        string Context() => "[" + string.Join(",", Enumerable.Range(0, 5).Select(_ => Math.Round(rng.NextDouble() * 2 - 1, 3).ToString(CultureInfo.InvariantCulture))) + "]";
        async Task<int> RoundAsync(int i)
        {
            var d = await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":{{Context()}},"requestId":"r{{i.ToString(CultureInfo.InvariantCulture)}}"}""");
            if (d.Status != 200) return d.Status;
            string decision = d.Body.GetProperty("decisionId").GetString()!;
            acknowledged[decision] = d.Body.GetProperty("arm").GetInt32();
            double reward = Math.Round(rng.NextDouble(), 4);
            var r = await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{decision}}","reward":{{reward.ToString(CultureInfo.InvariantCulture)}}}""");
            if (r.Status == 200) rewards[decision] = reward;
            return r.Status;
        }

        for (int i = 0; i < 20; i++) Assert.Equal(200, await RoundAsync(i));
        // A decision left pending: its reward is sent while the store is down.
        var pending = await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":{{Context()}}}""");
        Assert.Equal(200, pending.Status);
        string pendingId = pending.Body.GetProperty("decisionId").GetString()!;
        acknowledged[pendingId] = pending.Body.GetProperty("arm").GetInt32();

        await database.SuspendAsync();
        for (int i = 100; i < 105; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/studies/{id}/decisions")
            {
                Content = ClusterService.Json($$"""{"context":{{Context()}},"requestId":"down{{i.ToString(CultureInfo.InvariantCulture)}}"}"""),
            };
            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            JsonElement problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.Equal("study", problem.GetProperty("field").GetString());
        }
        var refused = await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{pendingId}}","reward":0.5}""");
        Assert.True(refused.Status == 503, refused.Text);
        var logDown = await client.GetAsync2($"/v1/studies/{id}/log"); // reading the log while the store is down: 503, not 500
        Assert.True(logDown.Status == 503, logDown.Text);
        Assert.Equal("study", logDown.Body.GetProperty("field").GetString());
        await database.ResumeAsync();

        // Back: the study serves again (after at most a few 503s while it reopens from the store), the refused reward can
        // be sent again because it was never stored, and the learner equals a replay of the stored log.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int served = 0;
        for (int i = 200; served < 20 && DateTime.UtcNow < deadline; i++)
        {
            int status = await RoundAsync(i);
            Assert.True(status is 200 or 503, $"status {status}");
            if (status == 200) served++;
            else await Task.Delay(200);
        }
        Assert.Equal(20, served);
        var again = await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{pendingId}}","reward":0.5}""");
        Assert.True(again.Status == 200, again.Text);
        rewards[pendingId] = 0.5;

        var log = await client.GetAsync2($"/v1/studies/{id}/log?limit=100000");
        var lines = log.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(l => (l.GetProperty("step").GetInt64() + 1).ToString(CultureInfo.InvariantCulture));
        foreach (var (decision, arm) in acknowledged) Assert.Equal(arm, lines[decision].GetProperty("arm").GetInt32());
        foreach (var (decision, reward) in rewards) Assert.Equal(reward, lines[decision].GetProperty("reward").GetDouble());
        Assert.Equal(await Replay.LinUcbAsync(service.Store, id), (await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text);
    }
}
