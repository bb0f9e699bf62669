using System.Text.Json.Nodes;
using Tandem.Cli.Commands;
using Tandem.Core.Composition;
using Tandem.Core.Running;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;
using Tandem.Reporting;

namespace Tandem.Cli.Tests;

public sealed class BatchRegretCommandTests : IDisposable
{
    private readonly string _folder = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Out(string name) => Path.Combine(_folder, name);

    // Catches: any drift between deciding from a restored snapshot and the live learner (a state field missing from
    // LinUCB's or GLRB's snapshot, an inexact round trip of a double, the issuer's ids not handed over).
    [Theory]
    [InlineData("synthetic")]
    [InlineData("hypertension")]
    public async Task BatchSizeOne_EqualsTheOnlineLearners_BitForBit(string env)
    {
        LibraStudyPlan plan = LibraStudy.Create(Scenarios.Create(env), new LibraStudyOptions { Policies = ["linucb", "glrb"] });
        var factories = plan.Study.Policies.SelectMany(f => new[] { f, SnapshotBatching.Wrap(f, 1, f.Name + " B=1") }).ToArray();
        StudyResult result = await StudyRunner.RunAsync(new Study<double[], RecourseDecision, RecourseOutcome>(plan.Study.CreateEnvironment, factories),
            new RunnerOptions { Horizon = 150, Runs = 2, Seed = 5, MaxDegreeOfParallelism = 1 });

        for (int p = 0; p < factories.Length; p += 2)
        {
            PolicyTrace online = result.Policies[p], batched = result.Policies[p + 1];
            for (int run = 0; run < 2; run++)
            {
                Assert.Equal(online.Arms[run], batched.Arms[run]);
                Assert.Equal(online.Regret[run], batched.Regret[run]);
                Assert.Equal(online.Reward[run], batched.Reward[run]);
            }
        }
    }

    [Fact]
    public async Task Json_ReportsEveryCell_WritesCurvesAndFigures_AndRepeatsWithTheSameSeed()
    {
        string[] args = ["batch-regret", "--env", "synthetic", "--runs", "3", "--horizon", "60", "--batch-sizes", "20,5", "--seed", "4", "--parallel", "1", "--json"];
        var (exit, stdout, stderr) = await CliRunner.Run([.. args, "--out", Out("a")]);

        Assert.True(exit == 0, stderr);
        JsonNode envelope = JsonNode.Parse(stdout)!;
        IReadOnlyList<string> errors = SchemaValidator.Validate(SchemaCommand.For("batch-regret"), envelope);
        Assert.True(errors.Count == 0, string.Join(" | ", errors));
        JsonNode root = CliJson.Parse(stdout)!;
        Assert.Equal([1, 5, 20], root["batchSizes"]!.AsArray().Select(b => (int)b!));
        JsonArray cells = root["cells"]!.AsArray();
        Assert.Equal(6, cells.Count); // LinUCB and GLRB at B = 1, 5, 20
        foreach (JsonNode? cell in cells.Where(c => (int)c!["batchSize"]! == 1))
            Assert.Equal(0.0, (double)cell!["extraRegretMean"]!); // paired with itself
        string curves = File.ReadAllLines(Path.Combine(Out("a"), "curves.csv"))[0];
        Assert.Equal("series,step,statistic,value", curves);
        foreach (string file in new[] { "final-regret.csv", "final-regret-synthetic.png", "regret-synthetic.png", "report.html", "manifest.json" })
            Assert.True(File.Exists(Path.Combine(Out("a"), file)), file);

        var again = await CliRunner.Run([.. args, "--out", Out("b")]);
        Assert.Equal(cells.ToJsonString(), CliJson.Parse(again.Out)!["cells"]!.ToJsonString());
    }

    [Fact]
    public async Task BadInput_IsOneLineNamingTheOption()
    {
        CliRunner.AssertUsageError(await CliRunner.Run("batch-regret", "--batch-sizes", "1,0", "--out", Out("x")), "--batch-sizes 0");
        CliRunner.AssertUsageError(await CliRunner.Run("batch-regret", "--batch-sizes", "1,ten", "--out", Out("x")), "'ten' is not a whole number");
        CliRunner.AssertUsageError(await CliRunner.Run("batch-regret", "--policies", "glrb,libra", "--out", Out("x")), "--policies 'libra' is not allowed");
        CliRunner.AssertUsageError(await CliRunner.Run("batch-regret", "--env", "mars", "--out", Out("x")), "--env 'mars' is not allowed");
        CliRunner.AssertUsageError(await CliRunner.Run("batch-regret", "--runs", "1", "--out", Out("x")), "--runs 1");
        Assert.False(Directory.Exists(Out("x")));
    }
}
