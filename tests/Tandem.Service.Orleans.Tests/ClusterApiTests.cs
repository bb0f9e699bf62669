using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Tandem.Service.Security;

namespace Tandem.Service.Orleans.Tests;

/// <summary>One two-silo cluster for the API tests (each test uses its own study ids).</summary>
public sealed class TwoSilos : IAsyncLifetime
{
    internal ClusterService Service { get; private set; } = null!;

    public async Task InitializeAsync() => Service = await ClusterService.StartAsync(silos: 2);

    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>Issue 19 §1: the same API with the studies in grains: the same answers as the embedded service, the same refusals.</summary>
public sealed class ClusterApiTests(TwoSilos silos) : IClassFixture<TwoSilos>
{
    private ClusterService Service => silos.Service;

    [Theory]
    [InlineData("""{"id":"ID","kind":"linucb","arms":["a0","a1","a2"],"features":["x","y"],"options":{"seed":7}}""", "[0.5,-1]", "[1,0.25]")]
    [InlineData("""{"id":"ID","kind":"glrb","arms":["a0","a1"],"features":["x","y"],"options":{"seed":7}}""", "[0.5,-1]", "[1,0.25]")]
    [InlineData("""{"id":"ID","kind":"stdts","arms":["a0","a1","a2"],"options":{"seed":7,"contexts":["morning","evening"]}}""", "\"morning\"", "\"evening\"")]
    public async Task SameSeedSameRequests_GiveTheEmbeddedServicesAnswers_ByteForByte(string spec, string context1, string context2)
    {
        string id = "same-" + Guid.NewGuid().ToString("N")[..8];
        string study = spec.Replace("ID", id, StringComparison.Ordinal);
        string data = Path.Combine(Path.GetTempPath(), "tandem-orleans-tests", Guid.NewGuid().ToString("N"));
        await using WebApplication embedded = ServiceApp.Build(new ServiceOptions { DataDirectory = data, Urls = "http://127.0.0.1:0" },
            AdminKey.Create(ClusterService.AdminKeyText), logging: l => l.SetMinimumLevel(LogLevel.Critical));
        await ServiceApp.StartAsync(embedded);
        using var embeddedAdmin = new HttpClient { BaseAddress = new Uri(embedded.Urls.First()) };
        embeddedAdmin.DefaultRequestHeaders.Authorization = new("Bearer", ClusterService.AdminKeyText);
        using var clusterAdmin = Service.ClientWith(ClusterService.AdminKeyText);

        var answers = new List<string>[] { [], [] };
        foreach (var (client, k) in new[] { (embeddedAdmin, 0), (clusterAdmin, 1) })
        {
            Assert.Equal(201, (await client.PostAsync("/v1/studies", study)).Status);
            for (int i = 0; i < 12; i++)
            {
                string context = i % 3 == 0 ? context2 : context1;
                var d = await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":{{context}},"requestId":"r{{i}}"}""");
                answers[k].Add(d.Status + " " + d.Text);
                if (i % 4 == 3) continue; // some stay pending
                string reward = (i % 2).ToString(CultureInfo.InvariantCulture);
                var r = await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{d.Body.GetProperty("decisionId").GetString()}}","reward":{{reward}}}""");
                answers[k].Add(r.Status + " " + r.Text);
            }
            var again = await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":{{context1}},"requestId":"r1"}""");
            answers[k].Add(again.Status + " " + again.Text);
            var second = await client.PostAsync($"/v1/studies/{id}/rewards", """{"decisionId":"1","reward":0.5}""");
            answers[k].Add(second.Status + " " + second.Body.GetProperty("firstReward").GetRawText());
            answers[k].Add((await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text);
            answers[k].Add(Without((await client.GetAsync2($"/v1/studies/{id}/log")).Text, "time"));
            var status = await client.GetAsync2($"/v1/studies/{id}");
            answers[k].Add(status.Status + " " + status.Text);
        }
        Assert.Equal(answers[0], answers[1]);
        Assert.Contains(answers[1], a => a.StartsWith("409 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refusals_AreTheEmbeddedOnes_NamingTheField_AndAStudyKeyReachesOnlyItsStudy()
    {
        string a = "ref-a-" + Guid.NewGuid().ToString("N")[..8], b = "ref-b-" + Guid.NewGuid().ToString("N")[..8];
        string keyA = await Service.CreateStudyAsync($$"""{"id":"{{a}}","kind":"linucb","arms":["a0","a1"],"features":["x","y"]}""");
        string keyB = await Service.CreateStudyAsync($$"""{"id":"{{b}}","kind":"linucb","arms":["a0","a1"],"features":["x","y"]}""");
        using var clientA = Service.ClientWith(keyA);
        var wrongLength = await clientA.PostAsync($"/v1/studies/{a}/decisions", """{"context":[1,2,3]}""");
        Assert.Equal(400, wrongLength.Status);
        Assert.Equal("context", wrongLength.Body.GetProperty("field").GetString());
        var unknownFeature = await clientA.PostAsync($"/v1/studies/{a}/decisions", """{"context":{"x":1,"zz":2}}""");
        Assert.Equal(400, unknownFeature.Status);
        Assert.StartsWith("context", unknownFeature.Body.GetProperty("field").GetString(), StringComparison.Ordinal);
        var unknownDecision = await clientA.PostAsync($"/v1/studies/{a}/rewards", """{"decisionId":"99","reward":1}""");
        Assert.Equal(404, unknownDecision.Status);
        Assert.Equal("decisionId", unknownDecision.Body.GetProperty("field").GetString());
        Assert.Equal(401, (await clientA.GetAsync2($"/v1/studies/{b}")).Status); // a's key does not open b
        using var clientB = Service.ClientWith(keyB);
        var status = await clientB.GetAsync2($"/v1/studies/{b}");
        Assert.Equal(0, status.Body.GetProperty("decisions").GetInt64()); // a's refused requests changed nothing anywhere
        var statusA = await clientA.GetAsync2($"/v1/studies/{a}");
        Assert.Equal(0, statusA.Body.GetProperty("events").GetInt64());
        Assert.Equal(404, (await clientA.GetAsync2("/v1/studies/no-such-study")).Status);
        var put = await clientA.SendAsync(HttpMethod.Put, $"/v1/studies/{a}/snapshot", (await clientA.GetAsync2($"/v1/studies/{a}/snapshot")).Text);
        Assert.Equal(403, put.Status); // restoring needs the admin key
    }

    [Fact]
    public async Task AStudyCreatedThroughOneFrontEnd_IsServedByAnother_OverTheSharedStore()
    {
        string id = "shared-" + Guid.NewGuid().ToString("N")[..8];
        await using WebApplication second = ServiceApp.Build(new ServiceOptions { DataDirectory = Service.Data, Urls = "http://127.0.0.1:0" },
            AdminKey.Create(ClusterService.AdminKeyText), logging: l => l.SetMinimumLevel(LogLevel.Critical),
            services: s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Studies.IStudyHostFactory>(s,
                sp => new GrainStudyHostFactory(Service.Cluster.Client, Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Tandem.Service.Storage.IStudyStore>(sp))));
        await ServiceApp.StartAsync(second); // started before the study exists
        string key = await Service.CreateStudyAsync($$"""{"id":"{{id}}","kind":"linucb","arms":["a0","a1"],"features":["x"]}""");
        using var other = new HttpClient { BaseAddress = new Uri(second.Urls.First()) };
        other.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var d = await other.PostAsync($"/v1/studies/{id}/decisions", """{"context":[1]}""");
        Assert.Equal(200, d.Status);
        using var first = Service.ClientWith(key);
        var status = await first.GetAsync2($"/v1/studies/{id}");
        Assert.Equal(1, status.Body.GetProperty("decisions").GetInt64()); // one writer: the second front end's decision is the first's
    }

    private static string Without(string ndjson, string field) =>
        string.Join('\n', ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
            node.Remove(field);
            return node.ToJsonString();
        }));
}
