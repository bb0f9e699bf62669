using System.Text.Json;
using Tandem.Core.State;

namespace Tandem.Service.Tests;

public sealed class ApiTests
{
    private const string LinUcb = """{"id":"lin","kind":"linucb","arms":["a0","a1","a2"],"features":["x","y"]}""";

    [Fact]
    public async Task CreateStudy_WithoutAdminKey_Is401_AndAStudyKeyCannotCreate()
    {
        await using var service = await TestService.StartAsync();
        var none = await service.ClientWith(null).PostAsync("/v1/studies", LinUcb);
        Assert.Equal(401, none.Status);
        Assert.Equal("application/problem+json", none.ContentType);
        Assert.Equal("Authorization", none.Body.GetProperty("field").GetString());
        string key = await service.CreateStudyAsync(LinUcb);
        var withStudyKey = await service.ClientWith(key).PostAsync("/v1/studies", LinUcb.Replace("\"lin\"", "\"other\""));
        Assert.Equal(401, withStudyKey.Status);
    }

    [Theory]
    [InlineData("""{"id":"s","kind":"ucb9","arms":["a"],"features":["x"]}""", "kind")]
    [InlineData("""{"id":"s","kind":"linucb","arms":["a"],"features":["x"],"options":{"alpha":-1}}""", "options.alpha")]
    [InlineData("""{"id":"s","kind":"linucb","arms":["a"],"features":["x"],"options":{"lambda":0}}""", "options.lambda")]
    [InlineData("""{"id":"s","kind":"linucb","arms":["a"],"features":["x"],"options":{"gamma":1}}""", "options.gamma")]
    [InlineData("""{"id":"s","kind":"linucb","arms":[],"features":["x"]}""", "arms")]
    [InlineData("""{"id":"s","kind":"linucb","arms":["a","a"],"features":["x"]}""", "arms[1]")]
    [InlineData("""{"id":"bad id!","kind":"linucb","arms":["a"],"features":["x"]}""", "id")]
    [InlineData("""{"id":"s","kind":"glrb","arms":["a"],"features":["x"],"options":{"mutable":["z"]}}""", "options.mutable")]
    [InlineData("""{"id":"s","kind":"stdts","arms":["a"],"features":["x"]}""", "features")]
    [InlineData("""{"id":"s","kind":"linucb","arms":["a"],"features":["x"],"extra":1}""", "extra")]
    [InlineData("""{"id":"s","kind":"linucb","arms":["a"],"features":["x"],"options":{"safeDefault":"zzz"}}""", "options.safeDefault")]
    [InlineData("""{"id":"s","kind":"linucb",""", "$")]
    public async Task CreateStudy_BadSpec_Is400NamingTheField_AndNothingIsStored(string body, string field)
    {
        await using var service = await TestService.StartAsync();
        var admin = service.ClientWith(TestService.AdminKeyText);
        var response = await admin.PostAsync("/v1/studies", body);
        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
        Assert.True(response.Body.GetProperty("errors").TryGetProperty(field, out _));
        Assert.DoesNotContain("   at ", response.Text, StringComparison.Ordinal); // no stack trace
        Assert.Equal(404, (await admin.GetAsync2("/v1/studies/s")).Status);
    }

