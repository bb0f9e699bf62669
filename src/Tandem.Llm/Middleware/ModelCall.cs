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
/// or a used-up call budget (<see cref="LlmStopException"/>), a setup error (<see cref="LlmConfigurationException"/>) and the caller's
/// own cancellation still throw: they mean the study itself must stop.
/// </summary>
public static class ModelCall
{
    /// <summary>The options of one port request: sampling temperature, answer length, the provider's sampling seed
    /// (part of the cassette key, so distinct draws are distinct requests) and the purpose the audit log shows.</summary>
    public static ChatOptions Options(float temperature, int maxOutputTokens, long? seed, string purpose) => new()
    {
        Temperature = temperature,
        MaxOutputTokens = maxOutputTokens,
        Seed = seed,
        AdditionalProperties = new AdditionalPropertiesDictionary { [AuditChatClient.PurposeKey] = purpose },
    };

    /// <summary>Throws naming <paramref name="name"/> unless the temperature lies in [0, 2].</summary>
    public static void CheckTemperature(float temperature, string name = "Temperature")
    {
        if (!(temperature >= 0 && temperature <= 2)) throw new ArgumentOutOfRangeException(name, temperature, $"{name} must lie in [0, 2].");
    }

    /// <summary>Throws naming <paramref name="name"/> unless the answer length lies in [<paramref name="min"/>, <paramref name="max"/>] tokens.</summary>
    public static void CheckMaxOutputTokens(int maxOutputTokens, int min, int max, string name = "MaxOutputTokens")
    {
        if (maxOutputTokens < min || maxOutputTokens > max)
            throw new ArgumentOutOfRangeException(name, maxOutputTokens, $"{name} must lie in {min}-{max}.");
    }

    /// <summary>Send <paramref name="messages"/> and return the answer or the failure's reason.</summary>
    public static async Task<ModelAnswer> AskAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            ChatResponse response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            return new ModelAnswer(response.Text, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (FailureReason(ex) is { } reason)
        {
            return new ModelAnswer(null, reason);
        }
    }

    /// <summary>The fallback reason of a failed call ("category: detail", types only, never keys), or null for what
    /// must stop the study: a replay-cassette miss or a setup problem. The caller's own cancellation is the
    /// caller's to handle first.</summary>
    public static string? FailureReason(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        switch (ex)
        {
            case LlmStopException or LlmConfigurationException:
                return null;
            case TimeoutException or OperationCanceledException:
                return $"{FallbackReasons.Timeout}: {ex.Message}";
            default:
                for (Exception? e = ex; e is not null; e = e.InnerException)
                {
                    if (e is LlmResponseTooLargeException) return $"{FallbackReasons.Parse}: {e.Message}";
                }
                // A body that is not JSON, or JSON with invalid UTF-8 (System.Text.Json wraps the decoder's error in an
                // InvalidOperationException), is unreadable, not a transport failure.
                for (Exception? e = ex; e is not null; e = e.InnerException)
                {
                    if (e is System.Text.Json.JsonException or FormatException or System.Text.DecoderFallbackException or InvalidDataException)
                        return $"{FallbackReasons.Parse}: unreadable response ({e.GetType().Name})";
                }
                return $"{FallbackReasons.Http}: {ex.GetType().Name}";
        }
    }
}
