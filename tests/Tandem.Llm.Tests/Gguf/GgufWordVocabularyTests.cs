using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Llm.Providers.Gguf;
using Tandem.Recourse.Advisors;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Gguf;

/// <summary>The tiny model with whole-word tokens (<see cref="TinyGguf.Write"/>'s <c>words</c>): prompts of realistic
/// length, and grammars that still hold when a token spans several characters.</summary>
[Collection("gguf")]
public class GgufWordVocabularyTests(GgufModel model)
{
    [Fact]
    public void ListedWords_AreOneTokenEach_WithTheSpaceBeforeThem()
    {
        // Bug caught: pieces from which SentencePiece's pairwise merges cannot reach the whole word (e.g. prefixes only).
        using var client = GgufChatClient.Load(model.Write("words.gguf", TinyGguf.ChatMlTemplate, words: TinyGguf.WordsOf("walk more today")));
        Assert.Equal(3, client.CountTokens("walk more today"));
        Assert.Equal(6, client.CountTokens("walk more today, walk!")); // walk ▁more ▁today , ▁walk !
        Assert.Equal(2, client.CountTokens("walks")); // an unlisted word: the listed part, then single characters (walk s)
    }

    [Fact]
    public async Task Constrained_LibraOnAWordVocabulary_AnswersInFormat_WithAShorterPrompt()
    {
        // Bug caught: a grammar that only works when every token is one character (multi-character tokens must be
        // checked against the grammar as a whole).
        var problem = AdviceParserTests.Problem;
        string prompt = string.Join("\n", RecoursePrompt.Build(problem, AdviceParserTests.Patient).Select(m => m.Text));
        string path = model.Write("libra-words.gguf", TinyGguf.ChatMlTemplate, words: TinyGguf.WordsOf(prompt));
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("gguf:" + path), ledger);
        var advisor = new LlmRecourseAdvisor(client, ledger, "gguf:tiny-words", new LlmAdvisorOptions { MaxOutputTokens = 60 });
        for (int i = 0; i < 3; i++)
        {
            double[] x = (double[])AdviceParserTests.Patient.Clone();
            x[1] += 0.1 * i;
            PortAnswer<Advice> advice = await advisor.AdviseAsync(new AdviceRequest(problem, x));
            Assert.True(advice.IsGiven, advice.Reason);
        }
        Assert.Empty(ledger.Fallbacks);
        Assert.InRange(ledger.PromptTokens / 3.0, 1, prompt.Length / 3.0); // at least 3 characters a token on average
    }
}
