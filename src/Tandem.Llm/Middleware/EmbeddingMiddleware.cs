using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>Counts embedding requests, input tokens, latency and failures into an <see cref="LlmLedger"/> (calls
/// and prompt tokens, as for chat; embeddings have no completion tokens).</summary>
public sealed class AccountingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, LlmLedger ledger, TimeProvider? timeProvider = null)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The provider this stage counts for (the up-front check, <see cref="Providers.ModelCheck.RunEmbeddingAsync"/>,
    /// calls it directly so that the check is not counted).</summary>
    internal IEmbeddingGenerator<string, Embedding<float>> Provider => InnerGenerator;

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        long start = _time.GetTimestamp();
        try
        {
            GeneratedEmbeddings<Embedding<float>> result = await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
            ledger.RecordCall(_time.GetElapsedTime(start), result.Usage?.InputTokenCount, 0, failed: false);
            return result;
        }
        catch
        {
            ledger.RecordCall(_time.GetElapsedTime(start), 0, 0, failed: true);
            throw;
        }
    }
}

/// <summary>Deadline, retries with backoff and a concurrency limit for embedding requests (<see cref="ResilienceOptions"/>).</summary>
public sealed class ResilientEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ResilienceOptions _options;
    private readonly ResilientCalls _calls;
    private readonly TimeProvider _time;

    /// <summary>Wrap <paramref name="inner"/>.</summary>
    public ResilientEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, ResilienceOptions? options = null, TimeProvider? timeProvider = null) : base(inner)
    {
        _options = options ?? new ResilienceOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _calls = new ResilientCalls(_options, _time);
    }

    /// <inheritdoc />
    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values as IList<string> ?? values.ToList();
        return _calls.RunAsync(token => base.GenerateAsync(list, options, token), cancellationToken);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _calls.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>One recorded embedding (a line of an embedding cassette).</summary>
public sealed record EmbeddingCassetteEntry(string Key, string Model, string Text, float[] Vector, long Tokens);

/// <summary>
/// Record/replay of embeddings in a JSON-lines file, keyed by a SHA-256 of the model and the text, so a recorded
/// bank build replays with no calls. In <see cref="CassetteMode.Replay"/> a miss throws
/// <see cref="CassetteMissException"/>; the file must exist. Only finite vectors are recorded. Thread-safe. Locking,
/// whole-line writes, torn-tail recovery and key checks as for <see cref="CassetteChatClient"/>.
/// </summary>
public sealed class CassetteEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private static readonly CassetteStore<EmbeddingCassetteEntry>.Kind Kind = new("Embedding cassette", e => e.Key, Problem,
        (a, b) => a.Vector.AsSpan().SequenceEqual(b.Vector));
    private readonly CassetteStore<EmbeddingCassetteEntry> _store;
    private readonly string _model;
    private readonly CassetteMode _mode;
    private readonly LlmLedger? _ledger;
    private int _released;

    /// <summary>Open (or start) the cassette at <paramref name="path"/> for embeddings of <paramref name="model"/>.</summary>
    public CassetteEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, string path, string model, CassetteMode mode, LlmLedger? ledger = null) : base(inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        _model = model;
        _mode = mode;
        _ledger = ledger;
        _store = CassetteStore<EmbeddingCassetteEntry>.Acquire(path, mode, Kind);
    }

    /// <summary>What was done about a torn last line when the cassette was opened, or null (see <see cref="CassetteChatClient.TornTail"/>).</summary>
    public string? TornTail => _store.TornTail;

    private static string? Problem(EmbeddingCassetteEntry e)
    {
        if (e.Key is null || e.Model is null || e.Text is null) return "it lacks a key, a model or a text";
        if (e.Vector is not { Length: > 0 } || !e.Vector.All(float.IsFinite)) return "its vector is empty or not finite";
        if (Key(e.Model, e.Text) != e.Key) return $"its key {e.Key[..Math.Min(12, e.Key.Length)]} is not the key of its model and text";
        return null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _released, 1) == 0) _store.Release();
        base.Dispose(disposing);
    }

    /// <summary>The key of a text under a model.</summary>
    public static string Key(string model, string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("embedding-model=" + model + "\n" + text.Length + ":" + text)));

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IList<string> ?? values.ToList();
        var result = new Embedding<float>?[texts.Count];
        var missing = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            EmbeddingCassetteEntry? hit = _store.Find(Key(_model, texts[i]));
            if (hit is null) missing.Add(i);
            else
            {
                _ledger?.RecordCacheHit();
                result[i] = new Embedding<float>(hit.Vector) { ModelId = hit.Model };
            }
        }
        if (missing.Count > 0)
        {
            if (_mode == CassetteMode.Replay)
                throw new CassetteMissException($"the embedding cassette '{_store.Path}' has no embedding of this text under '{_model}'; record it first");
            GeneratedEmbeddings<Embedding<float>> fresh = await base.GenerateAsync(missing.Select(i => texts[i]).ToList(), options, cancellationToken).ConfigureAwait(false);
            if (fresh.Count != missing.Count) throw new InvalidDataException($"asked for {missing.Count} embeddings, got {fresh.Count}");
            long tokens = LlmLedger.Plausible(fresh.Usage?.InputTokenCount);
            for (int k = 0; k < missing.Count; k++)
            {
                int i = missing[k];
                result[i] = fresh[k];
                float[] vector = fresh[k].Vector.ToArray();
                if (vector.Length == 0 || vector.Any(v => !float.IsFinite(v))) continue; // not worth replaying; the caller rejects it
                _store.Add(new EmbeddingCassetteEntry(Key(_model, texts[i]), _model, texts[i], vector, k == 0 ? tokens : 0));
            }
        }
        return new GeneratedEmbeddings<Embedding<float>>(result.Select(e => e!));
    }
}
