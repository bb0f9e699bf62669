using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>What to do on a cassette miss.</summary>
public enum CassetteMode
{
    /// <summary>Call the model and append the answer (record).</summary>
    Record,

    /// <summary>Never call a model: a miss throws <see cref="CassetteMissException"/>.</summary>
    Replay,
}

/// <summary>A request the cassette has no answer for, in replay mode.</summary>
public sealed class CassetteMissException(string message) : LlmStopException(message);

/// <summary>One recorded exchange (a line of the cassette file).</summary>
public sealed record CassetteEntry(string Key, string? Model, IReadOnlyList<CassetteMessage> Prompt, string Answer, long PromptTokens, long CompletionTokens)
{
    /// <summary>What of the request the key covers besides the prompt (the requested model and sampling options), so
    /// the key can be checked against the entry when the cassette is opened; null in cassettes recorded before it was
    /// kept (those are checked against each request's prompt instead).</summary>
    public CassetteRequest? Request { get; init; }
}

/// <summary>The options of a recorded request that its cassette key covers.</summary>
public sealed record CassetteRequest(string? Model, float? Temperature, float? TopP, int? MaxOutputTokens, long? Seed)
{
    /// <summary>The part of <paramref name="options"/> the key covers.</summary>
    public static CassetteRequest Of(ChatOptions? options) => new(options?.ModelId, options?.Temperature, options?.TopP, options?.MaxOutputTokens, options?.Seed);
}

/// <summary>A prompt message as recorded.</summary>
public sealed record CassetteMessage(string Role, string Text);

/// <summary>
/// Record/replay of model answers in a JSON-lines file, keyed by a SHA-256 of the model, the messages and
/// the options that change an answer (temperature, top-p, max tokens, seed). Reruns are then
/// deterministic and free, and CI can run recorded transcripts. Thread-safe. Safety (issue 15): one study records to a
/// cassette at a time (exclusive lock), lines are written whole, a torn last line is skipped and reported
/// (<see cref="TornTail"/>), each entry's key is checked against its prompt and conflicting duplicates are refused, and
/// an answer that cannot be written stops the study (<see cref="LlmRecordWriteException"/>). Dispose to let go of the file.
/// </summary>
public sealed class CassetteChatClient : DelegatingChatClient
{
    private static readonly CassetteStore<CassetteEntry>.Kind Kind = new("Cassette", e => e.Key, Problem, (a, b) => string.Equals(a.Answer, b.Answer, StringComparison.Ordinal));
    private readonly CassetteStore<CassetteEntry> _store;
    private readonly CassetteMode _mode;
    private readonly LlmLedger? _ledger;
    private int _released;

    /// <summary>Open (or, when recording, create) the cassette at <paramref name="path"/>. In replay mode
    /// <paramref name="inner"/> is never called. Throws <see cref="FileNotFoundException"/> for a missing
    /// replay cassette, <see cref="FormatException"/> naming the line of a malformed one (or of an entry whose key is not
    /// its prompt's, or a key recorded twice with different answers), and <see cref="IOException"/> when another study
    /// records to it.</summary>
    public CassetteChatClient(IChatClient inner, string path, CassetteMode mode, LlmLedger? ledger = null) : base(inner)
    {
        _mode = mode;
        _ledger = ledger;
        _store = CassetteStore<CassetteEntry>.Acquire(path, mode, Kind);
    }

    /// <summary>What was done about a torn last line (a write cut short) when the cassette was opened, for the host to
    /// show; null when there was none.</summary>
    public string? TornTail => _store.TornTail;

    /// <summary>Check that recording to <paramref name="path"/> can start (folder, write access, no other study recording
    /// to it), without keeping the file open. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.</summary>
    public static void CheckRecordable(string path) => CassetteStore<CassetteEntry>.CheckWritable(path, "Cassette");

    private static string? Problem(CassetteEntry e)
    {
        if (e.Key is null || e.Answer is null || e.Prompt is null) return "it lacks a key, a prompt or an answer";
        if (e.Prompt.Any(m => m?.Role is null || m.Text is null)) return "a prompt message lacks its role or text";
        if (e.Request is { } request && Key(request, e.Prompt.Select(m => (m.Role, m.Text))) != e.Key)
            return $"its key {e.Key[..Math.Min(12, e.Key.Length)]} is not the key of its prompt (the prompt or options were changed)";
        return null;
    }

    /// <summary>The response property that marks a cassette answer; its value is the request's key.</summary>
    public const string KeyProperty = "tandem.cacheHit";

    /// <summary>The key of a request.</summary>
    public static string Key(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        Key(CassetteRequest.Of(options), messages.Select(m => (m.Role.Value, m.Text)));

    private static string Key(CassetteRequest request, IEnumerable<(string Role, string Text)> messages)
    {
        var builder = new StringBuilder();
        builder.Append("model=").Append(request.Model).Append('\n');
        builder.Append("temperature=").Append(request.Temperature?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        builder.Append("top_p=").Append(request.TopP?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        builder.Append("max=").Append(request.MaxOutputTokens).Append('\n');
        builder.Append("seed=").Append(request.Seed).Append('\n');
        foreach ((string role, string text) in messages) builder.Append(role).Append(':').Append(text.Length).Append(':').Append(text).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        string key = Key(list, options);
        CassetteEntry? hit = _store.Find(key);
        if (hit is not null)
        {
            if (hit.Prompt.Count != list.Count || hit.Prompt.Zip(list).Any(p => p.First.Role != p.Second.Role.Value || p.First.Text != p.Second.Text))
                throw new CassetteMismatchException($"the cassette '{_store.Path}' answers key {key[..12]} with an entry recorded for another prompt; it was edited or is corrupt, so it is not replayed");
            _ledger?.RecordCacheHit();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, hit.Answer))
            {
                ModelId = hit.Model,
                Usage = new UsageDetails { InputTokenCount = hit.PromptTokens, OutputTokenCount = hit.CompletionTokens },
                AdditionalProperties = new AdditionalPropertiesDictionary { [KeyProperty] = key },
            };
        }
        if (_mode == CassetteMode.Replay)
            throw new CassetteMissException($"the cassette '{_store.Path}' has no answer for this request (key {key[..12]}); record it first");

        ChatResponse response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        var entry = new CassetteEntry(key, response.ModelId ?? options?.ModelId,
            list.Select(m => new CassetteMessage(m.Role.Value, m.Text)).ToArray(), response.Text,
            LlmLedger.Plausible(response.Usage?.InputTokenCount), LlmLedger.Plausible(response.Usage?.OutputTokenCount))
        {
            Request = CassetteRequest.Of(options),
        };
        _store.Add(entry);
        return response;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _released, 1) == 0) _store.Release();
        base.Dispose(disposing);
    }
}
