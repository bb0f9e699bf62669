using System.Globalization;
using System.Text;

namespace Tandem.Llm.Providers.Gguf;

/// <summary>What Tandem reads of a GGUF file before llama.cpp sees it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Version">GGUF version (2 or 3).</param>
/// <param name="Architecture">general.architecture, e.g. llama, qwen2.</param>
/// <param name="TrainedContext">{arch}.context_length: the context the model was trained for, tokens (0 when not stated).</param>
/// <param name="Layers">{arch}.block_count.</param>
/// <param name="KeyValueWidth">Width of one layer's key (= value) cache per token: embedding × KV heads ÷ heads (0 when not stated).</param>
/// <param name="FileBytes">Size of the file.</param>
/// <param name="HasChatTemplate">Whether tokenizer.chat_template is present.</param>
public sealed record GgufHeader(string Path, uint Version, string Architecture, long TrainedContext, long Layers, long KeyValueWidth, long FileBytes, bool HasChatTemplate)
{
    /// <summary>Bytes of the key/value cache for <paramref name="contextSize"/> tokens (16-bit keys and values, as llama.cpp
    /// allocates by default): 2 × layers × context × <see cref="KeyValueWidth"/> × 2 bytes.</summary>
    public long KeyValueCacheBytes(int contextSize) => 2L * Layers * contextSize * KeyValueWidth * 2;
}

