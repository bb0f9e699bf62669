using System.ClientModel;
using System.Net;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>Deadline, retries and concurrency of model calls. Immutable; validated at construction.</summary>
public sealed record ResilienceOptions
{
    /// <summary>Deadline of one attempt. Range: &gt; 0. Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt on transient failures (timeouts, connection errors,
    /// 408/429/5xx). Range: 0-10. Default 2.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>Median first backoff; Polly's exponential backoff with decorrelated jitter, so the k-th retry waits about
    /// BaseDelay × 2^(k-1), randomly spread. Range: 0 to 1 day. Default 0.5 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Model calls in flight at most, across all runs of a study. Range: 1-256. Default 4.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>The circuit opens when at least this many calls (each after its retries) were made in the last
    /// <see cref="BreakWindow"/> and every one failed. Range: 0 (never) or 2-1000. Default 8.</summary>
    public int BreakAfter { get; init; } = 8;

    /// <summary>The sliding window over which <see cref="BreakAfter"/> failures are counted. Range: 0.5 s to 1 day. Default 60 s.</summary>
    public TimeSpan BreakWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit fails calls at once before exactly one trial call is let through.
    /// Range: 0.5 s to 1 day. Default 60 s.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (BreakAfter is 1 or < 0 or > 1000) throw new ArgumentOutOfRangeException(nameof(BreakAfter), BreakAfter, "BreakAfter must be 0 (never) or lie in 2-1000.");
        if (BreakDuration < TimeSpan.FromSeconds(0.5) || BreakDuration > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(BreakDuration), BreakDuration, "The break duration must lie in 0.5 s to 1 day.");
        if (BreakWindow < TimeSpan.FromSeconds(0.5) || BreakWindow > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(BreakWindow), BreakWindow, "The break window must lie in 0.5 s to 1 day.");
        if (AttemptTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "The timeout must be positive.");
        if (MaxRetries is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "Retries must lie in 0-10.");
        if (BaseDelay < TimeSpan.Zero || BaseDelay > TimeSpan.FromDays(1)) throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "The delay must lie in 0 to 1 day.");
        if (MaxConcurrency is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "Concurrency must lie in 1-256.");
    }
}

/// <summary>A call that ran past its deadline on every attempt.</summary>
public sealed class LlmTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// Runs each call under a deadline, retries transient failures with exponential backoff and jitter, limits the
/// calls in flight, and stops calling a model that keeps failing for a while (circuit breaker; half-open lets exactly
/// one trial call through), on Polly's resilience pipeline (<see cref="ResilientCalls"/>). Jitter only changes timing,
/// never results.
/// </summary>
public sealed class ResilientChatClient : DelegatingChatClient
{
    private readonly ResilienceOptions _options;
    private readonly ResilientCalls _calls;
    private readonly TimeProvider _time;

    /// <summary>Wrap <paramref name="inner"/>.</summary>
    public ResilientChatClient(IChatClient inner, ResilienceOptions? options = null, TimeProvider? timeProvider = null) : base(inner)
    {
        _options = options ?? new ResilienceOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _calls = new ResilientCalls(_options, _time);
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        return await _calls.RunAsync(token => base.GetResponseAsync(list, options, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connection errors, timeouts and HTTP 408/429/5xx are worth another try; 4xx are not, nor a response
    /// over the size cap or a refused redirect (another try would get the same).</summary>
    public static bool IsTransient(Exception ex) => !IsFinal(ex) && IsTransientKind(ex);

    private static bool IsFinal(Exception? ex) =>
        ex is not null && (ex is Providers.LlmResponseTooLargeException or Providers.LlmRedirectRefusedException || IsFinal(ex.InnerException));

    private static bool IsTransientKind(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } code } => IsTransientStatus((int)code),
        ClientResultException result => result.Status == 0 || IsTransientStatus(result.Status),
        TimeoutException => true,
        IOException => true,
        _ => ex.InnerException is not null && IsTransientKind(ex.InnerException),
    };

    private static bool IsTransientStatus(int status) => status is (int)HttpStatusCode.RequestTimeout or 429 or >= 500;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _calls.Dispose();
        base.Dispose(disposing);
    }
}
