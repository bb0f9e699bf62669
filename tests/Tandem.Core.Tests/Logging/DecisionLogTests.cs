using System.Text.Json;
using Tandem.Core.Abstractions;
using Tandem.Core.Logging;
using Tandem.Core.Running;

namespace Tandem.Core.Tests.Logging;

public class DecisionLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly double[] Means = [0.2, 0.7, 0.4];

    private static Study<int, ArmChoice, ArmOutcome> CreateStudy() => new(
        run => new GaussianBandit(Means, run.CreateRandom("environment")),
        [
            new PolicyFactory<int, ArmChoice, ArmOutcome>("greedy", (_, _) => new GreedyMeans(3)),
            new PolicyFactory<int, ArmChoice, ArmOutcome>("uniform", (run, _) => new UniformArms(3, run.DeriveSeed("policy"))),
        ]);

    private async Task<string[]> RunLogged(string path, int parallelism)
    {
        using DecisionLogFile log = DecisionLogFile.Create(path);
        var options = new RunnerOptions { Horizon = 25, Runs = 4, Seed = 3, MaxDegreeOfParallelism = parallelism };
        await StudyRunner.RunAsync(CreateStudy(), options, [log.Observer<int, ArmChoice, ArmOutcome>("test-study", (w, c) => w.WriteNumberValue(c))]);
        log.Complete();
        return File.ReadAllLines(path);
    }

    [Fact]
    public async Task Log_HasOneLinePerDecision_InRunThenPolicyThenStepOrder()
    {
        string[] lines = await RunLogged(Path.Combine(_dir, "a.jsonl"), parallelism: 2);

        Assert.Equal(4 * 2 * 25, lines.Length);
        var keys = lines.Select(l => JsonDocument.Parse(l).RootElement).Select(e => (e.GetProperty("run").GetInt32(), e.GetProperty("policy").GetString(), e.GetProperty("step").GetInt32())).ToArray();
        var expected = Enumerable.Range(0, 4).SelectMany(r => new[] { "greedy", "uniform" }.SelectMany(p => Enumerable.Range(0, 25).Select(t => (r, (string?)p, t)))).ToArray();
        Assert.Equal(expected, keys);
        Assert.Empty(Directory.GetFiles(_dir, "*.part-*"));
    }

    [Fact]
    public async Task Log_IsTheSameWhateverTheParallelism_ExceptTimes()
    {
        string[] serial = await RunLogged(Path.Combine(_dir, "s.jsonl"), parallelism: 1);
        string[] parallel = await RunLogged(Path.Combine(_dir, "p.jsonl"), parallelism: 4);

        static string WithoutTime(string line)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
            node.Remove("time");
            return node.ToJsonString();
        }
        Assert.Equal(serial.Select(WithoutTime), parallel.Select(WithoutTime));
    }

    [Fact]
    public async Task Log_LineHoldsTheDecisionAndTheTruthForEveryArm()
    {
        string[] lines = await RunLogged(Path.Combine(_dir, "f.jsonl"), parallelism: 1);
        JsonElement uniform = lines.Select(l => JsonDocument.Parse(l).RootElement).First(e => e.GetProperty("policy").GetString() == "uniform" && e.GetProperty("step").GetInt32() == 10);

        Assert.Equal("test-study", uniform.GetProperty("study").GetString());
        Assert.Equal(10, uniform.GetProperty("context").GetInt32());
        Assert.Equal(11, uniform.GetProperty("decisionId").GetInt64());
        Assert.Equal(1.0 / 3, uniform.GetProperty("propensity").GetDouble(), 15);
        Assert.Equal(3, uniform.GetProperty("probabilities").GetArrayLength());
        double[] truth = uniform.GetProperty("expectedRewards").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(Means.Select(m => m + 0.01 * 10), truth, (x, y) => Math.Abs(x - y) < 1e-12);
        int arm = uniform.GetProperty("arm").GetInt32();
        Assert.Equal(truth[arm], uniform.GetProperty("expectedReward").GetDouble(), 12);
        Assert.Equal(truth.Max(), uniform.GetProperty("optimalReward").GetDouble(), 12);
        Assert.Equal(10, uniform.GetProperty("payload").GetProperty("seenContext").GetInt32());
        Assert.True(uniform.GetProperty("reward").ValueKind == JsonValueKind.Number);
    }

    [Fact]
    public async Task Log_GreedyLinesSayDeterministic_AndOneHot()
    {
        string[] lines = await RunLogged(Path.Combine(_dir, "g.jsonl"), parallelism: 1);
        JsonElement greedy = JsonDocument.Parse(lines[5]).RootElement;

        Assert.Equal("greedy", greedy.GetProperty("policy").GetString());
        Assert.Contains("deterministic", greedy.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(1.0, greedy.GetProperty("propensity").GetDouble());
    }

    [Fact]
    public void Create_Directory_IsAClearIOException()
    {
        var ex = Assert.Throws<IOException>(() => DecisionLogFile.Create(_dir));
        Assert.Contains("is a directory", ex.Message);
    }

    [Fact]
    public void Create_UnderAFile_FailsBeforeAnyWork()
    {
        string file = Path.Combine(_dir, "plain");
        File.WriteAllText(file, "x");

        var ex = Assert.Throws<IOException>(() => DecisionLogFile.Create(Path.Combine(file, "log.jsonl")));

        Assert.Contains("cannot be written", ex.Message);
    }

    [Fact]
    public async Task Dispose_WithoutComplete_RemovesTheSegments()
    {
        string path = Path.Combine(_dir, "d.jsonl");
        using (DecisionLogFile log = DecisionLogFile.Create(path))
        {
            var options = new RunnerOptions { Horizon = 5, Runs = 2, MaxDegreeOfParallelism = 1 };
            await StudyRunner.RunAsync(CreateStudy(), options, [log.Observer<int, ArmChoice, ArmOutcome>("s", (w, c) => w.WriteNumberValue(c))]);
        }

        Assert.Empty(Directory.GetFiles(_dir, "*.part-*"));
    }
}
