using System.Globalization;
using System.Text;
using Tandem.Llm.Middleware;
using Tandem.Rmab.Model;

namespace Tandem.Llm.Dlm;

/// <summary>
/// GBNF grammars of the DLM ports' answers: the designer's reward (seed 001 Algorithm 1's proposal) as
/// <c>&lt;reward&gt;EXPRESSION&lt;/reward&gt;</c> with EXPRESSION drawn from the reward sandbox's whitelist, and the
/// reflector's selection (Algorithm 2) as the one line <c>The best reward function is at index: N</c>.
/// <see cref="RewardAnswerParser"/> and the sandbox still read and check every answer.
/// </summary>
public static class RewardGrammar
{
    /// <summary>The whitelist's <c>Math.*</c> functions and their arities (the sandbox's table; a test checks they agree
    /// with <see cref="Tandem.Rmab.Rewards.RewardSandbox.AllowedCalls"/>).</summary>
    public static IReadOnlyList<(string Name, int Arity)> MathFunctions { get; } =
        [("Abs", 1), ("Min", 2), ("Max", 2), ("Sqrt", 1), ("Exp", 1), ("Log", 1), ("Log10", 1), ("Pow", 2), ("Tanh", 1)];

    /// <summary>
    /// The designer's answer: <c>&lt;reward&gt;</c>, an expression, <c>&lt;/reward&gt;</c>. The expression is a subset of the
    /// sandbox's whitelist with bounded size, so a model cannot run past its answer length inside it: three nesting
    /// levels (a sum or product of at most 3 terms at the top, 2 inside parentheses, a call's argument or a conditional's
    /// branch, 2 atoms at the innermost level); atoms are <c>state</c>, <c>feats[i]</c> for the features the prompt
    /// describes (<see cref="Features.FirstPromptFeature"/> to 42; the sensitive 0-6 are never offered) and decimal
    /// numbers with a point (so arithmetic is in doubles and never an integer division by zero); operators
    /// <c>+ - * /</c>; every whitelisted <c>Math.*</c> call; and <c>(CONDITION ? A : B)</c> over comparisons joined by
    /// <c>&amp;&amp;</c> or <c>||</c>. Not offered (the sandbox still accepts them from a free answer): <c>%</c>, unary
    /// minus, <c>!</c>, <c>true</c>/<c>false</c>, integer literals.
    /// </summary>
    public static string Proposal { get; } = BuildProposal();

    /// <summary>The selection line for <paramref name="candidates"/> candidates (indices 0 to candidates − 1). Range: ≥ 1.</summary>
    public static string Selection(int candidates)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        string indices = string.Join(" | ", Enumerable.Range(0, candidates).Select(i => AnswerGrammar.Literal(i.ToString(CultureInfo.InvariantCulture))));
        return $"root ::= {AnswerGrammar.Literal(RewardPrompt.SelectionPhrase + " ")} index\nindex ::= {indices}\n";
    }

    private static string BuildProposal()
    {
        var g = new StringBuilder();
        g.Append("root ::= ").Append(AnswerGrammar.Literal(RewardPrompt.Open)).Append(" e0 ").Append(AnswerGrammar.Literal(RewardPrompt.Close)).Append('\n');
        // Level k's expression: up to n terms of level k joined by operators. The innermost level has atoms only.
        g.Append("e0 ::= t0 (op t0)? (op t0)?\n");
        g.Append("t0 ::= atom | \"(\" e1 \")\" | f1 | c1\n");
        g.Append("e1 ::= t1 (op t1)?\n");
        g.Append("t1 ::= atom | \"(\" e2 \")\" | f2 | c2\n");
        g.Append("e2 ::= atom (op atom)?\n");
        foreach (int level in new[] { 1, 2 })
        {
            g.Append('f').Append(level).Append(" ::= ");
            g.Append(string.Join(" | ", MathFunctions.Select(f =>
                AnswerGrammar.Literal("Math." + f.Name + "(") + $" e{level}" + (f.Arity == 2 ? $" \", \" e{level}" : "") + " \")\"")));
            g.Append('\n');
            g.Append('c').Append(level).Append($" ::= \"(\" b{level} \" ? \" e{level} \" : \" e{level} \")\"\n");
            g.Append('b').Append(level).Append($" ::= cmp{level} ((\" && \" | \" || \") cmp{level})?\n");
            g.Append("cmp").Append(level).Append($" ::= e{level} cmpop e{level}\n");
        }
        g.Append("op ::= \" + \" | \" - \" | \" * \" | \" / \"\n");
        g.Append("cmpop ::= \" > \" | \" < \" | \" >= \" | \" <= \" | \" == \" | \" != \"\n");
        g.Append("atom ::= \"state\" | \"feats[\" index \"]\" | number\n");
        g.Append("index ::= ").Append(string.Join(" | ", Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature)
            .Select(i => AnswerGrammar.Literal(i.ToString(CultureInfo.InvariantCulture))))).Append('\n');
        g.Append("number ::= ([0-9] | [1-9] [0-9]) \".\" [0-9] [0-9]?\n");
        return g.ToString();
    }
}
