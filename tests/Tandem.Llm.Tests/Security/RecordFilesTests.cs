using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Security;

/// <summary>Issue 15, defects 3, 6, 7, 12, 14 and 20: the cassette and the audit log keep what was paid for, refuse
/// what they cannot trust, and stop the study when they cannot write.</summary>
public sealed class RecordFilesTests : IDisposable
{
    private const string Good = "treatment=2, DietScore=3.0, PhyActHours=0.5";
    private const string Other = "treatment=1, DietScore=1.0, PhyActHours=0.1";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-records-" + Guid.NewGuid().ToString("N"));

    public RecordFilesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AdviceRequest Request(double diet = 0.75)
    {
        var context = (double[])AdviceParserTests.Patient.Clone();
        context[2] = diet;
        return new AdviceRequest(AdviceParserTests.Problem, context);
    }

    private static Task<PortAnswer<Advice>> Advise(IChatClient client, AdviceRequest? request = null) =>
        new LlmRecourseAdvisor(client, new LlmLedger(), "m").AdviseAsync(request ?? Request()).AsTask();

    /// <summary>A cassette with one recorded answer per request, written by the real recorder.</summary>
    private async Task<string> Recorded(params double[] diets)
    {
        string cassette = Path.Combine(_dir, "c.jsonl");
        using (var recorder = new CassetteChatClient(ScriptedChatClient.Answering(Good), cassette, CassetteMode.Record))
        {
            foreach (double diet in diets) await Advise(recorder, Request(diet));
        }
        return cassette;
    }

    private static IChatClient Replay(string cassette) => LlmClients.Create(LlmSpec.Parse("replay:" + cassette), new LlmLedger());

    // Defect 3 ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task AuditLogOnAFullDisk_StopsTheStudy_InsteadOfFallingBack()
    {
        var model = ScriptedChatClient.Answering(Good);
        using var audit = new AuditChatClient(model, "/dev/full"); // every write: "No space left on device"
        var ex = await Assert.ThrowsAnyAsync<StudyStopException>(() => Advise(audit));
        Assert.Contains("audit log", ex.Message);
        Assert.Equal(1, model.Calls);
    }

    [Fact]
    public async Task CassetteOnAFullDisk_StopsTheStudy_InsteadOfFallingBack()
    {
        string cassette = Path.Combine(_dir, "full.jsonl");
        File.CreateSymbolicLink(cassette, "/dev/full");
        var model = ScriptedChatClient.Answering(Good);
        using var recorder = new CassetteChatClient(model, cassette, CassetteMode.Record);
        var ex = await Assert.ThrowsAnyAsync<StudyStopException>(() => Advise(recorder));
        Assert.Contains("cassette", ex.Message);
        Assert.Contains("cannot be kept", ex.Message);
    }

    [Fact]
    public void CheckOutputs_UnwritableLocations_AreConfigurationErrors_AndChangeNothing()
    {
        string folder = Path.Combine(_dir, "audit.jsonl");
        Directory.CreateDirectory(folder);
        string notAFolder = Path.Combine(_dir, "file");
        File.WriteAllText(notAFolder, "x");

        var ex = Assert.Throws<LlmConfigurationException>(() => LlmClients.CheckOutputs(new LlmClientOptions { AuditPath = folder }));
        Assert.Contains("is a folder", ex.Message);
        Assert.Throws<LlmConfigurationException>(() => LlmClients.CheckOutputs(new LlmClientOptions { RecordPath = Path.Combine(notAFolder, "c.jsonl") }));
        Assert.Throws<LlmConfigurationException>(() => LlmClients.Create(LlmSpec.Parse("ollama:m"), new LlmLedger(), new LlmClientOptions { AuditPath = folder }));

        string audit = Path.Combine(_dir, "out", "audit.jsonl"), cassette = Path.Combine(_dir, "out", "c.jsonl");
        LlmClients.CheckOutputs(new LlmClientOptions { AuditPath = audit, RecordPath = cassette });
        Assert.False(File.Exists(audit));
        Assert.False(File.Exists(cassette));
    }

    // Defect 6 ------------------------------------------------------------------------------------------------------

