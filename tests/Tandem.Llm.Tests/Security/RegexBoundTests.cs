using Tandem.Core.Ports;
using System.Reflection;
using System.Text.RegularExpressions;
using Tandem.Llm.Dlm;
using Tandem.Llm.Libra;
using Tandem.Recourse.Advisors;
using Tandem.Rmab.Dlm;

namespace Tandem.Llm.Tests.Security;

/// <summary>Issue 15, defect 1: every regex that reads a model's answer runs in bounded time.</summary>
public class RegexBoundTests
{
    /// <summary>A regex is bounded when it cannot backtrack (linear in the input) or gives up after a finite time.</summary>
    private static bool Bounded(Regex regex) =>
        regex.Options.HasFlag(RegexOptions.NonBacktracking) || regex.MatchTimeout != Regex.InfiniteMatchTimeout;

    public static TheoryData<string> ParserTypes => new() { typeof(AdviceParser).FullName!, typeof(RewardAnswerParser).FullName! };

    [Theory]
    [MemberData(nameof(ParserTypes))]
    public void EveryRegexOfAnAnswerParser_IsNonBacktracking(string typeName)
    {
        Type type = typeof(AdviceParser).Assembly.GetType(typeName)!;
        MethodInfo[] factories = type.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(m => m.ReturnType == typeof(Regex) && m.GetParameters().Length == 0).ToArray();
        Assert.NotEmpty(factories);
        Assert.All(factories, m =>
        {
            var regex = (Regex)m.Invoke(null, null)!;
            Assert.True(regex.Options.HasFlag(RegexOptions.NonBacktracking), $"{type.Name}.{m.Name} can backtrack");
            Assert.True(Bounded(regex));
        });
    }

    [Fact]
    public void AdviceParser_LettersThenSpaces_AbstainsAtOnce()
    {
        // The red-team input: a long run of letters then a long run of spaces on the line that names the treatment
        // (7-25 s of CPU per answer with the backtracking pattern).
        string answer = "treatment " + new string('a', 1900) + new string(' ', 1900) + "!";
        PortAnswer<Advice> advice = AdviceParser.Parse(answer, AdviceParserTests.Problem, AdviceParserTests.Patient);
        Assert.False(advice.IsGiven);
        Assert.StartsWith("parse:", advice.Reason);
    }

    [Fact]
    public void AdviceParser_ManyKeysWithoutValues_Abstains()
    {
        string answer = "treatment=1, " + string.Concat(Enumerable.Repeat("DietScore : ", 300));
        PortAnswer<Advice> advice = AdviceParser.Parse(answer, AdviceParserTests.Problem, AdviceParserTests.Patient);
        Assert.False(advice.IsGiven);
    }

    [Fact]
    public void RewardParser_ManyOpenMarkers_AbstainsWithNoMarker_NotTooComplex()
    {
        string answer = string.Concat(Enumerable.Repeat("<reward>", 2400)) + "state";
        PortAnswer<RewardProposal> p = RewardAnswerParser.ParseProposal(answer);
        Assert.False(p.IsGiven);
        Assert.Contains("no <reward>", p.Reason);
        PortAnswer<int> v = RewardAnswerParser.ParseSelection(string.Concat(Enumerable.Repeat("best reward function is at index ", 500)), 3);
        Assert.StartsWith("parse:", v.Reason);
    }
}
