using System.Text.Json.Nodes;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;

namespace Tandem.Cli.Tests;

public sealed class GambittsCommandTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task Json_PrintsExactlyOneObject_WithTheContractFields()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--runs", "3", "--horizon", "30", "--seed", "7", "--json", "--out", _out);
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("gambitts", (string)root["command"]!);
        Assert.Equal("illustrative", (string)root["experiment"]!);
        Assert.Equal(3, (int)root["runs"]!);
        Assert.Equal(30, (int)root["horizon"]!);
        Assert.Equal(7UL, (ulong)root["seed"]!);
        Assert.True((double)root["wallSeconds"]! > 0);
        JsonArray series = root["series"]!.AsArray();
        Assert.Equal(["StdTS", "StdTS:Contextual", "foGAMBITTS", "poGAMBITTS"], series.Select(s => (string)s!["agent"]!).ToArray());
        foreach (JsonNode? s in series)
        {
            Assert.Null(s!["setting"]);
            double[] curve = s["regretCurve"]!.AsArray().Select(v => (double)v!).ToArray();
            Assert.Equal(30, curve.Length);
            Assert.Equal((double)s["cumulativeRegret"]!["mean"]!, curve[^1], 9);
            Assert.True((double)s["cumulativeRegret"]!["ci95"]! >= 0);
            Assert.NotNull(s["cumulativeRegret"]!["sd"]);
            Assert.All(curve.Zip(curve.Skip(1)), p => Assert.True(p.Second >= p.First - 1e-12, "regret is cumulative and ≥ 0 per step"));
        }
        foreach (string file in new[] { "summary.json", "curves.csv", "regret.png", "regret.svg", "manifest.json", "report.html" })
            Assert.True(File.Exists(Path.Combine(_out, file)), file + " missing");
        Assert.Equal(CliJson.Parse(File.ReadAllText(Path.Combine(_out, "summary.json")))!["series"]!.AsArray().Count, series.Count);
    }

    [Fact]
    public async Task Settings_AreLabelled_AndGetTheirOwnFigures()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("gambitts", "--experiment", "arms", "--agents", "po,stdts", "--runs", "2", "--horizon", "15", "--json", "--out", _out);
        Assert.True(exit == 0, stderr);
        JsonArray series = CliJson.Parse(stdout)!["series"]!.AsArray();
        Assert.Equal(["K=3", "K=3", "K=5", "K=5", "K=15", "K=15", "K=30", "K=30", "K=40", "K=40"], series.Select(s => (string)s!["setting"]!).ToArray());
        Assert.Equal("poGAMBITTS", (string)series[0]!["agent"]!);
        Assert.True(File.Exists(Path.Combine(_out, "regret-k-40.png")));
        Assert.True(File.Exists(Path.Combine(_out, "final-regret.png")));
    }

    [Fact]
    public async Task SameSeed_IdenticalSummary_ApartFromTimings()
    {
        string a = Path.Combine(_out, "a"), b = Path.Combine(_out, "b");
        string[] args = ["gambitts", "--experiment", "misspecification", "--runs", "2", "--horizon", "20", "--seed", "5", "--json"];
        Assert.Equal(0, (await CliRunner.Run([.. args, "--out", a])).Exit);
        Assert.Equal(0, (await CliRunner.Run([.. args, "--out", b])).Exit);
        static string WithoutTimings(string path)
        {
            JsonNode node = CliJson.Parse(File.ReadAllText(path))!;
            node["wallSeconds"] = 0;
            node["simulationSeconds"] = 0;
            return node.ToJsonString();
        }
        Assert.Equal(WithoutTimings(Path.Combine(a, "summary.json")), WithoutTimings(Path.Combine(b, "summary.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "curves.csv")), File.ReadAllBytes(Path.Combine(b, "curves.csv")));
    }

    [Fact]
    public async Task HumanOutput_IsATable_AndProgressGoesToStderr()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--agents", "po", "--runs", "2", "--horizon", "10", "--out", _out);
        Assert.Equal(0, exit);
        Assert.Contains("poGAMBITTS", stdout, StringComparison.Ordinal);
        Assert.Contains("started", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("started", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--experiment", "bogus" }, "--experiment: Experiment 'bogus' is unknown")]
    [InlineData(new[] { "--experiment", "illustrative", "--agents", "po,ucb" }, "--agents: Agent 'ucb' is unknown")]
    [InlineData(new[] { "--experiment", "illustrative", "--runs", "0" }, "--runs 0: At least one run is needed")]
    [InlineData(new[] { "--experiment", "illustrative", "--horizon", "-3" }, "--horizon -3: The horizon must be at least 1")]
    [InlineData(new[] { "--experiment", "illustrative", "--bank", "/nonexistent/bank.csv" }, "--bank '/nonexistent/bank.csv': no such file")]
    [InlineData(new[] { "--experiment", "illustrative", "--bank", "x.csv", "--bank-seed", "4" }, "--bank-seed: A bank seed (4) applies to the synthetic bank only")]
    [InlineData(new[] { "--experiment", "illustrative", "--bank-seed", "-1" }, "--bank-seed")]
    [InlineData(new[] { "--experiment", "illustrative", "--banks", "0" }, "--banks 0: The number of banks must lie in 1..1000")]
    [InlineData(new[] { "--experiment", "illustrative", "--banks", "2", "--bank", "x.csv" }, "--banks: 2 banks need the synthetic bank; the bank file 'x.csv' is one bank")]
    [InlineData(new[] { "--experiment", "illustrative", "--propensity-draws", "-1" }, "--propensity-draws -1: Propensity draws must lie in 0..100000")]
    [InlineData(new[] { "--experiment", "illustrative", "--offline-draws", "2000" }, "--offline-draws 2000: 2000 offline draws per cell exceed the synthetic bank's 1000 responses per cell")]
    [InlineData(new[] { "--experiment", "simulator-access", "--offline-draws", "5" }, "--offline-draws: The simulator-access experiment varies the offline draws itself")]
    [InlineData(new[] { "--experiment", "ensemble-options", "--ensemble-reset-optimizer", "true" }, "--ensemble-reset-optimizer: The ensemble-options experiment varies the reward centring and the optimizer reset itself")]
    public async Task BadOptions_OneLineError_ExitCode2(string[] options, string message)
    {
        var (exit, stdout, stderr) = await CliRunner.Run(["gambitts", .. options, "--out", _out]);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    private string WriteBank(string name, Func<int, int, string> row, string header = "prompt,context,optimism,formality,severity")
    {
        string path = Path.Combine(_out, name);
        var lines = new List<string> { header };
        for (int p = 0; p < 6; p++)
            for (int c = 0; c < GambitContext.Count; c++) lines.Add(row(p, c));
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task BankFile_IsUsed_WhenValid()
    {
        string path = WriteBank("bank.csv", (p, c) => $"prompt{p},{new GambitContext(c)},{p * 0.5},{-p * 0.1},{c * 0.01}");
        var (exit, stdout, stderr) = await CliRunner.Run("gambitts", "--experiment", "arms", "--bank", path, "--agents", "po", "--offline-draws", "1", "--runs", "2", "--horizon", "10", "--json", "--out", Path.Combine(_out, "o"));
        Assert.True(exit == 0, stderr);
        // Only K ≤ 6 prompts exist: the arms experiment keeps K = 3 and 5.
        Assert.Equal(["K=3", "K=5"], CliJson.Parse(stdout)!["series"]!.AsArray().Select(s => (string)s!["setting"]!).ToArray());
    }

    [Fact]
    public async Task BankFile_TooSmallForTheOfflineDraws_OneLineNamingTheOption_NothingWritten()
    {
        // Offline draws are taken without replacement: one response per cell cannot give the default M = 500.
        string path = WriteBank("small.csv", (p, c) => $"prompt{p},{new GambitContext(c)},{p * 0.5},{-p * 0.1},{c * 0.01}");
        string folder = Path.Combine(_out, "small");
        var (exit, stdout, stderr) = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--bank", path, "--agents", "po", "--runs", "1", "--horizon", "5", "--out", folder);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("--offline-draws 500: 500 offline draws per cell exceed the bank's smallest cell (1 responses)", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task BankFile_NonNumericScore_NamesFileRowAndColumn()
    {
        string path = WriteBank("bad.csv", (p, c) => $"prompt{p},{new GambitContext(c)},{(p == 1 && c == 2 ? "n/a" : "1")},0,0");
        var (exit, _, stderr) = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--bank", path, "--out", Path.Combine(_out, "o"));
        Assert.Equal(2, exit);
        Assert.Equal("error: bad.csv row 16: column 'optimism' value 'n/a' is not a finite number.", stderr.TrimEnd());
    }

    [Theory]
    [InlineData("1e308")]
    [InlineData("-1e308")]
    [InlineData("2e6")]
    public async Task BankFile_HugeScore_IsRefused_NamingFileRowAndColumn(string huge)
    {
        // Issue 15, defect 19: scores of ±1e308 overflowed the posteriors into an "unexpected" crash.
        string path = WriteBank("huge.csv", (p, c) => $"prompt{p},{new GambitContext(c)},{(p == 1 && c == 2 ? huge : "1")},0,0");
        var (exit, _, stderr) = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--bank", path, "--out", Path.Combine(_out, "o"));
        Assert.Equal(2, exit);
        Assert.StartsWith($"error: huge.csv row 16: column 'optimism' value '{huge}' lies outside [-1e6, 1e6]", stderr.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BankFile_MissingContext_NamesPromptAndContext()
    {
        string path = WriteBank("gap.csv", (p, c) => p == 4 && c == 7 ? $"prompt{p},work:3,1,0,0" : $"prompt{p},{new GambitContext(c)},1,0,0");
        var (exit, _, stderr) = await CliRunner.Run("gambitts", "--experiment", "illustrative", "--bank", path, "--out", Path.Combine(_out, "o"));
        Assert.Equal(2, exit);
        Assert.Equal("error: gap.csv: prompt 'prompt4' has no responses in context work:4; every prompt needs all 12 contexts.", stderr.TrimEnd());
    }

    [Fact]
    public async Task BankFile_TooFewDimensions_ForTheOutcomeModel()
    {
        string path = WriteBank("one.csv", (p, c) => $"prompt{p},{new GambitContext(c)},{p}", "prompt,context,optimism");
        var (exit, _, stderr) = await CliRunner.Run("gambitts", "--experiment", "variance", "--bank", path, "--out", Path.Combine(_out, "o"));
        Assert.Equal(2, exit);
        Assert.StartsWith("error: one.csv: The bank has 1 style dimension(s) (optimism); the outcome model needs 'formality'", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = await CliRunner.Run("gambitts", "--experiment", "dimension", "--bank", WriteBank("three.csv", (p, c) => $"prompt{p},{new GambitContext(c)},{p},0,0"), "--out", Path.Combine(_out, "o"));
        Assert.Equal(2, exit);
        Assert.StartsWith("error: three.csv: The bank has 3 style dimension(s); the dimension experiment needs the 20", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void SyntheticBank_ExportsToTheLoaderFormat()
    {
        var writer = new StringWriter();
        BankCsv.Write(SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 1 }), writer);
        Assert.StartsWith("prompt,context,optimism,formality,encouragement,severity,clarity,humor", writer.ToString(), StringComparison.Ordinal);
    }
}
