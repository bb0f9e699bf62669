using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Llm.Middleware;

/// <summary>
/// The JSON-lines file behind a cassette (chat answers or embeddings): entries by key, loaded at open, appended as
/// they are recorded (one line each, so a study that stops half-way keeps what it paid for). Thread-safe.
/// </summary>
/// <typeparam name="T">The entry type, serialized one per line.</typeparam>
internal sealed class CassetteStore<T> where T : class
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly Dictionary<string, T> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly string _path;
    private readonly Func<T, string> _key;

    /// <summary>Open <paramref name="path"/>. A missing file is an error in replay mode and an empty cassette when
    /// recording; a line that does not deserialize or fails <paramref name="valid"/> is a <see cref="FormatException"/>
    /// naming the line. <paramref name="what"/> names the kind of cassette in messages.</summary>
    public CassetteStore(string path, CassetteMode mode, string what, Func<T, string> key, Func<T, bool> valid)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = System.IO.Path.GetFullPath(path);
        _key = key;
        if (!File.Exists(_path))
        {
            if (mode == CassetteMode.Replay) throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
            return;
        }
        int lineNumber = 0;
        foreach (string line in File.ReadLines(_path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            T? entry;
            try
            {
                entry = JsonSerializer.Deserialize<T>(line, Json);
            }
            catch (JsonException ex)
            {
                throw new FormatException($"{path}:{lineNumber}: not a {what.ToLowerInvariant()} entry ({ex.Message}).");
            }
            if (entry is null || !valid(entry)) throw new FormatException($"{path}:{lineNumber}: not a {what.ToLowerInvariant()} entry.");
            _entries[key(entry)] = entry;
        }
    }

    /// <summary>The full path of the file.</summary>
    public string Path => _path;

    /// <summary>The entry of <paramref name="key"/>, or null.</summary>
    public T? Find(string key)
    {
        lock (_gate) return _entries.GetValueOrDefault(key);
    }

    /// <summary>Keep and append <paramref name="entry"/> unless its key is already there.</summary>
    public void Add(T entry)
    {
        lock (_gate)
        {
            if (!_entries.TryAdd(_key(entry), entry)) return;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
            File.AppendAllText(_path, JsonSerializer.Serialize(entry, Json) + "\n");
        }
    }
}
