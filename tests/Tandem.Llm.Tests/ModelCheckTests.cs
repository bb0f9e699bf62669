using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Testing;

namespace Tandem.Llm.Tests;

public class ModelCheckTests
{
    private static ChatResponse Ok() => new(new ChatMessage(ChatRole.Assistant, "OK")) { Usage = new UsageDetails { InputTokenCount = 7, OutputTokenCount = 1 } };

    [Fact]
    public async Task Check_GoesToTheProviderOnly_NotCountedInTheLedgerOrTheBudget()
    {
        // Bug caught: the probe counted as a study call (ledger, budget) or went through the cassette and audit log.
        IList<ChatMessage>? seen = null;
        ChatOptions? seenOptions = null;
        var model = new ScriptedChatClient((m, o, _) => { seen = m; seenOptions = o; return Task.FromResult(Ok()); });
        var ledger = new LlmLedger();
        var budget = new CallBudgetChatClient(new AccountingChatClient(new AnswerFormatChatClient(model, ConstrainedDecoding.Grammar), ledger), maxCalls: 1);

        ChatResponse? answer = await ModelCheck.RunAsync(budget, "scripted", TimeSpan.FromSeconds(5));

        Assert.Equal("OK", answer!.Text);
        Assert.Equal(1, model.Calls);
        Assert.Equal(ModelCheck.Prompt, Assert.Single(seen!).Text);
        Assert.Equal(ModelCheck.MaxOutputTokens, seenOptions!.MaxOutputTokens);
        Assert.Null(AnswerGrammar.Of(seenOptions));
        Assert.Equal(0, ledger.Calls);
        Assert.Equal(0, budget.Calls);
    }

    [Fact]
    public async Task RefusedConnection_IsOneLineNamingTheModelAndTheReason()
    {
        // Port 1 on the loopback: nothing listens, so the connection is refused at once.
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("ollama:tiny@http://127.0.0.1:1"), new LlmLedger(), new LlmClientOptions());
        var ex = await Assert.ThrowsAsync<LlmUnavailableException>(() => ModelCheck.RunAsync(client, "ollama:tiny@http://127.0.0.1:1", TimeSpan.FromSeconds(10)));
        Assert.StartsWith("ollama:tiny@http://127.0.0.1:1 did not answer the up-front check (http: ", ex.Message);
        Assert.Contains("nothing was simulated", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.IsAssignableFrom<Tandem.Core.Ports.StudyStopException>(ex);
    }

    [Fact]
    public async Task SilentModel_FailsAtTheDeadline_AsATimeout()
    {
        var model = new ScriptedChatClient(async (_, _, ct) => { await Task.Delay(Timeout.Infinite, ct); return Ok(); });
        var ex = await Assert.ThrowsAsync<LlmUnavailableException>(() => ModelCheck.RunAsync(new AnswerFormatChatClient(model, ConstrainedDecoding.None), "slow", TimeSpan.FromMilliseconds(200)));
        Assert.Contains("(timeout: no answer within 0.2 s)", ex.Message);
    }

    [Fact]
    public async Task CallersCancellation_IsRethrown_NotReportedAsAFailedCheck()
    {
        var model = new ScriptedChatClient(async (_, _, ct) => { await Task.Delay(Timeout.Infinite, ct); return Ok(); });
        using var cancel = new CancellationTokenSource();
        Task check = ModelCheck.RunAsync(new AnswerFormatChatClient(model, ConstrainedDecoding.None), "m", TimeSpan.FromMinutes(5), cancellationToken: cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check);
    }

    [Fact]
    public async Task ReplayCassette_IsNotChecked()
    {
        string cassette = Path.Combine(Path.GetTempPath(), $"tandem-check-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(cassette, "");
        try
        {
            using IChatClient client = LlmClients.Create(LlmSpec.Parse("replay:" + cassette), new LlmLedger());
            Assert.False(ModelCheck.Applies(client));
            Assert.Null(await ModelCheck.RunAsync(client, "replay", TimeSpan.FromSeconds(1)));
        }
        finally
        {
            File.Delete(cassette);
        }
    }

    private static LlmClientOptions Quick() => new() { Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(10), MaxRetries = 0 } };

    [Fact]
    public async Task EmbeddingCheck_OneVector_GoesToTheProviderOnly_NotCounted()
    {
        // Bug caught: the embedding check counted as a study call, or sent through the cassette.
        var inputs = new List<IReadOnlyList<string>>();
        await using var server = ScriptedLlmServer.ForRequests(r => { lock (inputs) inputs.Add(r.Inputs); return new ScriptedLlmServer.Reply(Embed: _ => [0.5f, -0.25f, 1f]); });
        await server.StartAsync();
        var ledger = new LlmLedger();
        using var generator = LlmEmbeddings.Create(LlmSpec.Parse($"ollama:chat@{server.BaseAddress}"), "emb", ledger, Quick());

        Assert.Equal(3, await ModelCheck.RunEmbeddingAsync(generator, "embeddings:emb", TimeSpan.FromSeconds(10)));
        Assert.Equal([ModelCheck.EmbeddingText], Assert.Single(inputs));
        Assert.Equal(0, ledger.Calls);
    }

    [Theory]
    [InlineData("500", "(http: ")]
    [InlineData("empty-vector", "(parse: an empty vector)")]
    [InlineData("nan", "(parse: a vector with a non-finite number)")]
    public async Task EmbeddingCheck_DeadOrBrokenModel_IsOneLineNamingTheModelAndTheReason(string behaviour, string reason)
    {
        await using var server = ScriptedLlmServer.ForRequests(_ => behaviour switch
        {
            "500" => new ScriptedLlmServer.Reply(Status: 500),
            "empty-vector" => new ScriptedLlmServer.Reply(Embed: _ => []),
            _ => new ScriptedLlmServer.Reply(Embed: _ => [0.5f, float.NaN]), // OpenAI's base64 vectors can carry a NaN
        });
        await server.StartAsync();
        string spec = behaviour == "nan" ? $"openai:chat@{server.BaseAddress}v1" : $"ollama:chat@{server.BaseAddress}";
        using var generator = LlmEmbeddings.Create(LlmSpec.Parse(spec), "emb", new LlmLedger(), Quick(), _ => null);
        var ex = await Assert.ThrowsAsync<LlmUnavailableException>(() => ModelCheck.RunEmbeddingAsync(generator, "embeddings:emb", TimeSpan.FromSeconds(10)));
        Assert.StartsWith("embeddings:emb did not answer the up-front embedding check ", ex.Message);
        Assert.Contains(reason, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void MiniLm_ThatCannotLoad_IsOneConfigurationLineNamingIt()
    {
        // Bug caught: a missing native ONNX Runtime crashing the command instead of exit 2 with one line.
        var ex = Assert.Throws<LlmConfigurationException>(() =>
            LlmEmbeddings.LoadChecked(() => throw new TypeInitializationException("Microsoft.ML.OnnxRuntime.NativeMethods", new DllNotFoundException("libonnxruntime.so: cannot open shared object file"))));
        Assert.Equal("embeddings:minilm: the packaged all-MiniLM-L6-v2 could not be loaded (DllNotFoundException: libonnxruntime.so: cannot open shared object file).", ex.Message);
    }
}
