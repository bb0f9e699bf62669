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
public sealed record CassetteEntry(string Key, string? Model, IReadOnlyList<CassetteMessage> Prompt, string Answer, long PromptTokens, long CompletionTokens);

/// <summary>A prompt message as recorded.</summary>
public sealed record CassetteMessage(string Role, string Text);

/// <summary>
/// Record/replay of model answers in a JSON-lines file, keyed by a SHA-256 of the model, the messages and
/// the options that change an answer (temperature, top-p, max tokens, seed). Reruns are then
/// deterministic and free, and CI can run recorded transcripts. Thread-safe.
/// </summary>
public sealed class CassetteChatClient : DelegatingChatClient
{
    private readonly CassetteStore<CassetteEntry> _store;
    private readonly CassetteMode _mode;
    private readonly LlmLedger? _ledger;

    /// <summary>Open (or, when recording, create) the cassette at <paramref name="path"/>. In replay mode
    /// <paramref name="inner"/> is never called. Throws <see cref="FileNotFoundException"/> for a missing
    /// replay cassette and <see cref="FormatException"/> naming the line of a malformed one.</summary>
    public CassetteChatClient(IChatClient inner, string path, CassetteMode mode, LlmLedger? ledger = null) : base(inner)
    {
        _mode = mode;
        _ledger = ledger;
        _store = new CassetteStore<CassetteEntry>(path, mode, "Cassette", e => e.Key, e => e.Key is not null && e.Answer is not null);
    }

    /// <summary>The response property that marks a cassette answer; its value is the request's key.</summary>
    public const string KeyProperty = "tandem.cacheHit";

    /// <summary>The key of a request.</summary>
    public static string Key(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var builder = new StringBuilder();
        builder.Append("model=").Append(options?.ModelId).Append('\n');
        builder.Append("temperature=").Append(options?.Temperature?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        builder.Append("top_p=").Append(options?.TopP?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        builder.Append("max=").Append(options?.MaxOutputTokens).Append('\n');
        builder.Append("seed=").Append(options?.Seed).Append('\n');
        foreach (ChatMessage m in messages) builder.Append(m.Role.Value).Append(':').Append(m.Text.Length).Append(':').Append(m.Text).Append('\n');
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
            response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
        _store.Add(entry);
        return response;
    }
}
