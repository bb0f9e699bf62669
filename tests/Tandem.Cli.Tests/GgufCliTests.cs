using System.Text.Json.Nodes;
using Tandem.Testing;

namespace Tandem.Cli.Tests;

/// <summary>`gguf:PATH` from the command line: `llm check` loads and asks a tiny random-weight model the test writes;
/// every bad file or context size is exit 2 with one line naming it.</summary>
public sealed class GgufCliTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private string Model(string name = "tiny.gguf", int contextLength = 8192)
    {
        string path = Path.Combine(_out, name);
        TinyGguf.Write(path, TinyGguf.ChatMlTemplate, contextLength);
        return path;
    }

    [Fact]
    public async Task LlmCheck_Gguf_LoadsTheFile_AndPrintsTandemsTokenCounts()
    {
        string path = Model();
        var run = await CliRunner.Run("llm", "check", "--llm", "gguf:" + path);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("model: tiny", run.Out, StringComparison.Ordinal);
        // The check's one message, templated by the file's Chat-ML template, in the tiny vocabulary's closed form.
        int prompt = TinyGguf.CountTokens("<|im_start|>user\nReply with the single word OK.<|im_end|>\n<|im_start|>assistant\n");
        Assert.Contains($"tokens: {prompt} prompt, ", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LlmCheck_MissingFile_IsExit2_NamingIt()
    {
        string path = Path.Combine(_out, "absent.gguf");
        CliRunner.AssertUsageError(await CliRunner.Run("llm", "check", "--llm", "gguf:" + path), $"--llm: gguf:{path} does not exist.");
    }

    [Fact]
    public async Task LlmCheck_TruncatedFile_IsExit2_NamingIt()
    {
        string path = Model("cut.gguf");
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length / 2);
        CliRunner.AssertUsageError(await CliRunner.Run("llm", "check", "--llm", "gguf:" + path), $"--llm: gguf:{path} is truncated");
    }

    [Fact]
    public async Task LlmContext_OutOfRange_IsExit2_NamingTheOption()
    {
        string path = Model();
        CliRunner.AssertUsageError(await CliRunner.Run("llm", "check", "--llm", "gguf:" + path, "--llm-context", "10"), "--llm-context 10:");
        string small = Model("small.gguf", contextLength: 1024);
        CliRunner.AssertUsageError(await CliRunner.Run("llm", "check", "--llm", "gguf:" + small, "--llm-context", "4096"),
            "--llm-context 4096 exceeds the 1024 tokens the model was trained for");
    }

    private string[] Libra(string model, params string[] more) =>
        ["libra", "--env", "hypertension", "--horizon", "6", "--runs", "1", "--policies", "llm-only", "--json", "--advisor", "gguf:" + model, "--out", Path.Combine(_out, "study"), .. more];

    [Fact]
    public async Task Libra_GgufAdvisor_Constrained_EveryAnswerInFormat_ZeroFallbacks()
    {
        var run = await CliRunner.Run(Libra(Model()));
        Assert.True(run.Exit == 0, run.Err);
        JsonNode summary = CliJson.Parse(run.Out)!;
        Assert.Equal(6L, (long)summary["llm"]!["calls"]!);
        Assert.True((long)summary["llm"]!["promptTokens"]! > 6 * 100);
        Assert.Empty(summary["llm"]!["fallbacks"]!.AsObject());
        Assert.Contains("no fallbacks in 6 answers; answer format: grammar 6", run.Err, StringComparison.Ordinal); // the format is said
    }

    [Fact]
    public async Task Libra_GgufAdvisor_Free_RandomModelsNoise_StopsTheStudy_Exit2()
    {
        // Without the grammar the random-weight model writes noise: every answer is a fallback, and the study says so
        // instead of presenting a random policy as the model's.
        var run = await CliRunner.Run(Libra(Model(), "--llm-format", "free"));
        Assert.Equal(2, run.Exit);
        Assert.Contains("6 of 6 answers of gguf:", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LlmFormat_Unknown_IsExit2()
    {
        CliRunner.AssertUsageError(await CliRunner.Run(Libra(Model(), "--llm-format", "json")), "--llm-format 'json' is unknown; use constrained or free.");
    }
}
