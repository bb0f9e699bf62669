using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Gambit.Bank;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Gambit;

/// <summary>The library entry point of `gambitts bank build` against a real local server.</summary>
public sealed class LlmBankBuildTests : IDisposable
{
    private static readonly StylePrompt[] Prompts = [new("optimism", true), new("humor", false)];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-bankbuild-" + Guid.NewGuid().ToString("N"));

    public LlmBankBuildTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private LlmBankBuildOptions Options(string model, string outName, string? record = null) => new()
    {
        Model = LlmSpec.Parse(model),
        Prompts = Prompts,
        PerCell = 2,
        Seed = 7,
        OutFile = Path.Combine(_dir, outName),
        Client = new LlmClientOptions { RecordPath = record, AuditPath = Path.Combine(_dir, outName + ".audit.jsonl") },
    };

    [Fact]
    public async Task RunAsync_RecordThenReplay_WritesTheSameBank_AndReportsItsModelUse()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string cassette = Path.Combine(_dir, "c.jsonl");
        var progress = new List<StudyProgress>();

        LlmBankBuildResult built = await LlmBankBuild.RunAsync(Options($"openai:m@{server.BaseAddress}v1", "a.csv", cassette), new Progress(progress.Add));
        BankBuildSummary a = built.Summary;
        Assert.Equal(48, a.Responses); // 2 prompts × 12 contexts × 2
        Assert.Equal(96, a.Llm.Calls); // a generation and a rating per response
        Assert.Equal(server.Requests, a.Llm.Calls + 1); // + the up-front model check, outside the ledger
        Assert.Equal(new Dictionary<string, long> { [AnswerFormats.Free] = 96 }, a.Formats); // openai: declares no grammar support
        Assert.Equal(Path.Combine(_dir, "a.csv"), a.Out);
        Assert.Equal(["optimism:high", "humor:low"], a.Prompts);
        Assert.Empty(built.Notes);
        Assert.Equal(96L, progress.Max(p => p.CompletedSteps));
        Assert.All(progress, p => Assert.Equal(96L, p.TotalSteps));

        int requests = server.Requests;
        LlmBankBuildResult replayed = await LlmBankBuild.RunAsync(Options("replay:" + cassette, "b.csv"));
        Assert.Equal(requests, server.Requests);
        Assert.Equal(0, replayed.Summary.Llm.Calls);
        Assert.Equal(96, replayed.Summary.Llm.CacheHits);
        Assert.Empty(replayed.Summary.Formats);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a.csv")), File.ReadAllText(Path.Combine(_dir, "b.csv")));
        Assert.Equal(BankCsv.Load(Path.Combine(_dir, "a.csv")).Prompts, replayed.Bank.Prompts);

        Report report = ((IReportable)replayed).ToReport();
        Assert.Same(replayed.Summary, report.Summary);
        Assert.Contains(report.Body.OfType<ParagraphBlock>(), p => p.Markdown.Contains("48 responses of 48 asked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ReplayOfATornCassette_SaysSoInItsNotes_AndStopsAtTheMissingAnswer()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string cassette = Path.Combine(_dir, "c.jsonl");
        await LlmBankBuild.RunAsync(Options($"openai:m@{server.BaseAddress}v1", "a.csv", cassette));
        string text = File.ReadAllText(cassette);
        File.WriteAllText(cassette, text[..(text.Length - 40)]); // the last line lost its end (a full disk)

        var stop = await Assert.ThrowsAsync<BankBuildStopException>(() => LlmBankBuild.RunAsync(Options("replay:" + cassette, "b.csv")));
        Assert.Contains("cassette", stop.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "b.csv")));

