using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Cli.Tests;

public sealed class LibraCommandTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task Json_PrintsExactlyOneObject_WithTheContractFields()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("libra", "--env", "synthetic", "--horizon", "40", "--runs", "2", "--json", "--out", _out);
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("libra", (string)root["command"]!);
        Assert.Equal("synthetic", (string)root["env"]!);
        Assert.Equal(40, (int)root["horizon"]!);
        Assert.Equal(2, (int)root["runs"]!);
        Assert.Equal(1UL, (ulong)root["seed"]!);
        Assert.True((double)root["wallSeconds"]! >= 0);
        Assert.True((double)root["stepsPerSecond"]! > 0);
        JsonArray policies = root["policies"]!.AsArray();
        Assert.Equal(["LinUCB", "LLM-only", "GLRB", "LIBRA", "LIBRA (q=0)"], policies.Select(p => (string)p!["name"]!).ToArray());
        Assert.Equal("constant:4", (string)root["radius"]!);
        Assert.Equal(1.0, (double)root["sigma"]!);
        Assert.Equal(["simulated:q=0.8", "simulated:q=0"], root["advisors"]!.AsArray().Select(a => (string)a!["advisor"]!).ToArray());
        Assert.NotEmpty(root["claims"]!.AsArray());
        foreach (JsonNode? p in policies)
        {
            foreach (string stat in new[] { "cumulativeRegret", "llmQueries", "meanReward" })
            {
                Assert.NotNull(p!["" + stat]!["mean"]);
                Assert.NotNull(p[stat]!["sd"]);
            }
            double[] curve = p!["regretCurve"]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.Equal(40, curve.Length);
            Assert.Equal((double)p["cumulativeRegret"]!["mean"]!, curve[^1], 9);
        }
        Assert.Equal(0, (double)policies[0]!["llmQueries"]!["mean"]!);
        Assert.Equal(40, (double)policies[1]!["llmQueries"]!["mean"]!);
        foreach (string file in new[] { "summary.json", "curves.csv", "regret.png", "regret.svg", "queries.png", "manifest.json", "report.html" })
            Assert.True(File.Exists(Path.Combine(_out, file)), file + " missing");
    }

    [Fact]
    public async Task SameSeed_ByteIdenticalSummary_ApartFromTimings()
    {
        string a = Path.Combine(_out, "a"), b = Path.Combine(_out, "b");
        Assert.Equal(0, (await CliRunner.Run("libra", "--env", "fertility", "--horizon", "50", "--runs", "3", "--seed", "42", "--out", a, "--json")).Exit);
        Assert.Equal(0, (await CliRunner.Run("libra", "--env", "fertility", "--horizon", "50", "--runs", "3", "--seed", "42", "--out", b, "--json", "--parallel", "1")).Exit);
        static string WithoutTimings(string path)
        {
            JsonNode node = CliJson.Parse(File.ReadAllText(path))!;
            node["wallSeconds"] = 0;
            node["stepsPerSecond"] = 0;
            return node.ToJsonString();
        }
        Assert.Equal(WithoutTimings(Path.Combine(a, "summary.json")), WithoutTimings(Path.Combine(b, "summary.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "curves.csv")), File.ReadAllBytes(Path.Combine(b, "curves.csv")));
    }

    [Fact]
    public async Task Demo_WritesReportWithTable2AndFigures()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("demo", "--horizon", "60", "--runs", "2", "--out", _out);
        Assert.True(exit == 0, stderr);
        Assert.Contains("LIBRA", stdout);
        Assert.Contains("SBP drop", stdout);
        string html = File.ReadAllText(Path.Combine(_out, "report.html"));
        Assert.Contains("Table 2", html);
        Assert.Contains("regret.png", html);
        Assert.Contains("recourse-libra.png", html);
        Assert.True(File.Exists(Path.Combine(_out, "recourse-llm-only.png")));
    }

    [Fact]
    public async Task Ablation_OverDelta_WritesOneSeriesPerValue()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("libra", "ablation", "--env", "synthetic", "--vary", "delta", "--values", "0.5,2", "--horizon", "30", "--runs", "2", "--json", "--out", _out);
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("delta", (string)root["vary"]!);
        Assert.Equal([0.5, 2.0], root["series"]!.AsArray().Select(s => (double)s!["value"]!).ToArray());
    }

    [Theory]
    [InlineData("--env mars", "--env")]
    [InlineData("--policies linucb,foo", "--policies")]
    [InlineData("--norm l3", "--norm")]
    [InlineData("--advisor gpt", "--advisor")]
    [InlineData("--advisor simulated:q=1.5", "--advisor")]
    [InlineData("--horizon 0", "--horizon")]
    [InlineData("--runs 0", "--runs")]
    [InlineData("--gamma -1", "--gamma")]
    [InlineData("--delta -0.5", "--delta")]
    [InlineData("--noncompliance sometimes", "--noncompliance")]
    [InlineData("--horizon abc", "abc")]
    [InlineData("--env synthetic --advisor clinician", "clinician")]
    [InlineData("--solver global --norm l1", "--solver")]
    [InlineData("--solver global --noncompliance random:eps=0.2", "--solver global cannot solve robust-ORO")]
    [InlineData("--radius wide", "--radius")]
    [InlineData("--radius constant:-1", "--radius")]
    [InlineData("--radius lemma2:c-mu=0", "--radius")]
    [InlineData("--radius lemma2:delta=1", "--radius")]
    [InlineData("--radius lemma2:kappa=2", "--radius")]
    [InlineData("--sigma 0", "--sigma")]
    public async Task BadOption_OneLineOnStderr_Exit2(string args, string mentions)
    {
        var (exit, stdout, stderr) = await CliRunner.Run(["libra", .. args.Split(' '), "--out", _out]);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Lemma2Radius_AndTheSafeGate_Run_AndAreReported()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("libra", "--env", "hypertension", "--horizon", "30", "--runs", "2", "--radius", "lemma2:delta=0.1",
            "--safe-gate", "--noncompliance", "adversarial:eps=0.3", "--json", "--out", _out);
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("lemma2:delta=0.1", (string)root["radius"]!);
        Assert.True((bool)root["safeGate"]!);
        JsonNode libra = root["policies"]!.AsArray().Single(p => (string)p!["name"]! == "LIBRA")!;
        Assert.NotNull(libra["safeGateDeclines"]);
        Assert.NotNull(libra["robustCumulativeRegret"]);
        Assert.True(File.Exists(Path.Combine(_out, "regret-robust.png")));
    }

    [Fact]
    public async Task UnwritableOut_Exit2_NamingTheFolder()
    {
        string file = Path.Combine(_out, "a-file");
        File.WriteAllText(file, "x");
        var (exit, _, stderr) = await CliRunner.Run("libra", "--env", "synthetic", "--horizon", "5", "--runs", "1", "--out", Path.Combine(file, "sub"));
        Assert.Equal(2, exit);
        Assert.Contains("--out", stderr);
        Assert.Contains("a-file", stderr);
    }
}

public class RootCommandTests
{
    [Fact]
    public async Task NoArguments_PrintsHelp_Exit0()
    {
        var (exit, stdout, _) = await CliRunner.Run();
        Assert.Equal(0, exit);
        Assert.Contains("libra", stdout);
        Assert.Contains("demo", stdout);
    }

    [Fact]
    public async Task UnknownCommand_OneLine_Exit2()
    {
        var (exit, _, stderr) = await CliRunner.Run("frobnicate");
        Assert.Equal(2, exit);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("frobnicate", stderr);
    }
}
