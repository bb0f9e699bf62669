using System.Text;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Llm.Providers.Gguf;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Gguf;

/// <summary>Every bad file or option is one <see cref="LlmConfigurationException"/> naming the file or option, checked
/// in managed code before llama.cpp sees the file (so never a native crash).</summary>
[Collection("gguf")]
public class GgufBadInputTests(GgufModel model)
{
    private static LlmConfigurationException Refused(string path, GgufOptions? options = null) =>
        Assert.Throws<LlmConfigurationException>(() => LlmClients.Create(LlmSpec.Parse("gguf:" + path), new LlmLedger(), new LlmClientOptions { Gguf = options ?? new GgufOptions() }).Dispose());

    [Fact]
    public void Inspect_ReadsTheTinyModelsHeader()
    {
        GgufHeader header = GgufFile.Inspect(model.ChatMl);
        Assert.Equal((3u, "llama", 8192L, 2L, 64L, true), (header.Version, header.Architecture, header.TrainedContext, header.Layers, header.KeyValueWidth, header.HasChatTemplate));
        Assert.Equal(new FileInfo(model.ChatMl).Length, header.FileBytes);
        Assert.Equal(2L * 2 * 4096 * 64 * 2, header.KeyValueCacheBytes(4096)); // K and V, 2 layers, 4,096 tokens, 64 wide, 16-bit
    }

    [Fact]
    public void MissingFile_NamesTheFile()
    {
        string path = model.PathOf("nowhere.gguf");
        var ex = Refused(path);
        Assert.Equal($"gguf:{path} does not exist.", ex.Message);
    }

    [Fact]
    public void Folder_IsNotAGgufFile()
    {
        Assert.Contains("is a folder", Refused(Path.GetTempPath()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextFile_IsNotAGgufFile()
    {
        string path = model.PathOf("notes.gguf");
        File.WriteAllText(path, "These are not weights; they are some notes that are long enough to hold a header.");
        var ex = Refused(path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("is not a GGUF file", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.999)] // the last tensor's data is cut short
    [InlineData(0.5)]   // half the weights are gone
    [InlineData(0.01)]  // the metadata ends mid-way
    public void TruncatedFile_IsTruncated(double keep)
    {
        string path = model.Write($"cut-{keep}.gguf", TinyGguf.ChatMlTemplate);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength((long)(stream.Length * keep));
        var ex = Refused(path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderClaimingMoreEntriesThanBytes_IsRefusedBeforeReadingThem()
    {
        // Bug caught: trusting a count from the file and allocating or looping on it.
        string path = model.PathOf("liar.gguf");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write("GGUF"u8); w.Write(3u); w.Write(1UL << 60); w.Write(1UL << 60); w.Write(new byte[64]);
        }
        Assert.Contains("claims more entries than it has bytes", Refused(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeStringLength_IsTruncated_NotAnAllocation()
    {
        string path = model.PathOf("long-string.gguf");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write("GGUF"u8); w.Write(3u); w.Write(0UL); w.Write(1UL); w.Write(ulong.MaxValue / 2); w.Write(Encoding.ASCII.GetBytes("general.architecture"));
        }
        Assert.Contains("truncated", Refused(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVersion_IsNamed()
    {
        string path = model.Write("v9.gguf", TinyGguf.ChatMlTemplate);
        using (var stream = new FileStream(path, FileMode.Open)) { stream.Position = 4; stream.Write(BitConverter.GetBytes(9u)); }
        Assert.Contains("has GGUF version 9", Refused(path).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(2_000_000)]
    public void ContextSizeOutOfRange_NamesContextSize(int size)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LlmClientOptions { Gguf = new GgufOptions { ContextSize = size } }.Validate());
        Assert.Equal("ContextSize", ex.ParamName);
    }

    [Fact]
    public void ContextSizeBeyondTheModelsTraining_NamesBoth()
    {
        string path = model.Write("short.gguf", TinyGguf.ChatMlTemplate, contextLength: 1024);
        var ex = Refused(path, new GgufOptions { ContextSize = 2048 });
        Assert.Contains("ContextSize 2048 exceeds the 1024 tokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MoreMemoryThanAvailable_IsRefusedBeforeLoading()
    {
        long need = new FileInfo(model.ChatMl).Length + GgufFile.Inspect(model.ChatMl).KeyValueCacheBytes(4096);
        var ex = Assert.Throws<LlmConfigurationException>(() => GgufChatClient.Load(model.ChatMl, availableBytes: need - 1));
        Assert.Contains(model.ChatMl, ex.Message, StringComparison.Ordinal);
        Assert.Contains("MiB are available", ex.Message, StringComparison.Ordinal);
        using GgufChatClient fits = GgufChatClient.Load(model.ChatMl, availableBytes: need);
    }

    [Fact]
    public void NoChatTemplate_IsRefused()
    {
        string path = model.Write("base.gguf", template: null);
        Assert.Contains("has no chat template", Refused(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TemplateLlamaCppCannotApply_IsRefused()
    {
        string path = model.Write("odd-template.gguf", "{{ messages | tojson }} nothing llama.cpp recognises");
        var ex = Refused(path);
        Assert.Contains("cannot apply the model's chat template", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TensorSizes_FollowGgmlsBlockTable()
    {
        Assert.Equal(4 * 64L, GgufFile.TensorBytes(0, 64));        // F32
        Assert.Equal(18 * 2L, GgufFile.TensorBytes(2, 64));        // Q4_0: 32-element blocks of 18 bytes
        Assert.Equal(144L, GgufFile.TensorBytes(12, 256));         // Q4_K: 256-element blocks of 144 bytes
        Assert.Equal(210L * 2, GgufFile.TensorBytes(14, 512));     // Q6_K
        Assert.Equal(-1L, GgufFile.TensorBytes(1000, 1));          // unknown: only its start is checked
    }
}
