using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Testing;

namespace Tandem.Cli.Tests;

public sealed class RmabHistoryCliTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    // 40 beneficiaries × 10 weeks; the first id is formula-like.
    private string History()
    {
        var sb = new StringBuilder("id,week,engaged,called,age_51_60,lang_hindi\n");
        for (int t = 0; t < 10; t++)
            for (int i = 0; i < 40; i++)
                sb.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "=HYPERLINK(1)" : "m" + i)},{t},{((i * 7 + t * 3) % 5 < 2 ? 1 : 0)},{((i + t) % 4 == 0 ? 1 : 0)},{(i % 3 == 0 ? 1 : 0)},{i % 2}\n");
        return Write("history.csv", sb.ToString());
    }

    [Fact]
    public async Task Estimate_WritesAnArmsFileThatPlanReads_AndPlanHistoryGivesTheSameCalls()
    {
        string out1 = Path.Combine(_dir, "est");
        var (exit, _, stderr) = await CliRunner.Run("rmab", "estimate", "--history", History(), "--out", out1, "--json");
        Assert.True(exit == 0, stderr);
        string arms = Path.Combine(out1, "arms.csv");
        Assert.StartsWith("id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_60,lang_hindi", File.ReadAllText(arms), StringComparison.Ordinal);
        Assert.Contains("'=HYPERLINK(1)", File.ReadAllText(Path.Combine(out1, "estimates.csv")), StringComparison.Ordinal); // defused

        var fromArms = await CliRunner.Run("rmab", "plan", "--arms", arms, "--budget", "5", "--expr", "state", "--json");
        var fromHistory = await CliRunner.Run("rmab", "plan", "--history", Path.Combine(_dir, "history.csv"), "--budget", "5", "--expr", "state", "--json");
        Assert.True(fromArms.Exit == 0 && fromHistory.Exit == 0, fromArms.Err + fromHistory.Err);
        JsonArray a = CliJson.Parse(fromArms.Out)!["all"]!.AsArray(), h = CliJson.Parse(fromHistory.Out)!["all"]!.AsArray();
        Assert.Equal(a.Count, h.Count);
        for (int i = 0; i < a.Count; i++)
        {
            // arms.csv holds the formula-like id defused ('=...), the history the raw one; all else is equal.
            Assert.Equal(((string)a[i]!["id"]!).TrimStart('\''), (string)h[i]!["id"]!);
            Assert.Equal((double)a[i]!["index"]!, (double)h[i]!["index"]!);
            Assert.Equal((bool)a[i]!["call"]!, (bool)h[i]!["call"]!);
        }
    }

    [Theory]
    [InlineData("id,week,engaged,called\na,0,1,0\na,1,maybe,0\n", "row 3, column engaged: 'maybe' is not 0 or 1")]
    [InlineData("id,week,engaged\na,0,1\n", "row 1 (header), column called: missing")]
    public async Task Estimate_BadHistory_ExitsTwoNamingRowAndColumn_AndWritesNothing(string text, string message)
    {
        string out1 = Path.Combine(_dir, "bad");
        string path = Write("bad.csv", text);

        var run = await CliRunner.Run("rmab", "estimate", "--history", path, "--out", out1);

        CliRunner.AssertUsageError(run, path + ": " + message);
        Assert.False(Directory.Exists(out1));
    }

    [Fact]
    public async Task Plan_Goal_ShowsTheRewardAndDistribution_AndRefusesFeaturesTheFileLacks()
    {
        string history = History();
        string out1 = Path.Combine(_dir, "goal");
        var ok = await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "Slightly focus on the oldest mothers.", "--stages", "2", "--candidates", "2", "--out", out1);
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Contains("Reward: state", ok.Out, StringComparison.Ordinal);
        Assert.Contains("Ages 51-60", ok.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(out1, "distribution.csv")));
        var goal = CliJson.Parse(File.ReadAllText(Path.Combine(out1, "summary.json")))!["goal"]!;
        Assert.Equal("minilm", (string)goal["designer"]!); // the default: the in-process embedding model, as in `tandem dlm`
        Assert.Contains(11, goal["grounded"]!.AsArray().Select(x => (int)x!)); // "oldest" grounds the age group; Ages 51-60 is its best member

        string out2 = Path.Combine(_dir, "goal2");
        var refused = await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "Favour Marathi speakers.", "--out", out2);
        CliRunner.AssertUsageError(refused, "--goal: The goal asks about Speaks Marathi (lang_marathi), but");
        Assert.False(Directory.Exists(out2));
        CliRunner.AssertUsageError(await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "oldest", "--designer", "oracle"), "--designer 'oracle' is unknown for a goal");
        CliRunner.AssertUsageError(await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--task", "0", "--designer", "simulated"), "--designer: A designer needs a goal");
        var simulated = await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "Favour Marathi speakers.", "--designer", "simulated");
        CliRunner.AssertUsageError(simulated, "--goal: The goal asks about Speaks Marathi (lang_marathi), but"); // the hand-written reading refuses it too
        CliRunner.AssertUsageError(await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--expr", "state", "--stages", "2"), "--stages: Design stages and candidates need a goal");
        CliRunner.AssertUsageError(await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "oldest", "--stages", "0"), "--stages 0: At least one stage");
    }

    [Fact]
    public async Task Plan_Goal_WithALanguageModel_UsesItsReward_AndRefusesItsMissingFeatures()
    {
        // The model's reward is planned with; a model that only ever reads a feature the file lacks gives no valid reward.
        await using var server = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content:
            "Older mothers first.\n<reward>state * (1.0 + 3.0 * feats[11])</reward>\nThe best reward function is at index: 1"));
        await server.StartAsync();
        string history = History();
        string out1 = Path.Combine(_dir, "model");
        var run = await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "Favour the oldest mothers.", "--stages", "2", "--candidates", "2",
            "--designer", $"openai:scripted@{server.BaseAddress}v1", "--out", out1, "--json");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Equal("state * (1.0 + 3.0 * feats[11])", (string)CliJson.Parse(run.Out)!["reward"]!);
        Assert.True(File.Exists(Path.Combine(out1, "audit.jsonl")));

        await using var marathi = new ScriptedLlmServer(_ => new ScriptedLlmServer.Reply(Content: "<reward>state * (1.0 + feats[13])</reward>"));
        await marathi.StartAsync();
        var refused = await CliRunner.Run("rmab", "plan", "--history", history, "--budget", "4", "--goal", "Favour the oldest mothers.", "--stages", "1", "--candidates", "1",
            "--designer", $"openai:marathi@{marathi.BaseAddress}v1", "--max-fallback-rate", "1", "--out", Path.Combine(_dir, "model2"));
        CliRunner.AssertUsageError(refused, "--goal: The openai:marathi");
        Assert.Contains("which history.csv does not have", refused.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_WithoutGoal_LeavesTheJsonWithoutAGoalKey()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--history", History(), "--budget", "2", "--task", "0", "--json");
        Assert.True(exit == 0, stderr);
        Assert.Null(CliJson.Parse(stdout)!.AsObject()["goal"]);
        Assert.False(CliJson.Parse(stdout)!.AsObject().ContainsKey("goal"));
    }

    [Fact]
    public async Task Validate_Small_WritesTheTableAndFigures()
    {
        string out1 = Path.Combine(_dir, "val");
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "estimate", "--validate", "--beneficiaries", "100", "--budget", "10", "--weeks", "2,8", "--replicates", "1", "--out", out1, "--json");
        Assert.True(exit == 0, stderr);
        Assert.Equal(2, CliJson.Parse(stdout)!["rows"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(out1, "validation.csv")));
        CliRunner.AssertUsageError(await CliRunner.Run("rmab", "estimate", "--validate", "--weeks", "8,2"), "--weeks: History lengths must increase");
        CliRunner.AssertUsageError(await CliRunner.Run("rmab", "estimate"), "--history is required (or --validate)");
    }
}
