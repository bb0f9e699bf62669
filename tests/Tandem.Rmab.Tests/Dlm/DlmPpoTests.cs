using Tandem.Rmab.Dlm;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Tests.Dlm;

public class DlmPpoTests
{
    private static DlmExperimentOptions Tiny(int parallel) => new()
    {
        Seeds = 2, Arms = 12, Budget = 4, Stages = 2, Candidates = 2, Trials = 3, Steps = 3, Tasks = [0, 8], MaxDegreeOfParallelism = parallel,
        Planner = new PlannerSpec { Name = RmabPlanners.Ppo, Ppo = new PpoOptions { Epochs = 4 } },
    };

    [Fact]
    public async Task PpoExperiment_IsDeterministic_RegardlessOfParallelism()
    {
        DlmExperimentResult a = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Tiny(1));
        DlmExperimentResult b = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Tiny(2));
        for (int t = 0; t < a.Tasks.Count; t++)
            foreach (string m in DlmMethods.All) Assert.Equal(a.Tasks[t].Returns[m], b.Tasks[t].Returns[m]);
        Assert.Equal(0, a.NonIndexableArms);
    }

    [Fact]
    public async Task PpoExperiment_WithTheBaseDesigner_ScoresExactlyOne()
    {
        DlmExperimentResult r = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new BaseDesigner(), Tiny(2));
        Assert.All(r.Tasks.SelectMany(t => t.Mnr[DlmMethods.Reflection].Concat(t.Mnr[DlmMethods.NoReflection])), m => Assert.Equal(1.0, m));
    }
}
