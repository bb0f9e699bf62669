using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Testing;

namespace Tandem.Llm.Tests;

/// <summary>Issue 14, item 1: a study whose model mostly fails must stop, not finish on fallbacks.</summary>
public class FallbackGuardTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    [Fact]
    public async Task Guard_StopsAtTheFirstRequestAfterTheSharePassed_NotBeforeTheMinimum()
    {
        var ledger = new LlmLedger();
        var guard = new FallbackGuard(ledger, "m", maxRate: 0.2, minConsultations: 20);
        using var client = new FallbackGuardChatClient(ScriptedChatClient.Answering("x"), guard);

        // 20 consultations, 4 fallbacks: exactly the allowed share, never a stop.
        for (int i = 0; i < 20; i++)
        {
            await client.GetResponseAsync(Hello);
            if (i % 5 == 0) ledger.RecordFallback("http: 500");
        }
        await client.GetResponseAsync(Hello);
        Assert.Equal(21, guard.Consultations);

        // A fifth fallback of 21 is over 0.2: the next request stops, naming counts, reasons and the model.
        ledger.RecordFallback("timeout: late");
        var stop = await Assert.ThrowsAsync<LlmFallbackRateException>(() => client.GetResponseAsync(Hello));
        Assert.Contains("5 of 21 answers of m were fallbacks (http 4, timeout 1)", stop.Message);
        Assert.Equal(21, guard.Consultations);
    }

    [Fact]
    public void Guard_BeforeTheMinimum_OnlyTheFinalCheckStops()
    {
        var ledger = new LlmLedger();
        var guard = new FallbackGuard(ledger, "m", maxRate: 0.2, minConsultations: 20);
        guard.Check(final: true); // no consultation: nothing to judge
        guard.Count();
        ledger.RecordFallback("refused: empty answer");
        guard.Check();
        Assert.Throws<LlmFallbackRateException>(() => guard.Check(final: true));
    }

    [Fact]
    public void Guard_RateOne_NeverStops()
    {
        var ledger = new LlmLedger();
        var guard = new FallbackGuard(ledger, "m", maxRate: 1, minConsultations: 1);
        for (int i = 0; i < 5; i++)
        {
            guard.Count();
            ledger.RecordFallback("http: 500");
        }
        guard.Check(final: true);
    }

    [Fact]
    public async Task LlmClients_MaxFallbackRate_PutsTheGuardOutermost_AndPortsLetItsStopThrough()
    {
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Status: 500));
        await server.StartAsync();
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse($"openai:m@{server.BaseAddress}v1"), ledger,
            new LlmClientOptions { MaxFallbackRate = 0.5, Resilience = new ResilienceOptions { MaxRetries = 0 } });
        Assert.NotNull(client.GetService<FallbackGuardChatClient>());
        for (int i = 0; i < FallbackGuard.DefaultMinConsultations; i++)
        {
            ModelAnswer answer = await ModelCall.AskAsync(client, Hello, new ChatOptions(), CancellationToken.None);
            ledger.RecordFallback(answer.Failure);
        }
        await Assert.ThrowsAsync<LlmFallbackRateException>(() => ModelCall.AskAsync(client, Hello, new ChatOptions(), CancellationToken.None));
        Assert.Equal(FallbackGuard.DefaultMinConsultations, client.GetService<FallbackGuardChatClient>()!.Guard.Consultations);
        Assert.InRange(server.Requests, 1, FallbackGuard.DefaultMinConsultations); // the circuit breaker spares the dead server some
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void MaxFallbackRate_OutOfRange_IsNamed(double rate)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LlmClientOptions { MaxFallbackRate = rate }.Validate());
        Assert.Equal("MaxFallbackRate", ex.ParamName);
    }
}
