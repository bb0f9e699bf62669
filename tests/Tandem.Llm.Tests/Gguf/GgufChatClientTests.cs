using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Llm.Providers.Gguf;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Gguf;

/// <summary>The in-process provider on a tiny random-weight model that the tests write themselves.</summary>
[Collection("gguf")]
public class GgufChatClientTests(GgufModel model)
{
    private static readonly ChatMessage[] Conversation = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi there, café?")];

    private static ChatOptions Sampled(long seed, int tokens = 24) => new() { Temperature = 1, MaxOutputTokens = tokens, Seed = seed };

    [Fact]
    public void Render_UsesTheChatTemplateInTheFilesMetadata()
    {
        // Bug caught: a generic "User:/Assistant:" prompt, or one template for every model.
        using var chatMl = GgufChatClient.Load(model.ChatMl);
        using var llama3 = GgufChatClient.Load(model.Llama3);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there, café?<|im_end|>\n<|im_start|>assistant\n", chatMl.Render(Conversation));
        Assert.Equal("<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there, café?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            llama3.Render(Conversation));
    }

    [Fact]
    public async Task Usage_CountsTheRenderedPromptsTokens_AndEveryAnswerToken()
    {
        // Bug caught: counting characters or words, counting the raw messages instead of the templated prompt, or
        // leaving the ledger's token columns at zero for a provider that reports no usage of its own.
        using var client = GgufChatClient.Load(model.ChatMl);
        string prompt = client.Render(Conversation);
        int expected = TinyGguf.CountTokens(prompt); // closed form of the tiny vocabulary: 'é' is two byte tokens
        Assert.Equal(expected, client.CountTokens(prompt));
        ChatResponse response = await client.GetResponseAsync(Conversation, Sampled(5, tokens: 12));
        Assert.Equal(expected, response.Usage!.InputTokenCount);
        Assert.InRange(response.Usage.OutputTokenCount!.Value, 0, 12);
        if (response.FinishReason == ChatFinishReason.Length) Assert.Equal(12, response.Usage.OutputTokenCount);
        Assert.Equal(expected + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task SameSeed_SameAnswer_AcrossCallsAndLoads_OtherSeed_OtherAnswer()
    {
        // Bug caught: sampling seeded from the clock, or state (cache, sampler) carried from one call into the next.
        using var first = GgufChatClient.Load(model.ChatMl);
        using var second = GgufChatClient.Load(model.ChatMl);
        string a = (await first.GetResponseAsync(Conversation, Sampled(7))).Text;
        await first.GetResponseAsync([new ChatMessage(ChatRole.User, "something else entirely")], Sampled(99));
        string b = (await first.GetResponseAsync(Conversation, Sampled(7))).Text;
        string c = (await second.GetResponseAsync(Conversation, Sampled(7))).Text;
        string[] others = await Task.WhenAll(Enumerable.Range(8, 3).Select(async s => (await second.GetResponseAsync(Conversation, Sampled(s))).Text));
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Contains(others, o => o != a);
    }

    [Fact]
    public async Task PromptLongerThanTheContext_StopsTheStudy_NamingContextSize()
    {
        // Bug caught: a prompt cut silently (the model answers something else), or a native decode failure turned into
        // an ordinary fallback on every call.
        using var client = GgufChatClient.Load(model.ChatMl, new GgufOptions { ContextSize = 256 });
        ChatMessage[] longPrompt = [new(ChatRole.User, new string('x', 300))];
        var ex = await Assert.ThrowsAsync<LlmContextOverflowException>(() => ModelCall.AskAsync(client, longPrompt, Sampled(1), CancellationToken.None));
        Assert.Contains("ContextSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"has {TinyGguf.CountTokens(client.Render(longPrompt))} tokens", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<Tandem.Core.Ports.StudyStopException>(ex);
    }

    [Fact]
    public async Task AnswerReachingTheEndOfTheContext_IsCutThere()
    {
        using var client = GgufChatClient.Load(model.ChatMl, new GgufOptions { ContextSize = 256 });
        ChatMessage[] prompt = [new(ChatRole.User, new string('y', 230))];
        int promptTokens = client.CountTokens(client.Render(prompt));
        ChatResponse response = await client.GetResponseAsync(prompt, Sampled(2, tokens: 200));
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 0, 256 - promptTokens);
    }

    [Fact]
    public async Task Cancellation_StopsBetweenAnswerTokens()
    {
        // Bug caught: a token checked only before the call, so a deadline cannot stop a long answer.
        using var client = GgufChatClient.Load(model.ChatMl);
        using var cts = new CancellationTokenSource();
        int seen = 0;
        client.TokenGenerated = n => { seen = n; if (n == 3) cts.Cancel(); };
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 500, AdditionalProperties = new() { [GgufChatClient.GrammarKey] = "root ::= [a-z]+" } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Conversation, options, cts.Token));
        Assert.Equal(3, seen);
    }

    [Fact]
    public async Task Deadline_ThroughThePipeline_IsATimeoutFallback_CountedAsAFailedCall()
    {
        string folder = model.PathOf("deadline");
        Directory.CreateDirectory(folder);
        var ledger = new LlmLedger();
        var options = new LlmClientOptions { Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromMilliseconds(1), MaxRetries = 0 } };
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + model.ChatMl), ledger, options);
        // Each token takes at least 20 ms, so the 1 ms deadline has always passed at the first check between tokens,
        // whatever the machine's speed (a grammar that needs one letter keeps the answer from ending before it).
        GgufChatClient gguf = client.GetService<GgufChatClient>() ?? throw new InvalidOperationException("no gguf client in the pipeline");
        gguf.TokenGenerated = _ => Thread.Sleep(20);
        var request = new ChatOptions { Temperature = 0, MaxOutputTokens = 4000, AdditionalProperties = new() { [GgufChatClient.GrammarKey] = "root ::= [a-z]+" } };
        ModelAnswer answer = await ModelCall.AskAsync(client, Conversation, request, CancellationToken.None);
        Assert.StartsWith(FallbackReasons.Timeout + ":", answer.Failure, StringComparison.Ordinal);
        Assert.Equal(1, ledger.Failures);
    }

    [Fact]
    public async Task Pipeline_CountsTokens_RecordsAndReplays_AndAudits()
    {
        // Bug caught: gguf: built outside LlmClients.Create, so cassette, audit and accounting would not see it.
        string folder = model.PathOf("pipeline");
        Directory.CreateDirectory(folder);
        string cassette = Path.Combine(folder, "c.jsonl"), audit = Path.Combine(folder, "audit.jsonl");
        var ledger = new LlmLedger();
        var spec = LlmSpec.Parse("gguf:" + model.ChatMl);
        string recorded;
        using (IChatClient client = LlmClients.Create(spec, ledger, new LlmClientOptions { RecordPath = cassette, AuditPath = audit }))
        {
            ChatResponse response = await client.GetResponseAsync(Conversation, Sampled(4));
            recorded = response.Text;
            Assert.Equal(TinyGguf.CountTokens(TemplatedChatMl(Conversation)), ledger.PromptTokens);
            Assert.Equal(response.Usage!.OutputTokenCount, ledger.CompletionTokens);
            Assert.Equal(1, ledger.Calls);
            await client.GetResponseAsync(Conversation, Sampled(4));
            Assert.Equal(1, ledger.Calls);
            Assert.Equal(1, ledger.CacheHits);
        }
        var replayLedger = new LlmLedger();
        using (IChatClient replay = LlmClients.Create(LlmSpec.Parse("replay:" + cassette), replayLedger))
            Assert.Equal(recorded, (await replay.GetResponseAsync(Conversation, Sampled(4))).Text);
        Assert.Contains("Hi there, caf", File.ReadAllText(audit), StringComparison.Ordinal);
    }

    private static string TemplatedChatMl(IEnumerable<ChatMessage> messages) =>
        string.Concat(messages.Select(m => $"<|im_start|>{m.Role.Value}\n{m.Text}<|im_end|>\n")) + "<|im_start|>assistant\n";

    [Fact]
    public void Spec_ParsesAPath_AndPrintsItBack()
    {
        LlmSpec spec = LlmSpec.Parse("gguf:/models/a@b:c.gguf");
        Assert.Equal(LlmKind.Gguf, spec.Kind);
        Assert.Equal("/models/a@b:c.gguf", spec.Model);
        Assert.Equal("gguf:/models/a@b:c.gguf", spec.ToString());
        Assert.True(LlmSpec.IsLlmSpec("gguf:x.gguf"));
        var ex = Assert.Throws<FormatException>(() => LlmSpec.Parse("gguf:"));
        Assert.Contains("names no GGUF file", ex.Message, StringComparison.Ordinal);
    }
}
