using Microsoft.Extensions.AI;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Providers;

/// <summary>
/// The wire form of a request's answer grammar for a llama.cpp server (<c>llamacpp:URL</c>): llama-server's
/// OpenAI-compatible <c>/v1/chat/completions</c> reads a GBNF <c>grammar</c> field beside the standard ones, so the
/// grammar (<see cref="AnswerGrammar"/>) is moved from the request's additional properties into that field of the
/// OpenAI request body (<see cref="ChatOptions.RawRepresentationFactory"/>). Requests without a grammar pass unchanged.
/// </summary>
internal sealed class LlamaCppChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <summary>The request body's field that llama-server reads a GBNF grammar from.</summary>
    internal const string GrammarField = "grammar";

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithGrammarField(options), cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithGrammarField(options), cancellationToken);

    private static ChatOptions? WithGrammarField(ChatOptions? options)
    {
        if (AnswerGrammar.Of(options) is not { } grammar) return options;
        ChatOptions copy = options!.Clone();
        copy.AdditionalProperties = new AdditionalPropertiesDictionary(options.AdditionalProperties!);
        copy.AdditionalProperties.Remove(AnswerGrammar.Key);
        copy.RawRepresentationFactory = _ =>
        {
            var request = new ChatCompletionOptions();
            // JsonPatch is the OpenAI SDK's documented way to send a field its model does not have (experimental, SCME0001).
#pragma warning disable SCME0001
            request.Patch.Set("$.grammar"u8, grammar);
#pragma warning restore SCME0001
            return request;
        };
        return copy;
    }
}
