using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>Too large a share of a model's answers were fallbacks: the study would present the algorithm's own
/// behaviour as the model's (issue 14, "loud failures"), so it stops.</summary>
public sealed class LlmFallbackRateException(string message) : LlmStopException(message);

/// <summary>
/// Watches a model's ledger and stops the study when the share of its consultations that became fallbacks
/// (<see cref="LlmLedger.Fallbacks"/>, all reasons) passes <see cref="MaxRate"/>, once at least
/// <see cref="MinConsultations"/> were made: the check runs before each new consultation (<see cref="Check"/>), so
/// the study stops at the first request after the share was passed; hosts call <see cref="Check"/> once more at the
/// end with <c>final: true</c>, which needs only one consultation. Thread-safe.
/// </summary>
public sealed class FallbackGuard
{
    /// <summary>The default <see cref="MaxRate"/>: 0.2.</summary>
    public const double DefaultMaxRate = 0.2;

    /// <summary>The default <see cref="MinConsultations"/>: 20 (one failure in the first few answers is not yet a share).</summary>
    public const int DefaultMinConsultations = 20;

    private readonly LlmLedger _ledger;
    private long _consultations;

    /// <summary>Guard <paramref name="ledger"/> (one model's) for <paramref name="model"/> (named in the message).</summary>
    /// <param name="ledger">The model's ledger; the ports record its fallbacks.</param>
    /// <param name="model">The model's name, for the message (credentials masked by the caller).</param>
    /// <param name="maxRate">The largest share of fallbacks allowed. Range: [0, 1]; 1 never stops.</param>
    /// <param name="minConsultations">Consultations before a running check may stop the study. Range: ≥ 1.</param>
    public FallbackGuard(LlmLedger ledger, string model, double maxRate = DefaultMaxRate, int minConsultations = DefaultMinConsultations)
    {
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        Model = model ?? throw new ArgumentNullException(nameof(model));
        if (!(maxRate >= 0 && maxRate <= 1)) throw new ArgumentOutOfRangeException(nameof(maxRate), maxRate, "The largest share of fallbacks must lie in [0, 1].");
        if (minConsultations < 1) throw new ArgumentOutOfRangeException(nameof(minConsultations), minConsultations, "At least one consultation must be made before a check.");
        MaxRate = maxRate;
        MinConsultations = minConsultations;
    }

    /// <summary>The model's name.</summary>
    public string Model { get; }

    /// <summary>The largest share of fallbacks allowed.</summary>
    public double MaxRate { get; }

    /// <summary>Consultations before a running check may stop the study.</summary>
    public int MinConsultations { get; }

    /// <summary>Consultations counted so far (<see cref="Count"/>).</summary>
    public long Consultations => Interlocked.Read(ref _consultations);

    /// <summary>Fallbacks of the model so far, all reasons.</summary>
    public long Fallbacks => _ledger.Fallbacks.Values.Sum(n => (long)n);

    /// <summary>Count one consultation (a port's request, whatever answers it).</summary>
    public void Count() => Interlocked.Increment(ref _consultations);

    /// <summary>Throws <see cref="LlmFallbackRateException"/> when fallbacks / consultations &gt; <see cref="MaxRate"/>
    /// and at least <see cref="MinConsultations"/> (or, <paramref name="final"/>, one) consultations were made.</summary>
    public void Check(bool final = false)
    {
        long n = Consultations, f = Fallbacks;
        if (n < (final ? 1 : MinConsultations) || f <= MaxRate * n) return;
        string reasons = string.Join(", ", _ledger.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"));
        throw new LlmFallbackRateException(
            $"{f} of {n} answers of {Model} were fallbacks ({reasons}), more than the allowed share {MaxRate.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}; " +
            "the results would show the algorithm's own behaviour as the model's, so the study stopped");
    }
}

/// <summary>Counts each request as a consultation of <see cref="FallbackGuard"/> and checks the guard before it, so a
/// study whose model keeps failing stops (<see cref="LlmFallbackRateException"/>) instead of finishing on fallbacks.
/// The outermost stage of a pipeline (<see cref="Providers.LlmClientOptions.MaxFallbackRate"/>).</summary>
public sealed class FallbackGuardChatClient(IChatClient inner, FallbackGuard guard) : DelegatingChatClient(inner)
{
    /// <summary>The guard.</summary>
    public FallbackGuard Guard { get; } = guard ?? throw new ArgumentNullException(nameof(guard));

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Guard.Check();
        Guard.Count();
        return base.GetResponseAsync(messages, options, cancellationToken);
    }
}
