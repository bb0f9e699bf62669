using System.Text.Json;

namespace Tandem.Cli.Tests;

// Issue 10, "a decision log": every study command takes --log; an unwritable path is exit 2 before the study starts.
public class DecisionLogCliTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Libra_Log_HasOneLinePerDecision_WithPropensitiesAndTheTruth()
    {
        string log = Path.Combine(_dir, "libra.jsonl");
        var run = await CliRunner.Run("libra", "--env", "synthetic", "--runs", "2", "--horizon", "30", "--out", Path.Combine(_dir, "o"), "--log", log, "--json");

        Assert.True(run.Exit == 0, run.Err);
        string[] lines = File.ReadAllLines(log);
        Assert.Equal(2 * 5 * 30, lines.Length); // 5 policies: the seed's four and LIBRA (q=0), the control of issue 11
        using JsonDocument glrb = JsonDocument.Parse(lines.First(l => l.Contains("\"policy\":\"GLRB\"", StringComparison.Ordinal)));
        Assert.Equal(1.0, glrb.RootElement.GetProperty("propensity").GetDouble());
        Assert.Equal(10, glrb.RootElement.GetProperty("expectedRewards").GetArrayLength());
        Assert.Equal(20, glrb.RootElement.GetProperty("payload").GetProperty("recourse").GetArrayLength());
    }

    [Fact]
    public async Task Gambitts_And_Dlm_TakeLog()
    {
        string g = Path.Combine(_dir, "g.jsonl"), d = Path.Combine(_dir, "d.jsonl");
        var gambitts = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--runs", "2", "--horizon", "10", "--out", Path.Combine(_dir, "g"), "--log", g, "--json");
        var dlm = await CliRunner.Run("dlm", "--seeds", "1", "--tasks", "0", "--trials", "2", "--out", Path.Combine(_dir, "d"), "--log", d, "--json");

        Assert.True(gambitts.Exit == 0, gambitts.Err);
        Assert.True(dlm.Exit == 0, dlm.Err);
        Assert.Equal(2 * 4 * 10, File.ReadAllLines(g).Length);
        Assert.NotEmpty(File.ReadAllLines(d));
    }

    [Fact]
    public async Task LibraAblation_Log_NamesEachSetting()
    {
        string log = Path.Combine(_dir, "ablation.jsonl");
        var run = await CliRunner.Run("libra", "ablation", "--env", "synthetic", "--vary", "delta", "--values", "0.5,2", "--runs", "2", "--horizon", "20",
            "--out", Path.Combine(_dir, "a"), "--log", log, "--json");

        Assert.True(run.Exit == 0, run.Err);
        string[] studies = File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("study").GetString()!).ToArray();
        Assert.Equal(2 * 2 * 20, studies.Length);
        Assert.Equal(["libra-ablation-synthetic-Δ=0.5", "libra-ablation-synthetic-Δ=2"], studies.Distinct().Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [InlineData("libra", "--env", "synthetic")]
    [InlineData("gambitts", "--experiment", "illustrative")]
    [InlineData("dlm", "--seeds", "1")]
    public async Task UnwritableLog_ExitTwo_BeforeAnyWork(string command, string option, string value)
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        string outDir = Path.Combine(_dir, "never");

        var run = await CliRunner.Run(command, option, value, "--out", outDir, "--log", Path.Combine(file, "log.jsonl"));

        CliRunner.AssertUsageError(run, "--log");
        Assert.False(Directory.Exists(outDir));
    }
}
