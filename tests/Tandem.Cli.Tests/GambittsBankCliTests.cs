using System.Text.Json.Nodes;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;
using Tandem.Testing;

namespace Tandem.Cli.Tests;

[Collection(ApiKeyEnvironment.Name)]
public sealed class GambittsBankCliTests : IDisposable
{
    private const string Prompts = "optimism,formality,severity";
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task BankBuild_AgainstALocalServer_WritesABankThatGambittsRuns_AndReplaysIdenticallyWithoutCalls()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string cassette = Path.Combine(_out, "bank.cassette.jsonl");
        string a = Path.Combine(_out, "a", "bank.csv"), b = Path.Combine(_out, "b", "bank.csv");
        string[] common = ["gambitts", "bank", "build", "--prompts", Prompts, "--per-cell", "2", "--json"];

        var built = await CliRunner.Run([.. common, "--llm", $"openai:scripted@{server.BaseAddress}v1", "--record", cassette, "--out", a]);
        Assert.True(built.Exit == 0, built.Err);
        JsonNode summary = CliJson.Parse(built.Out)!;
        Assert.Equal(144, (int)summary["responses"]!); // 6 prompts × 12 contexts × 2
        Assert.Equal(server.Requests - 1, (long)summary["llm"]!["calls"]!); // the up-front check is outside the ledger
        Assert.Equal(288, (long)summary["llm"]!["calls"]!); // one generation and one rating per response
        Assert.True(File.Exists(Path.Combine(_out, "a", "bank.audit.jsonl")));
        ResponseBank bank = BankCsv.Load(a);
        Assert.Equal(6, bank.PromptCount);
        Assert.Equal(20, bank.DimensionCount);
        Assert.All(Enumerable.Range(0, 12), c => Assert.Equal(2, bank.ResponseCount(0, new GambitContext(c))));
        Assert.StartsWith("Walk a little more today", bank.Text(0, new GambitContext(0), 0));

        var study = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--bank", a, "--offline-draws", "2", "--runs", "2", "--horizon", "10", "--json", "--out", Path.Combine(_out, "study"));
        Assert.True(study.Exit == 0, study.Err);
        JsonNode studySummary = CliJson.Parse(study.Out)!;
        Assert.Equal("bank.csv", (string)studySummary["bank"]!);
        Assert.Null(studySummary["llm"]);

