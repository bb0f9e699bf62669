using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>
/// The synthetic study (seed 000 §6.1): d = 20 features, all mutable; K = 10 arms; x ~ N(0, I);
/// θ_a ~ N(0, I) drawn once per run; r = θ_aᵀx̃ + N(0, 1); γ = 3 (L2), Δ = 1, q = 0.8, 10 runs, T = 1000.
/// </summary>
public sealed class SyntheticScenario(int dimension = 20, int arms = 10, double noiseSd = 1.0) : IRecourseScenario
{
    /// <inheritdoc />
    public string Name => "synthetic";

    /// <inheritdoc />
    public ScenarioDefaults Defaults { get; } = new(Horizon: 1000, Runs: 10, Gamma: 3, Delta: 1, Advisor: "simulated:q=0.8", Rho: 4, Lambda: 1, NoiseScale: noiseSd);

    /// <inheritdoc />
    public string RewardLabel => "reward";

    /// <inheritdoc />
    public RecourseProblem CreateProblem(RecourseNorm norm, double gamma) => new(
        Name,
        Enumerable.Range(1, dimension).Select(i => new Feature($"x{i}", $"synthetic feature {i}, standard normal", Mutable: true)).ToArray(),
        Enumerable.Range(1, arms).Select(a => new Treatment($"arm {a}", $"synthetic treatment {a}")).ToArray(),
        norm,
        gamma,
        goal: "maximize the reward");

    /// <inheritdoc />
    public RecourseWorld CreateWorld(RecourseProblem problem, RunContext run)
    {
        Random random = run.CreateRandom("synthetic-theta");
        var theta = new double[arms][];
        for (int a = 0; a < arms; a++)
        {
            theta[a] = new double[dimension];
            random.FillGaussian(theta[a]);
        }
        return new RecourseWorld(new RecourseTruth(problem, theta), new GaussianContextSampler(dimension), noiseSd);
    }

    /// <inheritdoc />
    public IRecourseAdvisor? CreateClinician(RecourseProblem problem) => null;
}
