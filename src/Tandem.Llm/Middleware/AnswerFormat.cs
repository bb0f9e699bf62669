using System.Text;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>Whether a model's decoding is constrained to each port's answer grammar.</summary>
public enum AnswerFormat
{
    /// <summary>Constrain decoding where the provider declares it can (<see cref="ConstrainedDecoding"/>): a grammar for
    /// <c>gguf:</c> and <c>llamacpp:</c>, a JSON schema for JSON answers on <c>ollama:</c>; elsewhere requests are free-form.
    /// The parsers check every answer either way.</summary>
    Constrained,

    /// <summary>Never constrain: the model writes what it writes, and the parser decides.</summary>
    Free,
}

/// <summary>What a provider declares it can constrain decoding to (closed set: it decides how a request is sent).</summary>
public enum ConstrainedDecoding
{
    /// <summary>Nothing declared (OpenAI and OpenAI-compatible servers, replay): requests are free-form, the safe default.</summary>
    None,

    /// <summary>A GBNF grammar, for every port (<c>gguf:</c> in-process, <c>llamacpp:</c> as the request's <c>grammar</c> field).</summary>
    Grammar,

    /// <summary>A JSON schema, for the ports whose answer is JSON (GAMBITTS ratings), as <see cref="ChatOptions.ResponseFormat"/>
    /// (Ollama's <c>format</c> field); the other ports' requests are free-form.</summary>
    JsonSchema,
}

/// <summary>How a request's answer was constrained, as the ledger counts it (<see cref="LlmLedger.Formats"/>): an open
/// vocabulary (STYLE 14).</summary>
public static class AnswerFormats
{
    /// <summary>The port's GBNF grammar was sent.</summary>
    public const string Grammar = "grammar";

    /// <summary>The port's JSON schema was sent.</summary>
    public const string JsonSchema = "json-schema";

    /// <summary>Neither was sent (the provider declares no support for the port's constraint, or <c>--llm-format free</c>).</summary>
    public const string Free = "free";
}

/// <summary>
/// A JSON answer's schema (JSON Schema text) travels with its request in
/// <c>ChatOptions.AdditionalProperties[<see cref="Key"/>]</c> beside its grammar; <see cref="AnswerFormatChatClient"/>
/// turns it into <see cref="ChatOptions.ResponseFormat"/> for a provider that declares <see cref="ConstrainedDecoding.JsonSchema"/>.
/// </summary>
public static class AnswerSchema
{
    /// <summary>The additional-property key of the schema (JSON Schema text of an object).</summary>
    public const string Key = "tandem.schema";

    /// <summary>A copy of <paramref name="options"/> carrying <paramref name="schema"/>.</summary>
    public static ChatOptions With(ChatOptions options, string schema)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(schema);
        ChatOptions copy = options.Clone();
        copy.AdditionalProperties = new AdditionalPropertiesDictionary(options.AdditionalProperties ?? []) { [Key] = schema };
        return copy;
    }

    /// <summary>The schema <paramref name="options"/> carries, or null.</summary>
    public static string? Of(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out object? value) == true ? value as string : null;
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

/// <summary>
/// Sends a request's answer constraint in the form its provider declares (<paramref name="decoding"/>), or none: with
/// <see cref="ConstrainedDecoding.Grammar"/> the grammar (<see cref="AnswerGrammar"/>) stays for the provider to read;
/// with <see cref="ConstrainedDecoding.JsonSchema"/> a JSON answer's schema (<see cref="AnswerSchema"/>) becomes
/// <see cref="ChatOptions.ResponseFormat"/>; otherwise both are removed, so no provider is sent a property it does not
/// understand. Each port request (one carrying a grammar or schema) is counted in <paramref name="ledger"/> by the
/// format sent (<see cref="AnswerFormats"/>); the up-front check, which carries neither, is not.
/// </summary>
public sealed class AnswerFormatChatClient(IChatClient inner, ConstrainedDecoding decoding, LlmLedger? ledger = null) : DelegatingChatClient(inner)
{
    /// <summary>What reaches the provider: <see cref="ConstrainedDecoding.None"/> under <see cref="AnswerFormat.Free"/>.</summary>
    public ConstrainedDecoding Decoding => decoding;

    /// <summary>Whether grammars reach the provider.</summary>
    public bool Constrains => decoding == ConstrainedDecoding.Grammar;

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, Effective(options), cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, Effective(options), cancellationToken);

    private ChatOptions? Effective(ChatOptions? options)
    {
        string? grammar = AnswerGrammar.Of(options);
        string? schema = AnswerSchema.Of(options);
        if (grammar is null && schema is null) return options;
        ChatOptions copy = options!.Clone();
        copy.AdditionalProperties = new AdditionalPropertiesDictionary(options.AdditionalProperties!);
        copy.AdditionalProperties.Remove(AnswerSchema.Key);
        string sent = AnswerFormats.Free;
        if (decoding == ConstrainedDecoding.Grammar && grammar is not null) sent = AnswerFormats.Grammar;
        else copy.AdditionalProperties.Remove(AnswerGrammar.Key);
        if (decoding == ConstrainedDecoding.JsonSchema && schema is not null)
        {
            using var document = System.Text.Json.JsonDocument.Parse(schema);
            copy.ResponseFormat = ChatResponseFormat.ForJsonSchema(document.RootElement.Clone(), "answer");
            sent = AnswerFormats.JsonSchema;
        }
        ledger?.RecordFormat(sent);
        return copy;
    }
}
