using Microsoft.Extensions.AI;
using Tandem.Llm.Providers;

namespace Tandem.Llm.Middleware;

/// <summary>A model's answer text, or why there is none ("category: detail", <see cref="FallbackReasons"/>).</summary>
/// <param name="Text">The answer, when the call succeeded (it may still be unusable).</param>
/// <param name="Failure">The reason the call failed, or null.</param>
public readonly record struct ModelAnswer(string? Text, string? Failure);

/// <summary>
/// One request as every port makes it: a timeout, an HTTP or connection failure, or an unreadable response
/// becomes a <see cref="ModelAnswer"/> with a reason, never an exception into an algorithm. A replay-cassette miss
/// (<see cref="CassetteMissException"/>), a setup error (<see cref="LlmConfigurationException"/>) and the caller's
/// own cancellation still throw: they mean the study itself must stop.
/// </summary>
public static class ModelCall
{
    /// <summary>Send <paramref name="messages"/> and return the answer or the failure's reason.</summary>
    public static async Task<ModelAnswer> AskAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            ChatResponse response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            return new ModelAnswer(response.Text, null);
        }
        catch (Exception ex) when (ex is CassetteMissException or LlmConfigurationException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw;
        }
        catch (TimeoutException ex)
        {
            return new ModelAnswer(null, $"{FallbackReasons.Timeout}: {ex.Message}");
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or System.Text.DecoderFallbackException)
        {
            return new ModelAnswer(null, $"{FallbackReasons.Parse}: unreadable response ({ex.GetType().Name})");
        }
        catch (Exception ex)
        {
            return new ModelAnswer(null, $"{FallbackReasons.Http}: {ex.GetType().Name}");
        }
    }
}
