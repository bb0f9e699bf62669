using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Llm.Middleware;

/// <summary>A record the user asked for (a cassette entry or an audit line) could not be written: the study stops
/// rather than carry on with an answer it cannot keep (issue 15, defect 3).</summary>
public sealed class LlmRecordWriteException(string message, Exception? inner = null) : LlmStopException(message, inner);

/// <summary>A replay cassette whose entry does not belong to its prompt (rewritten by hand, or a hash collision):
/// the study stops instead of replaying an answer to another question (issue 15, defect 14).</summary>
public sealed class CassetteMismatchException(string message) : LlmStopException(message);

/// <summary>
/// The JSON-lines file behind a cassette (chat answers or embeddings): entries by key, loaded at open, appended as
/// they are recorded (one line each, so a study that stops half-way keeps what it paid for). Thread-safe.
/// <list type="bullet">
/// <item>One writer: a recording store holds an exclusive lock (across processes) on <c>&lt;cassette&gt;.lock</c> beside
/// the file, so a second study recording to the same cassette is refused at open. The lock file stays (deleting it
/// would let two studies lock two different files); readers of the cassette itself are never blocked. Clients in one
/// process share one store per file (<see cref="Acquire"/>/<see cref="Release"/>).</item>
/// <item>Whole lines: each entry is one write of one line; a failed write is cut back off the file and raised as
/// <see cref="LlmRecordWriteException"/>.</item>
/// <item>Torn tail: a last line with no newline that does not read (a write cut short by a full disk or a kill) is
/// skipped with a <see cref="TornTail"/> note; a recording store also cuts it off so appending resumes cleanly.</item>
/// <item>Checked: an entry that fails the caller's check (its key against its content) or a key recorded twice with
/// different answers is a <see cref="FormatException"/> naming the line.</item>
/// </list>
/// </summary>
/// <typeparam name="T">The entry type, serialized one per line.</typeparam>
internal sealed class CassetteStore<T> where T : class
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly Dictionary<string, CassetteStore<T>> Stores = new(StringComparer.Ordinal);

    private readonly Dictionary<string, T> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly string _path;
    private readonly string _what;
    private readonly Func<T, string> _key;
    private FileStream? _file;
    private FileStream? _lock;
    private bool _writable;
    private int _references;

    /// <summary>The entry checks of a cassette kind.</summary>
    /// <param name="What">Names the kind of cassette in messages ("Cassette", "Embedding cassette").</param>
    /// <param name="Key">The key of an entry.</param>
    /// <param name="Problem">Why an entry is unusable (missing fields, a key that is not its content's), or null.</param>
    /// <param name="SameAnswer">Whether two entries of one key say the same thing (a harmless duplicate).</param>
    public sealed record Kind(string What, Func<T, string> Key, Func<T, string?> Problem, Func<T, T, bool> SameAnswer);

    private CassetteStore(string path, CassetteMode mode, Kind kind)
    {
        _path = path;
        _what = kind.What;
        _key = kind.Key;
        if (Directory.Exists(path)) throw new IOException($"{kind.What} '{path}' is a folder, not a file.");
        if (mode == CassetteMode.Replay)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{kind.What} '{path}' does not exist.", path);
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        else
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            _lock = Lock(path, kind.What);
            try
            {
                _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            }
            catch
            {
                _lock.Dispose();
                throw;
            }
            _writable = true;
        }
        try
        {
            Load(kind);
        }
        catch
        {
            _file.Dispose();
            _lock?.Dispose();
            throw;
        }
    }

    /// <summary>The full path of the file.</summary>
    public string Path => _path;

    /// <summary>What was done about a torn last line when the file was opened, or null when there was none.</summary>
    public string? TornTail { get; private set; }

    /// <summary>The store of <paramref name="path"/>, opened (and locked) on first use and shared by every client of this
    /// process; pair with <see cref="Release"/>. A missing file is an error in replay mode and an empty cassette when
    /// recording; a file another process records to is an <see cref="IOException"/>.</summary>
    public static CassetteStore<T> Acquire(string path, CassetteMode mode, Kind kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        lock (Stores)
        {
            if (!Stores.TryGetValue(full, out CassetteStore<T>? store))
            {
                store = new CassetteStore<T>(full, mode, kind);
                Stores[full] = store;
            }
            else if (mode == CassetteMode.Record)
            {
                store.MakeWritable();
            }
            store._references++;
            return store;
        }
    }

    /// <summary>True when this process holds <paramref name="fullPath"/> open as a cassette.</summary>
    public static bool IsOpen(string fullPath)
    {
        lock (Stores) return Stores.ContainsKey(fullPath);
    }

    /// <summary>Let go of the store; the last client closes the file and its lock.</summary>
    public void Release()
    {
        lock (Stores)
        {
            if (--_references > 0) return;
            Stores.Remove(_path);
            lock (_gate)
            {
                _file?.Dispose();
                _file = null;
                _lock?.Dispose();
                _lock = null;
            }
        }
    }

    /// <summary>The entry of <paramref name="key"/>, or null.</summary>
    public T? Find(string key)
    {
        lock (_gate) return _entries.GetValueOrDefault(key);
    }

    /// <summary>Keep and append <paramref name="entry"/> unless its key is already there. Throws
    /// <see cref="LlmRecordWriteException"/> when the line cannot be written (nothing of it stays in the file).</summary>
    public void Add(T entry)
    {
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
        string key = _key(entry);
        lock (_gate)
        {
            if (_entries.ContainsKey(key)) return;
            if (_file is null || !_writable) throw new LlmRecordWriteException($"{_what} '{_path}' is not open for recording.");
            if (WholeLines.TryAppend(_file, line) is { } ex)
                throw new LlmRecordWriteException($"could not write to {_what.ToLowerInvariant()} '{_path}' ({ex.Message}); the answer was paid for but cannot be kept, so the study stops.", ex);
            _entries[key] = entry;
        }
    }

    /// <summary>Open <paramref name="path"/> as a recorder would, then let go: whether recording there can start
    /// (the folder can be made, the file opened for writing, no other study recording to it). Throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> with the reason. A file this process
    /// already records to passes; an existing file is not changed.</summary>
    public static void CheckWritable(string path, string what)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (IsOpen(full)) return;
        if (Directory.Exists(full)) throw new IOException($"{what} '{full}' is a folder, not a file.");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        using FileStream held = Lock(full, what);
        bool existed = File.Exists(full);
        new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0).Dispose();
        if (!existed) File.Delete(full);
    }

    /// <summary>Take the recorder's lock of <paramref name="path"/>: <c>path.lock</c> opened with FileShare.None, which
    /// .NET turns into an exclusive, non-waiting flock on Unix and a sharing lock on Windows.</summary>
    private static FileStream Lock(string path, string what)
    {
        string lockPath = path + ".lock";
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(lockPath))
        {
            throw new IOException($"{what} '{path}' is being recorded by another study ({lockPath} is locked); two studies cannot record to one cassette.", ex);
        }
    }

    private void MakeWritable()
    {
        lock (_gate)
        {
            if (_writable) return;
            long loaded = _file!.Length;
            _lock = Lock(_path, _what);
            _file.Dispose();
            _file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            if (_file.Length != loaded) throw new IOException($"{_what} '{_path}' changed while it was open for replay.");
            _writable = true;
        }
    }

    private void Load(Kind kind)
    {
        if (!_file!.CanSeek) throw new IOException($"{_what} '{_path}' is not a regular file.");
        var bytes = new byte[_file!.Length];
        _file.Seek(0, SeekOrigin.Begin);
        _file.ReadExactly(bytes);
        int lastNewline = Array.LastIndexOf(bytes, (byte)'\n');
        int completeEnd = lastNewline + 1;
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        int start = 0;
        while (start < completeEnd)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            lineNumber++;
            ReadOnlySpan<byte> line = bytes.AsSpan(start, end - start).TrimEnd((byte)'\r');
            start = end + 1;
            if (line.IsEmpty) continue;
            Keep(Parse(line, lineNumber, kind), lineNumber, kind, firstLine);
        }
        if (completeEnd == bytes.Length) return;

        // A last line without a newline: an entry that reads is kept (and a newline goes before the next one); one that
        // does not is a write that was cut short.
        lineNumber++;
        ReadOnlySpan<byte> tail = bytes.AsSpan(completeEnd);
        T? last = TryParse(tail, kind);
        if (last is not null)
        {
            Keep(last, lineNumber, kind, firstLine);
            if (_writable)
            {
                _file.Seek(0, SeekOrigin.End);
                _file.Write("\n"u8);
                _file.Flush();
            }
            return;
        }
        if (_writable)
        {
            _file.SetLength(completeEnd);
            TornTail = $"{_path}:{lineNumber}: cut off a torn last line ({tail.Length} bytes, a write that did not finish); recording resumes after line {lineNumber - 1}.";
        }
        else
        {
            TornTail = $"{_path}:{lineNumber}: skipped a torn last line ({tail.Length} bytes, a write that did not finish); its request is not in the cassette.";
        }
    }

    private T Parse(ReadOnlySpan<byte> line, int lineNumber, Kind kind)
    {
        T? entry;
        try
        {
            entry = JsonSerializer.Deserialize<T>(line, Json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{_path}:{lineNumber}: not a {kind.What.ToLowerInvariant()} entry ({ex.Message}).");
        }
        if (entry is null) throw new FormatException($"{_path}:{lineNumber}: not a {kind.What.ToLowerInvariant()} entry.");
        if (kind.Problem(entry) is { } problem) throw new FormatException($"{_path}:{lineNumber}: not a usable {kind.What.ToLowerInvariant()} entry: {problem}.");
        return entry;
    }

    private static T? TryParse(ReadOnlySpan<byte> line, Kind kind)
    {
        try
        {
            T? entry = JsonSerializer.Deserialize<T>(line, Json);
            return entry is not null && kind.Problem(entry) is null ? entry : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Keep(T entry, int lineNumber, Kind kind, Dictionary<string, int> firstLine)
    {
        string key = kind.Key(entry);
        if (_entries.TryGetValue(key, out T? earlier))
        {
            if (!kind.SameAnswer(earlier, entry))
                throw new FormatException($"{_path}:{lineNumber}: key {key[..Math.Min(12, key.Length)]} was recorded at line {firstLine[key]} with another answer; a cassette with conflicting entries cannot be replayed.");
            return;
        }
        _entries[key] = entry;
        firstLine[key] = lineNumber;
    }
}
