using Tandem.Core.Running;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Tests;

/// <summary>Small worlds for tests.</summary>
internal static class TestWorlds
{
    public static RunContext Run(int i = 0, ulong seed = 7) => new(i, Tandem.Core.Randomness.Seeds.Derive(seed, i));

    public static (RecourseProblem Problem, RecourseEnvironment Environment) Hypertension(ulong seed = 7, INonCompliance? nonCompliance = null)
    {
        var scenario = new HypertensionScenario();
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        RecourseWorld world = scenario.CreateWorld(problem, Run(0, seed));
        return (problem, new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, nonCompliance, seed));
    }

    public static (RecourseProblem Problem, RecourseEnvironment Environment) Synthetic(ulong seed = 7, int d = 20, int k = 10)
    {
        var scenario = new SyntheticScenario(d, k);
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        RecourseWorld world = scenario.CreateWorld(problem, Run(0, seed));
        return (problem, new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, null, seed));
    }

    /// <summary>A hand-made decision (id 1) for environment tests.</summary>
    public static RecourseDecision Decision(int arm, double[] recourse, int armCount = 4) => new()
    {
        Id = new Tandem.Core.Decisions.DecisionId(1),
        Time = DateTimeOffset.UnixEpoch,
        Arm = arm,
        Probabilities = Tandem.Core.Decisions.ProbabilityVectors.OneHot(armCount, arm),
        Recourse = RecourseDecision.Copy(recourse),
    };

    public static string DataDirectory()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Tandem.slnx"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found"), "data");
    }
}
