using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Gambit;

/// <summary>
/// The embedding encoder: the text's embedding (any <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, e.g.
/// OpenAI's /v1/embeddings or Ollama's /api/embed) mapped to style scores by a fitted <see cref="LinearProbe"/>. This
/// stands in for the seed's per-dimension 1-D VAE over BERT embeddings (App. F.3): supervised instead of
/// unsupervised, so its axes are the named dimensions by construction. An empty, wrong-length or non-finite
/// embedding is a <c>parse</c> abstention.
/// </summary>
public sealed class EmbeddingProbeEncoder : IStyleEncoder
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embeddings;
    private readonly LlmLedger _ledger;

    /// <summary>Encode with <paramref name="embeddings"/> and <paramref name="probe"/>, whose outputs are <paramref name="dimensions"/>.</summary>
    public EmbeddingProbeEncoder(IEmbeddingGenerator<string, Embedding<float>> embeddings, LinearProbe probe, IReadOnlyList<string> dimensions, LlmLedger ledger)
    {
        _embeddings = embeddings ?? throw new ArgumentNullException(nameof(embeddings));
        Probe = probe ?? throw new ArgumentNullException(nameof(probe));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Count != probe.OutputDimension) throw new ArgumentException($"The probe scores {probe.OutputDimension} dimensions; {dimensions.Count} were named.", nameof(dimensions));
        Dimensions = dimensions.ToArray();
    }

    /// <summary>The probe.</summary>
    public LinearProbe Probe { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Dimensions { get; }

    /// <inheritdoc />
    /// <remarks>Embeddings are deterministic, so <paramref name="variant"/> does not change the request.</remarks>
    public async Task<StyleScores> EncodeAsync(string message, int variant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        (float[]? vector, string? reason) = await EmbedAsync(_embeddings, _ledger, message, cancellationToken).ConfigureAwait(false);
        if (vector is null) return StyleScores.Abstain(reason!);
        if (vector.Length != Probe.InputDimension)
        {
            var scores = StyleScores.Abstain($"{FallbackReasons.Parse}: the embedding has {vector.Length} numbers; the probe was fitted on {Probe.InputDimension}");
            _ledger.RecordFallback(scores.Reason);
            return scores;
        }
        var result = new double[Dimensions.Count];
        Probe.Predict(vector, result);
        return StyleScores.Of(result);
    }

    /// <summary>One finite, non-empty embedding, or null and the fallback reason (recorded in <paramref name="ledger"/>).</summary>
    internal static async Task<(float[]? Vector, string? Reason)> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> embeddings, LlmLedger ledger, string text, CancellationToken cancellationToken)
    {
        string reason;
        try
        {
            GeneratedEmbeddings<Embedding<float>> result = await embeddings.GenerateAsync([text], cancellationToken: cancellationToken).ConfigureAwait(false);
            float[]? vector = result.Count == 1 ? result[0].Vector.ToArray() : null;
            if (vector is { Length: > 0 } && vector.All(float.IsFinite)) return (vector, null);
            reason = $"{FallbackReasons.Parse}: " + (vector is null ? $"{result.Count} embeddings for one text" : vector.Length == 0 ? "empty embedding" : "non-finite embedding");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            reason = LlmFailures.Reason(ex);
        }
        ledger.RecordFallback(reason);
        return (null, reason);
    }
}
