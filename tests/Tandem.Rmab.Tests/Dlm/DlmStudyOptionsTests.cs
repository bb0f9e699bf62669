using Tandem.Rmab.Dlm;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>Options as data: a DLM study is a JSON document; planners and designers are named, not coded.</summary>
public class DlmStudyOptionsTests
{
    [Fact]
    public void AStudyDocument_RoundTrips_WithThePlannerAndDesignerByName()
    {
        var options = new DlmStudyOptions
        {
            Experiment = new DlmExperimentOptions
            {
                Seeds = 3, Arms = 12, Budget = 4, Tasks = [0, 5],
                Planner = new PlannerSpec { Name = RmabPlanners.PpoEstimated, Ppo = new PpoOptions().WithEpochs(6) with { PolicyLearningRate = 1e-3 } },
            },
            Designer = new DesignerSpec { Name = RewardDesigners.Simulated, Simulated = new SimulatedDesignerOptions(DropRate: 0.5), Oracle = new OracleDesignerOptions(KeepProbability: 0.5) },
            DataDirectory = "somewhere",
        };
        string json = options.ToJson();
        DlmStudyOptions back = DlmStudyOptions.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal("ppo-estimated", back.Experiment.Planner.Name);
        Assert.Equal(6, back.Experiment.Planner.Ppo!.Epochs);
        Assert.Equal(2, back.Experiment.Planner.Ppo.FinalFrozenEpochs);
        Assert.Equal(1e-3, back.Experiment.Planner.Ppo.PolicyLearningRate);
        Assert.Equal(0.5, back.Designer.Simulated!.DropRate);
        Assert.Equal(0.25, back.Designer.Simulated.NeighbourRate);
        Assert.Equal(0.5, back.Designer.Oracle!.KeepProbability);
        Assert.Equal(0.67, back.Designer.Oracle.DistractorRate);
        Assert.Equal([0, 5], back.Experiment.Tasks!);
    }

    [Fact]
    public void AMinimalDocument_TakesTheDefaults()
    {
        DlmStudyOptions o = DlmStudyOptions.FromJson("""{ "experiment": { "seeds": 5 } }""");
        Assert.Equal(5, o.Experiment.Seeds);
        Assert.Equal(48, o.Experiment.Arms);
        Assert.Equal(RmabPlanners.Whittle, o.Experiment.Planner.Name);
        Assert.Equal(RewardDesigners.Simulated, o.Designer.Name);
    }

    [Fact]
    public void AnUnknownPlanner_IsRefused_NamingItAndTheAllowedOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => DlmStudyOptions.FromJson("""{ "experiment": { "planner": { "name": "q-learning" } } }"""));
        Assert.Contains("'q-learning'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("whittle, whittle-estimated, ppo, ppo-estimated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownField_OrABadPpoSetting_IsRefused()
    {
        Assert.Throws<FormatException>(() => DlmStudyOptions.FromJson("""{ "experiment": { "sedes": 5 } }"""));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => DlmStudyOptions.FromJson("""{ "experiment": { "planner": { "name": "ppo", "ppo": { "epochs": 0 } } } }"""));
        Assert.Equal(nameof(PpoOptions.Epochs), ex.ParamName);
    }

    [Theory]
    [InlineData("whittle", typeof(WhittlePlanner), false)]
    [InlineData("WHITTLE-estimated", typeof(WhittlePlanner), true)]
    [InlineData("ppo", typeof(PpoPlanner), false)]
    [InlineData("ppo-estimated", typeof(PpoPlanner), true)]
    public void TheCatalog_BuildsEachPlanner(string name, Type type, bool estimated)
    {
        RmabPlannerEntry entry = RmabPlanners.Find(name);
        var spec = new PlannerSpec { Name = name, Ppo = new PpoOptions { Epochs = 3, FinalFrozenEpochs = 1 } };
        IRmabPlanner planner = entry.Create(spec, 42);
        Assert.IsType(type, planner);
        Assert.Equal(estimated, entry.EstimatedTransitions);
        if (planner is PpoPlanner ppo)
        {
            Assert.Equal(42UL, ppo.Seed);
            Assert.Equal(3, ppo.Options.Epochs);
        }
    }

    [Fact]
    public void EpochsFor_KeepsTheAuthorsArmStepsForSmallProgrammes()
    {
        Assert.Equal(40, PpoOptions.EpochsFor(48));
        Assert.Equal(40, PpoOptions.EpochsFor(500));
        Assert.Equal(480, PpoOptions.EpochsFor(4));
        Assert.Equal(1, new PpoOptions().WithEpochs(1).Epochs);
        Assert.Equal(0, new PpoOptions().WithEpochs(1).FinalFrozenEpochs);
    }

    [Fact]
    public void Designers_BuiltInsByName_OthersFromTheHost()
    {
        Assert.IsType<SimulatedDesigner>(RewardDesigners.Create(new DesignerSpec()));
        Assert.IsType<BaseDesigner>(RewardDesigners.Create(new DesignerSpec { Name = "Base" }));
        Assert.IsType<OracleDesigner>(RewardDesigners.Create(new DesignerSpec { Name = "oracle" }));
        var ex = Assert.Throws<ArgumentException>(() => RewardDesigners.Create(new DesignerSpec { Name = "openai:gpt-4o-mini" }));
        Assert.Contains("'openai:gpt-4o-mini'", ex.Message, StringComparison.Ordinal);
        var host = new HostFactory();
        Assert.Same(host.Designer, RewardDesigners.Create(new DesignerSpec { Name = "openai:gpt-4o-mini" }, host));
        Assert.Equal("openai:gpt-4o-mini", host.Asked);
    }

    [Fact]
    public async Task AStudyReadFromJson_GivesTheSameNumbersAsTheSameOptionsBuiltInCode()
    {
        var direct = new DlmExperimentOptions { Seeds = 2, Arms = 12, Budget = 4, Stages = 2, Candidates = 2, Trials = 3, Steps = 3, Tasks = [3], MaxDegreeOfParallelism = 2 };
        DlmStudyOptions parsed = DlmStudyOptions.FromJson(new DlmStudyOptions { Experiment = direct }.ToJson());
        DlmExperimentResult a = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), direct);
        DlmExperimentResult b = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, RewardDesigners.Create(parsed.Designer), parsed.Experiment);
        foreach (string m in DlmMethods.All) Assert.Equal(a.Tasks[0].Returns[m], b.Tasks[0].Returns[m]);
    }

    private sealed class HostFactory : IRewardDesignerFactory
    {
        public IRewardDesigner Designer { get; } = new BaseDesigner();

        public string? Asked { get; private set; }

        public IRewardDesigner? TryCreate(DesignerSpec spec)
        {
            Asked = spec.Name;
            return spec.Name.StartsWith("openai:", StringComparison.Ordinal) ? Designer : null;
        }
    }
}
