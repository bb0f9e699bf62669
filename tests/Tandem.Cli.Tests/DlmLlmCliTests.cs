using System.Text.Json.Nodes;
using Tandem.Testing;

namespace Tandem.Cli.Tests;

public sealed class DlmLlmCliTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static string[] Small(params string[] extra) => Sized(2, extra);

    private static string[] Sized(int stagesAndCandidates, params string[] extra) =>
        ["dlm", "--tasks", "0", "--seeds", "2", "--arms", "16", "--budget", "4", "--stages", $"{stagesAndCandidates}", "--candidates", $"{stagesAndCandidates}",
         "--trials", "2", "--steps", "3", "--json", .. extra];

    [Fact]
    public async Task LocalServerDesigner_RecordThenReplay_GivesTheSameTable_WithoutCalls()
    {
        // One answer serves both roles: the designer reads the marked reward, the reflector the index sentence.
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content:
            "Older mothers first.\n<reward>state * (1.0 + 3.0 * feats[11])</reward>\nThe best reward function is at index: 1"));
        await server.StartAsync();
        string cassette = Path.Combine(_out, "dlm.cassette.jsonl");

        var recorded = await CliRunner.Run(Small("--designer", $"openai:scripted@{server.BaseAddress}v1", "--record", cassette, "--out", Path.Combine(_out, "a")));
        Assert.True(recorded.Exit == 0, recorded.Err);
        JsonNode a = CliJson.Parse(recorded.Out)!;
        long calls = (long)a["llm"]!["calls"]!;
        // Per seed: No Reflection 1 proposal; Reflection 2 stages × (2 proposals + 1 selection).
        Assert.Equal(2 * (1 + 2 * 3), calls);
        Assert.Equal(calls + 1, server.Requests); // + the up-front model check, outside the ledger
        Assert.Equal("state * (1.0 + 3.0 * feats[11])", (string)a["tasks"]![0]!["exampleReward"]!);
        Assert.True(File.Exists(Path.Combine(_out, "a", "audit.jsonl")));
        Assert.Contains("language model", File.ReadAllText(Path.Combine(_out, "a", "report.html")));

        var replayed = await CliRunner.Run(Small("--designer", "replay:" + cassette, "--out", Path.Combine(_out, "b")));
        Assert.True(replayed.Exit == 0, replayed.Err);
        JsonNode b = CliJson.Parse(replayed.Out)!;
        Assert.Equal(calls + 1, server.Requests); // a replay is not checked
        Assert.Equal(0L, (long)b["llm"]!["calls"]!);
        Assert.Equal(calls, (long)b["llm"]!["cacheHits"]!);
        Assert.Equal(a["tasks"]!.ToJsonString(), b["tasks"]!.ToJsonString());

        var miss = await CliRunner.Run(Small("--seed", "99", "--designer", "replay:" + cassette, "--out", Path.Combine(_out, "c")));
        Assert.Equal(2, miss.Exit);
        Assert.Contains("--designer", miss.Err);
        Assert.Single(miss.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task DeadServer_StopsAtTheUpFrontCheck_Exit2_BeforeAnySimulation()
    {
        // Issue 14: a dead model must not produce a normal-looking table of the algorithm's fallback behaviour.
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Status: 503));
        await server.StartAsync();
        var run = await CliRunner.Run(Sized(1, "--designer", $"openai:down@{server.BaseAddress}v1", "--llm-retries", "0", "--out", _out));
        CliRunner.AssertUsageError(run, $"--designer: openai:down@{server.BaseAddress}v1 did not answer the up-front check (http: ");
        Assert.Equal(1, server.Requests);
        Assert.False(File.Exists(Path.Combine(_out, "summary.json")));
    }

    [Fact]
    public async Task ServerThatDiesAfterTheCheck_StudyCompletes_AndEveryFallbackIsCountedAsHttp()
    {
        await using var server = ScriptedLlmServer.ForRequests(CliRunner.AfterTheCheck(_ => new ScriptedLlmServer.Reply(Status: 503)));
        await server.StartAsync();
        var run = await CliRunner.Run(Sized(1, "--designer", $"openai:down@{server.BaseAddress}v1", "--llm-retries", "0", "--max-fallback-rate", "1", "--out", _out));
        Assert.True(run.Exit == 0, run.Err);
        JsonNode summary = CliJson.Parse(run.Out)!;
        // 2 seeds × 2 loops (no reflection, reflection) × 11 attempts, all failing.
        Assert.Equal(44, (int)summary["llm"]!["fallbacks"]!["http"]!);
        // After 8 failed calls in a row the circuit opens: the rest fail at once without reaching the server.
        Assert.InRange(server.Requests, 1 + 8, 1 + 8 + 4);
        Assert.Contains($"model answers: openai:down@{server.BaseAddress}v1: 44 of 44 answers were fallbacks (http 44)", run.Err);
        Assert.Contains("44 of 44 answers were fallbacks (http 44)", File.ReadAllText(Path.Combine(_out, "report.html")));
        // An OpenAI-compatible server declares no grammar support: its requests were free-form, and the study says so.
        Assert.Contains("; answer format: free ", run.Err);
        Assert.Contains("the provider declares no grammar or schema support, so requests were free-form", File.ReadAllText(Path.Combine(_out, "report.html")));
        Assert.Null(summary["tasks"]![0]!["exampleReward"]);
    }

    [Theory]
    [InlineData("openai:", "names no model")]
    [InlineData("replay:/nonexistent/dlm.jsonl", "does not exist")]
    [InlineData("gemini-pro", "unknown")]
    public async Task BadDesigner_Exit2_WithOneLine(string designer, string mentions)
    {
        var run = await CliRunner.Run(Small("--designer", designer, "--out", _out));
        Assert.Equal(2, run.Exit);
        Assert.Contains(mentions, run.Err);
        Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Record_WithoutAModel_Exit2()
    {
        var run = await CliRunner.Run(Small("--record", Path.Combine(_out, "x.jsonl"), "--out", _out));
        Assert.Equal(2, run.Exit);
        Assert.Contains("--record needs --designer", run.Err);
    }
}

public sealed class SimulatedSpecCliTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task GeneratorSimulated_IsTheSyntheticBank_AndGivesTheSameNumbersAsNoGenerator()
    {
        string[] common = ["gambitts", "--experiment", "illustrative", "--runs", "2", "--horizon", "20", "--json"];
        var a = await CliRunner.Run([.. common, "--generator", "simulated", "--out", Path.Combine(_out, "a")]);
        var b = await CliRunner.Run([.. common, "--out", Path.Combine(_out, "b")]);
        Assert.True(a.Exit == 0, a.Err);
        Assert.True(b.Exit == 0, b.Err);
        Assert.Equal(CliJson.Parse(b.Out)!["series"]!.ToJsonString(), CliJson.Parse(a.Out)!["series"]!.ToJsonString());

        var bad = await CliRunner.Run([.. common, "--generator", "simulated:q=1", "--out", _out]);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("takes no settings", bad.Err);
    }

    [Fact]
    public async Task LlmCheck_Simulated_SaysThereIsNothingToCheck()
    {
        var run = await CliRunner.Run("llm", "check", "--llm", "simulated");
        Assert.Equal(0, run.Exit);
        Assert.Contains("no model is called", run.Out);
    }
}
