using Tandem.Core.Randomness;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Programme;
using Tandem.Rmab.Rewards;
using Tandem.Rmab.Simulation;

namespace Tandem.Rmab.Tests.Programme;

public sealed class RmabProgrammeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-rmab-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 30 beneficiaries with distinct transitions, half of them aged 51-60 (feats[7]), some tied.
    private string Beneficiaries()
    {
        var rng = new Xoshiro256(12);
        var lines = new List<string> { "id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_60" };
        for (int i = 0; i < 30; i++)
        {
            ArmDynamics a = i % 5 == 4 ? new ArmDynamics(0.1, 0.6, 0.5, 0.8) : Fixtures.StructuredArm(rng);
            lines.Add(FormattableString.Invariant($"b{i},{i % 3 % 2},{a.Passive0:R},{a.Passive1:R},{a.Active0:R},{a.Active1:R},{i % 2}"));
        }
        string path = Path.Combine(_dir, "b.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Plan_GivesTheCallListOfCallList_ForTheSameSeed()
    {
        // The entry point must not change the call list the CLI printed before it moved (bit-identical indices and calls).
        var options = new RmabPlanOptions { ArmsFile = Beneficiaries(), Budget = 7, Task = 0, Seed = 5, DataDirectory = Fixtures.DataDirectory };
        RmabPlanResult result = RmabProgramme.Plan(options);

        IReadOnlyList<BeneficiaryRow> rows = ArmFiles.ReadBeneficiaryCsv(options.ArmsFile);
        RewardTable table = Fixtures.Tasks.Tasks[0].BaseExpression.Tabulate(rows.Select(r => r.Features).ToArray());
        var problem = new PlanningProblem(rows.Select(r => r.Dynamics).ToArray(), table, 7, 0.9);
        IReadOnlyList<CallListEntry> reference = CallList.Plan(problem, rows.Select(r => r.State).ToArray(), 5);

        Assert.Equal(reference.Select(e => (rows[e.Arm].Id, e.Index, e.Call, e.Rank)), result.Summary.All.Select(e => (e.Id, e.Index, e.Call, e.Rank)));
        Assert.Equal(7, result.Summary.Calls.Count);
        Assert.Equal("plan.csv", Assert.Single(result.ToReport().Files).Name);
    }

    [Fact]
    public void SavedPlan_RestoredNextWeek_CallsWhatTheKeptPolicyCalls()
    {
        // Bug caught: a saved plan that loses the tie-break stream (or the indices) calls other people next week.
        var options = new RmabPlanOptions { ArmsFile = Beneficiaries(), Budget = 4, Expression = "state", Seed = 3, DataDirectory = Fixtures.DataDirectory };
        RmabPlanResult result = RmabProgramme.Plan(options);
        (RmabSavedPlan saved, PlannedPolicy restored) = RmabSavedPlan.FromJson(result.Saved.ToJson());
        (_, PlannedPolicy kept) = RmabSavedPlan.FromJson(result.Saved.ToJson());
        Assert.Equal(result.Saved.Ids, saved.Ids);
        byte[] nextWeek = Enumerable.Range(0, 30).Select(i => (byte)(i % 2)).ToArray();
        // Replay the kept policy independently from a fresh plan with the same seed: its first act is this week's.
        var fresh = new PlannedPolicy(IndexPolicy.Restore(PolicyStateOf(restored)), Seeds.Derive(3, "call-list"));
        CallList.Plan(fresh, result.Summary.All.OrderBy(e => saved.Ids.ToList().IndexOf(e.Id)).Select(e => (byte)e.State).ToArray());
        var a = CallList.Plan(restored, nextWeek).Select(e => (e.Arm, e.Call)).ToArray();
        var b = CallList.Plan(fresh, nextWeek).Select(e => (e.Arm, e.Call)).ToArray();
        var c = CallList.Plan(kept, nextWeek).Select(e => (e.Arm, e.Call)).ToArray();
        Assert.Equal(b, a);
        Assert.Equal(a, c);
    }

    private static Core.State.PolicyState PolicyStateOf(PlannedPolicy planned) => ((Core.State.IStateful)planned.Policy).ExportState();

    [Fact]
    public void Plan_PreCancelled_Throws()
    {
        var options = new RmabPlanOptions { ArmsFile = Beneficiaries(), Budget = 4, Expression = "state", DataDirectory = Fixtures.DataDirectory, Planner = "ppo" };
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => RmabProgramme.Plan(options, cancellationToken: cts.Token));
    }

    [Theory]
    [InlineData("budget", "Budget")]
    [InlineData("task", "Task")]
    [InlineData("sources", "Expression")]
    [InlineData("planner", "Planner")]
    [InlineData("lr", "PolicyLearningRate")]
    [InlineData("epochs", "Epochs")]
    [InlineData("overflow", "Expression")]
    public void Plan_BadOptions_NameTheField(string what, string field)
    {
        var options = new RmabPlanOptions { ArmsFile = Beneficiaries(), Budget = 4, Expression = "state", DataDirectory = Fixtures.DataDirectory };
        options = what switch
        {
            "budget" => options with { Budget = 31 },
            "task" => options with { Expression = null, Task = 16 },
            "sources" => options with { Task = 1 },
            "planner" => options with { Planner = "exact" },
            "lr" => options with { Planner = "ppo", PpoLearningRate = 1e200 },
            "epochs" => options with { Planner = "ppo", PpoEpochs = int.MaxValue },
            _ => options with { Expression = "state * (-1.7e308 + 3.4e308 * state)", Budget = 1 },
        };
        var ex = Assert.ThrowsAny<ArgumentException>(() => RmabProgramme.Plan(options));
        Assert.Equal(field, ex.ParamName);
    }

    [Fact]
    public void BadBeneficiaryFile_IsOneLine_NamingFileRowAndField()
    {
        string path = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(path, "id,state,p01_passive,p11_passive,p01_active,p11_active\na,0,0.1,0.2,1.3,0.5\n");
        var ex = Assert.Throws<FormatException>(() => ArmFiles.ReadBeneficiaryCsv(path));
        Assert.Equal($"{path}: row 2, field p01_active: probability 1.3 is outside [0, 1].", ex.Message);
    }

    [Theory]
    [InlineData("Seeds")]
    [InlineData("Arms")]
    [InlineData("Stages")]
    [InlineData("Candidates")]
    [InlineData("Trials")]
    [InlineData("Steps")]
    public void DlmSizes_HaveUpperBounds_NamingTheField(string field)
    {
        // Issue 15, defect 19: int.MaxValue sizes were accepted and the study hung or ran out of memory.
        var o = new DlmExperimentOptions();
        o = field switch
        {
            "Seeds" => o with { Seeds = int.MaxValue },
            "Arms" => o with { Arms = int.MaxValue, Budget = 1 },
            "Stages" => o with { Stages = int.MaxValue },
            "Candidates" => o with { Candidates = int.MaxValue },
            "Trials" => o with { Trials = int.MaxValue },
            _ => o with { Steps = int.MaxValue },
        };
        Assert.Equal(field, Assert.ThrowsAny<ArgumentOutOfRangeException>(() => o.Validated(16)).ParamName);
    }

    [Theory]
    [InlineData("PolicyLearningRate", 1e200)]
    [InlineData("ValueLearningRate", 2.0)]
    [InlineData("HiddenWidth", 1e9)]
    [InlineData("StepsPerEpoch", 1e9)]
    [InlineData("InitialLambda", 1e300)]
    public void PpoSettings_HaveUpperBounds_NamingTheSetting(string field, double value)
    {
        PpoOptions o = field switch
        {
            "PolicyLearningRate" => new PpoOptions { PolicyLearningRate = value },
            "ValueLearningRate" => new PpoOptions { ValueLearningRate = value },
            "HiddenWidth" => new PpoOptions { HiddenWidth = (int)value },
            "StepsPerEpoch" => new PpoOptions { StepsPerEpoch = (int)value },
            _ => new PpoOptions { InitialLambda = value },
        };
        Assert.Equal(field, Assert.Throws<ArgumentOutOfRangeException>(o.Validate).ParamName);
    }

    [Fact]
    public void IndexPolicy_RefusesNaN_InsteadOfLoopingForever()
    {
        // A NaN index (a diverged PPO actor) made Act's walk over equal values stand still: `rmab plan --ppo-lr 1e200` hung.
        Assert.Throws<ArgumentException>(() => new IndexPolicy([double.NaN, 1], [0, 1], [true, true], 1));
    }
}