    [Fact]
    public async Task CreateStudy_TakenId_Is409()
    {
        await using var service = await TestService.StartAsync();
        await service.CreateStudyAsync(LinUcb);
        var again = await service.ClientWith(TestService.AdminKeyText).PostAsync("/v1/studies", LinUcb);
        Assert.Equal(409, again.Status);
        Assert.Equal("id", again.Body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Decide_ReturnsTheArmItsNameAndItsProbabilities_AsLinUcbStatesThem()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        var d = await client.PostAsync("/v1/studies/lin/decisions", """{"context":{"y":2,"x":1},"subject":"p-17"}""");
        Assert.Equal(200, d.Status);
        Assert.Equal("1", d.Body.GetProperty("decisionId").GetString());
        int arm = d.Body.GetProperty("arm").GetInt32();
        Assert.Equal("a" + arm, d.Body.GetProperty("armName").GetString());
        Assert.Equal(1.0, d.Body.GetProperty("propensity").GetDouble());
        double[] p = [.. d.Body.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(3, p.Length);
        Assert.Equal(1.0, p[arm]); // LinUCB is deterministic: one-hot
        Assert.Contains("deterministic", d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        // Object and array contexts are the same context: the recourse (x̃ = x for LinUCB) is in feature order.
        Assert.Equal([1.0, 2.0], d.Body.GetProperty("payload").GetProperty("recourse").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(0, d.Body.GetProperty("modelVersion").GetInt64());
    }

    [Theory]
    [InlineData("""{"context":[1]}""", "context")]
    [InlineData("""{"context":[1,2,3]}""", "context")]
    [InlineData("""{"context":[1,"a"]}""", "context[1]")]
    [InlineData("""{"context":[1,1e999]}""", "context[1]")]
    [InlineData("""{"context":[1,NaN]}""", "$")]
    [InlineData("""{"context":{"x":1}}""", "context.y")]
    [InlineData("""{"context":{"x":1,"y":2,"z":3}}""", "context.z")]
    [InlineData("""{}""", "context")]
    [InlineData("""{"context":[1,2],"requestId":""}""", "requestId")]
    [InlineData("""{"context":[1,2],"color":"red"}""", "color")]
    [InlineData("""[1,2]""", "$")]
    public async Task Decide_BadContext_Is400NamingTheField_AndNothingIsStored(string body, string field)
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        string before = (await client.GetAsync2("/v1/studies/lin/snapshot")).Text;
        var response = await client.PostAsync("/v1/studies/lin/decisions", body);
        Assert.Equal(400, response.Status);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
        var status = await client.GetAsync2("/v1/studies/lin");
        Assert.Equal(0, status.Body.GetProperty("decisions").GetInt64());
        Assert.Equal(0, status.Body.GetProperty("events").GetInt64());
        Assert.Equal(before, (await client.GetAsync2("/v1/studies/lin/snapshot")).Text); // the learner is unchanged
    }

    [Fact]
    public async Task Decide_SameRequestId_ReturnsTheSameDecision_AndStoresOne_EvenAfterARestart()
    {
        await using var service = await TestService.StartAsync();
        string key = await service.CreateStudyAsync(LinUcb);
        var client = service.ClientWith(key);
        var first = await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2],"requestId":"visit-1"}""");
        var second = await client.PostAsync("/v1/studies/lin/decisions", """{"context":[5,5],"requestId":"visit-1"}""");
        Assert.Equal(first.Text, second.Text);
        await service.RestartAsync();
        client = service.ClientWith(key);
        var third = await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2],"requestId":"visit-1"}""");
        Assert.Equal(first.Text, third.Text);
        Assert.Equal(1, (await client.GetAsync2("/v1/studies/lin")).Body.GetProperty("decisions").GetInt64());
    }

