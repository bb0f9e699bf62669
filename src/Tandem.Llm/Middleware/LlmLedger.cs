using System.Collections.Concurrent;

namespace Tandem.Llm.Middleware;

/// <summary>Why a port fell back to its algorithm. An open vocabulary (STYLE 14); these are the ones Tandem uses.</summary>
public static class FallbackReasons
{
    /// <summary>The call ran past its deadline.</summary>
    public const string Timeout = "timeout";

    /// <summary>The endpoint failed (connection refused, 429/5xx after retries, 4xx).</summary>
    public const string Http = "http";

    /// <summary>The answer could not be read (format, encoding, size, non-numeric or non-finite values).</summary>
    public const string Parse = "parse";

    /// <summary>The answer names a treatment that does not exist or changes an immutable feature.</summary>
    public const string Infeasible = "infeasible";

    /// <summary>The model declined or answered with nothing.</summary>
    public const string Refused = "refused";

    /// <summary>The category of a "category: detail" reason string.</summary>
    public static string Category(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason)) return Refused;
        int colon = reason.IndexOf(':');
        return (colon < 0 ? reason : reason[..colon]).Trim();
    }
}

/// <summary>Thread-safe accounting of model use across the runs of a study.</summary>
public sealed class LlmLedger
{
    private long _calls, _failures, _cacheHits, _promptTokens, _completionTokens, _latencyTicks, _implausible;
    private readonly ConcurrentDictionary<string, int> _fallbacks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _formats = new(StringComparer.Ordinal);

    /// <summary>Requests that reached a provider (retries included).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Provider requests that failed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Answers served from the cassette.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>Prompt (input) tokens reported by providers.</summary>
    public long PromptTokens => Interlocked.Read(ref _promptTokens);

    /// <summary>Completion (output) tokens reported by providers.</summary>
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);

    /// <summary>Mean latency of provider requests, ms (NaN when there were none).</summary>
    public double MeanLatencyMs => Calls == 0 ? double.NaN : TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks)).TotalMilliseconds / Calls;

    /// <summary>Fallbacks by reason category.</summary>
    public IReadOnlyDictionary<string, int> Fallbacks => new SortedDictionary<string, int>(_fallbacks, StringComparer.Ordinal);

    /// <summary>Port requests that reached a provider by the answer format they were sent with (<see cref="AnswerFormats"/>:
    /// grammar, json-schema or free); retries included, cassette answers not.</summary>
    public IReadOnlyDictionary<string, long> Formats => new SortedDictionary<string, long>(_formats, StringComparer.Ordinal);

    /// <summary>Token counts a server reported that were negative or beyond <see cref="MaxTokensPerCall"/>: not summed
    /// (issue 15, defect 20).</summary>
    public long ImplausibleUsage => Interlocked.Read(ref _implausible);

    /// <summary>The most tokens one call is believed to use (prompt or completion); larger counts are not summed. 10^8.</summary>
    public const long MaxTokensPerCall = 100_000_000;

    /// <summary><paramref name="tokens"/> when it is a plausible count for one call (0 to <see cref="MaxTokensPerCall"/>), else 0.</summary>
    internal static long Plausible(long? tokens) => tokens is >= 0 and <= MaxTokensPerCall ? tokens.Value : 0;

    internal void RecordCall(TimeSpan latency, long? promptTokens, long? completionTokens, bool failed)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _latencyTicks, Math.Max(0, latency.Ticks));
        if (promptTokens is not null && Plausible(promptTokens) != promptTokens) Interlocked.Increment(ref _implausible);
        if (completionTokens is not null && Plausible(completionTokens) != completionTokens) Interlocked.Increment(ref _implausible);
        Interlocked.Add(ref _promptTokens, Plausible(promptTokens));
        Interlocked.Add(ref _completionTokens, Plausible(completionTokens));
        if (failed) Interlocked.Increment(ref _failures);
    }

    internal void RecordFormat(string format) => _formats.AddOrUpdate(format, 1, (_, n) => n + 1);

    internal void RecordCacheHit() => Interlocked.Increment(ref _cacheHits);

    /// <summary>Count a fallback under the category of <paramref name="reason"/>.</summary>
    public void RecordFallback(string? reason) => _fallbacks.AddOrUpdate(FallbackReasons.Category(reason), 1, (_, n) => n + 1);
}
