using System.Text.Json.Nodes;

namespace Tandem.Cli.Tests;

public sealed class DlmRmabCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Arms = """
        [{"id": "flat", "transitions": [[[0.8, 0.2], [0.8, 0.2]], [[0.4, 0.6], [0.4, 0.6]]], "reward": [0, 1]},
         {"id": "inert", "transitions": [[[0.7, 0.3], [0.2, 0.8]], [[0.7, 0.3], [0.2, 0.8]]], "reward": [0, 1]}]
        """;

    private const string Beneficiaries = """
        id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_60,lang_hindi
        a,0,0.1,0.6,0.5,0.8,1,0
        b,0,0.1,0.6,0.5,0.8,0,1
        c,1,0.2,0.7,0.2,0.7,1,0
        d,1,0.2,0.5,0.3,0.9,0,0
        """;

    [Fact]
    public async Task Whittle_Json_GivesKnownIndices()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "whittle", "--arms", Write("arms.json", Arms), "--discount", "0.9", "--json");
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal(0.9, (double)root["discount"]!);
        JsonArray arms = root["arms"]!.AsArray();
        Assert.Equal("flat", (string)arms[0]!["id"]!);
        // State-independent transitions: W = γ (0.6 − 0.2)(1 − 0) = 0.36 in both states.
        Assert.Equal(0.36, (double)arms[0]!["index"]![0]!, 9);
        Assert.Equal(0.36, (double)arms[0]!["index"]![1]!, 9);
        Assert.True((bool)arms[0]!["indexable"]!);
        Assert.Equal(0.0, (double)arms[1]!["index"]![0]!, 9);
    }

    [Fact]
    public async Task Whittle_Text_ShowsATable()
    {
        var (exit, stdout, _) = await CliRunner.Run("rmab", "whittle", "--arms", Write("arms.json", Arms));
        Assert.Equal(0, exit);
        Assert.Contains("flat", stdout);
        Assert.Contains("0.36", stdout);
    }

    [Theory]
    [InlineData("""[{"id": "x", "transitions": [[[0.8, 0.3], [0.8, 0.2]], [[0.4, 0.6], [0.4, 0.6]]], "reward": [0, 1]}]""", "arm 0 (id 'x'), field transitions[0][0]: probabilities sum to 1.1")]
    [InlineData("""[{"id": "x", "transitions": [[[1.2, -0.2], [0.8, 0.2]], [[0.4, 0.6], [0.4, 0.6]]], "reward": [0, 1]}]""", "field transitions[0][0][0]: probability 1.2 is outside [0, 1]")]
    [InlineData("""[{"id": "x", "transitions": [[[0.8, 0.2], [0.8, 0.2]], [[0.4, 0.6], [0.4, "a"]]], "reward": [0, 1]}]""", "field transitions[1][1][1]: 'a' is not a number")]
    [InlineData("""[{"id": "x", "transitions": [[[0.8, 0.2], [0.8, 0.2]], [[0.4, 0.6], [0.4, 0.6]]]}]""", "field reward: missing")]
    [InlineData("""[{"transitions": []}]""", "arm 0, field id: missing")]
    [InlineData("""{""", "not valid JSON")]
    public async Task Whittle_BadFile_ExitTwo_NamingFileRowAndField(string json, string message)
    {
        string path = Write("bad.json", json);
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "whittle", "--arms", path);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains(path, stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Plan_Task0_CallsTheOldestFirst_AndWritesTheRanking()
    {
        string outDir = Path.Combine(_dir, "out");
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("b.csv", Beneficiaries), "--budget", "1", "--task", "0", "--json", "--out", outDir);
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal(4, (int)root["beneficiaries"]!);
        JsonArray calls = root["calls"]!.AsArray();
        Assert.Equal("a", (string)Assert.Single(calls)!["id"]!);
        Assert.Equal(4, root["all"]!.AsArray().Count);
        string[] csv = File.ReadAllLines(Path.Combine(outDir, "plan.csv"));
        Assert.Equal(5, csv.Length);
        Assert.Equal("id,rank,call,whittle_index,expected_gain,state,indexable", csv[0]);
        Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
    }

    [Fact]
    public async Task Plan_SavePlan_WritesThePlannedPolicyWithTheIds()
    {
        string saved = Path.Combine(_dir, "plan.json");
        var (exit, _, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("b.csv", Beneficiaries), "--budget", "1", "--task", "0", "--json", "--save-plan", saved);
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(File.ReadAllText(saved))!;
        Assert.Equal(["a", "b", "c", "d"], root["ids"]!.AsArray().Select(x => (string)x!).ToArray());
        Assert.Equal("rmab-planned", (string)root["policy"]!["kind"]!);
    }

    [Fact]
    public async Task Plan_WithPpo_CallsTheOldArmWhereCallingHelps_AndIsRepeatable()
    {
        // Task 0 rewards engagement of the 51-60 age group; a is in it and a call lifts it (0.1 → 0.5), c is in it
        // but calls do nothing, b and d are not in it. The trained policy must rank a first, as Whittle does.
        string[] args = ["rmab", "plan", "--arms", Write("b.csv", Beneficiaries), "--budget", "1", "--task", "0", "--planner", "ppo", "--json"];
        var first = await CliRunner.Run(args);
        Assert.True(first.Exit == 0, first.Err);
        JsonNode root = CliJson.Parse(first.Out)!;
        Assert.Equal("ppo", (string)root["planner"]!);
        Assert.Equal("a", (string)Assert.Single(root["calls"]!.AsArray())!["id"]!);
        var second = await CliRunner.Run(args);
        Assert.Equal(root["all"]!.ToJsonString(), CliJson.Parse(second.Out)!["all"]!.ToJsonString());
        Assert.Equal("whittle", (string)CliJson.Parse((await CliRunner.Run("rmab", "plan", "--arms", Write("c.csv", Beneficiaries), "--budget", "1", "--task", "0", "--json")).Out)!["planner"]!);
    }

    [Theory]
    [InlineData("--planner", "exact", "--planner: The planner 'exact' is unknown; allowed: whittle, ppo")]
    [InlineData("--ppo-lr", "1e200", "--ppo-lr 1E+200: PolicyLearningRate must be at most 1")]
    [InlineData("--ppo-epochs", "2147483647", "--ppo-epochs 2147483647: At most 100000 epochs")]
    [InlineData("--ppo-epochs", "0", "--ppo-epochs 0: At least one epoch")]
    [InlineData("--ppo-lr", "-1", "--ppo-lr -1: PolicyLearningRate must be finite and > 0")]
    public async Task Plan_BadPlannerSettings_Exit2(string option, string value, string message)
    {
        string[] planner = option == "--planner" ? [] : ["--planner", "ppo"];
        var (exit, _, stderr) = await CliRunner.Run(["rmab", "plan", "--arms", Write("b.csv", Beneficiaries), "--budget", "1", "--task", "0", .. planner, option, value]);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Plan_ExpressionFavouringHindi_CallsB()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("b.csv", Beneficiaries), "--budget", "1", "--expr", "state * (0.1 + 5.0 * feats[12])");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Call 1 of 4", stdout);
        Assert.Matches(@"│\s+1 │ b\s", stdout);
    }

    [Theory]
    [InlineData("id,state,p01_passive,p11_passive,p01_active\na,0,0.1,0.2,0.3\n", "row 1 (header), field p11_active: missing column")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active\na,0,0.1,0.2,1.3,0.5\n", "row 2, field p01_active: probability 1.3 is outside [0, 1]")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active\na,0,0.1,x,0.3,0.5\n", "row 2, field p11_passive: 'x' is not a number")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active\na,2,0.1,0.2,0.3,0.5\n", "row 2, field state: 2 is not 0 or 1")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_6\na,0,0.1,0.2,0.3,0.5,3\n", "field age_51_6: looks like a feature but is not one")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active\na,0,0.1,0.2,0.3,0.5\na,1,0.1,0.2,0.3,0.5\n", "row 3, field id: 'a' appears twice")]
    public async Task Plan_BadFile_ExitTwo_NamingFileRowAndField(string csv, string message)
    {
        string path = Write("bad.csv", csv);
        var (exit, _, stderr) = await CliRunner.Run("rmab", "plan", "--arms", path, "--budget", "1", "--task", "0");
        Assert.Equal(2, exit);
        Assert.Contains(path, stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--budget", "9", "--task", "0", "--budget 9: The budget exceeds the 4 beneficiaries")]
    [InlineData("--budget", "2147483647", "--task", "0", "--budget 2147483647: The budget must lie in [0, 100000]")]
    [InlineData("--budget", "1", "--task", "16", "--task 16: Unknown task; tasks are 0-15")]
    [InlineData("--budget", "1", "--expr", "feats[50]", "--expr: Refused: out-of-range index")]
    public async Task Plan_BadOptions_ExitTwo(string o1, string v1, string o2, string v2, string message)
    {
        var (exit, _, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("b.csv", Beneficiaries), o1, v1, o2, v2);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Plan_NeedsExactlyOneRewardSource()
    {
        var (exit, _, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("b.csv", Beneficiaries), "--budget", "1");
        Assert.Equal(2, exit);
        Assert.Contains("--expr: Give exactly one reward source: an expression or a task", stderr);
    }
}
