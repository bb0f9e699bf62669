using System.Text.Json.Nodes;
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
        JsonNode root = JsonNode.Parse(stdout)!;
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
        Assert.Equal(a.Out, b.Out.Replace(Out("b"), Out("a")));
    }

    [Fact]
    public async Task LineMissingAField_Exit2_NamesLineAndField()
    {
        var node = JsonNode.Parse(File.ReadLines(_log).First())!.AsObject();
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
        JsonNode root = JsonNode.Parse(stdout)!;
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
        var run = await CliRunner.Run("ope", "--log", _log, "--policy", "snapshot:glrb.json", "--out", Out("x"));

        CliRunner.AssertUsageError(run, "'snapshot:glrb.json' is unknown; allowed: uniform, arm:N, greedy-model");
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
        JsonNode root = JsonNode.Parse(stdout)!;
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
}
