using System.Text.Json.Nodes;
using Tandem.Testing;

namespace Tandem.Cli.Tests;

/// <summary>The LLM layer's hardening (docs/security.md) as the command line offers it: records checked before any
/// call, torn cassette tails said, the response cap, the key-over-http opt-in and the call budget of bank build.</summary>
[Collection(ApiKeyEnvironment.Name)]
public sealed class LlmHardeningCliTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static string[] Bank(params string[] more) => ["gambitts", "bank", "build", "--prompts", "optimism:high", "--per-cell", "1", .. more];

    private static string[] Libra(params string[] more) => ["libra", "--env", "hypertension", "--horizon", "5", "--runs", "1", "--policies", "llm-only", .. more];

    [Fact]
    public async Task BankBuild_LlmMaxCalls_StopsAtTheBudget_Exit2_WithoutABank()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string file = Path.Combine(_out, "bank.csv");
        var run = await CliRunner.Run(Bank("--llm", $"openai:m@{server.BaseAddress}v1", "--llm-max-calls", "5", "--json", "--out", file));
        CliRunner.AssertUsageError(run, "--llm: the budget of 5 model calls is used up");
        Assert.InRange(server.Requests, 2, 1 + 5); // the check, then never more than the budget (a call in flight at the stop may be cancelled)
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task UnwritableCassette_IsExit2_BeforeAnyCall_ForBankBuildAndStudies()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string folder = Path.Combine(_out, "a-folder");
        Directory.CreateDirectory(folder);

        var bank = await CliRunner.Run(Bank("--llm", $"openai:m@{server.BaseAddress}v1", "--record", folder, "--out", Path.Combine(_out, "bank.csv")));
        CliRunner.AssertUsageError(bank, "--llm: cannot write the study's model records");
        Assert.Contains(folder, bank.Err);

        var libra = await CliRunner.Run(Libra("--advisor", $"openai:m@{server.BaseAddress}v1", "--record", folder, "--json", "--out", Path.Combine(_out, "libra")));
        CliRunner.AssertUsageError(libra, "--advisor: cannot write the study's model records");
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task BankBuild_ResumedRecording_OverATornTail_SaysSoOnStderr_AndKeepsStdoutOneJsonObject()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string cassette = Path.Combine(_out, "c.jsonl");
        string[] build = Bank("--llm", $"openai:m@{server.BaseAddress}v1", "--record", cassette, "--json");
        var first = await CliRunner.Run([.. build, "--out", Path.Combine(_out, "a.csv")]);
        Assert.True(first.Exit == 0, first.Err);
        Assert.Equal("", first.Err);
        string text = File.ReadAllText(cassette);
        File.WriteAllText(cassette, text[..(text.Length - 30)]); // a write that did not finish

        int before = server.Requests;
        var resumed = await CliRunner.Run([.. build, "--out", Path.Combine(_out, "b.csv")]);
        Assert.True(resumed.Exit == 0, resumed.Err);
        Assert.StartsWith("note: ", resumed.Err);
        Assert.Contains("cut off a torn last line", resumed.Err);
        Assert.Equal(2, server.Requests - before); // the up-front check, and only the lost answer is paid for again
        Assert.Equal(1L, (long)CliJson.Parse(resumed.Out)!["llm"]!["calls"]!);
        Assert.Equal(File.ReadAllText(Path.Combine(_out, "a.csv")), File.ReadAllText(Path.Combine(_out, "b.csv")));
    }

    [Theory]
    [InlineData("bank")]
    [InlineData("libra")]
    [InlineData("check")]
    public async Task LlmMaxResponseBytes_OutOfRange_NamesTheOption(string command)
    {
        string[] args = command switch
        {
            "bank" => Bank("--llm", "ollama:m", "--out", Path.Combine(_out, "bank.csv")),
            "libra" => Libra("--advisor", "ollama:m", "--out", _out),
            _ => ["llm", "check", "--llm", "ollama:m"],
        };
        var run = await CliRunner.Run([.. args, "--llm-max-response-bytes", "100"]);
        CliRunner.AssertUsageError(run, "--llm-max-response-bytes 100: MaxResponseBytes must lie in 1 KiB to 1 GiB");
    }

    [Fact]
    public async Task LlmMaxResponseBytes_ALargerAnswer_IsAParseFallback()
    {
        await using var server = ScriptedLlmServer.ForRequests(CliRunner.AfterTheCheck(_ => new ScriptedLlmServer.Reply(Content: "treatment=2, DietScore=2.0, PhyActHours=1.0" + new string(' ', 4000))));
        await server.StartAsync();
        var run = await CliRunner.Run(Libra("--advisor", $"openai:m@{server.BaseAddress}v1", "--llm-max-response-bytes", "2048", "--llm-retries", "0", "--max-fallback-rate", "1",
            "--json", "--out", _out));
        Assert.True(run.Exit == 0, run.Err);
        Assert.Equal(5, (int)CliJson.Parse(run.Out)!["llm"]!["fallbacks"]!["parse"]!);
    }

    [Fact]
    public async Task KeyOverPlainHttp_ToAnotherMachine_IsRefused_UnlessAllowed()
    {
        using var keys = ApiKeyEnvironment.Set(null, "sk-test-over-http-7");
        // 192.0.2.1 is TEST-NET-1: never this machine, never answers.
        string[] args = Bank("--llm", "openai:m@http://192.0.2.1/v1", "--llm-timeout", "0.5", "--llm-retries", "0", "--llm-max-calls", "1", "--json",
            "--out", Path.Combine(_out, "bank.csv"));
        var refused = await CliRunner.Run(args);
        CliRunner.AssertUsageError(refused, "refusing to send the API key");
        Assert.Contains("--allow-key-over-http", refused.Err);
        Assert.DoesNotContain("sk-test-over-http-7", refused.Err);

        // Allowed, the build gets as far as calling the model: the up-front check gets no answer.
        var allowed = await CliRunner.Run([.. args, "--allow-key-over-http"]);
        CliRunner.AssertUsageError(allowed, "did not answer the up-front check (");
        Assert.DoesNotContain("sk-test-over-http-7", allowed.Err);
    }

    [Fact]
    public async Task Study_WhoseModelKeepsFailing_StopsWithExit2_NamingTheShare()
    {
        await using var server = ScriptedLlmServer.ForRequests(CliRunner.AfterTheCheck(_ => new ScriptedLlmServer.Reply(Status: 500)));
        await server.StartAsync();
        string[] args = ["libra", "--env", "hypertension", "--horizon", "40", "--runs", "1", "--policies", "llm-only", "--advisor", $"openai:m@{server.BaseAddress}v1",
            "--llm-retries", "0", "--json", "--out", _out];
        var stopped = await CliRunner.Run(args); // the default guard: 0.2
        CliRunner.AssertUsageError(stopped, "--advisor: 20 of 20 answers of openai:m@");
        Assert.Contains("were fallbacks (http 20), more than the allowed share 0.2", stopped.Err);
        Assert.InRange(server.Requests, 2, 1 + 20); // the check; no request after the stop (the circuit breaker spares some before it)

        var allowed = await CliRunner.Run([.. args, "--max-fallback-rate", "1"]); // the guard turned off

        Assert.True(allowed.Exit == 0, allowed.Err);
        Assert.Equal(40, (int)CliJson.Parse(allowed.Out)!["llm"]!["fallbacks"]!["http"]!);

        CliRunner.AssertUsageError(await CliRunner.Run([.. args, "--max-fallback-rate", "1.5"]), "--max-fallback-rate 1.5: MaxFallbackRate must lie in [0, 1]");
    }
}
