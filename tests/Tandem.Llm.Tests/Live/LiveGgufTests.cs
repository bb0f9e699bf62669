using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Testing;
using Xunit.Abstractions;

namespace Tandem.Llm.Tests.Live;

/// <summary>Against a real GGUF file named by TANDEM_LIVE_GGUF (skipped otherwise): the model loads, answers through
/// the whole pipeline, and the ledger counts its tokens.</summary>
public sealed class LiveGgufTests(ITestOutputHelper output)
{
    [LiveGgufFact]
    public async Task RealModel_AnswersThroughThePipeline_WithTokensCounted()
    {
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + LiveGgufFactAttribute.Path), ledger,
            new LlmClientOptions { Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromMinutes(5), MaxRetries = 0 } });
        ChatResponse response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Reply with the single word OK.")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 16, Seed = 1 });
        output.WriteLine($"answer: {response.Text}; {ledger.PromptTokens} prompt, {ledger.CompletionTokens} completion tokens, {ledger.MeanLatencyMs:F0} ms");
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.True(ledger.PromptTokens > 5);
        Assert.True(ledger.CompletionTokens > 0);
    }
}
