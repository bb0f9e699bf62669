using Microsoft.Extensions.AI;
using Tandem.Gambit.Bank;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Llm.Providers.MiniLm;
using Tandem.Testing;

namespace Tandem.Llm.Tests.MiniLm;

/// <summary>One loaded model for the class (loading takes about 2 s).</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Generator { get; } = new();

    public void Dispose() => Generator.Dispose();
}

public sealed class MiniLmEmbeddingGeneratorTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private static float Dot(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a.Span, b.Span);

    [Fact]
    public async Task Vectors_Have384UnitLengthDimensions_AndTheSameTextGivesTheSameVector()
    {
        GeneratedEmbeddings<Embedding<float>> a = await fixture.Generator.GenerateAsync(["Try a short walk after lunch.", "Try a short walk after lunch."]);
        Assert.Equal(2, a.Count);
        Assert.All(a, e => Assert.Equal(MiniLmEmbeddingGenerator.Dimensions, e.Vector.Length));
        Assert.All(a, e => Assert.Equal(1.0, Math.Sqrt(Dot(e.Vector, e.Vector)), 5));
        GeneratedEmbeddings<Embedding<float>> again = await fixture.Generator.GenerateAsync(["Try a short walk after lunch."]);
        Assert.Equal(a[0].Vector.ToArray(), again[0].Vector.ToArray());
        Assert.Equal(a[0].Vector.ToArray(), a[1].Vector.ToArray());
        Assert.Empty(await fixture.Generator.GenerateAsync([]));
    }

    [Fact]
    public async Task AParaphrase_IsCloserThanAnUnrelatedSentence()
    {
        // Bug caught: vectors that are not the model's (wrong pooling, token ids out of order, an unnormalised output).
        GeneratedEmbeddings<Embedding<float>> e = await fixture.Generator.GenerateAsync(
            ["A daily walk will lower your blood pressure.", "Walking every day reduces blood pressure.", "The stock market fell sharply on Tuesday."]);
        float paraphrase = Dot(e[0].Vector, e[1].Vector), unrelated = Dot(e[0].Vector, e[2].Vector);
        Assert.True(paraphrase > 0.6f, $"paraphrase similarity {paraphrase}");
        Assert.True(unrelated < 0.2f, $"unrelated similarity {unrelated}");
    }

    [Fact]
    public void Metadata_NamesTheModel_AndThreadsOutOfRange_Throw()
    {
        var metadata = fixture.Generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("all-MiniLM-L6-v2", metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => new MiniLmEmbeddingGenerator(threads: -1)).ParamName);
    }

    [Fact]
    public async Task EmbeddingsMiniLm_InTheEmbeddingPipeline_NeedsNoEndpointAndNoKey()
    {
        // Port 1 on the loopback: nothing listens. A pipeline that sent the request to the chat provider would fail.
        var ledger = new LlmLedger();
        using IEmbeddingGenerator<string, Embedding<float>> generator = LlmEmbeddings.Create(LlmSpec.Parse("openai:m@http://127.0.0.1:1/v1"), "MiniLM", ledger,
            environment: _ => null);
        GeneratedEmbeddings<Embedding<float>> e = await generator.GenerateAsync(["Keep going."]);
        Assert.Equal(MiniLmEmbeddingGenerator.Dimensions, e[0].Vector.Length);
        Assert.Equal(1, ledger.Calls);
        Assert.Equal(0, ledger.Failures);
    }

    [Fact]
    public async Task BankBuild_WithEmbeddingsMiniLm_FitsAProbe_OnARealEmbedding()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tandem-minilm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
            await server.StartAsync();
            var options = new LlmBankBuildOptions
            {
                Model = LlmSpec.Parse($"openai:m@{server.BaseAddress}v1"),
                Prompts = [new StylePrompt("optimism", true)],
                PerCell = 1,
                Encoder = "embeddings:minilm",
                Calibration = 12,
                Seed = 3,
                OutFile = Path.Combine(dir, "bank.csv"),
            };
            LlmBankBuildResult built = await LlmBankBuild.RunAsync(options);
            Assert.Equal("embeddings:minilm", built.Summary.Encoder);
            Assert.Equal(12, built.Summary.Responses);
            Assert.Equal(20, built.Summary.ProbeR2!.Count);
            // The server saw the check, 12 generations and 12 calibration ratings; no embedding request left the process.
            Assert.Equal(1 + 12 + 12, server.Requests);
            Assert.Equal(20, BankCsv.Load(Path.Combine(dir, "bank.csv")).DimensionCount);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
