namespace Tandem.Llm.Middleware;

/// <summary>The model failed so many calls in a row that it is not being called for a while (a circuit breaker).
/// Ports count it as an <c>http</c> fallback.</summary>
public sealed class LlmCircuitOpenException(string message) : Exception(message);

/// <summary>
/// The deadline / retry / concurrency / circuit-breaker guard shared by <see cref="ResilientChatClient"/> and
/// <see cref="ResilientEmbeddingGenerator"/>. After <see cref="ResilienceOptions.BreakAfter"/> calls in a row have
/// failed (each after its retries), calls fail at once for <see cref="ResilienceOptions.BreakDuration"/>; then one
/// call at a time is let through again, and a success closes the circuit. So a study whose endpoint goes down
/// finishes its fallbacks in seconds instead of waiting out every deadline. Thread-safe.
/// </summary>
internal sealed class ResilientCalls : IDisposable
{
    private readonly ResilienceOptions _options;
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;
    private readonly object _breaker = new();
    private int _consecutiveFailures;
    private long _openedAt = -1;

    public ResilientCalls(ResilienceOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _gate = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
    }

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ThrowIfOpen();
        try
        {
            T result = await RetryAsync(call, cancellationToken).ConfigureAwait(false);
            lock (_breaker)
            {
                _consecutiveFailures = 0;
                _openedAt = -1;
            }
            return result;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            lock (_breaker)
            {
                if (++_consecutiveFailures >= _options.BreakAfter && _options.BreakAfter > 0) _openedAt = _time.GetTimestamp();
            }
            throw;
        }
    }

    private void ThrowIfOpen()
    {
        lock (_breaker)
        {
            if (_openedAt < 0) return;
            TimeSpan open = _time.GetElapsedTime(_openedAt);
            if (open >= _options.BreakDuration) return; // half-open: let this call try
            throw new LlmCircuitOpenException(
                $"the model failed {_consecutiveFailures} calls in a row; not calling it for another {(_options.BreakDuration - open).TotalSeconds:0} s");
        }
    }

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
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
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= _options.MaxRetries)
                        throw new LlmTimeoutException($"no answer within {_options.AttemptTimeout.TotalSeconds:0.#} s ({attempt + 1} attempts)");
                }
                catch (Exception ex) when (ResilientChatClient.IsTransient(ex) && attempt < _options.MaxRetries && !cancellationToken.IsCancellationRequested)
                {
                    // fall through to the backoff below
                }
            }
            finally
            {
                _gate.Release();
            }
            double factor = Math.Pow(2, attempt) * (0.75 + 0.5 * Random.Shared.NextDouble());
            await Task.Delay(TimeSpan.FromTicks((long)(_options.BaseDelay.Ticks * factor)), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _gate.Dispose();
}