        int requests = server.Requests;
        var replayed = await CliRunner.Run([.. common, "--llm", "replay:" + cassette, "--out", b]);
        Assert.True(replayed.Exit == 0, replayed.Err);
        JsonNode replay = CliJson.Parse(replayed.Out)!;
        Assert.Equal(requests, server.Requests);
        Assert.Equal(0L, (long)replay["llm"]!["calls"]!);
        Assert.Equal(288L, (long)replay["llm"]!["cacheHits"]!);
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(b));

        var miss = await CliRunner.Run([.. common, "--seed", "2", "--llm", "replay:" + cassette, "--out", Path.Combine(_out, "c", "bank.csv")]);
        Assert.Equal(2, miss.Exit);
        Assert.Contains("cassette", miss.Err);
        Assert.Single(miss.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(Path.Combine(_out, "c", "bank.csv")));
    }

    [Fact]
    public async Task BankBuild_WithEmbeddings_FitsAProbe_AndReplays()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string cassette = Path.Combine(_out, "emb.jsonl");
        string[] common = ["gambitts", "bank", "build", "--prompts", "optimism", "--per-cell", "1", "--encoder", "embeddings:emb", "--calibration", "12", "--json"];

        var built = await CliRunner.Run([.. common, "--llm", $"ollama:chat@{server.BaseAddress}", "--record", cassette, "--out", Path.Combine(_out, "a.csv")]);
        Assert.True(built.Exit == 0, built.Err);
        JsonNode summary = CliJson.Parse(built.Out)!;
        Assert.Equal("embeddings:emb", (string)summary["encoder"]!);
        Assert.Equal(24, (int)summary["responses"]!);
        Assert.Equal(20, summary["probeR2"]!.AsObject().Count);
        // 24 generations + 12 calibration ratings + 12 calibration embeddings + 24 embeddings (12 of them cassette hits).
        Assert.Equal(server.Requests - 2, (long)summary["llm"]!["calls"]!); // the up-front chat and embedding checks are outside the ledger
        Assert.Equal(2 + 60, server.Requests);
        ResponseBank bank = BankCsv.Load(Path.Combine(_out, "a.csv"));
        Assert.Equal(["optimism:high", "optimism:low"], bank.Prompts);
        Assert.All(Enumerable.Range(0, 12), c => Assert.Equal(1, bank.ResponseCount(1, new GambitContext(c))));

        var replayed = await CliRunner.Run([.. common, "--llm", "replay:" + cassette, "--out", Path.Combine(_out, "b.csv")]);
        Assert.True(replayed.Exit == 0, replayed.Err);
        Assert.Equal(0L, (long)CliJson.Parse(replayed.Out)!["llm"]!["calls"]!);
        Assert.Equal(File.ReadAllText(Path.Combine(_out, "a.csv")), File.ReadAllText(Path.Combine(_out, "b.csv")));
    }

    [Fact]
    public async Task BankBuild_FlakyModel_Completes_WithFallbacksCountedByReason()
    {
        // Every third generation answers nothing, every rating of variant 0 for an even-seeded message is NaN, and
        // one request in seven fails with 503 (retried by the middleware or by the builder).
        int count = 0;
        await using var server = ScriptedLlmServer.ForRequests(r =>
        {
            if (Interlocked.Increment(ref count) % 7 == 0) return new ScriptedLlmServer.Reply(Status: 503);
            if (ScriptedGambitModel.IsRating(r.SystemText))
                return r.Seed == 0 && ScriptedGambitModel.MessageOf(r.UserText).Length % 2 == 0 ? new ScriptedLlmServer.Reply(Content: "optimism: NaN") : ScriptedGambitModel.Reply(r);
            return r.Seed % 3 == 0 ? new ScriptedLlmServer.Reply(Content: "") : ScriptedGambitModel.Reply(r);
        });
        await server.StartAsync();
        var run = await CliRunner.Run("gambitts", "bank", "build", "--prompts", "optimism:high", "--per-cell", "3", "--llm", $"openai:m@{server.BaseAddress}v1",
            "--llm-retries", "0", "--json", "--out", Path.Combine(_out, "bank.csv"));
        Assert.True(run.Exit == 0, run.Err);
        JsonNode llm = CliJson.Parse(run.Out)!["llm"]!;
        Assert.True((int)llm["fallbacks"]!["http"]! > 0);
        Assert.True((int)llm["fallbacks"]!["parse"]! > 0);
        Assert.True((int)llm["fallbacks"]!["refused"]! > 0);
        Assert.Equal(server.Requests - 1, (long)llm["calls"]!); // the up-front check is outside the ledger
        BankCsv.Load(Path.Combine(_out, "bank.csv"));
    }

    [Fact]
    public async Task BankBuild_ModelDown_NamesTheMissingCells_Exit2_AndWritesNothing()
    {
        await using var dead = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Status: 500));
        await dead.StartAsync();
        string file = Path.Combine(_out, "bank.csv");
        var stopped = await CliRunner.Run("gambitts", "bank", "build", "--prompts", "humor:low", "--per-cell", "1", "--llm", $"openai:m@{dead.BaseAddress}v1",
            "--llm-retries", "0", "--json", "--out", file);
        CliRunner.AssertUsageError(stopped, "--llm: openai:m@");
        Assert.Contains("did not answer the up-front check (http: ", stopped.Err);
        Assert.Equal(1, dead.Requests);
        Assert.False(File.Exists(file));

        // Up for the check, then down: the build names the cells it could not fill.
        await using var server = ScriptedLlmServer.ForRequests(CliRunner.AfterTheCheck(_ => new ScriptedLlmServer.Reply(Status: 500)));
        await server.StartAsync();
        var run = await CliRunner.Run("gambitts", "bank", "build", "--prompts", "humor:low", "--per-cell", "1", "--llm", $"openai:m@{server.BaseAddress}v1",
            "--llm-retries", "0", "--json", "--out", file);
        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Out);
        Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("12 (prompt, context) cell(s) have no generated response", run.Err);
        Assert.Contains("humor:low @ home:1 (http: ", run.Err);
        Assert.False(File.Exists(file));
    }

    [Theory]
    [InlineData(new[] { "--llm", "openai:" }, "--llm: LLM spec 'openai:' names no model")]
    [InlineData(new[] { "--llm", "gemini:pro" }, "--llm: LLM provider 'gemini' is unknown")]
    [InlineData(new[] { "--llm", "openai:gpt-4o-mini" }, "needs an API key: set TANDEM_LLM_API_KEY or OPENAI_API_KEY")]
    [InlineData(new[] { "--llm", "replay:/nonexistent/c.jsonl" }, "--llm: Cassette '/nonexistent/c.jsonl' does not exist")]
    [InlineData(new[] { "--llm", "ollama:m", "--per-cell", "0" }, "--per-cell 0: Responses per cell must lie in 1-10000")]
    [InlineData(new[] { "--llm", "ollama:m", "--prompts", "cheer" }, "--prompts: 'cheer' names no style dimension")]
    [InlineData(new[] { "--llm", "ollama:m", "--encoder", "bert" }, "--encoder bert: Encoder 'bert' is unknown")]
    [InlineData(new[] { "--llm", "replay:x.jsonl", "--record", "y.jsonl" }, "--record needs --llm to be a language model")]
    [InlineData(new[] { "--per-cell", "2" }, "--llm is required")]
    public async Task BankBuild_BadInput_OneLineError_Exit2(string[] options, string message)
    {
        using var noKeys = ApiKeyEnvironment.Set(null, null);
        var run = await CliRunner.Run(["gambitts", "bank", "build", .. options, "--out", Path.Combine(_out, "bank.csv")]);
        Assert.Equal(2, run.Exit);
        Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, run.Err);
    }

    [Fact]
    public async Task Gambitts_WithGenerator_BuildsTheBankFirst_SavesIt_AndReportsModelUse_WithoutTheKey()
    {
        const string key = "sk-test-SECRET-cli-gambit-42";
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        using var keys = ApiKeyEnvironment.Set(null, key);
        var run = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--generator", $"openai:scripted@{server.BaseAddress}v1", "--prompts", Prompts,
            "--per-cell", "1", "--offline-draws", "1", "--runs", "2", "--horizon", "10", "--json", "--out", _out);
        Assert.True(run.Exit == 0, run.Err);
        JsonNode summary = CliJson.Parse(run.Out)!;
        Assert.Equal(144L, (long)summary["llm"]!["calls"]!); // 6 prompts × 12 contexts × (1 generation + 1 rating)
        Assert.StartsWith("bank.csv (openai:scripted@", (string)summary["bank"]!);
        Assert.Equal(6, BankCsv.Load(Path.Combine(_out, "bank.csv")).PromptCount);
        Assert.Contains($"Bearer {key}", server.Authorizations);
        foreach (string file in Directory.GetFiles(_out))
            Assert.DoesNotContain(key, File.ReadAllText(file));
        Assert.DoesNotContain(key, run.Out + run.Err);

        var both = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--generator", "ollama:m", "--bank", "x.csv", "--out", _out);
        Assert.Equal(2, both.Exit);
        Assert.Contains("--generator and --bank exclude each other", both.Err);
        // A bank of 1 response per cell cannot give the default 500 offline draws without replacement: refused before any call.
        var small = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--generator", "ollama:m", "--per-cell", "1", "--out", Path.Combine(_out, "small"));
        Assert.Equal(2, small.Exit);
        Assert.Contains("--offline-draws 500: 500 offline draws per cell exceed the 1 responses per cell --per-cell builds", small.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_out, "small")));
    }
}
