using System.Globalization;
using System.Text;
using Tandem.Llm.Middleware;
using Tandem.Recourse.Model;

namespace Tandem.Llm.Libra;

/// <summary>
/// The GBNF grammar of the Figure 2 answer line (seed 000 §5.3): <c>treatment=K, F1=V1, F2=V2</c> with K one of the
/// problem's treatments (1 to K) and one value for each mutable feature, in the prompt's order, each a decimal of at
/// most three integer and two fractional digits (within <see cref="AdviceParser.MaxMagnitude"/>). Constrained decoding
/// then yields a line <see cref="AdviceParser"/> reads; whether the values are feasible is still the parser's and the
/// projection's call.
/// </summary>
public static class RecourseGrammar
{
    /// <summary>The grammar for <paramref name="problem"/>.</summary>
    public static string For(RecourseProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var root = new StringBuilder("root ::= ").Append(AnswerGrammar.Literal("treatment=")).Append(" arm");
        foreach (int i in problem.MutableIndices)
            root.Append(' ').Append(AnswerGrammar.Literal(", " + problem.Features[i].Name + "=")).Append(" num");
        string arms = string.Join(" | ", Enumerable.Range(1, problem.ArmCount).Select(k => AnswerGrammar.Literal(k.ToString(CultureInfo.InvariantCulture))));
        return root.Append('\n')
            .Append("arm ::= ").Append(arms).Append('\n')
            .Append("num ::= \"-\"? ([0-9] | [1-9] [0-9] | [1-9] [0-9] [0-9]) (\".\" [0-9] [0-9]?)?\n")
            .ToString();
    }
}
