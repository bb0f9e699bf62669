using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Providers;

/// <summary>The model named for a study did not answer the up-front check (<see cref="ModelCheck"/>): nothing was
/// simulated, because every consultation would have become a fallback and the study would have presented the algorithm's
/// own behaviour as the model's (issue 14, "loud failures").</summary>
public sealed class LlmUnavailableException(string message, Exception? innerException = null) : LlmStopException(message, innerException);

/// <summary>
/// The up-front check every study makes of each model before simulating anything: the one tiny request of
/// <c>tandem llm check</c> ("Reply with the single word OK.", at most 16 answer tokens, temperature 0), sent straight to
/// the provider stage of a pipeline built by <see cref="LlmClients.Create"/> under the attempt deadline, so it is not
/// counted in the study's ledger, budget, cassette or audit log (it carries no study data). Any answer passes (its text
/// is not judged: the parsers judge the study's answers); an exception, a timeout or an overlong answer fails it. A
/// replay pipeline is not checked: its cassette answers, and a miss stops the study anyway.
/// </summary>
public static class ModelCheck
{
    /// <summary>The check's one user message.</summary>
    public const string Prompt = "Reply with the single word OK.";

    /// <summary>Answer tokens the check allows: 16.</summary>
    public const int MaxOutputTokens = 16;

    /// <summary>The check's request options (no grammar, temperature 0, at most <see cref="MaxOutputTokens"/> tokens).</summary>
    public static ChatOptions Options() => new() { MaxOutputTokens = MaxOutputTokens, Temperature = 0 };

    /// <summary>Whether <paramref name="pipeline"/> reaches a model that the check would call (false for a replay cassette).</summary>
    public static bool Applies(IChatClient pipeline) => (pipeline ?? throw new ArgumentNullException(nameof(pipeline))).GetService<AnswerFormatChatClient>() is not null;

    /// <summary>Send the check through <paramref name="pipeline"/>'s provider stage; returns the answer (null for a
    /// replay pipeline, which is not checked).</summary>
    /// <param name="pipeline">A pipeline from <see cref="LlmClients.Create"/>.</param>
    /// <param name="model">The model's name for the message (e.g. the spec; credentials already masked).</param>
    /// <param name="timeout">Deadline of the check. Range: &gt; 0.</param>
    /// <param name="timeProvider">The clock of the deadline (default the system's).</param>
    /// <param name="cancellationToken">The caller's cancellation; it is rethrown, never reported as a failed check.</param>
    /// <exception cref="LlmUnavailableException">No answer: one line naming the model and the reason (category and
    /// exception type as <see cref="ModelCall.FailureReason"/> words it, so no key or URL secret is quoted).</exception>
    public static async Task<ChatResponse?> RunAsync(IChatClient pipeline, string model, TimeSpan timeout, TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(model);
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The check's deadline must be positive.");
        if (pipeline.GetService<AnswerFormatChatClient>() is not { } provider) return null;
        using var deadline = new CancellationTokenSource(timeout, timeProvider ?? TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await provider.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], Options(), linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested)
        {
            throw Unavailable(model, $"{FallbackReasons.Timeout}: no answer within {timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s", ex);
        }
        catch (LlmConfigurationException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not LlmStopException)
        {
            string reason = ModelCall.FailureReason(ex) ?? ex.GetType().Name;
            // An http reason names only the exception type; the innermost message says what happened.
            throw Unavailable(model, reason.StartsWith(FallbackReasons.Http + ":", StringComparison.Ordinal) ? reason + Detail(ex) : reason, ex);
        }
    }

    /// <summary>The embedding check's one text.</summary>
    public const string EmbeddingText = "OK";

    /// <summary>The up-front check of an embedding model (<c>embeddings:MODEL</c>): one embedding of
    /// <see cref="EmbeddingText"/> sent straight to the provider stage of a pipeline built by
    /// <see cref="LlmEmbeddings.Create"/> under the deadline, not counted in the study's ledger or cassette. It passes
    /// when exactly one non-empty vector of finite numbers comes back; returns that vector's length (null for a replay
    /// pipeline, which is not checked). For <c>embeddings:minilm</c> this runs the packaged model once in this process.</summary>
    /// <param name="pipeline">A pipeline from <see cref="LlmEmbeddings.Create"/>.</param>
    /// <param name="model">The model's name for the message (e.g. "embeddings:minilm via ollama:…").</param>
    /// <param name="timeout">Deadline of the check. Range: &gt; 0.</param>
    /// <param name="timeProvider">The clock of the deadline (default the system's).</param>
    /// <param name="cancellationToken">The caller's cancellation; it is rethrown, never reported as a failed check.</param>
    /// <exception cref="LlmUnavailableException">No usable vector: one line naming the model and the reason.</exception>
    public static async Task<int?> RunEmbeddingAsync(IEmbeddingGenerator<string, Embedding<float>> pipeline, string model, TimeSpan timeout,
        TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(model);
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The check's deadline must be positive.");
        if (pipeline.GetService<AccountingEmbeddingGenerator>() is not { } accounting) return null;
        using var deadline = new CancellationTokenSource(timeout, timeProvider ?? TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        GeneratedEmbeddings<Embedding<float>> result;
        try
        {
            result = await accounting.Provider.GenerateAsync([EmbeddingText], cancellationToken: linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested)
        {
            throw NoEmbedding(model, $"{FallbackReasons.Timeout}: no embedding within {timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s", ex);
        }
        catch (LlmConfigurationException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not LlmStopException)
        {
            string reason = ModelCall.FailureReason(ex) ?? ex.GetType().Name;
            throw NoEmbedding(model, reason.StartsWith(FallbackReasons.Http + ":", StringComparison.Ordinal) ? reason + Detail(ex) : reason, ex);
        }
        if (result.Count != 1) throw NoEmbedding(model, $"{FallbackReasons.Parse}: {result.Count} vectors for 1 text", null);
        ReadOnlySpan<float> vector = result[0].Vector.Span;
        if (vector.Length == 0) throw NoEmbedding(model, FallbackReasons.Parse + ": an empty vector", null);
        foreach (float v in vector)
            if (!float.IsFinite(v)) throw NoEmbedding(model, FallbackReasons.Parse + ": a vector with a non-finite number", null);
        return vector.Length;
    }

    // The innermost message's first line (e.g. "Connection refused (127.0.0.1:11434)"), masked and bounded.
    private static string Detail(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        string line = Redaction.Text(ex.Message).Split('\n')[0].Trim();
        if (line.Length > 160) line = line[..160] + "…";
        return line.Length == 0 ? "" : ", " + line;
    }

    private static LlmUnavailableException NoEmbedding(string model, string reason, Exception? inner) =>
        new($"{model} did not answer the up-front embedding check ({reason}); nothing was generated", inner);

    private static LlmUnavailableException Unavailable(string model, string reason, Exception? inner) =>
        new($"{model} did not answer the up-front check ({reason}); nothing was simulated (check it with: tandem llm check --llm {model})", inner);
}