    [Fact]
    public void SecondRecorder_OfOneCassette_IsRefused_WhileTheFirstHoldsIt()
    {
        string cassette = Path.Combine(_dir, "c.jsonl");
        // Another study's lock: an exclusive open of the lock file, as a recorder in another process holds it.
        using (new FileStream(cassette + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var ex = Assert.Throws<LlmConfigurationException>(() =>
                LlmClients.Create(LlmSpec.Parse("ollama:m"), new LlmLedger(), new LlmClientOptions { RecordPath = cassette }));
            Assert.Contains("another study", ex.Message);
            Assert.Throws<LlmConfigurationException>(() => LlmClients.CheckOutputs(new LlmClientOptions { RecordPath = cassette }));
        }
        using IChatClient after = LlmClients.Create(LlmSpec.Parse("ollama:m"), new LlmLedger(), new LlmClientOptions { RecordPath = cassette });
    }

    [Fact]
    public async Task ClientsOfOneProcess_ShareTheCassette_AndWriteWholeLines()
    {
        string cassette = Path.Combine(_dir, "c.jsonl");
        using var a = new CassetteChatClient(ScriptedChatClient.Answering(Good), cassette, CassetteMode.Record);
        using var b = new CassetteChatClient(ScriptedChatClient.Answering(Good), cassette, CassetteMode.Record);
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Advise(i % 2 == 0 ? a : b, Request(0.5 + i * 0.01))));
        string[] lines = File.ReadAllLines(cassette);
        Assert.Equal(64, lines.Length);
        Assert.All(lines, l => Assert.NotNull(JsonNode.Parse(l)!["answer"]));
    }

    // Defect 7 ------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task TornLastLine_IsSkippedOnReplay_AndSaidSo()
    {
        string cassette = await Recorded(0.5, 0.6);
        string[] lines = File.ReadAllLines(cassette);
        File.WriteAllText(cassette, lines[0] + "\n" + lines[1][..(lines[1].Length / 2)]); // the disk filled mid-line

        using IChatClient replay = Replay(cassette);
        Assert.Contains("torn last line", replay.GetService<CassetteChatClient>()!.TornTail);
        Assert.True((await Advise(replay, Request(0.5))).IsGiven);
        await Assert.ThrowsAnyAsync<StudyStopException>(() => Advise(replay, Request(0.6))); // not in the cassette: a miss
    }

    [Fact]
    public async Task ResumedRecording_AfterATornTail_CutsItOff_AndAppendsWholeLines()
    {
        string cassette = await Recorded(0.5, 0.6);
        string[] lines = File.ReadAllLines(cassette);
        File.WriteAllText(cassette, lines[0] + "\n" + lines[1][..(lines[1].Length / 2)]);

        var model = ScriptedChatClient.Answering(Good);
        using (var resumed = new CassetteChatClient(model, cassette, CassetteMode.Record))
        {
            Assert.Contains("cut off a torn last line", resumed.TornTail);
            await Advise(resumed, Request(0.5)); // kept: free
            await Advise(resumed, Request(0.6)); // torn: asked again and recorded
            Assert.Equal(1, model.Calls);
        }
        Assert.All(File.ReadAllLines(cassette), l => JsonNode.Parse(l));
        using IChatClient replay = Replay(cassette);
        Assert.Null(replay.GetService<CassetteChatClient>()!.TornTail);
        Assert.True((await Advise(replay, Request(0.6))).IsGiven);
    }

    [Fact]
    public async Task LastLineWithoutNewline_ThatReads_IsKept_AndTheNextEntryStartsOnItsOwnLine()
    {
        string cassette = await Recorded(0.5);
        File.WriteAllText(cassette, File.ReadAllText(cassette).TrimEnd('\n'));
        using (var resumed = new CassetteChatClient(ScriptedChatClient.Answering(Good), cassette, CassetteMode.Record))
        {
            Assert.Null(resumed.TornTail);
            await Advise(resumed, Request(0.7));
        }
        Assert.Equal(2, File.ReadAllLines(cassette).Length);
        Assert.All(File.ReadAllLines(cassette), l => JsonNode.Parse(l));
    }

    // Defect 14 -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task EditedPrompt_WithItsKeyKept_IsRefused_AtOpen()
    {
        string cassette = await Recorded(0.5);
        JsonNode entry = JsonNode.Parse(File.ReadAllLines(cassette)[0])!;
        entry["prompt"]![1]!["text"] = "Rewritten prompt that would get another answer.";
        entry["answer"] = Other;
        File.WriteAllText(cassette, entry.ToJsonString() + "\n");

        var ex = Assert.Throws<LlmConfigurationException>(() => Replay(cassette));
        Assert.Contains(":1:", ex.Message);
        Assert.Contains("not the key of its prompt", ex.Message);
    }

    [Fact]
    public async Task EditedPrompt_InAnOlderCassette_IsRefused_WhenReplayed()
    {
        // Cassettes recorded before the request options were kept cannot be checked at open; the prompt is checked
        // against the request instead.
        string cassette = await Recorded(0.5);
        JsonNode entry = JsonNode.Parse(File.ReadAllLines(cassette)[0])!;
        entry.AsObject().Remove("request");
        entry["prompt"]![1]!["text"] = "Rewritten prompt.";
        File.WriteAllText(cassette, entry.ToJsonString() + "\n");

        using IChatClient replay = Replay(cassette);
        var ex = await Assert.ThrowsAnyAsync<StudyStopException>(() => Advise(replay, Request(0.5)));
        Assert.Contains("another prompt", ex.Message);
    }

    [Fact]
    public async Task DuplicateKey_WithAnotherAnswer_IsRefused_AnIdenticalDuplicateIsNot()
    {
        string cassette = await Recorded(0.5);
        string line = File.ReadAllLines(cassette)[0];
        File.WriteAllText(cassette, line + "\n" + line + "\n");
        using (IChatClient same = Replay(cassette)) Assert.True((await Advise(same, Request(0.5))).IsGiven);

        JsonNode changed = JsonNode.Parse(line)!;
        changed["answer"] = Other;
        File.WriteAllText(cassette, line + "\n" + changed.ToJsonString() + "\n");
        var ex = Assert.Throws<LlmConfigurationException>(() => Replay(cassette));
        Assert.Contains(":2:", ex.Message);
        Assert.Contains("line 1 with another answer", ex.Message);
    }

    [Fact]
    public void EmbeddingEntry_WhoseKeyIsNotItsText_IsRefused()
    {
        string cassette = Path.Combine(_dir, "e.jsonl");
        string key = CassetteEmbeddingGenerator.Key("emb", "original text");
        File.WriteAllText(cassette, $"{{\"key\":\"{key}\",\"model\":\"emb\",\"text\":\"edited text\",\"vector\":[0.5],\"tokens\":1}}\n");
        var ex = Assert.Throws<FormatException>(() => new CassetteEmbeddingGenerator(new NoEmbeddings(), cassette, "emb", CassetteMode.Replay));
        Assert.Contains("not the key of its model and text", ex.Message);
    }

    // Defect 12 -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task KeyEchoedInAServerErrorBody_IsMaskedInTheAuditLog()
    {
        const string key = "tandem-test-key-0123456789";
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Status: 401,
            RawBody: $"{{\"error\":{{\"message\":\"Incorrect API key provided: {key}. Bearer {key}\",\"type\":\"invalid_request_error\"}}}}"));
        await server.StartAsync();
        string audit = Path.Combine(_dir, "audit.jsonl");
        PortAnswer<Advice> advice;
        using (IChatClient client = LlmClients.Create(LlmSpec.Parse($"openai:m@{server.BaseAddress}v1"), new LlmLedger(),
            new LlmClientOptions { AuditPath = audit, Resilience = new ResilienceOptions { MaxRetries = 0 } }, name => name == ApiKeys.TandemVariable ? key : null))
        {
            advice = await Advise(client);
        }
        Assert.StartsWith("http:", advice.Reason);
        string log = File.ReadAllText(audit);
        Assert.Contains("401", log);
        Assert.Contains("***", log);
        Assert.DoesNotContain(key, log);
    }

    // Defect 20 -----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(-5L, 10L, 0L, 10L)]
    [InlineData(120L, -1L, 120L, 0L)]
    [InlineData(2_000_000_000L, 12L, 0L, 12L)]
    public async Task ImplausibleTokenCounts_AreNotSummed_ButCounted(long prompt, long completion, long promptSummed, long completionSummed)
    {
        var ledger = new LlmLedger();
        var model = new ScriptedChatClient((_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Good))
        {
            Usage = new UsageDetails { InputTokenCount = prompt, OutputTokenCount = completion },
        }));
        string cassette = Path.Combine(_dir, "c.jsonl");
        using (var client = new CassetteChatClient(new AccountingChatClient(model, ledger), cassette, CassetteMode.Record))
        {
            await Advise(client);
        }
        Assert.Equal(promptSummed, ledger.PromptTokens);
        Assert.Equal(completionSummed, ledger.CompletionTokens);
        Assert.Equal(1, ledger.ImplausibleUsage);
        JsonNode entry = JsonNode.Parse(File.ReadAllLines(cassette)[0])!;
        Assert.Equal(promptSummed, (long)entry["promptTokens"]!);
        Assert.Equal(completionSummed, (long)entry["completionTokens"]!);
    }

    [Fact]
    public async Task AuditLog_IsOnePerRun_NotAppendedAcrossReruns_AndEveryLineNamesItsRun()
    {
        string path = Path.Combine(_dir, "audit.jsonl");
        string firstRun;
        using (var first = new AuditChatClient(ScriptedChatClient.Answering(Good), path))
        {
            firstRun = first.RunId;
            await Advise(first);
            await Advise(first);
        }
        using (var second = new AuditChatClient(ScriptedChatClient.Answering(Good), path))
        {
            await Advise(second);
            Assert.NotEqual(firstRun, second.RunId);
            second.Dispose();
            string[] lines = File.ReadAllLines(path);
            Assert.Single(lines);
            Assert.Equal(second.RunId, JsonNode.Parse(lines[0])!["run"]!.ToString());
        }
    }

    private sealed class NoEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("never called");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
