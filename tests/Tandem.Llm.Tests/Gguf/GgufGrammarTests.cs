using Tandem.Core.Ports;
using Microsoft.Extensions.AI;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Llm.Providers.Gguf;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Gguf;

/// <summary>Answers in format (issue 14 item 3, LIBRA): the port sends its answer grammar, a gguf: model follows it,
/// and the parser still reads every answer.</summary>
[Collection("gguf")]
public class GgufGrammarTests(GgufModel model)
{
    private static RecourseProblem Problem => AdviceParserTests.Problem;

    private static double[] Patient(int i)
    {
        double[] x = (double[])AdviceParserTests.Patient.Clone();
        x[1] += 0.1 * i; // a different prompt per patient
        return x;
    }

    [Fact]
    public void RecourseGrammar_IsTheFigure2Line_ForTheProblemsArmsAndMutableFeatures()
    {
        string mutable = string.Concat(Problem.MutableIndices.Select(i => $" \", {Problem.Features[i].Name}=\" num"));
        string arms = string.Join(" | ", Enumerable.Range(1, Problem.ArmCount).Select(k => $"\"{k}\""));
        Assert.Equal($"root ::= \"treatment=\" arm{mutable}\narm ::= {arms}\nnum ::= \"-\"? ([0-9] | [1-9] [0-9] | [1-9] [0-9] [0-9]) (\".\" [0-9] [0-9]?)?\n",
            RecourseGrammar.For(Problem));
    }

    [Fact]
    public void Literal_EscapesWhatGbnfWouldReadAsSyntax()
    {
        Assert.Equal("\"a\\\"b\\\\c\\n\"", AnswerGrammar.Literal("a\"b\\c\n"));
    }

    private async Task<(PortAnswer<Advice>[] Advice, LlmLedger Ledger)> Consult(AnswerFormat format, int patients)
    {
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + model.ChatMl), ledger, new LlmClientOptions { Format = format });
        var advisor = new LlmRecourseAdvisor(client, ledger, "gguf:tiny", new LlmAdvisorOptions { MaxOutputTokens = 60 });
        var advice = new PortAnswer<Advice>[patients];
        for (int i = 0; i < patients; i++) advice[i] = await advisor.AdviseAsync(new AdviceRequest(Problem, Patient(i)));
        return (advice, ledger);
    }

    [Fact]
    public async Task Constrained_RandomWeightModel_AnswersEveryLibraPromptInFormat_ZeroFallbacks()
    {
        // Bug caught: the grammar not reaching llama.cpp, a grammar the parser cannot read, or one llama.cpp rejects.
        (PortAnswer<Advice>[] advice, LlmLedger ledger) = await Consult(AnswerFormat.Constrained, patients: 6);
        Assert.All(advice, a => Assert.True(a.IsGiven, a.Reason));
        Assert.All(advice, a => Assert.Equal(Problem.MutableIndices.Length, a.Value.MutableValues!.Length));
        Assert.Empty(ledger.Fallbacks);
    }

    [Fact]
    public async Task Free_RandomWeightModel_FallsBackEveryTime_WithAReason()
    {
        // The same model without the grammar writes noise; every answer is a counted fallback, never advice.
        (PortAnswer<Advice>[] advice, LlmLedger ledger) = await Consult(AnswerFormat.Free, patients: 3);
        Assert.All(advice, a => Assert.False(a.IsGiven));
        Assert.Equal(3, ledger.Fallbacks.Values.Sum());
    }

    [Fact]
    public async Task AnswerFormat_DropsTheGrammarUnlessTheProviderConstrains_KeepingOtherProperties()
    {
        // Bug caught: an OpenAI or Ollama request carrying a property the server does not know.
        ChatOptions? seen = null;
        var inner = new ScriptedChatClient((_, o, _) => { seen = o; return Task.FromResult(new ChatResponse()); });
        ChatOptions request = AnswerGrammar.With(ModelCall.Options(0, 50, null, "libra advisor"), "root ::= \"x\"");
        await new AnswerFormatChatClient(inner, ConstrainedDecoding.None).GetResponseAsync([], request);
        Assert.Null(AnswerGrammar.Of(seen));
        Assert.Equal("libra advisor", seen!.AdditionalProperties![AuditChatClient.PurposeKey]);
        Assert.Equal("root ::= \"x\"", AnswerGrammar.Of(request)); // the caller's options are not changed
        await new AnswerFormatChatClient(inner, ConstrainedDecoding.Grammar).GetResponseAsync([], request);
        Assert.Equal("root ::= \"x\"", AnswerGrammar.Of(seen));
    }
}

