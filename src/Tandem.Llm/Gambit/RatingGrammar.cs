using System.Text;
using System.Text.Json;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Gambit;

/// <summary>
/// The GBNF grammar of a rating answer (<see cref="RatingPrompt"/>): exactly the JSON object the prompt asks for,
/// <c>{"d1": N, "d2": N, …}</c>, every dimension once in the prompt's order, each N a rating in [0, 10] with at most one
/// decimal. Constrained decoding then yields an object <see cref="RatingParser"/> reads; the parser still checks it.
/// For a provider that follows JSON schemas instead (Ollama's <c>format</c>), <see cref="Schema"/> states the same object.
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

    /// <summary>The JSON Schema of the same object: every dimension a required number in [0, 10], no other property.</summary>
    public static string Schema(IReadOnlyList<string> dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Count == 0) throw new ArgumentException("Rate at least one dimension.", nameof(dimensions));
        var properties = dimensions.ToDictionary(d => d, _ => (object)new Dictionary<string, object> { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 10 }, StringComparer.Ordinal);
        var schema = new Dictionary<string, object>
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = dimensions.ToArray(),
            ["additionalProperties"] = false,
        };
        return JsonSerializer.Serialize(schema);
    }
}
