using Microsoft.Extensions.AI;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Llm.Tests.Gambit;

namespace Tandem.Llm.Tests.Security;

/// <summary>Issue 15, defect 8: a bank written by <see cref="GeneratedBankCsv"/> loads back unchanged, whatever the
/// encoder; formula escaping touches text, never numbers.</summary>
public sealed class BankCsvRoundTripTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-bankrt-" + Guid.NewGuid().ToString("N"));

    public BankCsvRoundTripTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task EmbeddingsEncoderBank_WithNegativeScores_LoadsBack()
    {
        var ledger = new LlmLedger();
        LinearProbe probe = LinearProbe.Fit([0.0, 1, 2, 3], [0.0, 1, 2, 3], 4, 1e-6);
        // Embeddings of -0.71…, so the probe's scores are negative (the red-team's case).
        var embeddings = new FixedEmbeddings(text => [-0.7123456789f - (text.Length % 7) / 10f]);
        // Formality, not optimism: a bank stores optimism reversed (10 − score, AuthorsOrientation), which is positive here.
        var encoder = new EmbeddingProbeEncoder(embeddings, probe, ["formality"], ledger);
        var options = new BankBuildOptions { PerCell = 1 };
        GeneratedMessages messages = await BankBuilder.GenerateAsync(new MessageGenerator(BankBuilderTests.Model(), ledger), [new StylePrompt("optimism", true)], options);
        BankBuildResult result = await BankBuilder.EncodeAsync(messages, encoder, options);
        ResponseBank bank = result.Bank!;
        Assert.True(bank.Response(0, new GambitContext(0), 0)[0] < 0);

        ResponseBank back = WriteAndLoad(bank);
        AssertSame(bank, back);
    }

    [Fact]
    public void NegativeScores_AndFormulaLikeTexts_RoundTrip_TextsEscapedNumbersNot()
    {
        var cells = new double[GambitContext.Count][];
        var texts = new string?[GambitContext.Count][];
        for (int c = 0; c < GambitContext.Count; c++)
        {
            cells[c] = [-0.71, -1e-300, 2.5, -3];
            texts[c] = ["plain words", "=HYPERLINK(\"http://x\")"];
        }
        var bank = new ResponseBank(["optimism:high"], ["optimism", "formality"], cells, texts);
        string path = Path.Combine(_dir, "bank.csv");
        GeneratedBankCsv.Write(bank, path);
        string csv = File.ReadAllText(path);
        Assert.Contains(",-0.71,", csv);
        Assert.DoesNotContain("'-", csv);
        Assert.Contains("'=HYPERLINK", csv);

        ResponseBank back = BankCsv.Load(path);
        for (int c = 0; c < GambitContext.Count; c++)
            Assert.Equal(bank.Cell(0, new GambitContext(c), out _).ToArray(), back.Cell(0, new GambitContext(c), out _).ToArray());
        Assert.Equal("plain words", back.Text(0, new GambitContext(0), 0));
    }

    [Theory]
    [InlineData("-1", "'-1")]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("+x", "'+x")]
    [InlineData("\"=x\"", "'\"=x\"")]
    [InlineData("walk - then rest", "walk - then rest")]
    [InlineData("", "")]
    public void TextCells_StartingLikeAFormula_AreEscaped(string text, string written) =>
        Assert.Equal(written, GeneratedBankCsv.Text(text));

    private ResponseBank WriteAndLoad(ResponseBank bank)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".csv");
        GeneratedBankCsv.Write(bank, path);
        return BankCsv.Load(path);
    }

    private static void AssertSame(ResponseBank expected, ResponseBank actual)
    {
        Assert.Equal(expected.Prompts, actual.Prompts);
        Assert.Equal(expected.Dimensions, actual.Dimensions);
        for (int p = 0; p < expected.PromptCount; p++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                var context = new GambitContext(c);
                Assert.Equal(expected.Cell(p, context, out _).ToArray(), actual.Cell(p, context, out _).ToArray());
                for (int i = 0; i < expected.ResponseCount(p, context); i++) Assert.Equal(expected.Text(p, context, i), actual.Text(p, context, i));
            }
        }
    }

    private sealed class FixedEmbeddings(Func<string, float[]> embed) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(embed(v)))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