    [Fact]
    public async Task Reward_Unknown_Is404_Duplicate_Is409KeepingTheFirst()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2]}""");
        var unknown = await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"2","reward":1}""");
        Assert.Equal(404, unknown.Status);
        Assert.Equal("decisionId", unknown.Body.GetProperty("field").GetString());
        Assert.Equal(404, (await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"x1","reward":1}""")).Status);
        var ok = await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"1","reward":0.5}""");
        Assert.Equal(200, ok.Status);
        Assert.True(ok.Body.GetProperty("learned").GetBoolean());
        Assert.Equal(1, ok.Body.GetProperty("modelVersion").GetInt64());
        string state = (await client.GetAsync2("/v1/studies/lin/snapshot")).Text;
        var again = await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"1","reward":9}""");
        Assert.Equal(409, again.Status);
        Assert.Equal(0.5, again.Body.GetProperty("firstReward").GetDouble());
        Assert.Equal(state, (await client.GetAsync2("/v1/studies/lin/snapshot")).Text);
        string log = (await client.GetAsync2("/v1/studies/lin/log")).Text;
        Assert.Equal(0.5, JsonDocument.Parse(log.Split('\n')[0]).RootElement.GetProperty("reward").GetDouble());
    }

    [Theory]
    [InlineData("""{"decisionId":"1"}""", "reward")]
    [InlineData("""{"decisionId":"1","reward":"high"}""", "reward")]
    [InlineData("""{"reward":1}""", "decisionId")]
    [InlineData("""{"decisionId":"1","reward":1,"realizedContext":[1]}""", "realizedContext")]
    [InlineData("""{"decisionId":"1","reward":1,"realizedContext":[1,null]}""", "realizedContext[1]")]
    public async Task Reward_BadBody_Is400NamingTheField_AndTheDecisionStaysPending(string body, string field)
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2]}""");
        var response = await client.PostAsync("/v1/studies/lin/rewards", body);
        Assert.Equal(400, response.Status);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
        Assert.Equal(1, (await client.GetAsync2("/v1/studies/lin")).Body.GetProperty("pending").GetInt64());
    }

    [Fact]
    public async Task StudyKeys_AreIsolated_AndOnlyTheAdminPutsASnapshot()
    {
        await using var service = await TestService.StartAsync();
        string keyA = await service.CreateStudyAsync(LinUcb);
        string keyB = await service.CreateStudyAsync(LinUcb.Replace("\"lin\"", "\"other\""));
        var a = service.ClientWith(keyA);
        Assert.Equal(401, (await a.PostAsync("/v1/studies/other/decisions", """{"context":[1,2]}""")).Status);
        Assert.Equal(401, (await a.GetAsync2("/v1/studies/other/log")).Status);
        Assert.Equal(401, (await a.GetAsync2("/v1/studies/other/snapshot")).Status);
        Assert.Equal(401, (await service.ClientWith(keyA + "x").GetAsync2("/v1/studies/lin")).Status);
        Assert.Equal(404, (await a.GetAsync2("/v1/studies/nope")).Status);
        string state = (await a.GetAsync2("/v1/studies/lin/snapshot")).Text;
        Assert.Equal(403, (await a.SendAsync(HttpMethod.Put, "/v1/studies/lin/snapshot", state)).Status);
        Assert.Equal(200, (await service.ClientWith(keyB).GetAsync2("/v1/studies/other")).Status);
        Assert.Equal(0, (await service.ClientWith(keyB).GetAsync2("/v1/studies/other")).Body.GetProperty("decisions").GetInt64());
    }

    [Fact]
    public async Task Keys_AreNeverStoredLoggedOrSnapshotted()
    {
        await using var service = await TestService.StartAsync();
        string key = await service.CreateStudyAsync(LinUcb);
        var client = service.ClientWith(key);
        await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2]}""");
        Assert.DoesNotContain(key, (await client.GetAsync2("/v1/studies/lin")).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(key, (await client.GetAsync2("/v1/studies/lin/snapshot")).Text, StringComparison.Ordinal);
        await service.RestartAsync();
        foreach (string file in Directory.GetFiles(service.Data))
        {
            byte[] bytes = File.ReadAllBytes(file);
            Assert.DoesNotContain(key, System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            Assert.DoesNotContain(TestService.AdminKeyText, System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OversizedBody_Is413_AndNothingIsStored()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { MaxBodyBytes = 4096 });
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        string big = """{"context":[1,2],"subject":" """ + new string('x', 5000) + "\"}";
        var response = await client.PostAsync("/v1/studies/lin/decisions", big);
        Assert.Equal(413, response.Status);
        Assert.Equal(0, (await client.GetAsync2("/v1/studies/lin")).Body.GetProperty("decisions").GetInt64());
    }

    [Fact]
    public async Task Log_HasTheCliFormat_InDecisionOrder_WithRewardsFilledIn_AndPages()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        for (int i = 0; i < 3; i++) await client.PostAsync("/v1/studies/lin/decisions", $$"""{"context":[{{i}},1]}""");
        await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"2","reward":3.25}""");
        var log = await client.GetAsync2("/v1/studies/lin/log?after=1&limit=5");
        Assert.Equal("application/x-ndjson", log.ContentType);
        string[] lines = log.Text.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        JsonElement first = JsonDocument.Parse(lines[0]).RootElement;
        // docs/decision-log.md's fields, in its order.
        Assert.Equal(["study", "run", "step", "policy", "decisionId", "time", "context", "arm", "propensity", "probabilities", "notes", "payload", "reward", "expectedReward", "optimalReward", "expectedRewards"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("lin", first.GetProperty("study").GetString());
        Assert.Equal(1, first.GetProperty("step").GetInt64());
        Assert.Equal(2, first.GetProperty("decisionId").GetInt64());
        Assert.Equal(3.25, first.GetProperty("reward").GetDouble());
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(lines[1]).RootElement.GetProperty("reward").ValueKind);
        Assert.Equal(400, (await client.GetAsync2("/v1/studies/lin/log?limit=0")).Status);
        Assert.Equal("after", (await client.GetAsync2("/v1/studies/lin/log?after=-1")).Body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Snapshot_PutRestoresTheLearner_AndAnotherKindIsRefusedNamingTheState()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        var admin = service.ClientWith(TestService.AdminKeyText);
        string empty = (await client.GetAsync2("/v1/studies/lin/snapshot")).Text;
        await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2]}""");
        await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"1","reward":1}""");
        Assert.NotEqual(empty, (await client.GetAsync2("/v1/studies/lin/snapshot")).Text);

        var wrong = await admin.SendAsync(HttpMethod.Put, "/v1/studies/lin/snapshot", """{"kind":"glrb","version":1,"data":{}}""");
        Assert.Equal(400, wrong.Status);
        Assert.Equal("state", wrong.Body.GetProperty("field").GetString());
        Assert.Contains("linucb", wrong.Body.GetProperty("detail").GetString());

        var put = await admin.SendAsync(HttpMethod.Put, "/v1/studies/lin/snapshot", empty);
        Assert.Equal(200, put.Status);
        Assert.Equal(2, put.Body.GetProperty("modelVersion").GetInt64()); // one reward learned + one restore
        Assert.Equal(empty, (await client.GetAsync2("/v1/studies/lin/snapshot")).Text);
        await service.RestartAsync();
        Assert.Equal(empty, (await service.ClientWith(TestService.AdminKeyText).GetAsync2("/v1/studies/lin/snapshot")).Text);
    }

    [Fact]
    public async Task Metrics_NeedTheAdminKey_AndCountWhatWasCommitted()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(LinUcb));
        await client.PostAsync("/v1/studies/lin/decisions", """{"context":[1,2]}""");
        await client.PostAsync("/v1/studies/lin/decisions", """{"context":[2,1]}""");
        await client.PostAsync("/v1/studies/lin/rewards", """{"decisionId":"2","reward":1}""");
        Assert.Equal(401, (await client.GetAsync2("/metrics")).Status);
        var metrics = await service.ClientWith(TestService.AdminKeyText).GetAsync2("/metrics");
        Assert.Equal(200, metrics.Status);
        string[] lines = metrics.Text.Split('\n');
        Assert.Contains("tandem_committed_events_total 3", lines);
        Assert.Contains("tandem_study_decisions{study=\"lin\"} 2", lines);
        Assert.Contains("tandem_study_pending{study=\"lin\"} 1", lines);
        Assert.Contains("tandem_study_model_version{study=\"lin\"} 1", lines);
    }

    [Fact]
    public async Task OpenApiDocument_AndHealth_AreServed()
    {
        await using var service = await TestService.StartAsync();
        var doc = await service.Client.GetAsync2("/openapi/v1.json");
        Assert.Equal(200, doc.Status);
        JsonElement paths = doc.Body.GetProperty("paths");
        foreach (string path in new[] { "/v1/studies", "/v1/studies/{id}/decisions", "/v1/studies/{id}/rewards", "/v1/studies/{id}", "/v1/studies/{id}/log", "/v1/studies/{id}/snapshot", "/health" })
            Assert.True(paths.TryGetProperty(path, out _), path);
        Assert.Equal(200, (await service.Client.GetAsync2("/health")).Status);
    }
}
