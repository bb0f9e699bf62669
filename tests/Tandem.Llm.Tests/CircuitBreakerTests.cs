using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using Tandem.Core.Ports;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Recourse.Advisors;
using Tandem.Testing;

namespace Tandem.Llm.Tests;

public class CircuitBreakerTests
{
    private static readonly ChatMessage[] Hello = [new ChatMessage(ChatRole.User, "hi")];

    private static ChatResponse Ok() => new(new ChatMessage(ChatRole.Assistant, "ok"));

    private static Task<ChatResponse> Unavailable() =>
        Task.FromException<ChatResponse>(new HttpRequestException("503", null, System.Net.HttpStatusCode.ServiceUnavailable));

    [Fact]
    public async Task AfterBreakAfterFailures_CallsFailAtOnce_ThenOneIsLetThrough_AndASuccessCloses()
    {
        bool down = true;
        var model = new ScriptedChatClient((_, _, _) => down ? Unavailable() : Task.FromResult(Ok()));
        var time = new FakeTimeProvider();
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 3, BreakDuration = TimeSpan.FromSeconds(60) }, time);
        Task Ask() => client.GetResponseAsync(Hello);

        for (int i = 0; i < 3; i++) await Assert.ThrowsAsync<HttpRequestException>(Ask);
        Assert.Equal(3, model.Calls);
        var open = await Assert.ThrowsAsync<LlmCircuitOpenException>(Ask);
        Assert.Contains("last 3 or more calls failed; not calling it for another 60 s", open.Message);
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
    public async Task HalfOpen_LetsExactlyOneCallThrough_WhileItRuns_TheOthersFailAtOnce()
    {
        // Bug caught (issue 14): the hand-written breaker let every waiting caller through after a break.
        bool down = true;
        var trial = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedChatClient((_, _, _) => down ? Unavailable() : trial.Task);
        var time = new FakeTimeProvider();
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 2, MaxConcurrency = 8 }, time);
        for (int i = 0; i < 2; i++) await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Hello));
        time.Advance(TimeSpan.FromSeconds(61));
        down = false;

        Task<ChatResponse> first = client.GetResponseAsync(Hello);
        Task<ChatResponse>[] waiting = Enumerable.Range(0, 5).Select(_ => client.GetResponseAsync(Hello)).ToArray();
        foreach (Task<ChatResponse> t in waiting) await Assert.ThrowsAsync<LlmCircuitOpenException>(() => t);
        Assert.Equal(3, model.Calls);
        Assert.False(first.IsCompleted);

        trial.SetResult(Ok());
        Assert.Equal("ok", (await first).Text);
        await client.GetResponseAsync(Hello); // closed again
        Assert.Equal(4, model.Calls);
    }

    [Fact]
    public async Task ASuccessInTheWindow_KeepsTheCircuitClosed()
    {
        int call = 0;
        var model = new ScriptedChatClient((_, _, _) => Interlocked.Increment(ref call) == 2 ? Task.FromResult(Ok()) : Unavailable());
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 3 }, new FakeTimeProvider());
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Hello));
        await client.GetResponseAsync(Hello);
        for (int i = 0; i < 3; i++) await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Hello));
        Assert.Equal(5, model.Calls);
    }

    [Fact]
    public async Task Retries_WaitTheBackoffOnTheGivenClock_ThenSucceed()
    {
        int call = 0;
        var model = new ScriptedChatClient((_, _, _) => Interlocked.Increment(ref call) <= 2 ? Unavailable() : Task.FromResult(Ok()));
        var time = new FakeTimeProvider();
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromSeconds(1) }, time);
        Task<ChatResponse> answer = client.GetResponseAsync(Hello);
        Assert.Equal(1, model.Calls);
        Assert.False(answer.IsCompleted); // waiting on the fake clock, not on real time
        for (int i = 0; i < 100 && !answer.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
        Assert.Equal("ok", (await answer).Text);
        Assert.Equal(3, model.Calls);
    }

    [Fact]
    public async Task EveryAttemptPastItsDeadline_IsOneTimeout_NamingTheAttempts()
    {
        var model = new ScriptedChatClient(async (_, _, ct) => { await Task.Delay(Timeout.Infinite, ct); return Ok(); });
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 1, BaseDelay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromMilliseconds(100) });
        var ex = await Assert.ThrowsAsync<LlmTimeoutException>(() => client.GetResponseAsync(Hello));
        Assert.Contains("(2 attempts)", ex.Message);
        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task AStudyStop_DoesNotCountAgainstTheModel()
    {
        var model = new ScriptedChatClient((_, _, _) => Task.FromException<ChatResponse>(new LlmBudgetExhaustedException("budget")));
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 2 }, new FakeTimeProvider());
        for (int i = 0; i < 5; i++) await Assert.ThrowsAsync<LlmBudgetExhaustedException>(() => client.GetResponseAsync(Hello));
        Assert.Equal(5, model.Calls);
    }

    [Fact]
    public async Task BreakAfterZero_NeverOpens()
    {
        var model = new ScriptedChatClient((_, _, _) => Task.FromException<ChatResponse>(new HttpRequestException("refused")));
        var client = new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 0 }, new FakeTimeProvider());
        for (int i = 0; i < 20; i++) await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Hello));
        Assert.Equal(20, model.Calls);
    }

    [Fact]
    public async Task AnOpenCircuit_IsAnHttpFallback_ForThePorts()
    {
        var model = new ScriptedChatClient((_, _, _) => Task.FromException<ChatResponse>(new HttpRequestException("refused")));
        var ledger = new LlmLedger();
        var advisor = new LlmRecourseAdvisor(new ResilientChatClient(model, new ResilienceOptions { MaxRetries = 0, BreakAfter = 2 }, new FakeTimeProvider()), ledger, "down");
        for (int i = 0; i < 5; i++)
        {
            PortAnswer<Advice> advice = await advisor.AdviseAsync(new AdviceRequest(AdviceParserTests.Problem, (double[])AdviceParserTests.Patient.Clone()));
            Assert.StartsWith("http:", advice.Reason);
        }
        Assert.Equal(2, model.Calls);
        Assert.Equal(5, ledger.Fallbacks[FallbackReasons.Http]);
    }

    [Theory]
    [InlineData(-1, 60, 60, "BreakAfter")]
    [InlineData(1, 60, 60, "BreakAfter")]
    [InlineData(1001, 60, 60, "BreakAfter")]
    [InlineData(3, 0, 60, "BreakDuration")]
    [InlineData(3, 60, 0, "BreakWindow")]
    public void OutOfRange_ThrowsNamingTheOption(int breakAfter, int seconds, int window, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ResilienceOptions { BreakAfter = breakAfter, BreakDuration = TimeSpan.FromSeconds(seconds), BreakWindow = TimeSpan.FromSeconds(window) }.Validate());
        Assert.Equal(name, ex.ParamName);
    }
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
