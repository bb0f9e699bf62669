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

    /// <summary>A small logistic-link world (Bernoulli rewards).</summary>
    public static RecourseEnvironment Logistic(ulong seed = 11)
    {
        var problem = new RecourseProblem(
            "logistic",
            [new Feature("Intercept", "1", false, Constant: true), new Feature("x1", "", false), new Feature("m1", "", true), new Feature("m2", "", true)],
            [new Treatment("A", "a"), new Treatment("B", "b")],
            RecourseNorm.L2, 1, Tandem.Core.Numerics.GlmLink.Logistic);
        var truth = new RecourseTruth(problem, [[-0.5, 1.0, 1.5, -1.0], [0.2, -1.0, 0.5, 1.0]]);
        var sampler = new CohortSampler(Enumerable.Range(0, 50).Select(i => new double[] { 1, Math.Sin(i), Math.Cos(3 * i), Math.Sin(7 * i) }).ToArray());
        return new RecourseEnvironment(truth, sampler, 0, null, seed);
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
