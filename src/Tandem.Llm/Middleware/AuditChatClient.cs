using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>
/// Appends every prompt and answer (or error) to a JSON-lines audit log, with the time, the model, the
/// latency, whether the cassette answered, and the purpose the caller tagged the request with
/// (<see cref="PurposeKey"/> in <see cref="ChatOptions.AdditionalProperties"/>). Never writes keys: none
/// pass through this layer. Thread-safe. The file stays open while the client lives and every line is flushed as
/// it is written, so a study that stops half-way has logged everything it asked. An answer replayed from a
/// cassette is logged by the cassette key of its prompt (the cassette holds the prompt), which keeps replays cheap.
/// </summary>
public sealed class AuditChatClient(IChatClient inner, string path, TimeProvider? timeProvider = null) : DelegatingChatClient(inner)
{
    /// <summary>The option key callers use to say what a request serves (e.g. "libra advisor").</summary>
    public const string PurposeKey = "tandem.purpose";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly object _gate = new();
    private StreamWriter? _writer;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly string _path = Path.GetFullPath(path);

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        DateTimeOffset at = _time.GetUtcNow();
        long start = _time.GetTimestamp();
        string? purpose = options?.AdditionalProperties?.TryGetValue(PurposeKey, out object? p) == true ? p?.ToString() : null;
        try
        {
            ChatResponse response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            object? key = null;
            bool cached = response.AdditionalProperties?.TryGetValue(CassetteChatClient.KeyProperty, out key) == true;
            Write(new AuditRecord(at, purpose, response.ModelId ?? options?.ModelId,
                cached ? null : list.Select(m => new CassetteMessage(m.Role.Value, m.Text)).ToArray(),
                response.Text, null, _time.GetElapsedTime(start).TotalMilliseconds, cached, cached ? key?.ToString() : null));
            return response;
        }
        catch (Exception ex)
        {
            Write(new AuditRecord(at, purpose, options?.ModelId, list.Select(m => new CassetteMessage(m.Role.Value, m.Text)).ToArray(),
                null, ex.GetType().Name + ": " + ex.Message, _time.GetElapsedTime(start).TotalMilliseconds, false, null));
            throw;
        }
    }

    private void Write(AuditRecord record)
    {
        string line = JsonSerializer.Serialize(record, Json);
        lock (_gate)
        {
            if (_writer is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                _writer = new StreamWriter(new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true, NewLine = "\n" };
            }
            _writer.WriteLine(line);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _writer?.Dispose();
                _writer = null;
            }
        }
        base.Dispose(disposing);
    }

    private sealed record AuditRecord(DateTimeOffset At, string? Purpose, string? Model, IReadOnlyList<CassetteMessage>? Prompt, string? Answer, string? Error, double LatencyMs, bool CacheHit, string? CassetteKey);
}
