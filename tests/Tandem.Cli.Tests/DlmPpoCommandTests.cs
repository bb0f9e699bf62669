using System.Text.Json.Nodes;

namespace Tandem.Cli.Tests;

public sealed class DlmPpoCommandTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static string[] Small(params string[] extra) =>
        ["dlm", "--planner", "ppo", "--ppo-epochs", "6", "--tasks", "0", "--seeds", "2", "--arms", "12", "--budget", "4", "--stages", "1", "--candidates", "2", "--trials", "4", "--steps", "4", .. extra];

    [Fact]
    public async Task PlannerPpo_KeepsTheJsonShape_WithPlannerPpo()
    {
        var (exit, stdout, stderr) = await CliRunner.Run(Small("--json", "--out", _out));

        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("ppo", (string)root["planner"]!);
        Assert.Equal("dlm", (string)root["command"]!);
        JsonNode task = root["tasks"]!.AsArray().Single()!;
        foreach (string k in new[] { "Random", "NoAction", "Default", "Base", "DLM (No Reflection)", "DLM (Reflection)" })
            Assert.NotNull(task["mnr"]![k]!["iqm"]);
        Assert.Equal(1.0, (double)task["mnr"]!["Base"]!["iqm"]!);
        Assert.True(File.Exists(Path.Combine(_out, "report.html")));
    }

    [Fact]
    public async Task Compare_SetsTheTwoPlannersTable4SideBySide_InTheReport()
    {
        string whittle = Path.Combine(_out, "whittle"), ppo = Path.Combine(_out, "ppo");
        string[] whittleArgs = Small("--out", whittle);
        whittleArgs[Array.IndexOf(whittleArgs, "--planner") + 1] = "whittle";
        var (e1, _, err1) = await CliRunner.Run(whittleArgs);
        Assert.True(e1 == 0, err1);
        var (e2, _, err2) = await CliRunner.Run(Small("--compare", whittle, "--out", ppo));
        Assert.True(e2 == 0, err2);
        string html = File.ReadAllText(Path.Combine(ppo, "report.html"));
        Assert.Contains("Table 4 side by side: planner ppo and planner whittle", html);
        Assert.Contains("Default (whittle)", html);
        Assert.DoesNotContain("side by side", File.ReadAllText(Path.Combine(whittle, "report.html")));
    }

    [Fact]
    public async Task Compare_WithoutASummary_ExitTwo()
    {
        var (exit, _, stderr) = await CliRunner.Run(Small("--compare", Path.Combine(_out, "nothing-here"), "--out", _out));
        Assert.Equal(2, exit);
        Assert.Contains("--compare", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--ppo-epochs", "0", "--ppo-epochs 0: At least one epoch")]
    [InlineData("--ppo-lr", "0", "--ppo-lr 0: PolicyLearningRate must be finite and > 0")]
    [InlineData("--ppo-lr", "-0.01", "--ppo-lr -0.01: PolicyLearningRate must be finite and > 0")]
    [InlineData("--planner", "a2c", "--planner 'a2c' is unknown")]
    [InlineData("--budget", "13", "--budget 13: The budget must lie in [0, 12]")]
    public async Task BadHyperParameters_ExitTwo_WithOneLineNamingTheOption(string option, string value, string message)
    {
        CliRunner.AssertUsageError(await CliRunner.Run(CliRunner.WithOption(Small("--out", _out), option, value)), message);
    }
}