/// <summary>Answers in format for GAMBITTS's 20-score rating (issue 14 item 3).</summary>
[Collection("gguf")]
public class GgufRatingGrammarTests(GgufModel model)
{
    [Fact]
    public void RatingGrammar_IsThePromptsJsonObject()
    {
        Assert.Equal("root ::= \"{\" \"\\\"a\\\": \" score \", \\\"b\\\": \" score \"}\"\nscore ::= \"10\" | [0-9] (\".\" [0-9])?\n",
            Tandem.Llm.Gambit.RatingGrammar.For(["a", "b"]));
    }

    [Fact]
    public async Task Constrained_RandomWeightModel_RatesOnAll20Dimensions_ZeroFallbacks()
    {
        var ledger = new LlmLedger();
        // The tiny vocabulary spells the 20 definitions letter by letter (≈ 3,800 prompt tokens): the answer needs a larger context.
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + model.ChatMl), ledger, new LlmClientOptions { Gguf = new GgufOptions { ContextSize = 8192 } });
        var encoder = new Tandem.Llm.Gambit.RatingEncoder(client, ledger, Tandem.Gambit.Bank.StyleDimensions.All, new Tandem.Llm.Gambit.RatingEncoderOptions { MaxOutputTokens = 600 });
        for (int variant = 0; variant < 2; variant++)
        {
            var scores = await encoder.EncodeAsync("Walk ten minutes after lunch today.", variant);
            Assert.True(scores.HasScores, scores.Reason);
        }
        Assert.Empty(ledger.Fallbacks);
    }
}

/// <summary>Answers in format for the DLM reflector's selection line (issue 14 item 3).</summary>
[Collection("gguf")]
public class GgufSelectionGrammarTests(GgufModel model)
{
    private static readonly Tandem.Rmab.Dlm.DlmTaskSet Tasks =
        Tandem.Rmab.Dlm.DlmTaskSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "tasks.json"));

    [Fact]
    public void SelectionGrammar_IsThePromptsLine_WithTheCandidatesIndices()
    {
        Assert.Equal("root ::= \"The best reward function is at index: \" index\nindex ::= \"0\" | \"1\" | \"2\"\n", Tandem.Llm.Dlm.RewardGrammar.Selection(3));
    }

    [Fact]
    public async Task Constrained_RandomWeightModel_SelectsACandidate_ZeroFallbacks()
    {
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + model.ChatMl), ledger);
        var designer = new Tandem.Llm.Dlm.LlmRewardDesigner(client, ledger, "gguf:tiny");
        var empty = new Tandem.Rmab.Dlm.StateFeatureDistribution([]);
        Tandem.Rmab.Dlm.ReflectionCandidate[] candidates = [new("state", empty), new("state * 2", empty), new("state + feats[8]", empty)];
        for (ulong seed = 1; seed <= 3; seed++)
        {
            var verdict = await designer.SelectAsync(new Tandem.Rmab.Dlm.ReflectionRequest(Tasks.Tasks[0], 0, candidates, seed));
            Assert.True(verdict.TryGetValue(out int index), verdict.Reason);
            Assert.InRange(index, 0, 2);
        }
        Assert.Empty(ledger.Fallbacks);
    }
}

