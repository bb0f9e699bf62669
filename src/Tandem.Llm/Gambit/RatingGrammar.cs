using System.Text;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Gambit;

/// <summary>
/// The GBNF grammar of a rating answer (<see cref="RatingPrompt"/>): exactly the JSON object the prompt asks for,
/// <c>{"d1": N, "d2": N, …}</c>, every dimension once in the prompt's order, each N a rating in [0, 10] with at most one
/// decimal. Constrained decoding then yields an object <see cref="RatingParser"/> reads; the parser still checks it.
/// </summary>
public static class RatingGrammar
{
    /// <summary>The grammar for <paramref name="dimensions"/>.</summary>
    public static string For(IReadOnlyList<string> dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Count == 0) throw new ArgumentException("Rate at least one dimension.", nameof(dimensions));
        var root = new StringBuilder("root ::= \"{\"");
        for (int i = 0; i < dimensions.Count; i++)
            root.Append(' ').Append(AnswerGrammar.Literal((i == 0 ? "" : ", ") + "\"" + dimensions[i] + "\": ")).Append(" score");
        return root.Append(" \"}\"\n")
            .Append("score ::= \"10\" | [0-9] (\".\" [0-9])?\n")
            .ToString();
    }
}
