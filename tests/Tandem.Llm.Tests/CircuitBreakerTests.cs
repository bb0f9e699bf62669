using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Recourse.Advisors;
using Tandem.Testing;

namespace Tandem.Llm.Tests;

public class CircuitBreakerTests
{
    /// <summary>A clock that moves only when told (timers still run on real time; these tests use none).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }

    [Fact]
    public async Task AfterBreakAfterFailuresInARow_CallsFailAtOnce_ThenOneIsLetThrough_AndASuccessCloses()
    {
        bool down = true;
        var model = new ScriptedChatClient((_, _, _) => down
            ? Task.FromException<ChatResponse>(new HttpRequestException("503", null, System.Net.HttpStatusCode.ServiceUnavailable))
            : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))));
        var time = new ManualTime();
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 3, BreakDuration = TimeSpan.FromSeconds(60) }, time);
        Task Ask() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);

        for (int i = 0; i < 3; i++) await Assert.ThrowsAsync<HttpRequestException>(Ask);
        Assert.Equal(3, model.Calls);
        var open = await Assert.ThrowsAsync<LlmCircuitOpenException>(Ask);
        Assert.Contains("3 calls in a row", open.Message);
        Assert.Equal(3, model.Calls);

        time.Advance(TimeSpan.FromSeconds(61));
        await Assert.ThrowsAsync<HttpRequestException>(Ask); // half-open: one call tries, fails, reopens
        Assert.Equal(4, model.Calls);
        await Assert.ThrowsAsync<LlmCircuitOpenException>(Ask);
        Assert.Equal(4, model.Calls);

        time.Advance(TimeSpan.FromSeconds(61));
        down = false;
        await Ask();
        await Ask();
        Assert.Equal(6, model.Calls);
    }

    [Fact]
    public async Task BreakAfterZero_NeverOpens()
    {
        var model = new ScriptedChatClient((_, _, _) => Task.FromException<ChatResponse>(new HttpRequestException("refused")));
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 0 }, new ManualTime());
        for (int i = 0; i < 20; i++) await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Equal(20, model.Calls);
    }

    [Fact]
    public async Task AnOpenCircuit_IsAnHttpFallback_ForThePorts()
    {
        var model = new ScriptedChatClient((_, _, _) => Task.FromException<ChatResponse>(new HttpRequestException("refused")));
        var ledger = new LlmLedger();
        var advisor = new LlmRecourseAdvisor(new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 2 }, new ManualTime()), ledger, "down");
        for (int i = 0; i < 5; i++)
        {
            PortAnswer<Advice> advice = await advisor.AdviseAsync(new AdviceRequest(AdviceParserTests.Problem, (double[])AdviceParserTests.Patient.Clone()));
            Assert.StartsWith("http:", advice.Reason);
        }
        Assert.Equal(2, model.Calls);
        Assert.Equal(5, ledger.Fallbacks[FallbackReasons.Http]);
    }

    [Theory]
    [InlineData(-1, 60)]
    [InlineData(1001, 60)]
    [InlineData(3, 0)]
    public void OutOfRange_Throws(int breakAfter, int seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResilienceOptions { BreakAfter = breakAfter, BreakDuration = TimeSpan.FromSeconds(seconds) }.Validate());
}

public class CallBudgetTests
{
    [Fact]
    public async Task TheCallAfterTheBudget_StopsTheStudy_ItIsNotAFallback()
    {
        var model = ScriptedChatClient.Answering("treatment=2, DietScore=1.0, PhyActHours=0.5");
        var ledger = new LlmLedger();
        var advisor = new LlmRecourseAdvisor(new CallBudgetChatClient(model, 3), ledger, "budgeted");
        var request = new AdviceRequest(AdviceParserTests.Problem, (double[])AdviceParserTests.Patient.Clone());
        for (int i = 0; i < 3; i++) Assert.True((await advisor.AdviseAsync(request)).IsGiven);
        var stop = await Assert.ThrowsAnyAsync<StudyStopException>(async () => await advisor.AdviseAsync(request));
        Assert.Contains("budget of 3 model calls", stop.Message);
        Assert.Equal(3, model.Calls);
        Assert.Empty(ledger.Fallbacks);
        // Through the shared call path too: the call after the budget throws instead of returning a fallback reason.
        var one = new CallBudgetChatClient(model, 1);
        ChatMessage[] hello = [new ChatMessage(ChatRole.User, "hi")];
        Assert.Null((await ModelCall.AskAsync(one, hello, new ChatOptions(), default)).Failure);
        await Assert.ThrowsAsync<LlmBudgetExhaustedException>(() => ModelCall.AskAsync(one, hello, new ChatOptions(), default));
    }
}