/// <summary>Answers in format for the DLM designer's reward expression (issue 14 item 3).</summary>
[Collection("gguf")]
public class GgufRewardGrammarTests(GgufModel model)
{
    private static readonly Tandem.Rmab.Dlm.DlmTaskSet Tasks =
        Tandem.Rmab.Dlm.DlmTaskSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "tasks.json"));

    [Fact]
    public void ProposalGrammar_OffersExactlyTheSandboxesMathCalls_AndOnlyTheDescribedFeatures()
    {
        // Bug caught: the grammar's function table drifting from the sandbox's whitelist.
        string[] sandbox = Tandem.Rmab.Rewards.RewardSandbox.AllowedCalls.Split(", ");
        Assert.Equal(sandbox.Order(), Tandem.Llm.Dlm.RewardGrammar.MathFunctions.Select(f => "Math." + f.Name).Order());
        string grammar = Tandem.Llm.Dlm.RewardGrammar.Proposal;
        Assert.StartsWith("root ::= \"<reward>\" e0 \"</reward>\"\n", grammar);
        string index = grammar.Split('\n').Single(l => l.StartsWith("index ::= ", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(7, 36).Select(i => $"\"{i}\""), index["index ::= ".Length..].Split(" | "));
    }

    private async Task<(PortAnswer<Tandem.Rmab.Dlm.RewardProposal>[] Proposals, LlmLedger Ledger)> Propose(AnswerFormat format, int count)
    {
        var ledger = new LlmLedger();
        // The tiny vocabulary spells the prompt letter by letter: it needs a larger context than the default.
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + model.ChatMl), ledger,
            new LlmClientOptions { Format = format, Gguf = new GgufOptions { ContextSize = 8192 } });
        var designer = new Tandem.Llm.Dlm.LlmRewardDesigner(client, ledger, "gguf:tiny", new Tandem.Llm.Dlm.LlmDesignerOptions { MaxOutputTokens = 1500 });
        var proposals = new PortAnswer<Tandem.Rmab.Dlm.RewardProposal>[count];
        for (int i = 0; i < count; i++)
            proposals[i] = await designer.ProposeAsync(new Tandem.Rmab.Dlm.ProposalRequest(Tasks.Tasks[0], 0, i, [], [], (ulong)(11 + i)));
        return (proposals, ledger);
    }

    [Fact]
    public async Task Constrained_RandomWeightModel_WritesRewardsTheSandboxAccepts_ZeroFallbacks()
    {
        (PortAnswer<Tandem.Rmab.Dlm.RewardProposal>[] proposals, LlmLedger ledger) = await Propose(AnswerFormat.Constrained, count: 4);
        Assert.All(proposals, p => Assert.True(p.IsGiven, p.Reason));
        Assert.All(proposals, p => Assert.True(Tandem.Rmab.Rewards.RewardSandbox.TryParse(p.Value.Expression, out _, out string? refusal), refusal));
        Assert.Empty(ledger.Fallbacks);
    }

    [Fact]
    public async Task Free_RandomWeightModel_FallsBackEveryTime_WithAReason()
    {
        (PortAnswer<Tandem.Rmab.Dlm.RewardProposal>[] proposals, LlmLedger ledger) = await Propose(AnswerFormat.Free, count: 2);
        Assert.All(proposals, p => Assert.False(p.IsGiven));
        Assert.Equal(2, ledger.Fallbacks.Values.Sum());
    }
}

/// <summary>Answers in format for the GAMBITTS generator's message (issue 14 item 3).</summary>
[Collection("gguf")]
public class GgufMessageGrammarTests(GgufModel model)
{
    private async Task<(Tandem.Llm.Gambit.GeneratedMessage[] Messages, LlmLedger Ledger)> Generate(AnswerFormat format, int count)
    {
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + model.ChatMl), ledger, new LlmClientOptions { Format = format });
        var generator = new Tandem.Llm.Gambit.MessageGenerator(client, ledger);
        var messages = new Tandem.Llm.Gambit.GeneratedMessage[count];
        for (int i = 0; i < count; i++)
            messages[i] = await generator.GenerateAsync(new Tandem.Llm.Gambit.StylePrompt("optimism", true), new Tandem.Gambit.Model.GambitContext(i), seed: 5 + i);
        return (messages, ledger);
    }

    [Fact]
    public async Task Constrained_RandomWeightModel_WritesAMessageEveryTime_ZeroFallbacks()
    {
        // Bug caught: a grammar llama.cpp rejects (e.g. an unsupported repetition) or one the message reader refuses.
        (Tandem.Llm.Gambit.GeneratedMessage[] messages, LlmLedger ledger) = await Generate(AnswerFormat.Constrained, count: 4);
        Assert.All(messages, m => Assert.True(m.IsMessage, m.Reason));
        // The reader collapses runs of spaces, so lengths are not checked here, only the alphabet and the sentence ends.
        Assert.All(messages, m => Assert.Matches(@"^[A-Z][a-zA-Z0-9 ,;:'()-]*[.!?]( ?[A-Z][a-zA-Z0-9 ,;:'()-]*[.!?])?$", m.Text!));
        Assert.Empty(ledger.Fallbacks);
    }
}
