using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Middleware;

/// <summary>
/// Writes every prompt and answer (or error) to a JSON-lines audit log, with the time, the model, the
/// latency, whether the cassette answered, and the purpose the caller tagged the request with
/// (<see cref="PurposeKey"/> in <see cref="ChatOptions.AdditionalProperties"/>). Thread-safe. An answer replayed from a
/// cassette is logged by the cassette key of its prompt (the cassette holds the prompt), which keeps replays cheap.
/// <list type="bullet">
/// <item>One log per run (issue 15, defect 20): the file is created (or emptied) when the client is made, and every
/// line carries the run's id (<see cref="RunId"/>), so reruns into one folder never mix.</item>
/// <item>Whole lines, written as they happen: a study that stops half-way has logged everything it asked. A line that
/// cannot be written stops the study (<see cref="LlmRecordWriteException"/>, defect 3); so does a log that cannot be
/// created, at construction.</item>
/// <item>No keys (defect 12): none pass through this layer, and error messages and answers are written through
/// <see cref="Providers.Redaction"/> with the pipeline's <see cref="Secrets"/>, so a key a server echoes in an
/// error body is masked.</item>
/// </list>
/// </summary>
public sealed class AuditChatClient : DelegatingChatClient
{
    /// <summary>The option key callers use to say what a request serves (e.g. "libra advisor").</summary>
    public const string PurposeKey = "tandem.purpose";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly object _gate = new();
    private FileStream? _file;
    private readonly TimeProvider _time;
    private readonly string _path;

    /// <summary>Create (or empty) the audit log at <paramref name="path"/> and log the calls of <paramref name="inner"/>.
    /// Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the log cannot be created.</summary>
    public AuditChatClient(IChatClient inner, string path, TimeProvider? timeProvider = null) : base(inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _time = timeProvider ?? TimeProvider.System;
        _path = Path.GetFullPath(path);
        if (Directory.Exists(_path)) throw new IOException($"The audit log '{_path}' is a folder, not a file.");
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _file = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
    }

    /// <summary>The id every line of this run carries (12 hex digits).</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Values masked wherever they appear in a logged error or answer (the pipeline's API key). Values shorter
    /// than 4 characters are ignored.</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Check that an audit log can be written at <paramref name="path"/> (the folder can be made, the file
    /// opened for writing) without changing an existing file. Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> with the reason.</summary>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"The audit log '{full}' is a folder, not a file.");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        bool existed = File.Exists(full);
        new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0).Dispose();
        if (!existed) File.Delete(full);
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        DateTimeOffset at = _time.GetUtcNow();
        long start = _time.GetTimestamp();
        string? purpose = options?.AdditionalProperties?.TryGetValue(PurposeKey, out object? p) == true ? p?.ToString() : null;
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Write(new AuditRecord(RunId, at, purpose, options?.ModelId, list.Select(m => new CassetteMessage(m.Role.Value, m.Text)).ToArray(),
                null, Providers.Redaction.Text(ex.GetType().Name + ": " + ex.Message, Secrets), _time.GetElapsedTime(start).TotalMilliseconds, false, null));
            throw;
        }
        object? key = null;
        bool cached = response.AdditionalProperties?.TryGetValue(CassetteChatClient.KeyProperty, out key) == true;
        Write(new AuditRecord(RunId, at, purpose, response.ModelId ?? options?.ModelId,
            cached ? null : list.Select(m => new CassetteMessage(m.Role.Value, m.Text)).ToArray(),
            Secrets.Count == 0 ? response.Text : Providers.Redaction.Text(response.Text, Secrets), null,
            _time.GetElapsedTime(start).TotalMilliseconds, cached, cached ? key?.ToString() : null));
        return response;
    }

    private void Write(AuditRecord record)
    {
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, Json) + "\n");
        lock (_gate)
        {
            if (_file is null) throw new ObjectDisposedException(nameof(AuditChatClient));
            if (WholeLines.TryAppend(_file, line) is { } ex)
                throw new LlmRecordWriteException($"could not write to the audit log '{_path}' ({ex.Message}); the study stops so that no call goes unrecorded.", ex);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _file?.Dispose();
                _file = null;
            }
        }
        base.Dispose(disposing);
    }

    private sealed record AuditRecord(string Run, DateTimeOffset At, string? Purpose, string? Model, IReadOnlyList<CassetteMessage>? Prompt, string? Answer, string? Error, double LatencyMs, bool CacheHit, string? CassetteKey);
}
