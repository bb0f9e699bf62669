using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Testing;

namespace Tandem.Benchmarks;

/// <summary>
/// Issue 14, performance: a LIBRA consultation through <c>gguf:</c> with the answer grammar on the tiny random-weight
/// model (under 100 ms wanted), and what Tandem adds per call beyond the model's own time (under 1 ms wanted):
/// <list type="bullet">
/// <item><see cref="Consultation"/>: <c>LlmRecourseAdvisor.AdviseAsync</c> through the whole <c>LlmClients.Create</c>
/// pipeline of a <c>gguf:</c> spec (prompt, grammar, resilience, accounting, llama.cpp, parse).</item>
/// <item><see cref="ModelOnly"/>: the same request sent straight to the in-process provider (template, tokenization,
/// sampler, prefill and decoding): the model's own time plus the provider's.</item>
/// <item><see cref="StagesAroundAnInstantModel"/>: the advisor and every Tandem stage (format, accounting, budget,
/// resilience, audit to a null log) around a model that answers at once: Tandem's own overhead per consultation.</item>
/// </list>
/// <see cref="Words"/> false is the single-character vocabulary (the LIBRA prompt is 1,704 tokens); true adds whole
/// words (<see cref="TinyGguf.Write"/>'s <c>words</c>: every word of the LIBRA prompt and of a DLM designer prompt, as a
/// real vocabulary holds nearly every common English word), so the prompt has a realistic token count.
/// Run: <c>dotnet run -c Release --project bench/Tandem.Benchmarks -- --filter '*GgufConsultation*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 15)]
public class GgufConsultationBenchmarks
{
    private const string Answer = "treatment=2, DietScore=2.0, PhyActHours=1.0";
    private string _folder = null!;
    private IChatClient _pipeline = null!;
    private IChatClient _instant = null!;
    private LlmRecourseAdvisor _advisor = null!;
    private LlmRecourseAdvisor _instantAdvisor = null!;
    private AdviceRequest _request = null!;
    private ChatOptions _options = null!;
    private IReadOnlyList<ChatMessage> _messages = null!;

    /// <summary>Whether the tiny model's vocabulary holds whole words (false: one token per character).</summary>
    [Params(false, true)]
    public bool Words { get; set; }

    /// <summary>Tokens of the templated LIBRA prompt with this vocabulary (printed once by <see cref="Setup"/>).</summary>
    public int PromptTokens { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("tandem-gguf-bench-").FullName;
        string model = Path.Combine(_folder, "tiny.gguf");
        RecourseProblem libra = new Tandem.Recourse.Environments.HypertensionScenario().CreateProblem(RecourseNorm.L2, 3);
        double[] patient = [1, 1.04, 0.75, 1.64, 1.27, 0.30, 1.02, -0.43, -0.75];
        Tandem.Rmab.Dlm.DlmTaskSet tasks = Tandem.Rmab.Dlm.DlmTaskSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "tasks.json"));
        IEnumerable<string> texts = RecoursePrompt.Build(libra, patient)
            .Concat(Tandem.Llm.Dlm.RewardPrompt.Proposal(new Tandem.Rmab.Dlm.ProposalRequest(tasks.Tasks[0], 0, 0, [], [], 1)))
            .Select(m => m.Text);
        TinyGguf.Write(model, words: Words ? TinyGguf.WordsOf(texts) : null);
        var ledger = new LlmLedger();
        _pipeline = LlmClients.Create(LlmSpec.Parse("gguf:" + model), ledger);
        var options = new LlmAdvisorOptions { MaxOutputTokens = 60 };
        _advisor = new LlmRecourseAdvisor(_pipeline, ledger, "gguf:tiny", options);
        // The problem and patient of the advisor's tests (tests/Tandem.Llm.Tests/AdviceParserTests.cs).
        RecourseProblem problem = new Tandem.Recourse.Environments.HypertensionScenario().CreateProblem(RecourseNorm.L2, 3);
        _request = new AdviceRequest(problem, [1, 1.04, 0.75, 1.64, 1.27, 0.30, 1.02, -0.43, -0.75]);
        _messages = RecoursePrompt.Build(problem, _request.Context);
        var provider = (Tandem.Llm.Providers.Gguf.GgufChatClient)_pipeline.GetService(typeof(Tandem.Llm.Providers.Gguf.GgufChatClient))!;
        PromptTokens = provider.CountTokens(provider.Render(_messages));
        Console.WriteLine($"// words={Words}: the templated LIBRA prompt is {provider.Render(_messages).Length} characters, {PromptTokens} tokens");
        _options = AnswerGrammar.With(ModelCall.Options(0, 60, 0, "bench"), RecourseGrammar.For(problem));

        var instantLedger = new LlmLedger();
        IChatClient instant = new InstantChatClient();
        instant = new AnswerFormatChatClient(instant, ConstrainedDecoding.Grammar);
        instant = new AccountingChatClient(instant, instantLedger);
        instant = new CallBudgetChatClient(instant, long.MaxValue);
        instant = new ResilientChatClient(instant, new ResilienceOptions { MaxConcurrency = 1 });
        _instant = new AuditChatClient(instant, Path.Combine(_folder, "audit.jsonl"));
        _instantAdvisor = new LlmRecourseAdvisor(_instant, instantLedger, "instant", options);
        if (!Consultation().IsGiven || !StagesAroundAnInstantModel().IsGiven) throw new InvalidOperationException("The benchmark's consultation fell back.");
    }

    [Benchmark]
    public PortAnswer<Advice> Consultation() => _advisor.AdviseAsync(_request).AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public string ModelOnly() => _pipeline.GetService<AnswerFormatChatClient>()!.GetResponseAsync(_messages, _options).GetAwaiter().GetResult().Text;

    [Benchmark]
    public PortAnswer<Advice> StagesAroundAnInstantModel() => _instantAdvisor.AdviseAsync(_request).AsTask().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _pipeline.Dispose();
        _instant.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private sealed class InstantChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)) { Usage = new UsageDetails { InputTokenCount = 400, OutputTokenCount = 12 } });

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("Not streamed.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
