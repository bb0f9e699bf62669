using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Tandem.Core.Randomness;
using Tandem.Core.State;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Model;
using Tandem.Core.Ports;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Simulation;

namespace Tandem.Cli.Tests;

public sealed class OpeCommandTests : IDisposable
{
    private readonly string _folder = CliRunner.TempFolder();
    private readonly string _log;

    public OpeCommandTests()
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions(Arms: 3, Dimension: 2), worldSeed: 3);
        _log = Path.Combine(_folder, "log.jsonl");
        File.WriteAllLines(_log, world.Log(300, 4).Select(l => DecisionLogLines.Format(l)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Out(string name) => Path.Combine(_folder, name);

    private string BadLog(string line)
    {
        string path = Out("bad.jsonl");
        File.WriteAllLines(path, [.. File.ReadLines(_log).Take(5), line, .. File.ReadLines(_log).Skip(5).Take(5)]);
        return path;
    }

    [Fact]
    public async Task Json_PrintsOneObject_WithEstimatesIntervalsDiagnosticsAndTheExactValue()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", _log, "--policy", "uniform", "--policy", "arm:2", "--estimators", "ips,snips,dr", "--bootstrap", "50", "--json", "--out", Out("o"));

        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal(300, (long)root["lines"]!);
        Assert.Equal(3, (int)root["arms"]!);
        JsonArray policies = root["policies"]!.AsArray();
        Assert.Equal(["uniform", "arm:2"], policies.Select(p => (string)p!["policy"]!));
        foreach (JsonNode? p in policies)
        {
            Assert.Equal(["ips", "snips", "dr"], p!["estimates"]!.AsArray().Select(e => (string)e!["estimator"]!));
            foreach (JsonNode? e in p["estimates"]!.AsArray())
                Assert.True((double)e!["lower"]! <= (double)e["value"]! && (double)e["value"]! <= (double)e["upper"]!);
            Assert.True((double)p["diagnostics"]!["effectiveSampleSize"]! > 0);
            Assert.NotNull(p["exact"]);
        }
        foreach (string file in new[] { "summary.json", "estimates.csv", "estimates.png", "estimates.svg", "report.html", "manifest.json" })
            Assert.True(File.Exists(Path.Combine(Out("o"), file)), file + " missing");
        Assert.Contains("exact (simulated logs only)", File.ReadAllText(Path.Combine(Out("o"), "report.html")));
    }

    [Fact]
    public async Task Table_LabelsTheExactValueAsSimulatedOnly()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", _log, "--policy", "greedy-model", "--bootstrap", "0", "--out", Out("t"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("exact (simulated logs only)", stdout);
        Assert.Contains("switch-dr", stdout);
    }

    [Fact]
    public async Task SameSeed_SameSummary()
    {
        string[] args = ["ope", "--log", _log, "--policy", "uniform", "--bootstrap", "30", "--seed", "9", "--json"];

        var a = await CliRunner.Run([.. args, "--out", Out("a")]);
        var b = await CliRunner.Run([.. args, "--out", Out("b")]);

        Assert.Equal(0, a.Exit);
        // Same results; the envelope's wall time differs.
        Assert.Equal(CliJson.Parse(a.Out)!.ToJsonString(), CliJson.Parse(b.Out)!.ToJsonString().Replace(Out("b"), Out("a"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task LineMissingAField_Exit2_NamesLineAndField()
    {
        var node = CliJson.Parse(File.ReadLines(_log).First())!.AsObject();
        node.Remove("propensity");

        var run = await CliRunner.Run("ope", "--log", BadLog(node.ToJsonString()), "--policy", "uniform", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "decision log line 6, field 'propensity': is missing");
    }

    [Fact]
    public async Task LineNotJson_Exit2_NamesTheLine()
    {
        var run = await CliRunner.Run("ope", "--log", BadLog("not json"), "--policy", "uniform", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "decision log line 6: not JSON");
    }

    [Fact]
    public async Task SkipInvalid_CountsTheSkippedLinesInTheSummary()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", BadLog("{\"arm\":1}"), "--policy", "uniform", "--skip-invalid", "--bootstrap", "0", "--json", "--out", Out("s"));

        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal(1, (long)root["skippedLines"]!);
        Assert.Equal(10, (long)root["lines"]!);
        Assert.StartsWith("decision log line 6, field 'context': is missing", (string)root["firstSkipped"]!);
    }

    [Fact]
    public async Task TargetArmOutsideTheLog_Exit2_NamesBoth()
    {
        var run = await CliRunner.Run("ope", "--log", _log, "--policy", "arm:3", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "--policy: Target policy 'arm:3' needs arm 3; the log has 3 arms (0..2).");
    }

    [Fact]
    public async Task UnknownPolicy_Exit2_NamesTheAllowedOnes()
    {
        var run = await CliRunner.Run("ope", "--log", _log, "--policy", "best-arm", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "'best-arm' is unknown; allowed: uniform, arm:N, greedy-model");
    }

    [Fact]
    public async Task UnknownEstimator_Exit2_NamesTheAllowedOnes()
    {
        var run = await CliRunner.Run("ope", "--log", _log, "--policy", "uniform", "--estimators", "ips,wis", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "--estimators Estimator 'wis' is unknown; allowed: dm, ips, snips, dr, switch-dr, dr-os, replay.");
    }

    [Fact]
    public async Task OptionOutOfRange_Exit2_NamesTheOption()
    {
        var run = await CliRunner.Run("ope", "--log", _log, "--policy", "uniform", "--folds", "1", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "--folds 1: The folds must lie in 2..50.");
    }

    [Fact]
    public async Task MissingLog_Exit2_NamesThePath()
    {
        var run = await CliRunner.Run("ope", "--log", Out("none.jsonl"), "--policy", "uniform", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "none.jsonl' does not exist.");
    }

    [Fact]
    public async Task Validate_Json_GivesBiasRmseAndCoverageBesideTheExactValue()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--validate", "--repetitions", "4", "--lines", "100", "--bootstrap", "20", "--estimators", "ips,dr", "--json", "--out", Out("v"));

        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        JsonArray checks = root["checks"]!.AsArray();
        Assert.Equal(5 * 2, checks.Count); // uniform and arm:0..3 of the default world, two estimators
        foreach (JsonNode? c in checks)
        {
            Assert.Equal((double)c!["mean"]! - (double)c["exact"]!, (double)c["bias"]!, 9);
            Assert.InRange((double)c["coverage"]!, 0, 1);
            Assert.Equal(4, (int)c["repetitions"]!);
        }
        foreach (string file in new[] { "summary.json", "validation.csv", "rmse.png", "report.html" })
            Assert.True(File.Exists(Path.Combine(Out("v"), file)), file + " missing");
    }

    [Fact]
    public async Task Validate_WithALog_Exit2_SaysWhy()
    {
        var run = await CliRunner.Run("ope", "--validate", "--log", _log, "--out", Out("x"));

        CliRunner.AssertUsageError(run, "--validate simulates its own logs and targets; drop --log and --policy.");
    }

    [Fact]
    public async Task NoLogWithoutValidate_Exit2_NamesTheOption()
    {
        var run = await CliRunner.Run("ope", "--policy", "uniform", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "--log is required (or --validate).");
    }

    private static RecourseProblem SyntheticProblem()
    {
        IRecourseScenario scenario = Scenarios.Create("synthetic");
        int mutable = scenario.CreateProblem(RecourseNorm.L2, 0).MutableIndices.Length;
        return scenario.CreateProblem(RecourseNorm.Parse("l2", mutable), scenario.Defaults.Gamma);
    }

    // A LinUCB trained on 300 steps of a linear reward whose best arm depends on the context, saved as a snapshot.
    private async Task<string> LinUcbSnapshot()
    {
        RecourseProblem problem = SyntheticProblem();
        var policy = new LinUcbPolicy(problem, new LinUcbOptions { Alpha = 0.5 });
        var random = new Random(5);
        for (int t = 0; t < 300; t++)
        {
            double[] x = [.. Enumerable.Range(0, problem.Dimension).Select(_ => random.NextDouble() * 2 - 1)];
            var decision = await policy.DecideAsync(x);
            double reward = x[decision.Arm % x.Length] * (decision.Arm + 1) + 0.1 * random.NextDouble();
            await policy.LearnAsync(x, decision, new RecourseOutcome(reward, reward, [.. x]));
        }
        string path = Out("linucb.json");
        File.WriteAllText(path, PolicyStates.Serialize(policy.ExportState()));
        return path;
    }

    [Fact]
    public async Task SnapshotTarget_LinUcb_IsOneHotOnAFreshCopysDecisions_AndNeverLearns()
    {
        RecourseProblem problem = SyntheticProblem();
        string snapshot = await LinUcbSnapshot();
        var world = new SyntheticBandit(new SyntheticBanditOptions(Arms: problem.ArmCount, Dimension: problem.Dimension), worldSeed: 8);
        IReadOnlyList<LoggedDecision> lines = world.Log(400, 2);
        string log = Out("recourse.jsonl");
        File.WriteAllLines(log, lines.Select(l => DecisionLogLines.Format(l)));

        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--bootstrap", "0", "--json", "--out", Out("snap"));

        Assert.True(exit == 0, stderr);
        JsonNode p = CliJson.Parse(stdout)!["policies"]![0]!;
        Assert.True((bool)p["diagnostics"]!["targetDeterministic"]!);
        // Independently: one restored copy per line (so nothing carries over), its arm's true expected reward.
        double exact = 0;
        foreach (LoggedDecision l in lines)
        {
            var fresh = new LinUcbPolicy(SyntheticProblem(), new LinUcbOptions { Alpha = 0.5 });
            fresh.ImportState(PolicyStates.Deserialize(File.ReadAllText(snapshot)));
            exact += l.ExpectedRewards![(await fresh.DecideAsync(l.Features!)).Arm];
        }
        Assert.Equal(exact / lines.Count, (double)p["exact"]!, 12);
    }

    [Fact]
    public async Task SnapshotTarget_OtherDimensionThanTheLog_Exit2_NamesBoth()
    {
        RecourseProblem problem = SyntheticProblem();
        string snapshot = await LinUcbSnapshot();
        var world = new SyntheticBandit(new SyntheticBanditOptions(Arms: problem.ArmCount, Dimension: problem.Dimension + 1), worldSeed: 8);
        string log = Out("wide.jsonl");
        File.WriteAllLines(log, world.Log(50, 2).Select(l => DecisionLogLines.Format(l)));

        var run = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--out", Out("x"));

        CliRunner.AssertUsageError(run, $"has {problem.Dimension} features and {problem.ArmCount} arms; the log has {problem.Dimension + 1} features and {problem.ArmCount} arms.");
    }

    [Fact]
    public async Task SnapshotTarget_OfAnotherEnvironment_Exit2_SaysWhichDoesNotFit()
    {
        string snapshot = await LinUcbSnapshot();

        var run = await CliRunner.Run("ope", "--log", _log, "--policy", "snapshot:" + snapshot, "--env", "hypertension", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "does not fit --env hypertension");
    }

    [Fact]
    public async Task SnapshotTarget_Glrb_RestoredWithTheEnvironmentsDefaults_MatchesAFreshCopy()
    {
        RecourseProblem problem = SyntheticProblem();
        ScenarioDefaults defaults = Scenarios.Create("synthetic").Defaults;
        GlrbPolicy Build() => new(SyntheticProblem(), new GlrbOptions { Lambda = defaults.Lambda, Radius = ConfidenceRadiusRule.Constant(defaults.Rho) });
        GlrbPolicy trained = Build();
        var random = new Random(6);
        for (int t = 0; t < 100; t++)
        {
            double[] x = [.. Enumerable.Range(0, problem.Dimension).Select(_ => random.NextDouble())];
            var decision = await trained.DecideAsync(x);
            double reward = decision.Recourse.Sum() * (decision.Arm + 1) + 0.1 * random.NextDouble();
            await trained.LearnAsync(x, decision, new RecourseOutcome(reward, reward, decision.Recourse));
        }
        string snapshot = Out("glrb.json");
        File.WriteAllText(snapshot, PolicyStates.Serialize(trained.ExportState()));
        var world = new SyntheticBandit(new SyntheticBanditOptions(Arms: problem.ArmCount, Dimension: problem.Dimension), worldSeed: 9);
        IReadOnlyList<LoggedDecision> lines = world.Log(60, 3);
        string log = Out("glrb.jsonl");
        File.WriteAllLines(log, lines.Select(l => DecisionLogLines.Format(l)));

        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--bootstrap", "0", "--json", "--out", Out("g"));

        Assert.True(exit == 0, stderr);
        JsonNode p = CliJson.Parse(stdout)!["policies"]![0]!;
        Assert.True((bool)p["diagnostics"]!["targetDeterministic"]!);
        double exact = 0;
        foreach (LoggedDecision l in lines)
        {
            GlrbPolicy fresh = Build();
            fresh.ImportState(PolicyStates.Deserialize(File.ReadAllText(snapshot)));
            exact += l.ExpectedRewards![(await fresh.DecideAsync(l.Features!)).Arm];
        }
        Assert.Equal(exact / lines.Count, (double)p["exact"]!, 12);
    }

    // A contextual StdTS over the paper's twelve cells and three prompts, taught that prompt 2 pays most (step counts).
    private async Task<(string Snapshot, string Log, IReadOnlyList<LoggedDecision> Lines)> StdTsCase()
    {
        var agent = new StandardThompson(ContextSpace.Paper, 3, contextual: true, new AgentOptions { PropensityDraws = 50 }, Seeds.CreateRandom(5));
        for (int t = 0; t < 600; t++)
        {
            GambitContext x = ContextSpace.Paper[t % 12];
            GambitDecision d = await agent.DecideAsync(x);
            double reward = d.Arm == 2 ? 6000 : 4000 + 500 * d.Arm;
            await agent.LearnAsync(x, d, new GambitOutcome(reward, reward, [], -1));
        }
        string snapshot = Out("stdts.json");
        File.WriteAllText(snapshot, PolicyStates.Serialize(agent.ExportState()));
        var random = new Random(7);
        var lines = new List<LoggedDecision>();
        for (int i = 0; i < 240; i++)
        {
            int arm = random.Next(3);
            double[] truth = [0.2, 0.4, 0.9];
            lines.Add(new LoggedDecision(i + 1, 0, i, null, ContextSpace.Paper.Name(i % 12), arm, 1 / 3.0, [1 / 3.0, 1 / 3.0, 1 / 3.0], truth[arm] + random.NextDouble() - 0.5, truth));
        }
        string log = Out("gambit.jsonl");
        File.WriteAllLines(log, lines.Select(l => DecisionLogLines.Format(l)));
        return (snapshot, log, lines);
    }

    [Fact]
    public async Task SnapshotTarget_StdTs_ProbabilitiesFromPosteriorDraws_ReportsTheDrawsAndTheirError()
    {
        var (snapshot, log, lines) = await StdTsCase();

        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--estimators", "ips,dr", "--bootstrap", "50", "--json", "--out", Out("ts"));
        var again = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--estimators", "ips,dr", "--bootstrap", "50", "--json", "--out", Out("ts2"));

        Assert.True(exit == 0, stderr);
        JsonNode p = CliJson.Parse(stdout)!["policies"]![0]!;
        Assert.Equal(50, (int)p["diagnostics"]!["targetDraws"]!);
        double drawSe = (double)p["diagnostics"]!["targetDrawStandardError"]!;
        Assert.InRange(drawSe, 1e-6, 0.1);
        // Independently: the agent's probabilities per cell from 40 × 50 draws of a restored copy; the exact value
        // under the target's per-line 50-draw estimates agrees within their Monte Carlo error (about 0.002 here).
        var fresh = new StandardThompson(ContextSpace.Paper, 3, contextual: true, new AgentOptions { PropensityDraws = 50 }, Seeds.CreateRandom(11));
        fresh.ImportState(PolicyStates.Deserialize(File.ReadAllText(snapshot)));
        var pi = new Dictionary<string, double[]>();
        foreach (string cell in ContextSpace.Paper.Names)
        {
            var sum = new double[3];
            for (int r = 0; r < 40; r++)
            {
                GambitDecision d = await fresh.DecideAsync(ContextSpace.Paper[ContextSpace.Paper.Names.ToList().IndexOf(cell)]);
                for (int a = 0; a < 3; a++) sum[a] += d.Probabilities[a] / 40;
            }
            pi[cell] = sum;
        }
        double exact = lines.Average(l => Enumerable.Range(0, 3).Sum(a => pi[l.Cell!][a] * l.ExpectedRewards![a]));
        Assert.Equal(exact, (double)p["exact"]!, 0.02);
        Assert.True(exact > 0.55, $"the agent should lean to prompt 2 (uniform gives 0.5): exact {exact}");
        // The target's draws are seeded by --seed (the envelope's wall time and --out differ; the results do not).
        Assert.Equal(CliJson.Parse(stdout)!.ToJsonString(), CliJson.Parse(again.Out)!.ToJsonString().Replace("/ts2", "/ts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SnapshotTarget_StdTs_CellItDoesNotKnow_Exit2_NamesTheLineAndTheCell()
    {
        var (snapshot, _, lines) = await StdTsCase();
        string log = Out("othercell.jsonl");
        File.WriteAllLines(log, [.. lines.Take(3).Select(l => DecisionLogLines.Format(l)), DecisionLogLines.Format(lines[3] with { Cell = "moon:9" })]);

        var run = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--bootstrap", "0", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "decision log line 4, field 'context': 'moon:9' is not a context of target policy");
    }

    // LIBRA (the gate over GLRB) with a simulated advisor of quality q = 0.8 on the synthetic problem's own truth, taught
    // 100 steps; Δ is the median width the taught GLRB states on the log's contexts, so about half the lines are followed.
    private async Task<(string Snapshot, double Delta, GlrbPolicy Trained)> LibraSnapshot(string log, bool safeGate = false, IRecourseAdvisor? advisor = null)
    {
        RecourseProblem problem = SyntheticProblem();
        ScenarioDefaults defaults = Scenarios.Create("synthetic").Defaults;
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Lambda = defaults.Lambda, Radius = ConfidenceRadiusRule.Constant(defaults.Rho) });
        var random = new Random(6);
        for (int t = 0; t < 100; t++)
        {
            double[] x = [.. Enumerable.Range(0, problem.Dimension).Select(_ => random.NextDouble())];
            var decision = await glrb.DecideAsync(x);
            double reward = decision.Recourse.Sum() * (decision.Arm + 1) + 0.1 * random.NextDouble();
            await glrb.LearnAsync(x, decision, new RecourseOutcome(reward, reward, decision.Recourse));
        }
        var widths = new List<double>();
        foreach (string line in File.ReadLines(log))
        {
            double[] x = CliJson.Parse(line)!["context"]!.AsArray().Select(v => (double)v!).ToArray();
            var probe = new GlrbPolicy(problem, glrb.Options);
            probe.ImportState(glrb.ExportState());
            widths.Add((await probe.DecideAsync(x)).ConfidenceWidth);
        }
        double delta = widths.Order().ElementAt(widths.Count / 2);
        var theta = Enumerable.Range(0, problem.ArmCount).Select(a => Enumerable.Range(0, problem.Dimension).Select(j => 0.1 * (a + j)).ToArray()).ToArray();
        var gate = AdvisorGateStage.Libra(glrb, advisor ?? new SimulatedQualityAdvisor(new RecourseTruth(problem, theta), 0.8, Seeds.CreateRandom(3)),
            new AdvisorGateOptions { Delta = delta, SafeGate = safeGate });
        string path = Out("libra.json");
        File.WriteAllText(path, PolicyStates.Serialize(gate.ExportState()));
        return (path, delta, glrb);
    }

    private string RecourseLog(int lines)
    {
        RecourseProblem problem = SyntheticProblem();
        var world = new SyntheticBandit(new SyntheticBanditOptions(Arms: problem.ArmCount, Dimension: problem.Dimension), worldSeed: 9);
        string log = Out("libra.jsonl");
        File.WriteAllLines(log, world.Log(lines, 3).Select(l => DecisionLogLines.Format(l)));
        return log;
    }

    [Fact]
    public async Task SnapshotTarget_Libra_FollowedLinesAreCountedAndLeftOut_TheRestEvaluated()
    {
        string log = RecourseLog(80);
        var (snapshot, delta, trained) = await LibraSnapshot(log);

        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--estimators", "ips", "--bootstrap", "0", "--json", "--out", Out("libra"));

        Assert.True(exit == 0, stderr);
        JsonNode p = CliJson.Parse(stdout)!["policies"]![0]!;
        // Independently: a fresh GLRB per line; width > Δ means the gate follows the advisor (no probability), else its arm.
        int unstated = 0, used = 0;
        double sum = 0;
        foreach (string line in File.ReadLines(log))
        {
            JsonNode l = CliJson.Parse(line)!;
            double[] x = l["context"]!.AsArray().Select(v => (double)v!).ToArray();
            var fresh = new GlrbPolicy(SyntheticProblem(), trained.Options);
            fresh.ImportState(trained.ExportState());
            RecourseDecision d = await fresh.DecideAsync(x);
            if (d.ConfidenceWidth > delta) { unstated++; continue; }
            used++;
            if (d.Arm == (int)l["arm"]!) sum += (double)l["reward"]! / (double)l["propensity"]!;
        }
        Assert.InRange(unstated, 20, 60); // Δ is the median width: about half
        Assert.Equal(unstated, (int)p["diagnostics"]!["targetUnstatedLines"]!);
        JsonNode ips = p["estimates"]![0]!;
        Assert.Equal(used, (int)ips["linesUsed"]!);
        Assert.Equal(sum / used, (double)ips["value"]!, 1e-9);
        Assert.Contains($"on {unstated} of 80 lines the target states no probability", (string)ips["note"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SnapshotTarget_LibraWithTheSafeGate_Exit2_NamesTheMissingWorld()
    {
        string log = RecourseLog(20);
        var (snapshot, _, _) = await LibraSnapshot(log, safeGate: true);

        var run = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--out", Out("x"));

        CliRunner.AssertUsageError(run, "the gate has the safe gate on, so whether it follows advice depends on what its advisor 'simulated:q=0.8' advises");
    }

    private sealed class AbstainingAdvisor : IRecourseAdvisor
    {
        public string Name => "llm:test-model";

        public ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Advice.Abstain("no answer"));
    }

    [Fact]
    public async Task SnapshotTarget_LibraWithAnExternalAdvisor_Exit2_SaysItMayAbstain()
    {
        string log = RecourseLog(20);
        var (snapshot, _, _) = await LibraSnapshot(log, advisor: new AbstainingAdvisor());

        var run = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--out", Out("x"));

        CliRunner.AssertUsageError(run, "the gate's advisor 'llm:test-model' (a language model or another port) may abstain");
    }

    [Fact]
    public async Task SnapshotTarget_LibraOfVersion2_Exit2_SaysToSaveItAgain()
    {
        string log = RecourseLog(20);
        var (snapshot, _, _) = await LibraSnapshot(log);
        PolicyState state = PolicyStates.Deserialize(File.ReadAllText(snapshot));
        File.WriteAllText(snapshot, PolicyStates.Serialize(state with { Version = 2 }));

        var run = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--out", Out("x"));

        CliRunner.AssertUsageError(run, "format version 2; this build reads version 3 (older versions do not record which advisor the gate had");
    }
}
