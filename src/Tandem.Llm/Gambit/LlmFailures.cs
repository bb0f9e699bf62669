using Tandem.Llm.Middleware;

namespace Tandem.Llm.Gambit;

/// <summary>A setup problem met while a bank is built (a replay cassette without the answer, too few
/// calibration labels): the build must stop with this message rather than change silently.</summary>
public sealed class BankSetupException(string message) : Exception(message);

/// <summary>Turns an exception of a model call into a "category: detail" fallback reason (<see cref="FallbackReasons"/>),
/// or throws <see cref="BankSetupException"/> for what must stop the build (a cassette miss, a configuration problem).
/// Callers let the caller's own cancellation pass before asking. Messages carry types, never keys.</summary>
internal static class LlmFailures
{
    public static string Reason(Exception ex) => ModelCall.FailureReason(ex) ?? throw new BankSetupException(ex.Message);

    /// <summary><see cref="ModelCall.AskAsync"/>, with what must stop the build raised as <see cref="BankSetupException"/>.</summary>
    public static async Task<ModelAnswer> AskAsync(Microsoft.Extensions.AI.IChatClient client, IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
        Microsoft.Extensions.AI.ChatOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await ModelCall.AskAsync(client, messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LlmStopException or Providers.LlmConfigurationException)
        {
            throw new BankSetupException(ex.Message);
        }
    }
}
