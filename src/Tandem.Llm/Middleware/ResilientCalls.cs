namespace Tandem.Llm.Middleware;

/// <summary>The deadline / retry / concurrency loop shared by <see cref="ResilientChatClient"/> and
/// <see cref="ResilientEmbeddingGenerator"/>.</summary>
internal static class ResilientCalls
{
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, ResilienceOptions options, SemaphoreSlim gate, TimeProvider time, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var deadline = new CancellationTokenSource(options.AttemptTimeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                try
                {
                    return await call(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= options.MaxRetries)
                        throw new LlmTimeoutException($"no answer within {options.AttemptTimeout.TotalSeconds:0.#} s ({attempt + 1} attempts)");
                }
                catch (Exception ex) when (ResilientChatClient.IsTransient(ex) && attempt < options.MaxRetries && !cancellationToken.IsCancellationRequested)
                {
                    // fall through to the backoff below
                }
            }
            finally
            {
                gate.Release();
            }
            double factor = Math.Pow(2, attempt) * (0.75 + 0.5 * Random.Shared.NextDouble());
            await Task.Delay(TimeSpan.FromTicks((long)(options.BaseDelay.Ticks * factor)), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
