using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsvHelper;

namespace Tandem.Cli.Tests;

/// <summary>`tandem rmab plan` for a programme manager (issue 12, item 6).</summary>
public sealed class RmabPlanCliTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text, bool bom = false)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(bom));
        return path;
    }

    // a: a call lifts engagement; h: a call lowers it (negative Whittle index under `state`); c: no effect.
    private const string Harm = """
        id,state,p01_passive,p11_passive,p01_active,p11_active
        a,0,0.1,0.6,0.5,0.8
        h,0,0.5,0.7,0.2,0.4
        b,1,0.2,0.5,0.3,0.9
        """;

    private const string WithExtras =
        "name,id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_60,village,phone\n" +
        "\"Patil, A. \"\"Asha\"\"\",a,0,0.1,0.6,0.5,0.8,1,पुणे,98 765\n" +
        "Meera,b,1,0.2,0.7,0.3,0.9,0,\"Kurla, East\",\"+91 98\"\n" +
        "\"Rao\nS.\",c,0,0.3,0.5,0.1,0.4,1,,x\n";

    [Fact]
    public async Task NegativeIndex_IsNotCalled_TheUnusedCallsAreSaid_AndFillBudgetUsesThem()
    {
        string path = Write("h.csv", Harm);
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", path, "--budget", "3", "--expr", "state");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Call 2 of 3 beneficiaries", stdout);
        Assert.Contains("1 of the 3 budgeted calls were left unused", stdout);
        Assert.Contains("--fill-budget", stdout);

        var json = await CliRunner.Run("rmab", "plan", "--arms", path, "--budget", "3", "--expr", "state", "--json");
        JsonNode root = CliJson.Parse(json.Out)!;
        Assert.Equal(1, (int)root["unused"]!);
        Assert.DoesNotContain(root["calls"]!.AsArray(), c => (string)c!["id"]! == "h");
        Assert.True((double)root["all"]!.AsArray().Single(e => (string)e!["id"]! == "h")!["index"]! < 0);
        Assert.Equal(0.2 - 0.5, (double)root["all"]!.AsArray().Single(e => (string)e!["id"]! == "h")!["expectedGain"]!);

        var filled = await CliRunner.Run("rmab", "plan", "--arms", path, "--budget", "3", "--expr", "state", "--fill-budget", "--json");
        JsonNode full = CliJson.Parse(filled.Out)!;
        Assert.Equal(3, full["calls"]!.AsArray().Count);
        Assert.Equal(0, (int)full["unused"]!);
        Assert.True((bool)full["fillBudget"]!);
    }

    [Fact]
    public async Task FillBudget_WithPpo_Exit2_NamingTheOption()
    {
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("h.csv", Harm), "--budget", "1", "--expr", "state", "--planner", "ppo", "--fill-budget");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("--fill-budget", stderr);
    }

    [Fact]
    public async Task ExtraColumns_GoIntoPlanCsv_AfterThePlansColumns_WithTheirText()
    {
        string outDir = Path.Combine(_dir, "out");
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("x.csv", WithExtras), "--budget", "2", "--expr", "state", "--out", outDir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Patil, A. \"Asha\"", stdout); // the console shows the first extra columns too
        string text = File.ReadAllText(Path.Combine(outDir, "plan.csv"));
        Assert.StartsWith("id,rank,call,whittle_index,expected_gain,state,indexable,name,village,phone\n", text);
        // Quotes, commas, line breaks and non-ASCII text come back byte for byte, RFC 4180-quoted where needed.
        Assert.Contains(",\"Patil, A. \"\"Asha\"\"\",पुणे,98 765\n", text);
        Assert.Contains(",Meera,\"Kurla, East\",", text);
        Assert.Contains(",\"Rao\nS.\",,x\n", text);
        // A text a spreadsheet would run as a formula keeps its text after a defusing apostrophe (CsvTables.Defuse).
        Assert.Contains(",'+91 98\n", text);

        using CsvReader reader = CsvReader.FromText(text, CsvReaderOptions.Default);
        reader.ReadHeader();
        var read = new Dictionary<string, string[]>();
        while (reader.Read()) read[reader.GetString(0)] = [reader.GetString(7), reader.GetString(8), reader.GetString(9)];
        Assert.Equal(["Patil, A. \"Asha\"", "पुणे", "98 765"], read["a"]);
        Assert.Equal(["Rao\nS.", "", "x"], read["c"]);
    }

    [Fact]
    public async Task SemicolonTabAndBomExports_GiveTheSamePlanCsv_AsTheCommaFile()
    {
        // Bug caught: a semicolon export failed with "missing column id" (read as one column).
        const string csv = "name,id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_60,village\n" +
            "\"A. \"\"Asha\"\"\",a,0,0.1,0.6,0.5,0.8,1,पुणे\nMeera,b,1,0.2,0.7,0.3,0.9,0,Kurla\nRao,c,0,0.3,0.5,0.1,0.4,1,\n";
        async Task<string> PlanCsv(string name, string text, bool bom = false)
        {
            string outDir = Path.Combine(_dir, "out-" + name);
            var (exit, _, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write(name, text, bom), "--budget", "2", "--expr", "state", "--out", outDir);
            Assert.True(exit == 0, stderr);
            return File.ReadAllText(Path.Combine(outDir, "plan.csv"));
        }
        string comma = await PlanCsv("c.csv", csv);
        Assert.Equal(comma, await PlanCsv("s.csv", csv.Replace(',', ';')));
        Assert.Equal(comma, await PlanCsv("t.tsv", csv.Replace(',', '\t')));
        Assert.Equal(comma, await PlanCsv("b.csv", csv, bom: true));
    }

    [Fact]
    public async Task ConsolePrintsTheTopOfTheList_NotEveryCall()
    {
        var sb = new StringBuilder("id,state,p01_passive,p11_passive,p01_active,p11_active\n");
        for (int i = 0; i < 40; i++) sb.Append(CultureInfo.InvariantCulture, $"b{i:00},0,0.1,0.5,{0.2 + i / 100.0:R},0.7\n");
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("many.csv", sb.ToString()), "--budget", "30", "--expr", "state");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Call 30 of 40", stdout);
        Assert.Equal(20, stdout.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"│\s+\d+ │ b\d\d ")));
        Assert.Contains("... and 10 more calls", stdout);
    }

    [Fact]
    public async Task ExprAtFile_IsAnExpression_AndTheFileIsNeverEchoed()
    {
        // Response files are off (issue 15): `--expr @file` is the text "@file", refused by the sandbox; the file's
        // contents (here a stand-in secret) never reach the error.
        string secret = Write("secret.txt", "state * 2 // TOP-SECRET-7781");
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", Write("h.csv", Harm), "--budget", "1", "--expr", "@" + secret);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("--expr", stderr);
        Assert.DoesNotContain("TOP-SECRET", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Help_ListsEveryAcceptedFeatureName()
    {
        var (exit, stdout, _) = await CliRunner.Run("rmab", "plan", "--help");
        Assert.Equal(0, exit);
        string flat = System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " ");
        foreach (string name in Tandem.Rmab.Model.Features.ColumnNames) Assert.Contains(name, flat);
        Assert.Contains("--fill-budget", stdout);
    }

    [Fact]
    public void Docs_ListEveryFeatureName_AndThePlanCsvColumns()
    {
        // The accepted names live in Features.ColumnNames; docs/rmab-plan.md must not drift from them.
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Tandem.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root");
        string doc = File.ReadAllText(Path.Combine(root, "docs", "rmab-plan.md"));
        for (int i = 0; i < Tandem.Rmab.Model.Features.Count; i++)
            Assert.Contains($"| {i} | `{Tandem.Rmab.Model.Features.ColumnNames[i]}` | {Tandem.Rmab.Model.Features.Names[i]} |", doc);
        foreach (string column in new[] { "id", "rank", "call", "whittle_index", "expected_gain", "state", "indexable" })
            Assert.Contains($"| `{column}`", doc);
    }

    [Theory]
    [InlineData("id;state;p01_passive;p11_passive;p01_active;p11_active\na;0;0,1;0,6;0,5;0,8\n", "row 2, field p01_passive: '0,1' is not a number (a decimal comma? write 0.1)")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active,Lang_Hindi2\na,0,0.1,0.6,0.5,0.8,1\n", "field Lang_Hindi2: looks like a feature but is not one")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active,rank\na,0,0.1,0.6,0.5,0.8,1\n", "field rank: plan.csv writes a column of this name")]
    [InlineData("id,state,p01_passive,p11_passive,p01_active,p11_active,x\na,0,0.1,0.6,0.5,0.8\n", "row 2: 6 fields, the header has 7")]
    public async Task BadFile_Exit2_OneLine_NothingWritten(string csv, string message)
    {
        string path = Write("bad.csv", csv);
        string outDir = Path.Combine(_dir, "never");
        var (exit, stdout, stderr) = await CliRunner.Run("rmab", "plan", "--arms", path, "--budget", "1", "--expr", "state", "--out", outDir);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains(path, stderr);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(outDir));
    }
}