        // Resumed recording cuts the torn line off, says so, and asks the model only for the lost answer (after the check).
        int before = server.Requests;
        LlmBankBuildResult resumed = await LlmBankBuild.RunAsync(Options($"openai:m@{server.BaseAddress}v1", "c.csv", cassette));
        Assert.Contains(resumed.Notes, n => n.Contains("cut off a torn last line", StringComparison.Ordinal));
        Assert.Equal(2, server.Requests - before); // the up-front model check and the lost answer
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a.csv")), File.ReadAllText(Path.Combine(_dir, "c.csv")));
    }

    [Fact]
    public async Task RunAsync_DeadEmbeddingModel_StopsAtTheUpFrontCheck_BeforeAnyGeneration()
    {
        // Issue 14, loud failures: an embedding model that cannot answer is found before a single message is written.
        var paths = new List<string>();
        await using var server = ScriptedLlmServer.ForRequests(r =>
        {
            lock (paths) paths.Add(r.Path);
            return r.IsEmbedding ? new ScriptedLlmServer.Reply(Status: 404) : ScriptedGambitModel.Reply(r);
        });
        await server.StartAsync();
        LlmBankBuildOptions options = Options($"openai:m@{server.BaseAddress}v1", "a.csv") with { Encoder = "embeddings:no-such-model", Calibration = 10 };
        var ex = await Assert.ThrowsAsync<LlmUnavailableException>(() => LlmBankBuild.RunAsync(options));
        Assert.StartsWith($"embeddings:no-such-model (openai:m@{server.BaseAddress}v1) did not answer the up-front embedding check (http: ", ex.Message);
        Assert.Equal(["/v1/chat/completions", "/v1/embeddings"], paths); // the chat check, the embedding check, nothing else
        Assert.False(File.Exists(Path.Combine(_dir, "a.csv")));
    }

    [Fact]
    public async Task RunAsync_UnwritableCassette_IsASetupError_BeforeAnyCall()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        string folder = Path.Combine(_dir, "cassette-is-a-folder");
        Directory.CreateDirectory(folder);
        var ex = await Assert.ThrowsAsync<LlmConfigurationException>(() => LlmBankBuild.RunAsync(Options($"openai:m@{server.BaseAddress}v1", "a.csv", folder)));
        Assert.Contains(folder, ex.Message);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task RunAsync_CallBudget_StopsTheBuild_WithoutABank()
    {
        await using var server = ScriptedLlmServer.ForRequests(ScriptedGambitModel.Reply);
        await server.StartAsync();
        LlmBankBuildOptions options = Options($"openai:m@{server.BaseAddress}v1", "a.csv");
        options = options with { Client = options.Client with { MaxCalls = 10 } };
        var stop = await Assert.ThrowsAsync<BankBuildStopException>(() => LlmBankBuild.RunAsync(options));
        Assert.Contains("budget of 10 model calls", stop.Message);
        // Never more than the budget (a call in flight at the stop may be cancelled), plus the up-front model check, which
        // is outside the study's budget and ledger.
        Assert.InRange(server.Requests, 2, 11);
        Assert.False(File.Exists(Path.Combine(_dir, "a.csv")));
    }

    [Theory]
    [InlineData("Encoder", "bert")]
    [InlineData("Encoder", "embeddings: ")]
    [InlineData("PerCell", "0")]
    [InlineData("Calibration", "7")]
    [InlineData("Temperature", "2.5")]
    [InlineData("Prompts", "twice")]
    [InlineData("Model", "none")]
    [InlineData("MaxResponseBytes", "100")]
    public void Validate_NamesTheOption(string parameter, string value)
    {
        var good = new LlmBankBuildOptions { Model = LlmSpec.Parse("ollama:m") };
        good.Validate();
        LlmBankBuildOptions bad = parameter switch
        {
            "Encoder" => good with { Encoder = value },
            "PerCell" => good with { PerCell = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "Calibration" => good with { Calibration = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "Temperature" => good with { Temperature = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            "Prompts" => good with { Prompts = [Prompts[0], Prompts[0]] },
            "Model" => good with { Model = null },
            _ => good with { Client = new LlmClientOptions { MaxResponseBytes = 100 } },
        };
        var ex = Assert.ThrowsAny<ArgumentException>(bad.Validate);
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void EncoderText_And_PlannedCalls_FollowTheEncoder()
    {
        var ratings = new LlmBankBuildOptions { Model = LlmSpec.Parse("ollama:m"), Prompts = Prompts, PerCell = 3 };
        Assert.Equal("ratings", ratings.EncoderText);
        Assert.Equal(2L * 72, ratings.PlannedCalls);
        var embeddings = ratings with { Encoder = " Embeddings:emb ", Calibration = 10 };
        Assert.Equal("emb", embeddings.EmbeddingModel);
        Assert.Equal("embeddings:emb", embeddings.EncoderText);
        Assert.Equal(2L * 72 + 2L * 10, embeddings.PlannedCalls);
    }

    private sealed class Progress(Action<StudyProgress> report) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value)
        {
            lock (this) report(value);
        }
    }
}
