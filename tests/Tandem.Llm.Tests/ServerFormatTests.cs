using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Gambit.Bank;
using Tandem.Llm.Dlm;
using Tandem.Llm.Gambit;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;
using Tandem.Rmab.Dlm;
using Tandem.Testing;

namespace Tandem.Llm.Tests;

/// <summary>Answers in format on servers (issue 14 item 3): a provider that declares grammar or schema support is sent
/// each port's constraint in its own field, checked on the request a scripted local server receives; every other provider
/// gets free-form requests. The parsers still read every answer.</summary>
public sealed class ServerFormatTests
{
    private static RecourseProblem Problem => AdviceParserTests.Problem;

    private static readonly DlmTaskSet Tasks = DlmTaskSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "tasks.json"));

    private static readonly ReflectionCandidate[] Candidates =
        [new("state", new StateFeatureDistribution([])), new("state * 2", new StateFeatureDistribution([]))];

    private static LlmClientOptions Options(AnswerFormat format = AnswerFormat.Constrained) => new()
    {
        Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(10), MaxRetries = 0 },
        Format = format,
    };

    /// <summary>A well-formed answer for each port, told apart by its prompt.</summary>
    private static ScriptedLlmServer.Reply Answer(ScriptedLlmServer.Request r)
    {
        if (r.UserText.Contains("treatment=", StringComparison.Ordinal))
        {
            string values = string.Concat(Problem.MutableIndices.Select(i => $", {Problem.Features[i].Name}={AdviceParserTests.Patient[i].ToString(CultureInfo.InvariantCulture)}"));
            return new ScriptedLlmServer.Reply(Content: "treatment=1" + values);
        }
        if (r.UserText.Contains(RewardPrompt.SelectionPhrase, StringComparison.Ordinal))
            return new ScriptedLlmServer.Reply(Content: RewardPrompt.SelectionPhrase + " 1");
        if (r.UserText.Contains(RewardPrompt.Open, StringComparison.Ordinal))
            return new ScriptedLlmServer.Reply(Content: RewardPrompt.Open + "state * 2.0" + RewardPrompt.Close);
        return ScriptedGambitModel.Reply(r);
    }

    /// <summary>One request of each port (LIBRA line, DLM reward and selection, GAMBITTS message and ratings), in that
    /// order; returns whether each was answered (not a fallback).</summary>
    private static async Task<bool[]> AskEveryPort(IChatClient client, LlmLedger ledger)
    {
        PortAnswer<Advice> advice = await new LlmRecourseAdvisor(client, ledger, "m").AdviseAsync(new AdviceRequest(Problem, AdviceParserTests.Patient));
        var designer = new LlmRewardDesigner(client, ledger, "m");
        PortAnswer<RewardProposal> reward = await designer.ProposeAsync(new ProposalRequest(Tasks.Tasks[0], 0, 0, [], [], 3));
        PortAnswer<int> selection = await designer.SelectAsync(new ReflectionRequest(Tasks.Tasks[0], 0, Candidates, 3));
        GeneratedMessage message = await new MessageGenerator(client, ledger).GenerateAsync(new StylePrompt("optimism", true), new Tandem.Gambit.Model.GambitContext(1), seed: 4);
        StyleScores scores = await new RatingEncoder(client, ledger, StyleDimensions.All).EncodeAsync("Walk more today.", variant: 1);
        return [advice.IsGiven, reward.IsGiven, selection.IsGiven, message.IsMessage, scores.HasScores];
    }

    private static string? Field(string body, string name)
    {
        using JsonDocument doc = JsonDocument.Parse(body);
        return doc.RootElement.TryGetProperty(name, out JsonElement value) ? value.GetRawText() : null;
    }

    private static string? StringField(string body, string name)
    {
        using JsonDocument doc = JsonDocument.Parse(body);
        return doc.RootElement.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static string[] ExpectedGrammars() =>
    [
        RecourseGrammar.For(Problem), RewardGrammar.Proposal, RewardGrammar.Selection(Candidates.Length), MessageGrammar.Gbnf, RatingGrammar.For(StyleDimensions.All),
    ];

    [Fact]
    public async Task LlamaCpp_Constrained_SendsEachPortsGrammarInTheGrammarField_AndTheParsersReadEveryAnswer()
    {
        // Bugs caught: the grammar not reaching llama-server's `grammar` field (or the wrong port's grammar), Tandem's own
        // property leaking into the body, or the requests not being counted as constrained.
        var bodies = new List<string>();
        await using var server = ScriptedLlmServer.ForRequests(r => { lock (bodies) bodies.Add(r.Body); return Answer(r); });
        await server.StartAsync();
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("llamacpp:" + server.BaseAddress), ledger, Options());

        bool[] answered = await AskEveryPort(client, ledger);

        Assert.All(answered, Assert.True);
        Assert.Empty(ledger.Fallbacks);
        Assert.Equal(ExpectedGrammars(), bodies.Select(b => StringField(b, "grammar")));
        Assert.All(bodies, b => Assert.DoesNotContain(AnswerGrammar.Key, b, StringComparison.Ordinal));
        Assert.All(bodies, b => Assert.DoesNotContain(AnswerSchema.Key, b, StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, long> { [AnswerFormats.Grammar] = 5 }, ledger.Formats);
    }

    [Theory]
    [InlineData("llamacpp", AnswerFormat.Free)]
    [InlineData("openai", AnswerFormat.Constrained)]
    public async Task UndeclaredProviderOrFreeFormat_SendsFreeFormRequests_AndCountsThemFree(string provider, AnswerFormat format)
    {
        // The safe default: an OpenAI-compatible server that declares nothing is sent no grammar, schema or response format.
        var bodies = new List<string>();
        await using var server = ScriptedLlmServer.ForRequests(r => { lock (bodies) bodies.Add(r.Body); return Answer(r); });
        await server.StartAsync();
        var ledger = new LlmLedger();
        string spec = provider == "llamacpp" ? "llamacpp:" + server.BaseAddress : $"openai:m@{server.BaseAddress}v1";
        using IChatClient client = LlmClients.Create(LlmSpec.Parse(spec), ledger, Options(format), name => name == ApiKeys.TandemVariable ? "local-key" : null);

        bool[] answered = await AskEveryPort(client, ledger);

        Assert.All(answered, Assert.True); // well-formed answers are read either way
        Assert.Equal(5, bodies.Count);
        Assert.All(bodies, b => Assert.Null(Field(b, "grammar")));
        Assert.All(bodies, b => Assert.Null(Field(b, "response_format")));
        Assert.All(bodies, b => Assert.DoesNotContain("tandem.", b, StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, long> { [AnswerFormats.Free] = 5 }, ledger.Formats);
    }

    [Fact]
    public async Task Ollama_Constrained_SendsTheRatingsSchemaAsFormat_AndNothingForLineAnswers()
    {
        // Ollama follows JSON schemas only: the ratings (a JSON object) are constrained, the other ports are free.
        var bodies = new List<string>();
        await using var server = ScriptedLlmServer.ForRequests(r => { lock (bodies) bodies.Add(r.Body); return Answer(r); });
        await server.StartAsync();
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse($"ollama:llama3.1@{server.BaseAddress}"), ledger, Options());

        bool[] answered = await AskEveryPort(client, ledger);

        Assert.All(answered, Assert.True);
        Assert.All(bodies.Take(4), b => Assert.Null(Field(b, "format")));
        using JsonDocument format = JsonDocument.Parse(Field(bodies[4], "format")!);
        using JsonDocument schema = JsonDocument.Parse(RatingGrammar.Schema(StyleDimensions.All));
        Assert.True(JsonElement.DeepEquals(schema.RootElement, format.RootElement), format.RootElement.GetRawText());
        Assert.All(bodies, b => Assert.DoesNotContain("tandem.", b, StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, long> { [AnswerFormats.Free] = 4, [AnswerFormats.JsonSchema] = 1 }, ledger.Formats);
    }

    [Fact]
    public async Task LlamaCpp_ModelCheck_CarriesNoGrammar_AndIsNotCounted()
    {
        var bodies = new List<string>();
        await using var server = ScriptedLlmServer.ForRequests(r => { lock (bodies) bodies.Add(r.Body); return new ScriptedLlmServer.Reply(Content: "OK"); });
        await server.StartAsync();
        var ledger = new LlmLedger();
        using IChatClient client = LlmClients.Create(LlmSpec.Parse("llamacpp:" + server.BaseAddress), ledger, Options());
        await ModelCheck.RunAsync(client, "llamacpp", TimeSpan.FromSeconds(10));
        Assert.Null(Field(Assert.Single(bodies), "grammar"));
        Assert.Empty(ledger.Formats);
        Assert.Equal(0, ledger.Calls);
    }

    [Fact]
    public void RatingSchema_RequiresEveryDimension_AsANumberIn0To10_AndNothingElse()
    {
        using JsonDocument doc = JsonDocument.Parse(RatingGrammar.Schema(["optimism", "humor"]));
        JsonElement root = doc.RootElement;
        Assert.Equal("object", root.GetProperty("type").GetString());
        Assert.Equal(["optimism", "humor"], root.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
        foreach (string d in new[] { "optimism", "humor" })
        {
            JsonElement p = root.GetProperty("properties").GetProperty(d);
            Assert.Equal("number", p.GetProperty("type").GetString());
            Assert.Equal(0, p.GetProperty("minimum").GetDouble());
            Assert.Equal(10, p.GetProperty("maximum").GetDouble());
        }
        Assert.Equal(2, root.GetProperty("properties").EnumerateObject().Count());
    }

    [Theory]
    [InlineData("llamacpp:http://127.0.0.1:8080", LlmSpec.LlamaCppDefaultModel, "http://127.0.0.1:8080/", "llamacpp:http://127.0.0.1:8080/")]
    [InlineData("llamacpp:qwen@https://gpu.example/v1", "qwen", "https://gpu.example/v1", "llamacpp:qwen@https://gpu.example/v1")]
    public void LlamaCppSpec_NamesTheServer_AndPrintsBack(string text, string model, string endpoint, string printed)
    {
        LlmSpec spec = LlmSpec.Parse(text);
        Assert.Equal(LlmKind.LlamaCpp, spec.Kind);
        Assert.Equal(model, spec.Model);
        Assert.Equal(new Uri(endpoint), spec.Endpoint);
        Assert.Equal(printed, spec.ToString());
        Assert.Equal(spec, LlmSpec.Parse(spec.ToString()));
        Assert.True(LlmSpec.IsLlmSpec(text));
        Assert.Equal(ConstrainedDecoding.Grammar, LlmClients.DecodingOf(spec.Kind));
    }

    [Theory]
    [InlineData("llamacpp:", "names no server")]
    [InlineData("llamacpp:qwen", "names no server")]
    [InlineData("llamacpp:ftp://host", "names no server")]
    [InlineData("llamacpp:qwen@ftp://host", "is not an http(s) URL")]
    public void LlamaCppSpec_WithoutAnHttpServer_IsRefused_NamingTheSpec(string text, string problem)
    {
        var ex = Assert.Throws<FormatException>(() => LlmSpec.Parse(text));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeclaredSupport_IsGrammarForLlamaCppAndGguf_SchemaForOllama_NothingElse()
    {
        Assert.Equal(ConstrainedDecoding.Grammar, LlmClients.DecodingOf(LlmKind.Gguf));
        Assert.Equal(ConstrainedDecoding.Grammar, LlmClients.DecodingOf(LlmKind.LlamaCpp));
        Assert.Equal(ConstrainedDecoding.JsonSchema, LlmClients.DecodingOf(LlmKind.Ollama));
        Assert.Equal(ConstrainedDecoding.None, LlmClients.DecodingOf(LlmKind.OpenAi));
        Assert.Equal(ConstrainedDecoding.None, LlmClients.DecodingOf(LlmKind.Replay));
    }
}
