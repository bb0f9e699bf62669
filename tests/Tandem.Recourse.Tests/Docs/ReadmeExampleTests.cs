using Tandem.Core.Composition;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Core.State;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Docs;

// The README's "Library use" example, kept compiling and correct: if this test changes, change the README too.
public class ReadmeExampleTests
{
    [Fact]
    public async Task LibraryUse_DecideLearnLater_SaveRestore_Compose()
    {
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, gamma: 3);
        IRecourseAdvisor advisor = scenario.CreateClinician(problem);            // or an LlmRecourseAdvisor
        var libra = AdvisorGateStage.Libra(new GlrbPolicy(problem), advisor, new AdvisorGateOptions { Delta = 1 });

        RecourseWorld world = scenario.CreateWorld(problem, new RunContext(0, 1));
        var environment = new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, nonCompliance: null, seed: 2);
        double[] patient = environment.NextContext();
        RecourseDecision d = await libra.DecideAsync(patient);   // owned: d.Id, d.Time, d.Arm, d.Recourse, d.Probabilities, d.Notes
        double[] next = environment.NextContext();
        RecourseDecision d2 = await libra.DecideAsync(next);      // a second visit before the first outcome is known
        RecourseOutcome outcome = environment.Respond(patient, d);
        await libra.LearnAsync(patient, d, outcome);              // learns d's own recourse and arm, whenever it arrives

        string saved = PolicyStates.Serialize(libra.ExportState());   // whole state, random generators included
        var restored = AdvisorGateStage.Libra(new GlrbPolicy(problem), scenario.CreateClinician(problem), new AdvisorGateOptions { Delta = 1 });
        restored.ImportState(PolicyStates.Deserialize(saved));
        await restored.LearnAsync(next, d2, environment.Respond(next, d2));   // the pending decision survives the restore

        var explored = new PolicyBuilder<double[], RecourseDecision, RecourseOutcome>(new GlrbPolicy(problem))
            .Use(p => new MinimumExplorationStage<double[], RecourseDecision, RecourseOutcome>(p, new MinimumExplorationOptions { Epsilon = 0.05 }, Seeds.CreateRandom(7)))
            .Build();
        RecourseDecision e = await explored.DecideAsync(patient);

        Assert.Equal(problem.ArmCount, d.Probabilities.Length);
        Assert.All(e.Probabilities, p => Assert.True(p >= 0.05 / problem.ArmCount));
        await Assert.ThrowsAsync<Tandem.Core.Decisions.UnknownDecisionException>(() => libra.LearnAsync(patient, d, outcome).AsTask());
    }
}
