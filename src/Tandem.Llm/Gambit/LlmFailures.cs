using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;

namespace Tandem.Llm.Gambit;

/// <summary>A setup problem met while a bank is built (a replay cassette without the answer, too few
/// calibration labels): the build must stop with this message rather than change silently.</summary>
public sealed class BankSetupException(string message) : Exception(message);

/// <summary>Turns an exception of a model call into a "category: detail" fallback reason (<see cref="FallbackReasons"/>),
/// or throws <see cref="BankSetupException"/> for what must stop the build (a cassette miss, a configuration problem).
/// Callers let the caller's own cancellation pass before asking. Messages carry types, never keys.</summary>
internal static class LlmFailures
{
    public static string Reason(Exception ex)
    {
        switch (ex)
        {
            case CassetteMissException miss:
                throw new BankSetupException(miss.Message);
            case LlmConfigurationException config:
                throw new BankSetupException(config.Message);
            case TimeoutException:
            case OperationCanceledException:
                return $"{FallbackReasons.Timeout}: {ex.Message}";
            default:
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
