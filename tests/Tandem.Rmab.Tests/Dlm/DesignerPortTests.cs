using Tandem.Core.Ports;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>The designer port answers with PortAnswer; a StudyStopException is never a fallback.</summary>
public class DesignerPortTests
{
    private static RmabInstance Instance() => CohortGenerator.Sample(Fixtures.Generator.Population(1), 24, 6, 3);

    [Fact]
    public async Task AStudyStop_FromTheDesigner_PropagatesUnchanged_FromTheLoopAndTheExperiment()
    {
        var stop = new StudyStopException("cost guard reached: 10 calls");
        var designer = new ScriptedDesigner { OnPropose = _ => throw stop };
        RmabInstance instance = Instance();
        var ex = await Assert.ThrowsAsync<StudyStopException>(async () =>
            await DlmLoop.RunAsync(Fixtures.Tasks.Tasks[0], instance, instance.Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(1, 1, 3), 1, 0.9));
        Assert.Same(stop, ex);
        var options = new DlmExperimentOptions { Seeds = 1, Arms = 12, Budget = 4, Stages = 1, Candidates = 1, Trials = 2, Steps = 2, Tasks = [0] };
        await Assert.ThrowsAsync<StudyStopException>(() => DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, designer, options));
    }

    [Fact]
    public async Task AStudyStop_FromTheReflector_IsNotKeptAsCandidateZero()
    {
        var designer = new ScriptedDesigner
        {
            OnPropose = r => RewardProposal.Proposed(r.Candidate == 0 ? "state" : "state * 2.0"),
            OnSelect = _ => throw new StudyStopException("replay cassette has no answer"),
        };
        RmabInstance instance = Instance();
        await Assert.ThrowsAsync<StudyStopException>(async () =>
            await DlmLoop.RunAsync(Fixtures.Tasks.Tasks[0], instance, instance.Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(1, 2, 0), 1, 0.9));
    }

    [Fact]
    public async Task TheSimulatedReflector_AbstainsWithAReason_OnNoCandidates()
    {
        PortAnswer<int> a = await new SimulatedDesigner().SelectAsync(new ReflectionRequest(Fixtures.Tasks.Tasks[0], 0, [], 1));
        Assert.False(a.IsGiven);
        Assert.Equal("no candidates to compare", a.Reason);
    }
}
