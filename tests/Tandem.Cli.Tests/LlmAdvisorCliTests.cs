using System.Text.Json.Nodes;
using Tandem.Testing;

namespace Tandem.Cli.Tests;

[Collection(ApiKeyEnvironment.Name)]
public sealed class LlmAdvisorCliTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task LocalOpenAiServer_RecordThenReplay_GivesTheSameStudy_WithoutCalls()
    {
        // A local OpenAI-compatible server that always gives the same (good) advice.
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: "treatment=2, DietScore=2.0, PhyActHours=1.0"));
        await server.StartAsync();
        string cassette = Path.Combine(_out, "libra.cassette.jsonl");
        string[] common = ["libra", "--env", "hypertension", "--horizon", "25", "--runs", "2", "--policies", "llm-only,libra", "--json"];

        var recorded = await CliRunner.Run([.. common, "--advisor", $"openai:scripted@{server.BaseAddress}v1", "--record", cassette, "--out", Path.Combine(_out, "a")]);
        Assert.True(recorded.Exit == 0, recorded.Err);
        JsonNode a = CliJson.Parse(recorded.Out)!;
        long calls = (long)a["llm"]!["calls"]!;
        Assert.True(calls > 0);
        Assert.Equal(calls + 1, server.Requests); // + the up-front model check, outside the ledger
        Assert.True(File.Exists(Path.Combine(_out, "a", "audit.jsonl")));
        Assert.Equal(25, (double)a["policies"]![0]!["llmQueries"]!["mean"]!);

        int before = server.Requests;
        var replayed = await CliRunner.Run([.. common, "--advisor", "replay:" + cassette, "--out", Path.Combine(_out, "b")]);
        Assert.True(replayed.Exit == 0, replayed.Err);
        JsonNode b = CliJson.Parse(replayed.Out)!;
        Assert.Equal(before, server.Requests);
        Assert.Equal(0L, (long)b["llm"]!["calls"]!);
        Assert.True((long)b["llm"]!["cacheHits"]! >= 1);
        for (int p = 0; p < 2; p++)
            Assert.Equal(a["policies"]![p]!["regretCurve"]!.ToJsonString(), b["policies"]![p]!["regretCurve"]!.ToJsonString());

        var miss = await CliRunner.Run([.. common, "--seed", "99", "--advisor", "replay:" + cassette, "--out", Path.Combine(_out, "c")]);
        Assert.Equal(2, miss.Exit);
        Assert.Contains("cassette", miss.Err);
        Assert.Single(miss.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task FailingServer_StudyCompletes_WithFallbacksCountedByReason()
    {
        // Issue 14: with the model down from the start, the study stops before simulating anything.
        await using var dead = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Status: 500));
        await dead.StartAsync();
        var stopped = await CliRunner.Run("libra", "--env", "hypertension", "--horizon", "10", "--runs", "1", "--policies", "libra", "--json",
            "--advisor", $"openai:scripted@{dead.BaseAddress}v1", "--llm-retries", "0", "--out", _out);
        CliRunner.AssertUsageError(stopped, "did not answer the up-front check (http: ClientResultException");
        Assert.False(File.Exists(Path.Combine(_out, "summary.json")));

        // Up for the check, then failing: every consultation is an http fallback, counted and said.
        await using var server = ScriptedLlmServer.ForRequests(CliRunner.AfterTheCheck(_ => new ScriptedLlmServer.Reply(Status: 500)));
        await server.StartAsync();
        var run = await CliRunner.Run("libra", "--env", "hypertension", "--horizon", "10", "--runs", "1", "--policies", "libra", "--json", "--max-fallback-rate", "1",
            "--advisor", $"openai:scripted@{server.BaseAddress}v1", "--llm-timeout", "5", "--llm-retries", "0", "--out", _out);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("10 of 10 answers were fallbacks (http 10)", run.Err);
        string html = File.ReadAllText(Path.Combine(_out, "report.html"));
        int said = html.IndexOf("10 of 10 answers were fallbacks (http 10)", StringComparison.Ordinal);
        Assert.InRange(said, 0, html.IndexOf("<h2", StringComparison.Ordinal)); // before the report's first section
        JsonNode summary = CliJson.Parse(run.Out)!;
        Assert.Equal(10, (int)summary["llm"]!["fallbacks"]!["http"]!);
    }

    [Fact]
    public async Task TwoModels_OneStudy_EachHasItsPolicies_AndItsOwnAccounting()
    {
        await using var good = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: "treatment=2, DietScore=2.0, PhyActHours=1.0"));
        await using var down = ScriptedLlmServer.ForRequests(CliRunner.AfterTheCheck(_ => new ScriptedLlmServer.Reply(Status: 503)));
        await good.StartAsync();
        await down.StartAsync();
        string a = $"openai:good@{good.BaseAddress}v1", b = $"openai:down@{down.BaseAddress}v1";
        var run = await CliRunner.Run("libra", "--env", "hypertension", "--horizon", "12", "--runs", "1", "--policies", "glrb,libra", "--json", "--max-fallback-rate", "1",
            "--advisor", a, "--advisor", b, "--llm-retries", "0", "--out", _out);
        Assert.True(run.Exit == 0, run.Err);
        JsonNode summary = CliJson.Parse(run.Out)!;
        string[] names = summary["policies"]!.AsArray().Select(p => (string)p!["name"]!).ToArray();
        Assert.Equal(["GLRB", $"LIBRA ({a})", $"LIBRA ({b})"], names);
        JsonNode per = summary["llmByAdvisor"]!;
        Assert.Equal(good.Requests - 1, (long)per[a]!["calls"]!); // the up-front check is outside the ledger
        Assert.Null(per[a]!["fallbacks"]!["http"]);
        Assert.Equal(12, (int)per[b]!["fallbacks"]!["http"]!);
        Assert.Equal((long)per[a]!["calls"]! + (long)per[b]!["calls"]!, (long)summary["llm"]!["calls"]!);
        Assert.True(File.Exists(Path.Combine(_out, "audit-1.jsonl")) && File.Exists(Path.Combine(_out, "audit-2.jsonl")));
        Assert.Single(Directory.GetFiles(_out, "recourse-libra-openai-good-*.png"));

        var record = await CliRunner.Run("libra", "--env", "hypertension", "--horizon", "3", "--runs", "1", "--advisor", a, "--advisor", b,
            "--record", Path.Combine(_out, "x.jsonl"), "--out", _out);
        Assert.Equal(2, record.Exit);
        Assert.Contains("one language model at a time", record.Err);
    }

    [Fact]
    public async Task MaxCalls_StopsTheStudy_AndARerunWithTheSameCassetteResumesForFree()
    {
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: "treatment=2, DietScore=2.0, PhyActHours=1.0"));
        await server.StartAsync();
        string cassette = Path.Combine(_out, "budget.cassette.jsonl");
        string[] args = ["libra", "--env", "hypertension", "--horizon", "12", "--runs", "1", "--policies", "llm-only", "--parallel", "1",
            "--json", "--advisor", $"openai:scripted@{server.BaseAddress}v1", "--record", cassette, "--llm-max-calls", "5", "--out", _out];

        var first = await CliRunner.Run(args);
        Assert.Equal(2, first.Exit);
        Assert.Contains("budget of 5 model calls", first.Err);
        Assert.Single(first.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(1 + 5, server.Requests); // the up-front check is outside the budget
        Assert.Equal(5, File.ReadAllLines(cassette).Length);

        // The first five requests come from the cassette; five more reach the model before the budget stops it again.
        var second = await CliRunner.Run(args);
        Assert.Equal(2, second.Exit);
        Assert.Equal(2 + 10, server.Requests);
        Assert.Equal(10, File.ReadAllLines(cassette).Length);

        var bad = await CliRunner.Run([.. args[..^4], "--llm-max-calls", "0", "--out", _out]);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--llm-max-calls 0 must be at least 1", bad.Err);
    }

    [Theory]
    [InlineData("openai:gpt-4o-mini", "OPENAI_API_KEY")]
    [InlineData("openai:", "names no model")]
    [InlineData("replay:/nonexistent/cassette.jsonl", "does not exist")]
    public async Task LlmAdvisor_SetupProblems_Exit2(string advisor, string mentions)
    {
        using var noKeys = ApiKeyEnvironment.Set(null, null);
        var run = await CliRunner.Run("libra", "--env", "hypertension", "--horizon", "5", "--runs", "1", "--advisor", advisor, "--out", _out);
        Assert.Equal(2, run.Exit);
        Assert.Contains(mentions, run.Err);
    }

    [Fact]
    public async Task LlmCheck_PrintsModelLatencyAndTokens_OrExit2WhenUnreachable()
    {
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: "OK"));
        await server.StartAsync();
        var ok = await CliRunner.Run("llm", "check", "--llm", $"openai:scripted@{server.BaseAddress}v1");
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Contains("model: scripted-model", ok.Out);
        Assert.Contains("tokens: 120 prompt, 12 completion", ok.Out);

        var down = await CliRunner.Run("llm", "check", "--llm", "openai:none@http://127.0.0.1:1/v1", "--timeout", "5");
        Assert.Equal(2, down.Exit);
        Assert.Single(down.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
