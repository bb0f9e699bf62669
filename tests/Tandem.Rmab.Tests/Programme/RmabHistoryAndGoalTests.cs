using System.Globalization;
using System.Text;
using Tandem.Core.Ports;
using Tandem.Core.Randomness;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.History;
using Tandem.Rmab.Model;
using Tandem.Rmab.Programme;

namespace Tandem.Rmab.Tests.Programme;

public sealed class RmabHistoryAndGoalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-rmab-goal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 80 beneficiaries × 12 weeks with age and Hindi columns, from the cohort generator's transitions.
    private string History()
    {
        var instance = Tandem.Rmab.Cohort.CohortGenerator.Sample(Fixtures.Generator.Population(2), 80, 8, 3);
        var (engaged, called) = HistoryValidation.Simulate(instance, 12, 0.3, 4);
        int[] columns = [7, 8, 9, 10, 11, 12];
        var sb = new StringBuilder("id,week,engaged,called," + string.Join(",", columns.Select(f => Features.ColumnNames[f])) + "\n");
        for (int t = 0; t < 12; t++)
            for (int i = 0; i < 80; i++)
                sb.Append(CultureInfo.InvariantCulture, $"m{i},{t},{engaged[i, t]},{called[i, t]},").AppendJoin(',', columns.Select(f => instance.FeatureRows[i][f])).Append('\n');
        string path = Path.Combine(_dir, "history.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void PlanFromHistory_EqualsPlanFromTheEstimatesWrittenAsAnArmsFile()
    {
        // `plan --history` must plan on exactly what `estimate` writes to arms.csv (state = last week, means as transitions).
        string history = History();
        RmabEstimateResult est = RmabHistory.Estimate(new RmabEstimateOptions { HistoryFile = history });
        var lines = new List<string> { "id,state,p01_passive,p11_passive,p01_active,p11_active," + string.Join(",", est.Histories.FeatureColumns.Select(f => Features.ColumnNames[f])) };
        foreach (BeneficiaryRow r in est.Rows())
            lines.Add(FormattableString.Invariant($"{r.Id},{r.State},{r.Dynamics.Passive0:R},{r.Dynamics.Passive1:R},{r.Dynamics.Active0:R},{r.Dynamics.Active1:R},") +
                string.Join(",", est.Histories.FeatureColumns.Select(f => r.Features[f].ToString("R", CultureInfo.InvariantCulture))));
        string arms = Path.Combine(_dir, "arms.csv");
        File.WriteAllLines(arms, lines);

        RmabPlanResult fromHistory = RmabProgramme.Plan(new RmabPlanOptions { HistoryFile = history, Budget = 8, Expression = "state * (1.0 + feats[11])", Seed = 2 });
        RmabPlanResult fromArms = RmabProgramme.Plan(new RmabPlanOptions { ArmsFile = arms, Budget = 8, Expression = "state * (1.0 + feats[11])", Seed = 2 });

        Assert.Equal(fromArms.Summary.All, fromHistory.Summary.All);
        Assert.Equal("history.csv", fromHistory.Summary.File);
        Assert.Equal(["arms.csv", "estimates.csv", "clusters.csv"], est.ToReport().Files.Select(f => f.Name));
    }

    [Fact]
    public async Task Goal_WithTheSimulatedDesigner_ReadsOnlyTheFilesFeatures_AndIsReproducible()
    {
        string history = History();
        var options = new RmabPlanOptions { HistoryFile = history, Budget = 8, Goal = "While still prioritizing all, slightly focus on the oldest by age distribution.", Seed = 5,
            GoalLoop = new DlmLoopOptions(Stages: 2, Candidates: 2) };

        RmabPlanResult a = await RmabProgramme.PlanAsync(options);
        RmabPlanResult b = await RmabProgramme.PlanAsync(options);

        GoalOutcome goal = Assert.IsType<GoalOutcome>(a.Summary.Goal);
        Assert.Equal([11], goal.Grounded);
        Assert.All(Tandem.Rmab.Rewards.RewardSandbox.Parse(a.Summary.Reward).FeaturesUsed, f => Assert.Contains(f, new[] { 7, 8, 9, 10, 11, 12 }));
        Assert.Equal(["Age", "Language"], goal.Distribution.Groups.Select(g => g.Group));
        Assert.Equal(100, goal.Distribution.Groups[0].Shares.Sum(s => s.Percent), 6); // every beneficiary has one age bin
        Assert.Equal(a.Summary.All, b.Summary.All);
        Assert.Equal(a.Summary.Reward, b.Summary.Reward);
        Assert.Contains(a.ToReport().Files, f => f.Name == "distribution.csv");
    }

    [Theory]
    [InlineData("Slightly focus on those who speak Marathi.", "Speaks Marathi (lang_marathi)")]
    [InlineData("Favour the lowest income earners.", "Income -1 (none) (income_none)")]
    [InlineData("Prefer beneficiaries by phone.", "Phone owner (any of phone_owner_woman, phone_owner_husband, phone_owner_family)")]
    public async Task Goal_NamingFeaturesTheFileLacks_IsRefusedBeforeAnyDesign(string goal, string named)
    {
        var options = new RmabPlanOptions { HistoryFile = History(), Budget = 8, Goal = goal };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => RmabProgramme.PlanAsync(options));

        Assert.Equal("Goal", ex.ParamName);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains("has no column for", ex.Message, StringComparison.Ordinal);
        Assert.Contains("age_10_20", ex.Message, StringComparison.Ordinal); // the columns it does have
    }

    [Fact]
    public async Task Goal_ThatNamesNothing_AndOracleDesigner_AreRefused()
    {
        string history = History();
        var vague = await Assert.ThrowsAsync<ArgumentException>(() => RmabProgramme.PlanAsync(new RmabPlanOptions { HistoryFile = history, Budget = 8, Goal = "Do good." }));
        var oracle = await Assert.ThrowsAsync<ArgumentException>(() => RmabProgramme.PlanAsync(
            new RmabPlanOptions { HistoryFile = history, Budget = 8, Goal = "Focus on the oldest.", Designer = new DesignerSpec { Name = "oracle" } }));

        Assert.Contains("names no feature", vague.Message, StringComparison.Ordinal);
        Assert.Equal("Designer", oracle.ParamName);
        Assert.Throws<ArgumentException>(() => RmabProgramme.Plan(new RmabPlanOptions { HistoryFile = history, Budget = 8, Goal = "Focus on the oldest." }));
    }

    [Fact]
    public async Task AvailableFeatures_RefusesAProposalReadingAMissingFeature_BackToTheDesigner()
    {
        var inner = new ScriptedDesigner("state * (1.0 + feats[13])", "state * (1.0 + feats[12])");
        var designer = new RmabGoal.AvailableFeatures(inner, new HashSet<int> { 12 }, "h.csv");
        var request = new ProposalRequest(new DlmTask(-1, "goal", "Hindi", "state"), 0, 0, [], [], 1);

        PortAnswer<RewardProposal> first = await designer.ProposeAsync(request);
        PortAnswer<RewardProposal> second = await designer.ProposeAsync(request);

        Assert.False(first.IsGiven);
        Assert.Contains("feats[13] (Speaks Marathi), which h.csv does not have", first.Reason, StringComparison.Ordinal);
        Assert.Equal("state * (1.0 + feats[12])", second.Value.Expression);
    }

    [Theory]
    [InlineData("both", "HistoryFile")]
    [InlineData("estimate-without-history", "Estimate")]
    [InlineData("designer-without-goal", "Designer")]
    [InlineData("goal-and-expr", "Expression")]
    [InlineData("empty-goal", "Goal")]
    public void PlanOptions_NewFields_NameTheBadField(string case_, string field)
    {
        var options = case_ switch
        {
            "both" => new RmabPlanOptions { ArmsFile = "a.csv", HistoryFile = "h.csv", Budget = 1, Expression = "state" },
            "estimate-without-history" => new RmabPlanOptions { ArmsFile = "a.csv", Estimate = new HistoryEstimateOptions(), Budget = 1, Expression = "state" },
            "designer-without-goal" => new RmabPlanOptions { ArmsFile = "a.csv", Designer = new DesignerSpec(), Budget = 1, Expression = "state" },
            "goal-and-expr" => new RmabPlanOptions { ArmsFile = "a.csv", Goal = "oldest", Budget = 1, Expression = "state" },
            _ => new RmabPlanOptions { ArmsFile = "a.csv", Goal = " ", Budget = 1 },
        };

        var ex = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Equal(field, ex.ParamName);
    }

    private sealed class ScriptedDesigner(params string[] answers) : IRewardDesigner
    {
        private int _next;

        public string Name => "scripted";

        public ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(RewardProposal.Proposed(answers[_next++]));

        public ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(PortAnswer<int>.Given(0));
    }
}
