using System.Text;
using System.Text.Json;
using Tandem.Testing;

namespace Tandem.Service.Tests;

/// <summary>libra with a language-model advisor, against a scripted OpenAI-compatible server on loopback (never a real network).</summary>
public sealed class LlmAdvisorTests
{
    private const string Secret = "sk-service-test-SECRET-4f1e9a77c2";

    private static string Spec(string id, string model, int deadlineMs) => $$$"""
        {"id":"{{{id}}}","kind":"libra","arms":["drugA","drugB"],"features":["age","diet","activity"],
         "options":{"seed":7,"mutable":["diet","activity"],"gamma":1,"delta":0,"decisionDeadlineMs":{{{deadlineMs}}},
           "advisor":{"kind":"llm","model":"{{{model}}}"} } }
        """;

    [Fact]
    public async Task TheModelIsFollowed_ItsFailuresAreRecordedFallbacks_ReplayAsksItNothing_AndTheKeyIsNowhere()
    {
        string? saved = Environment.GetEnvironmentVariable("TANDEM_LLM_API_KEY");
        Environment.SetEnvironmentVariable("TANDEM_LLM_API_KEY", Secret);
        try
        {
            await using var llm = new ScriptedLlmServer(n => n switch
            {
                0 => new ScriptedLlmServer.Reply(Content: "treatment=drugB, diet=0.6, activity=0.8"),
                1 => new ScriptedLlmServer.Reply(Status: 500, RawBody: "{\"error\":\"boom\"}"),
                2 => new ScriptedLlmServer.Reply(Content: "I would rather not say."),
                _ => new ScriptedLlmServer.Reply(Content: "treatment=drugA, diet=0.1, activity=0.1", Delay: TimeSpan.FromSeconds(5)),
            });
            await llm.StartAsync();
            await using var service = await TestService.StartAsync();
            string key = await service.CreateStudyAsync(Spec("llm", $"openai:gpt-test@{llm.BaseAddress}v1", deadlineMs: 1500));
            var client = service.ClientWith(key);
            var texts = new List<string>();
            var notes = new List<string[]>();
            for (int i = 0; i < 4; i++)
            {
                var d = await client.PostAsync("/v1/studies/llm/decisions", """{"context":[1,0,0]}""");
                Assert.True(d.Status == 200, d.Text); // a decision always comes back, whatever the model did
                texts.Add(d.Text);
                notes.Add([.. d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!)]);
                if (i == 0) Assert.Equal(1, d.Body.GetProperty("arm").GetInt32()); // drugB, as the model said
            }
            Assert.Contains("advisor-followed", notes[0]);
            for (int i = 1; i < 4; i++) Assert.Contains("advisor-fallback", notes[i]);
            Assert.Equal(4, llm.Requests);
            Assert.All(llm.Authorizations, a => Assert.Equal("Bearer " + Secret, a)); // the key is the environment's

            var status = await client.GetAsync2("/v1/studies/llm");
            JsonElement calls = status.Body.GetProperty("modelCalls");
            Assert.Equal(4, calls.GetProperty("queries").GetInt32());
            Assert.Equal(1, calls.GetProperty("followed").GetInt32());
            Assert.Equal(3, calls.GetProperty("fallbacks").EnumerateObject().Sum(p => p.Value.GetInt32()));
            // The slow answer: the decision's deadline and the model call's own deadline (set to the same value) race; either way the bandit's pair.
            string[] reasons = [.. calls.GetProperty("fallbacks").EnumerateObject().Select(p => p.Name)];
            Assert.True(reasons.Any(r => r.Contains("deadline", StringComparison.Ordinal) || r.Contains("timeout", StringComparison.Ordinal)), string.Join(" | ", reasons));
            Assert.True(calls.GetProperty("model").GetProperty("calls").GetInt64() >= 3);

            // A restart replays the recorded answers: the learner is the live one and the model is not asked again.
            string live = (await client.GetAsync2("/v1/studies/llm/snapshot")).Text;
            await service.RestartAsync();
            client = service.ClientWith(key);
            string replayed = (await client.GetAsync2("/v1/studies/llm/snapshot")).Text;
            Assert.Equal(live, replayed);
            Assert.Equal(4, llm.Requests);

            // The key is in no response, log line, snapshot or stored byte.
            string log = (await client.GetAsync2("/v1/studies/llm/log")).Text;
            foreach (string text in texts.Append(status.Text).Append(live).Append(log).Append((await client.GetAsync2("/v1/studies/llm")).Text))
                Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            byte[] secret = Encoding.UTF8.GetBytes(Secret);
            foreach (string file in Directory.EnumerateFiles(service.Data, "*", SearchOption.AllDirectories))
            {
                byte[] bytes;
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)) bytes = new byte[stream.Length];
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)) stream.ReadExactly(bytes);
                Assert.True(bytes.AsSpan().IndexOf(secret) < 0, file);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("TANDEM_LLM_API_KEY", saved);
        }
    }

    [Theory]
    [InlineData("openai:gpt@https://user:sk-inurl-secret@example.org/v1", "options.advisor.model")]
    [InlineData("telepathy:gpt", "options.advisor.model")]
    public async Task ABadModelSpec_Is400NamingTheField_AndEchoesNoCredential(string model, string field)
    {
        await using var service = await TestService.StartAsync();
        var response = await service.ClientWith(TestService.AdminKeyText).PostAsync("/v1/studies", Spec("bad", model, 2000));
        Assert.Equal(400, response.Status);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
        Assert.DoesNotContain("sk-inurl-secret", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAisHostWithoutAKeyInTheEnvironment_IsRefusedAtCreation_NamingTheModel()
    {
        string?[] saved = [Environment.GetEnvironmentVariable("TANDEM_LLM_API_KEY"), Environment.GetEnvironmentVariable("OPENAI_API_KEY")];
        Environment.SetEnvironmentVariable("TANDEM_LLM_API_KEY", null);
        Environment.SetEnvironmentVariable("OPENAI_API_KEY", null);
        try
        {
            await using var service = await TestService.StartAsync();
            var response = await service.ClientWith(TestService.AdminKeyText).PostAsync("/v1/studies", Spec("nokey", "openai:gpt-4o-mini", 2000));
            Assert.Equal(400, response.Status);
            Assert.Equal("options.advisor.model", response.Body.GetProperty("field").GetString());
            Assert.Contains("API key", response.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(404, (await service.ClientWith(TestService.AdminKeyText).GetAsync2("/v1/studies/nokey")).Status); // nothing stored
        }
        finally
        {
            Environment.SetEnvironmentVariable("TANDEM_LLM_API_KEY", saved[0]);
            Environment.SetEnvironmentVariable("OPENAI_API_KEY", saved[1]);
        }
    }
}
