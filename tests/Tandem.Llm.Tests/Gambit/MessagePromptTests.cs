using Microsoft.Extensions.AI;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;

namespace Tandem.Llm.Tests.Gambit;

public class MessagePromptTests
{
    [Fact]
    public void Build_StatesTheDirection_TheDefinition_AndTheContext()
    {
        IReadOnlyList<ChatMessage> messages = MessagePrompt.Build(new StylePrompt("optimism", High: false), GambitContext.Of(Location.Work, 3));

        Assert.Equal([ChatRole.System, ChatRole.User], messages.Select(m => m.Role));
        Assert.Contains("two to three sentences", messages[0].Text);
        Assert.Contains("mobile health app", messages[0].Text);
        string user = messages[1].Text;
        Assert.Contains("mildly pessimistic", user);
        Assert.Contains("10,000-15,000 steps the previous day", user);
        Assert.Contains("currently at work", user);
        Assert.Contains("hopeful or confident language", user);
        Assert.Contains("text of the message only", user);
    }

    [Fact]
    public void Build_HighDirection_UsesTheHighWord_AndOtherLocation()
    {
        string user = MessagePrompt.Build(new StylePrompt("formality", High: true), GambitContext.Of(Location.Other, 4))[1].Text;
        Assert.Contains("mildly formal", user);
        Assert.Contains("more than 15,000 steps", user);
        Assert.Contains("currently at another location", user);
    }

    [Fact]
    public void All_Is40Prompts_NamedLikeTheSyntheticBank_EachWithWords()
    {
        Assert.Equal(40, StylePrompt.All.Count);
        Assert.Equal(SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 1 }).Prompts, StylePrompt.All.Select(p => p.Name));
        foreach (StylePrompt p in StylePrompt.All)
            Assert.Contains(p.High ? StyleVocabulary.For(p.Dimension).High : StyleVocabulary.For(p.Dimension).Low, MessagePrompt.Build(p, new GambitContext(0))[1].Text);
    }

    [Theory]
    [InlineData("optimism", new[] { "optimism:high", "optimism:low" })]
    [InlineData("optimism:low, Formality:HIGH", new[] { "optimism:low", "formality:high" })]
    public void ParseList_ReadsDimensionsAndPrompts(string text, string[] names) =>
        Assert.Equal(names, StylePrompt.ParseList(text).Select(p => p.Name));

    [Theory]
    [InlineData("cheerfulness", "names no style dimension")]
    [InlineData("optimism:up", "high or low")]
    [InlineData("optimism,optimism:high", "twice")]
    [InlineData(" , ", "empty")]
    public void ParseList_BadItems_Throw(string text, string mentions) =>
        Assert.Contains(mentions, Assert.Throws<FormatException>(() => StylePrompt.ParseList(text)).Message);
}
