using System.Diagnostics;
using Microsoft.Extensions.AI;
using Tandem.Core.Running;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;

namespace Tandem.Benchmarks;

/// <summary>
/// `-- replay-speed`: does a LIBRA study whose advisor answers from a replay cassette run at the speed of the
/// same study with the simulated advisor (issue 5: within 10%)? Records a cassette once with an in-process model
/// (a fixed answer, no network), then times the hypertension study (LLM-only, which consults its advisor at every
/// step, so both studies do the same work: 10 runs × 500 steps) alternately with the simulated advisor, the replay
/// pipeline, and the replay pipeline plus the audit log the CLI writes, and prints medians and the overhead per
/// consultation.
/// </summary>
public static class ReplaySpeed
{
    private const string Answer = "treatment=2, DietScore=1.0, PhyActHours=0.5";

    /// <summary>Run; with <paramref name="keep"/> the recorded cassette is copied there (for timing the CLI:
    /// `tandem libra --env hypertension --policies llm-only --horizon 500 --runs 10 --advisor replay:FILE`).</summary>
    public static async Task PrintAsync(string? keep = null, int repetitions = 7)
    {
        string dir = Path.Combine(Path.GetTempPath(), "tandem-replay-speed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string cassette = Path.Combine(dir, "cassette.jsonl");
        try
        {
            var runner = new RunnerOptions { Horizon = 500, Runs = 10, Seed = 1, MaxDegreeOfParallelism = Environment.ProcessorCount };
            var scenario = new HypertensionScenario();

            var recordLedger = new LlmLedger();
            IChatClient recorder = new CassetteChatClient(new FixedAnswer(), cassette, CassetteMode.Record, recordLedger);
            await RunAsync(scenario, WithModel, new Advisors(recorder, recordLedger), runner);
            Console.WriteLine($"recorded {File.ReadLines(cassette).Count()} answers");

            var simulated = new LibraStudyOptions { Policies = ["llm-only"], Advisors = [AdvisorSpec.Parse("simulated:q=0.8")] };
            var times = new Dictionary<string, List<double>> { ["simulated"] = [], ["replay"] = [], ["replay+audit"] = [] };
            var consultations = new Dictionary<string, long>();
            await RunAsync(scenario, simulated, null, runner); // warm-up (JIT)
            for (int r = 0; r < repetitions; r++)
            {
                foreach (string mode in times.Keys)
                {
                    var ledger = new LlmLedger();
                    Advisors? advisors = mode == "simulated" ? null : new Advisors(LlmClients.Create(LlmSpec.Parse("replay:" + cassette), ledger,
                        new LlmClientOptions { AuditPath = mode == "replay+audit" ? Path.Combine(dir, $"audit-{r}.jsonl") : null }), ledger);
                    var clock = Stopwatch.StartNew();
                    StudyResult result = await RunAsync(scenario, advisors is null ? simulated : WithModel, advisors, runner);
                    times[mode].Add(clock.Elapsed.TotalSeconds);
                    consultations[mode] = result.Policies.Sum(p => p.QueriesPerRun().Sum(q => (long)q));
                    if (mode != "simulated" && ledger.CacheHits == 0) throw new InvalidOperationException("the replay answered nothing from the cassette");
                }
            }
            PrintPerCallCosts(scenario, cassette);
            if (keep is not null) File.Copy(cassette, keep, overwrite: true);
            double baseline = Median(times["simulated"]);
            foreach (var (mode, list) in times)
                Console.WriteLine($"{mode,-14} median {Median(list):F3} s over {repetitions} (min {list.Min():F3}, max {list.Max():F3}); {consultations[mode]} advisor consultations; ratio to simulated {Median(list) / baseline:F3}, overhead {(Median(list) - baseline) / consultations[mode] * 1e6:F1} µs per consultation");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Per-consultation costs of the replay path's parts, single thread.</summary>
    private static void PrintPerCallCosts(IRecourseScenario scenario, string cassette)
    {
        var problem = scenario.CreateProblem(Tandem.Recourse.Geometry.RecourseNorm.L2, 3);
        var world = scenario.CreateWorld(problem, new RunContext(0, 1));
        double[] context = new double[problem.Dimension];
        world.Sampler.Sample(new Random(1), context);
        const int n = 20_000;
        IReadOnlyList<ChatMessage> messages = RecoursePrompt.Build(problem, context);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 200 };
        double Time(Action action)
        {
            for (int i = 0; i < 1000; i++) action();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) action();
            return clock.Elapsed.TotalMicroseconds / n;
        }
        var ledger = new LlmLedger();
        var replay = new CassetteChatClient(new FixedAnswer(), cassette, CassetteMode.Record, ledger);
        var advisor = new LlmRecourseAdvisor(replay, ledger, "replay");
        var request = new Tandem.Recourse.Advisors.AdviceRequest(problem, context);
        Console.WriteLine($"per consultation: prompt {Time(() => RecoursePrompt.Build(problem, context)):F2} µs ({messages[1].Text.Length} chars), " +
            $"cassette key {Time(() => CassetteChatClient.Key(messages, options)):F2} µs, parse {Time(() => AdviceParser.Parse(Answer, problem, context)):F2} µs, " +
            $"whole advisor call from the cassette {Time(() => advisor.AdviseAsync(request).AsTask().GetAwaiter().GetResult()):F2} µs");
    }

    private static readonly LibraStudyOptions WithModel = new() { Policies = ["llm-only"], Advisors = [AdvisorSpec.External("replay")] };

    private sealed class Advisors(IChatClient client, LlmLedger ledger) : IRecourseAdvisorFactory
    {
        public Tandem.Recourse.Advisors.IRecourseAdvisor? Create(AdvisorSpec spec, Tandem.Recourse.Model.RecourseProblem problem, RunContext run) =>
            new LlmRecourseAdvisor(client, ledger, "replay");
    }

    private static Task<StudyResult> RunAsync(IRecourseScenario scenario, LibraStudyOptions options, IRecourseAdvisorFactory? advisors, RunnerOptions runner) =>
        StudyRunner.RunAsync(LibraStudy.Create(scenario, options, advisors).Study, runner);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>An in-process model that always gives the same advice.</summary>
    private sealed class FixedAnswer : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)) { ModelId = "fixed" });

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
