using System.Text;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>Whether a model's decoding is constrained to each port's answer grammar.</summary>
public enum AnswerFormat
{
    /// <summary>Constrain decoding to the port's grammar where the provider supports it (<c>gguf:</c>); elsewhere the
    /// grammar is dropped and the answer is free. The parsers check every answer either way.</summary>
    Constrained,

    /// <summary>Never constrain: the model writes what it writes, and the parser decides.</summary>
    Free,
}

/// <summary>
/// A port's answer grammar (GBNF, as llama.cpp reads it) travels with its request in
/// <c>ChatOptions.AdditionalProperties[<see cref="Key"/>]</c>; <see cref="AnswerFormatChatClient"/> keeps it for a
/// provider that can follow it and drops it otherwise. A grammar is a function of the port's prompt, so it is not part
/// of a cassette key: record constrained and free runs to different cassettes.
/// </summary>
public static class AnswerGrammar
{
    /// <summary>The additional-property key of the grammar (a GBNF string whose start rule is <c>root</c>).</summary>
    public const string Key = "tandem.grammar";

    /// <summary>A copy of <paramref name="options"/> carrying <paramref name="gbnf"/>.</summary>
    public static ChatOptions With(ChatOptions options, string gbnf)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gbnf);
        ChatOptions copy = options.Clone();
        copy.AdditionalProperties = new AdditionalPropertiesDictionary(options.AdditionalProperties ?? []) { [Key] = gbnf };
        return copy;
    }

    /// <summary>The grammar <paramref name="options"/> carries, or null.</summary>
    public static string? Of(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out object? value) == true ? value as string : null;

    /// <summary><paramref name="text"/> as a GBNF string literal (quotes, backslashes and control characters escaped).</summary>
    public static string Literal(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\x{(int)c:X2}",
                _ => c.ToString(),
            });
        }
        return builder.Append('"').ToString();
    }
}

/// <summary>Keeps a request's answer grammar (<see cref="AnswerGrammar"/>) when <paramref name="constrain"/> (the
/// provider follows grammars and the study asked for <see cref="AnswerFormat.Constrained"/>), and removes it otherwise,
/// so no provider is sent a property it does not understand.</summary>
public sealed class AnswerFormatChatClient(IChatClient inner, bool constrain) : DelegatingChatClient(inner)
{
    /// <summary>Whether grammars reach the provider.</summary>
    public bool Constrains => constrain;

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, Effective(options), cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, Effective(options), cancellationToken);

    private ChatOptions? Effective(ChatOptions? options)
    {
        if (constrain || AnswerGrammar.Of(options) is null) return options;
        ChatOptions copy = options!.Clone();
        copy.AdditionalProperties = new AdditionalPropertiesDictionary(options.AdditionalProperties!);
        copy.AdditionalProperties.Remove(AnswerGrammar.Key);
        return copy;
    }
}
