using Tandem.Testing;

namespace Tandem.Llm.Tests.Gguf;

/// <summary>Tiny random-weight GGUF files written once per test run into a temporary folder (never committed).</summary>
public sealed class GgufModel : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tandem-gguf-").FullName;

    /// <summary>A Chat-ML model (Qwen's template) trained for 8,192 tokens.</summary>
    public string ChatMl { get; }

    /// <summary>The same weights with Llama 3's template.</summary>
    public string Llama3 { get; }

    public GgufModel()
    {
        ChatMl = Write("chatml.gguf", TinyGguf.ChatMlTemplate);
        Llama3 = Write("llama3.gguf", TinyGguf.Llama3Template);
    }

    /// <summary>Write another model into the folder.</summary>
    public string Write(string name, string? template, int contextLength = 8192, IEnumerable<string>? words = null)
    {
        string path = Path.Combine(_folder, name);
        TinyGguf.Write(path, template, contextLength, words: words);
        return path;
    }

    /// <summary>A path in the folder (for bad files).</summary>
    public string PathOf(string name) => Path.Combine(_folder, name);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>The tests that load llama.cpp share one model folder and run one at a time (2 cores).</summary>
[CollectionDefinition("gguf")]
public sealed class GgufCollection : ICollectionFixture<GgufModel>;
