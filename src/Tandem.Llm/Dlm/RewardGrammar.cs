using System.Globalization;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Dlm;

/// <summary>
/// GBNF grammars of the DLM reflector's answer (seed 001 Algorithm 2's selection): the one line the selection prompt
/// asks for, <c>The best reward function is at index: N</c> with N one of the candidates. <see cref="RewardAnswerParser"/>
/// still reads and checks it.
/// </summary>
public static class RewardGrammar
{
    /// <summary>The selection line for <paramref name="candidates"/> candidates (indices 0 to candidates − 1). Range: ≥ 1.</summary>
    public static string Selection(int candidates)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        string indices = string.Join(" | ", Enumerable.Range(0, candidates).Select(i => AnswerGrammar.Literal(i.ToString(CultureInfo.InvariantCulture))));
        return $"root ::= {AnswerGrammar.Literal(RewardPrompt.SelectionPhrase + " ")} index\nindex ::= {indices}\n";
    }
}