/// <summary>
/// Reads and checks a GGUF file's header, metadata and tensor table in managed code, so a missing, foreign or
/// truncated file is one clear error naming the file instead of a native crash in llama.cpp. Every length read from
/// the file is checked against the bytes that remain before it is used.
/// </summary>
public static class GgufFile
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian

    /// <summary>Read and check <paramref name="path"/>. Throws <see cref="LlmConfigurationException"/> naming the file and
    /// the problem: it does not exist, is not a GGUF file, has an unsupported version, is truncated (a length, a
    /// metadata value or a tensor's data reaches past the end), or states an impossible tensor.</summary>
    public static GgufHeader Inspect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw Bad(path, "is a folder, not a GGUF file");
        if (!File.Exists(path)) throw Bad(path, "does not exist");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Read(path, new Reader(stream));
        }
        catch (EndOfStreamException)
        {
            throw Bad(path, "is truncated (it ends inside its header)");
        }
        catch (InvalidDataException ex)
        {
            throw Bad(path, "is corrupt (" + ex.Message + ")");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Bad(path, "cannot be read: " + ex.Message);
        }
    }

    private static GgufHeader Read(string path, Reader r)
    {
        if (r.Length < 24 || r.U32() != Magic) throw Bad(path, "is not a GGUF file (it does not start with 'GGUF')");
        uint version = r.U32();
        if (version is not (2 or 3)) throw Bad(path, $"has GGUF version {version}; llama.cpp reads versions 2 and 3");
        ulong tensorCount = r.U64(), kvCount = r.U64();
        // Each metadata pair takes at least 12 bytes and each tensor entry at least 24: more than the file holds is a lie.
        if (kvCount > (ulong)r.Length / 12 || tensorCount > (ulong)r.Length / 24) throw Bad(path, "is truncated or corrupt (it claims more entries than it has bytes)");
        var meta = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = r.String();
            meta[key] = r.Value(r.U32(), depth: 0);
        }
        string architecture = meta.GetValueOrDefault("general.architecture") as string ?? throw Bad(path, "states no general.architecture");
        long alignment = Number(meta, "general.alignment") is { } a and > 0 ? a : 32;
        if ((alignment & (alignment - 1)) != 0) throw Bad(path, $"states general.alignment {alignment}, not a power of two");
        long end = 0;
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = r.String();
            uint dims = r.U32();
            if (dims is 0 or > 4) throw Bad(path, $"tensor '{Shown(name)}' has {dims} dimensions (1-4 allowed)");
            long elements = 1;
            for (uint d = 0; d < dims; d++)
            {
                ulong n = r.U64();
                if (n == 0 || n > (ulong)r.Length * 8 || (elements = checked(elements * (long)n)) > r.Length * 8L)
                    throw Bad(path, $"tensor '{Shown(name)}' states an impossible shape");
            }
            uint type = r.U32();
            ulong offset = r.U64();
            if (offset > (ulong)r.Length) throw Bad(path, $"is truncated (tensor '{Shown(name)}' starts past the end)");
            long bytes = TensorBytes(type, elements);
            end = Math.Max(end, (long)offset + Math.Max(bytes, 0));
        }
        long dataStart = (r.Position + alignment - 1) / alignment * alignment;
        if (dataStart + end > r.Length)
            throw Bad(path, string.Create(CultureInfo.InvariantCulture, $"is truncated: its tensors need {dataStart + end} bytes but the file has {r.Length}"));
        long heads = Number(meta, architecture + ".attention.head_count") ?? 0;
        long kvHeads = Number(meta, architecture + ".attention.head_count_kv") ?? heads;
        long embedding = Number(meta, architecture + ".embedding_length") ?? 0;
        long kvWidth = heads > 0 ? embedding * kvHeads / heads : 0;
        return new GgufHeader(path, version, architecture, Number(meta, architecture + ".context_length") ?? 0,
            Number(meta, architecture + ".block_count") ?? 0, kvWidth, r.Length, meta.ContainsKey("tokenizer.chat_template"));
    }

    /// <summary>Bytes of a tensor of <paramref name="elements"/> elements of ggml type <paramref name="type"/>, or -1 for a
    /// type this table does not know (then only its start is checked). Block size and bytes per block from ggml.</summary>
    internal static long TensorBytes(uint type, long elements)
    {
        (int block, int size) = type switch
        {
            0 => (1, 4), 1 => (1, 2), 2 => (32, 18), 3 => (32, 20), 6 => (32, 22), 7 => (32, 24), 8 => (32, 34), 9 => (32, 36),
            10 => (256, 84), 11 => (256, 110), 12 => (256, 144), 13 => (256, 176), 14 => (256, 210), 15 => (256, 292),
            16 => (256, 66), 17 => (256, 74), 18 => (256, 98), 19 => (256, 50), 20 => (32, 18), 21 => (256, 110), 22 => (256, 82),
            23 => (256, 136), 24 => (1, 1), 25 => (1, 2), 26 => (1, 4), 27 => (1, 8), 28 => (1, 8), 29 => (256, 56), 30 => (1, 2),
            34 => (256, 54), 35 => (256, 66), 39 => (32, 17),
            _ => (0, 0),
        };
        return block == 0 ? -1 : (elements + block - 1) / block * size;
    }

    private static long? Number(Dictionary<string, object> meta, string key) => meta.GetValueOrDefault(key) switch
    {
        uint v => v, int v => v, ulong v when v <= long.MaxValue => (long)v, long v => v, ushort v => v, short v => v, byte v => v, sbyte v => v,
        _ => null,
    };

    private static string Shown(string name) => name.Length <= 64 ? name : name[..64] + "…";

    private static LlmConfigurationException Bad(string path, string problem) => new($"gguf:{path} {problem}.");

    /// <summary>A bounds-checked little-endian reader: every length is compared with the bytes left.</summary>
    private sealed class Reader(FileStream stream)
    {
        private readonly BinaryReader _r = new(stream, Encoding.UTF8, leaveOpen: true);

        public long Length { get; } = stream.Length;

        public long Position => stream.Position;

        private long Left => Length - stream.Position;

        public uint U32() => _r.ReadUInt32();

        public ulong U64() => _r.ReadUInt64();

        public string String()
        {
            ulong n = U64();
            if (n > (ulong)Left) throw new EndOfStreamException();
            return Encoding.UTF8.GetString(_r.ReadBytes((int)Math.Min(n, int.MaxValue)));
        }

        public object Value(uint type, int depth) => type switch
        {
            0 => _r.ReadByte(), 1 => _r.ReadSByte(), 2 => _r.ReadUInt16(), 3 => _r.ReadInt16(), 4 => _r.ReadUInt32(), 5 => _r.ReadInt32(),
            6 => _r.ReadSingle(), 7 => _r.ReadByte() != 0, 8 => String(), 10 => _r.ReadUInt64(), 11 => _r.ReadInt64(), 12 => _r.ReadDouble(),
            9 when depth < 2 => Array(depth),
            _ => throw new InvalidDataException($"unknown metadata value type {type}"),
        };

        private object Array(int depth)
        {
            uint type = U32();
            ulong n = U64();
            if (n > (ulong)Left) throw new EndOfStreamException();
            int width = type switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, 10 or 11 or 12 => 8, _ => 0 };
            if (width > 0)
            {
                if (n * (ulong)width > (ulong)Left) throw new EndOfStreamException();
                stream.Seek((long)n * width, SeekOrigin.Current);
            }
            else
            {
                for (ulong i = 0; i < n; i++) Value(type, depth + 1);
            }
            return n;
        }
    }
}
