using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tandem.Cli.Tests;

public sealed class LibraCohortCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 60 patients, two treatments, an outcome linear in the features plus a deterministic wobble.
    private string Cohort(Func<int, string>? treatment = null, string? replaceRow = null)
    {
        var text = new StringBuilder("age,exercise,sleep,arm,score\n");
        for (int i = 0; i < 60; i++)
        {
            double age = 30 + i % 17, exercise = i % 5, sleep = 6 + (i * 7 % 11) / 5.0;
            string arm = treatment?.Invoke(i) ?? (i % 2 == 0 ? "walk" : "drug");
            double score = 10 - 0.1 * age + (arm == "walk" ? 0.8 : 0.3) * exercise + 0.5 * sleep + Math.Sin(i);
            text.Append(string.Create(CultureInfo.InvariantCulture, $"{age},{exercise},{sleep},{arm},{score:R}\n"));
        }
        string content = text.ToString();
        if (replaceRow is not null)
        {
            string[] lines = content.Split('\n');
            lines[3] = replaceRow;
            content = string.Join('\n', lines);
        }
        string path = Path.Combine(_dir, "cohort.csv");
        File.WriteAllText(path, content);
        return path;
    }

    private string Out => Path.Combine(_dir, "out");

    private static string[] Args(string path, params string[] more) =>
        ["libra", "--env", "csv:" + path, "--treatment", "arm", "--outcome", "score", "--mutable", "exercise,sleep", "--bounds", "exercise=0:4,sleep=4:10",
         "--horizon", "30", "--runs", "2", "--json", .. more];

    [Fact]
    public async Task Csv_RunsThePolicies_AndPrintsTheFitWithStandardErrors()
    {
        var (exit, stdout, stderr) = await CliRunner.Run(Args(Cohort(), "--out", Out));
        Assert.True(exit == 0, stderr);
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal("csv", (string)root["env"]!);
        Assert.Equal(["LinUCB", "LLM-only", "GLRB", "LIBRA", "LIBRA (q=0)"], root["policies"]!.AsArray().Select(p => (string)p!["name"]!).ToArray());
        JsonArray fitted = root["fittedMutableCoefficients"]!.AsArray();
        Assert.Equal(["drug", "walk"], fitted.Select(f => (string)f!["treatment"]!).ToArray());
        Assert.Equal(["Intercept", "age", "exercise", "sleep"], fitted[0]!["features"]!.AsArray().Select(f => (string)f!).ToArray());
        Assert.All(fitted, f => Assert.All(f!["standardErrors"]!.AsArray(), se => Assert.True((double)se! > 0)));
        // Exercise helps more under "walk" (0.8 vs 0.3 per unit in the data): the fitted standardised slopes say so.
        Assert.True((double)fitted[1]!["ours"]![2]! > (double)fitted[0]!["ours"]![2]!);
        Assert.True(File.Exists(Path.Combine(Out, "report.html")));
    }

    [Theory]
    [InlineData("--outcome", "nope", "outcome column 'nope' not found")]
    [InlineData("--treatment", "nope", "treatment column 'nope' not found")]
    [InlineData("--mutable", "exercise,sleep,nope", "mutable column 'nope' not found")]
    [InlineData("--bounds", "exercise=3", "--bounds 'exercise=3' is not COL=lo:hi")]
    [InlineData("--bounds", "age=0:1", "not a mutable column")]
    [InlineData("--link", "probit", "--link 'probit' is unknown")]
    public async Task BadColumnsOrOptions_Exit2_OneLine_NothingWritten(string option, string value, string message)
    {
        string[] args = CliRunner.WithOption(Args(Cohort(), "--out", Out), option, value);
        CliRunner.AssertUsageError(await CliRunner.Run(args), message);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task NonNumericCell_NamesRowAndColumn()
    {
        string path = Cohort(replaceRow: "31,2,abc,walk,4.5");
        CliRunner.AssertUsageError(await CliRunner.Run(Args(path, "--out", Out)), "row 4, column sleep: 'abc' is not a number");
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task OneLevelTreatment_AndTooFewRows_AreRefused()
    {
        CliRunner.AssertUsageError(await CliRunner.Run(Args(Cohort(_ => "walk"), "--out", Out)), "treatment column 'arm' has one level ('walk')");
        CliRunner.AssertUsageError(await CliRunner.Run(Args(Cohort(i => i < 5 ? "drug" : "walk"), "--out", Out)), "treatment 'drug' has 5 rows");
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task CohortOptions_WithoutCsv_AreRefused()
    {
        CliRunner.AssertUsageError(await CliRunner.Run("libra", "--env", "fertility", "--treatment", "x", "--out", Out), "apply to --env csv:PATH");
        CliRunner.AssertUsageError(await CliRunner.Run("libra", "--env", "csv:" + Cohort(), "--outcome", "score", "--mutable", "sleep", "--out", Out), "--treatment");
        Assert.False(Directory.Exists(Out));
    }
}
