using Microsoft.Extensions.AI;
using Tandem.Llm.Dlm;
using Tandem.Llm.Middleware;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Simulation;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Dlm;

public class LlmRewardDesignerTests
{
    private static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "data", "dlm");
    private static readonly DlmTaskSet Tasks = DlmTaskSet.Load(Path.Combine(DataDirectory, "tasks.json"));
    private static readonly CohortGenerator Generator = new(CohortParameters.Load(Path.Combine(DataDirectory, "cohort.json")));

    private static RmabInstance Instance() => CohortGenerator.Sample(Generator.Population(1), 24, 6, 3);

    private static ChatResponse Answer(string text) =>
        new(new ChatMessage(ChatRole.Assistant, text)) { Usage = new UsageDetails { InputTokenCount = 500, OutputTokenCount = 20 } };

    private static string UserText(IList<ChatMessage> messages) => messages.Single(m => m.Role == ChatRole.User).Text;

    [Fact]
    public void ProposalPrompt_HasTheGoalFeatures7To42_HistoryAndRefusals_ButNoSensitiveFeatures()
    {
        DlmTask task = Tasks.Tasks[8];
        var request = new ProposalRequest(task, 1, 2,
            [new StageBest(0, "state * (1 + feats[13])", "Category: Age — Ages 10-20: 5.00%")],
            [new RefusedAttempt("feats[99]", "out-of-range index feats[99] (valid 0 to 42) at column 7 is not allowed")], 42);
        IList<ChatMessage> messages = RewardPrompt.Proposal(request);
        string system = messages[0].Text, user = UserText(messages);

        Assert.Contains(task.Prompt, user);
        Assert.DoesNotContain(task.Base, system + user);
        for (int i = Features.FirstPromptFeature; i < Features.Count; i++) Assert.Contains($"{i}. {Features.Names[i]}", user);
        for (int i = 0; i < Features.FirstPromptFeature; i++) Assert.DoesNotContain(Features.Names[i], system + user);
        Assert.Contains("<reward>state * (1 + feats[13])</reward>", user);
        Assert.Contains("Ages 10-20: 5.00%", user);
        Assert.Contains("out-of-range index feats[99]", user);
        Assert.Contains("candidate 3 for round 2", user);
        Assert.Contains("Math.Abs", system);
    }

    [Fact]
    public async Task InTheLoop_SandboxRefusalsGoBackToTheModel_AndItsSelectionIsUsed()
    {
        DlmTask task = Tasks.Tasks[0];
        var requests = new List<(IList<ChatMessage> Messages, ChatOptions? Options)>();
        var client = new ScriptedChatClient((messages, options, _) =>
        {
            lock (requests) requests.Add((messages, options));
            string user = UserText(messages);
            if (user.Contains("Which reward's outcome", StringComparison.Ordinal)) return Task.FromResult(Answer("The best reward function is at index: 1"));
            bool retry = user.Contains("were refused", StringComparison.Ordinal);
            bool second = user.Contains("Propose candidate 2", StringComparison.Ordinal);
            return Task.FromResult(Answer(
                retry ? "<reward>state * (1.0 + 4.0 * feats[11])</reward>"
                : second ? "<reward>state * (1.0 + 2.0 * feats[10])</reward>"
                : "Sure. <reward>System.Environment.Exit(1)</reward>"));
        });
        var ledger = new LlmLedger();
        var designer = new LlmRewardDesigner(new AccountingChatClient(client, ledger), ledger, "scripted");

        DlmRunResult result = await DlmLoop.RunAsync(task, Instance(), Instance().Dynamics, new WhittlePlanner(), designer,
            new DlmLoopOptions(1, 2, 10, new EvaluationOptions(3, 3)), 7, 0.9);

        StageRecord stage = result.Stages.Single();
        Assert.Equal("state * (1.0 + 4.0 * feats[11])", stage.Candidates[0].Expression);
        Assert.Contains("call to 'System.Environment.Exit'", stage.Candidates[0].Refusals.Single().Refusal);
        Assert.Equal("state * (1.0 + 2.0 * feats[10])", stage.Candidates[1].Expression);
        Assert.Equal(1, stage.Selected);
        Assert.Equal("state * (1.0 + 2.0 * feats[10])", result.Selected!.Text);
        // The retry quoted the refused expression and the sandbox's reason to the model.
        string retryText = UserText(requests.Single(r => UserText(r.Messages).Contains("were refused", StringComparison.Ordinal)).Messages);
        Assert.Contains("System.Environment.Exit(1)", retryText);
        Assert.Contains("call to 'System.Environment.Exit'", retryText);
        // Every request carries a seed, distinct per request, so a cassette keeps them apart.
        Assert.Equal(requests.Count, requests.Select(r => r.Options!.Seed).Distinct().Count());
        Assert.Equal(4, ledger.Calls);
        Assert.Empty(ledger.Fallbacks);
    }

    [Fact]
    public async Task SameSeed_SameRequests()
    {
        async Task<string[]> Keys(ulong seed)
        {
            var keys = new List<string>();
            var client = new ScriptedChatClient((messages, options, _) =>
            {
                lock (keys) keys.Add(CassetteChatClient.Key(messages, options));
                return Task.FromResult(Answer("<reward>state * (1.0 + feats[11])</reward>\nThe best reward function is at index: 0"));
            });
            var designer = new LlmRewardDesigner(client, new LlmLedger(), "scripted");
            await DlmLoop.RunAsync(Tasks.Tasks[0], Instance(), Instance().Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(2, 2, 2, new EvaluationOptions(2, 2)), seed, 0.9);
            return keys.ToArray();
        }

        string[] a = await Keys(3), b = await Keys(3), c = await Keys(4);
        Assert.Equal(a, b);
        Assert.Equal(6, a.Length);
        Assert.Empty(a.Intersect(c));
    }

    public static TheoryData<Exception, string> Failures => new()
    {
        { new TimeoutException("deadline 30 s"), FallbackReasons.Timeout },
        { new HttpRequestException("Connection refused"), FallbackReasons.Http },
        { new System.Text.Json.JsonException("truncated"), FallbackReasons.Parse },
        { new System.Text.DecoderFallbackException("invalid UTF-8"), FallbackReasons.Parse },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task FailingModel_LoopCompletes_WithoutASelection_AndFallbacksAreCounted(Exception failure, string category)
    {
        var client = new ScriptedChatClient((_, _, _) => Task.FromException<ChatResponse>(failure));
        var ledger = new LlmLedger();
        var designer = new LlmRewardDesigner(client, ledger, "down");

        DlmRunResult result = await DlmLoop.RunAsync(Tasks.Tasks[2], Instance(), Instance().Dynamics, new WhittlePlanner(), designer,
            new DlmLoopOptions(2, 2, 3, new EvaluationOptions(2, 2)), 5, 0.9);

        Assert.Null(result.Selected);
        Assert.Equal(2 * 2 * 4, client.Calls);
        Assert.Equal(new Dictionary<string, int> { [category] = 16 }, ledger.Fallbacks);
    }

    [Fact]
    public async Task UnusableSelection_KeepsCandidateZero_AndIsCounted()
    {
        var client = new ScriptedChatClient((messages, _, _) => Task.FromResult(Answer(
            UserText(messages).Contains("Which reward's outcome", StringComparison.Ordinal)
                ? "The best reward function is at index: 5"
                : "<reward>state * (1.0 + feats[12])</reward>")));
        var ledger = new LlmLedger();
        DlmRunResult result = await DlmLoop.RunAsync(Tasks.Tasks[2], Instance(), Instance().Dynamics, new WhittlePlanner(),
            new LlmRewardDesigner(client, ledger, "scripted"), new DlmLoopOptions(1, 2, 0, new EvaluationOptions(2, 2)), 5, 0.9);

        Assert.Equal(0, result.Stages[0].Selected);
        Assert.Contains("index 5 is not a candidate", result.Stages[0].Note);
        Assert.Equal(1, ledger.Fallbacks[FallbackReasons.Infeasible]);
    }

    [Fact]
    public async Task ReplayMiss_Throws_SoARecordedStudyCannotSilentlyChange()
    {
        string cassette = Path.GetTempFileName();
        try
        {
            var replay = new CassetteChatClient(new ScriptedChatClient((_, _, _) => throw new InvalidOperationException("never called")), cassette, CassetteMode.Replay, new LlmLedger());
            var designer = new LlmRewardDesigner(replay, new LlmLedger(), "replay");
            await Assert.ThrowsAsync<CassetteMissException>(async () =>
                await designer.ProposeAsync(new ProposalRequest(Tasks.Tasks[0], 0, 0, [], [], 1)));
        }
        finally
        {
            File.Delete(cassette);
        }
    }
}
