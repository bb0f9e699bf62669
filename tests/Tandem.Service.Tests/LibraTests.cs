using System.Text.Json;
using Tandem.Service.Studies;

namespace Tandem.Service.Tests;

public sealed class LibraTests
{
    // θ* per arm over (age, diet, activity); diet and activity are mutable within γ = 1.
    private static string Spec(string id, double delta, int latencyMs, int deadlineMs, double quality = 1) => $$$"""
        {"id":"{{{id}}}","kind":"libra","arms":["drugA","drugB"],"features":["age","diet","activity"],
         "options":{"seed":7,"mutable":["diet","activity"],"gamma":1,"delta":{{{delta}}},"decisionDeadlineMs":{{{deadlineMs}}},
           "advisor":{"kind":"simulated","quality":{{{quality}}},"latencyMs":{{{latencyMs}}},"theta":[[0.1,1,0.5],[0.2,-1,2]] } } }
        """;

    [Fact]
    public async Task AnUnsureBandit_FollowsTheAdvisor_AndStatesNoPropensity()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(Spec("libra", delta: 0, latencyMs: 0, deadlineMs: 2000)));
        var d = await client.PostAsync("/v1/studies/libra/decisions", """{"context":[1,0,0]}""");
        Assert.Equal(200, d.Status);
        string[] notes = [.. d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!)];
        Assert.Contains("advisor-followed", notes);
        Assert.Contains("propensity-unknown:advice", notes);
        Assert.Equal(JsonValueKind.Null, d.Body.GetProperty("propensity").ValueKind);
        // q = 1: the optimal pair under θ*: arm 1 (activity weight 2 beats arm 0's best 0.1 + ‖(1, 0.5)‖), recourse on the γ-sphere.
        Assert.Equal(1, d.Body.GetProperty("arm").GetInt32());
        double[] recourse = [.. d.Body.GetProperty("payload").GetProperty("recourse").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(1.0, recourse[0]); // the immutable age is kept
        Assert.Equal(1.0, Math.Sqrt(recourse[1] * recourse[1] + recourse[2] * recourse[2]), 9);
        var status = await client.GetAsync2("/v1/studies/libra");
        Assert.Equal(1, status.Body.GetProperty("modelCalls").GetProperty("queries").GetInt32());
        Assert.Equal(1, status.Body.GetProperty("modelCalls").GetProperty("followed").GetInt32());
    }

    [Fact]
    public async Task AnAdvisorPastTheDeadline_GivesTheBanditsPair_AndItsLateAnswerIsCountedNotUsed()
    {
        await using var service = await TestService.StartAsync();
        var client = service.ClientWith(await service.CreateStudyAsync(Spec("slow", delta: 0, latencyMs: 400, deadlineMs: 20)));
        var d = await client.PostAsync("/v1/studies/slow/decisions", """{"context":[1,0,0]}""");
        Assert.Equal(200, d.Status);
        string[] notes = [.. d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!)];
        Assert.Contains("advisor-fallback", notes);
        Assert.Contains("deterministic", notes); // the bandit's own one-hot pair
        Assert.Equal(1.0, d.Body.GetProperty("propensity").GetDouble());
        JsonElement calls = default;
        for (int i = 0; i < 100; i++)
        {
            calls = (await client.GetAsync2("/v1/studies/slow")).Body.GetProperty("modelCalls");
            if (calls.GetProperty("lateAnswers").GetInt32() == 1) break;
            await Task.Delay(50);
        }
        Assert.Equal(1, calls.GetProperty("lateAnswers").GetInt32());
        Assert.StartsWith("abstained: deadline", calls.GetProperty("fallbacks").EnumerateObject().Single().Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UsesTheRecordedAdvice_SoTheRestartedLearnerEqualsTheLiveOne()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 5 } });
        string key = await service.CreateStudyAsync(Spec("rep", delta: 0.5, latencyMs: 0, deadlineMs: 2000, quality: 0.5));
        var client = service.ClientWith(key);
        var rng = new Random(11);
        for (int i = 0; i < 16; i++)
        {
            string context = $"[{rng.NextDouble():0.###},{rng.NextDouble() - 0.5:0.###},{rng.NextDouble() - 0.5:0.###}]";
            var d = await client.PostAsync("/v1/studies/rep/decisions", $$"""{"context":{{context}}}""");
            Assert.Equal(200, d.Status);
            if (i % 3 != 2) await client.PostAsync("/v1/studies/rep/rewards", $$"""{"decisionId":"{{i + 1}}","reward":{{rng.NextDouble():0.###}}}""");
        }
        var before = await client.GetAsync2("/v1/studies/rep");
        Assert.True(before.Body.GetProperty("modelCalls").GetProperty("queries").GetInt32() > 0);
        string live = (await client.GetAsync2("/v1/studies/rep/snapshot")).Text;
        await service.RestartAsync();
        client = service.ClientWith(key);
        Assert.Equal(live, (await client.GetAsync2("/v1/studies/rep/snapshot")).Text);
        var after = await client.GetAsync2("/v1/studies/rep");
        Assert.Equal(before.Body.GetProperty("modelCalls").GetProperty("queries").GetInt32(), after.Body.GetProperty("modelCalls").GetProperty("queries").GetInt32());
    }

    [Theory]
    [InlineData("""{"kind":"oracle","theta":[[1,1,1],[1,1,1]]}""", "options.advisor.kind")]
    [InlineData("""{"kind":"simulated","theta":[[1,1,1]]}""", "options.advisor.theta")]
    [InlineData("""{"kind":"simulated","theta":[[1,1,1],[1,1]]}""", "options.advisor.theta[1]")]
    [InlineData("""{"kind":"simulated","quality":2,"theta":[[1,1,1],[1,1,1]]}""", "options.advisor.quality")]
    public async Task BadAdvisorSpec_Is400NamingTheField(string advisor, string field)
    {
        await using var service = await TestService.StartAsync();
        string body = $$$"""{"id":"x","kind":"libra","arms":["a","b"],"features":["f","g","h"],"options":{"advisor":{{{advisor}}} } }""";
        var response = await service.ClientWith(TestService.AdminKeyText).PostAsync("/v1/studies", body);
        Assert.Equal(400, response.Status);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
    }

    [Fact]
    public void SafeDefault_IsUniformFromTheDecisionsOwnStream_OrTheNamedArm()
    {
        var uniform = StudySpec.Parse(JsonDocument.Parse("""{"id":"s","kind":"linucb","arms":["a","b","c","d"],"features":["x"],"options":{"seed":5}}""").RootElement, () => 0);
        var named = StudySpec.Parse(JsonDocument.Parse("""{"id":"s","kind":"linucb","arms":["a","b","c","d"],"features":["x"],"options":{"seed":5,"safeDefault":"c"}}""").RootElement, () => 0);
        var failure = new InvalidOperationException("boom");
        var first = SafeDefaultDecision.Create(uniform, 3, DateTimeOffset.UnixEpoch, failure);
        Assert.Equal(first.Arm, SafeDefaultDecision.Create(uniform, 3, DateTimeOffset.UnixEpoch, failure).Arm); // same (seed, n), same arm
        Assert.All(first.Probabilities, p => Assert.Equal(0.25, p));
        Assert.True(first.Notes.Contains("safe-default") && first.Notes.Contains("safe-default-reason:InvalidOperationException"));
        var arms = Enumerable.Range(1, 200).Select(n => SafeDefaultDecision.Create(uniform, n, DateTimeOffset.UnixEpoch, failure).Arm).ToArray();
        Assert.Equal(4, arms.Distinct().Count()); // uniform over the arms, not a constant
        var c = SafeDefaultDecision.Create(named, 3, DateTimeOffset.UnixEpoch, failure);
        Assert.Equal(2, c.Arm);
        Assert.Equal([0.0, 0.0, 1.0, 0.0], c.Probabilities.ToArray());
    }
}
