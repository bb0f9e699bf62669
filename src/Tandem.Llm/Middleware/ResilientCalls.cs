using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Tandem.Llm.Providers;

namespace Tandem.Llm.Middleware;

/// <summary>The model failed so many calls that it is not being called for a while (a circuit breaker), or the one
/// trial call of a half-open circuit is still in flight. Ports count it as an <c>http</c> fallback.</summary>
public sealed class LlmCircuitOpenException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// The deadline / retry / concurrency / circuit-breaker guard shared by <see cref="ResilientChatClient"/> and
/// <see cref="ResilientEmbeddingGenerator"/>, on Polly's resilience pipeline (Polly.Core 8): a circuit breaker outside
/// retries with exponential backoff and jitter, outside a gate of <see cref="ResilienceOptions.MaxConcurrency"/> calls in
/// flight, inside which each attempt gets its deadline (so waiting for the gate never eats an attempt's deadline).
/// When every one of at least <see cref="ResilienceOptions.BreakAfter"/> calls (each after its retries) in the last
/// <see cref="ResilienceOptions.BreakWindow"/> failed, calls fail at once for <see cref="ResilienceOptions.BreakDuration"/>;
/// then exactly one trial call is let through (half-open: the others fail at once while it runs), and its success closes
/// the circuit, its failure opens it again. So a study whose endpoint goes down finishes its fallbacks in seconds
/// instead of waiting out every deadline. Times come from the <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class ResilientCalls : IDisposable
{
    private readonly ResilienceOptions _options;
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _pipeline;

    public ResilientCalls(ResilienceOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _gate = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.BreakAfter > 0)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = options.BreakAfter,
                SamplingDuration = options.BreakWindow,
                BreakDuration = options.BreakDuration,
                // What stops the study or is the caller's own cancellation says nothing about the model's health.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && !IsNotTheModels(ex)),
            });
        }
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && (ex is AttemptTimeoutException || ResilientChatClient.IsTransient(ex))),
            });
        }
        _pipeline = builder.Build();
    }

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        int attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                Interlocked.Increment(ref attempts);
                return await AttemptAsync(call, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AttemptTimeoutException)
        {
            throw new LlmTimeoutException($"no answer within {_options.AttemptTimeout.TotalSeconds:0.#} s ({Volatile.Read(ref attempts)} attempts)");
        }
        catch (BrokenCircuitException ex)
        {
            string wait = ex.RetryAfter is { } after ? $"; not calling it for another {Math.Ceiling(after.TotalSeconds):0} s" : "; one trial call is in flight";
            throw new LlmCircuitOpenException($"every one of the model's last {_options.BreakAfter} or more calls failed{wait}", ex);
        }
    }

    private async ValueTask<T> AttemptAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var deadline = new CancellationTokenSource(_options.AttemptTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                return await call(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new AttemptTimeoutException(ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static bool IsNotTheModels(Exception ex) => ex is OperationCanceledException or LlmStopException or LlmConfigurationException;

    public void Dispose() => _gate.Dispose();

    /// <summary>One attempt ran past its deadline (retried; after the last attempt it becomes <see cref="LlmTimeoutException"/>).</summary>
    private sealed class AttemptTimeoutException(Exception inner) : Exception("the attempt ran past its deadline", inner);
}
