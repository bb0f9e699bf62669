using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

public class BoundedAndLogisticTests
{
    private static RecourseProblem Bounded(string norm) => new(
        "bounded",
        [
            new Feature("Intercept", "1", Mutable: false, Constant: true),
            new Feature("Age", "standardized", Mutable: false),
            new Feature("Alcohol", "may only go down", Mutable: true, new FeatureBounds(Direction: ChangeDirection.DecreaseOnly)),
            new Feature("Hours", "hours per day, at least 0", Mutable: true, new FeatureBounds(Lower: 0)),
            new Feature("Diet", "at most 2", Mutable: true, new FeatureBounds(Upper: 2)),
        ],
        [new Treatment("A", "a"), new Treatment("B", "b"), new Treatment("C", "c")],
        RecourseNorm.Parse(norm, 3),
        1.5);

    [Theory]
    [InlineData("l2")]
    [InlineData("l1")]
    [InlineData("linf")]
    [InlineData("mahalanobis")]
    public async Task WithBoxAndDirectionConstraints_EveryDecisionIsFeasible_ForAllPolicies(string norm)
    {
        // The environment throws on any infeasible recourse; the study completing is the check, and the
        // optimal pair (Lemma 1 with bounds) must itself respect the bounds.
        RecourseProblem template = Bounded(norm);
        var random = Seeds.CreateRandom(4);
        double[][] theta = Enumerable.Range(0, 3).Select(_ => { var t = new double[5]; random.FillGaussian(t); return t; }).ToArray();
        var study = new Study<double[], RecourseDecision, RecourseOutcome>(
            run => new RecourseEnvironment(new RecourseTruth(Bounded(norm), theta), new GaussianContextSampler(5), 0.5, null, run.Seed),
            [
                new("GLRB", (run, env) => new GlrbPolicy(((RecourseEnvironment)env).Problem)),
                new("LIBRA", (run, env) => AdvisorGateStage.Libra(new GlrbPolicy(((RecourseEnvironment)env).Problem),
                    new SimulatedQualityAdvisor(((RecourseEnvironment)env).Truth, 0.5, run.CreateRandom("advisor")), new AdvisorGateOptions { Delta = 0.5 })),
            ]);
        StudyResult result = await StudyRunner.RunAsync(study, new RunnerOptions { Horizon = 150, Runs = 2, Seed = 3, MaxDegreeOfParallelism = 1 });
        Assert.All(result.Policies, p => Assert.All(p.Regret, r => Assert.All(r, v => Assert.True(v >= -1e-9, $"negative regret {v}: the optimum is not optimal"))));
    }

    [Fact]
    public void Glrb_LogisticLink_LearnsBernoulliRewards()
    {
        // μ = logistic, r ~ Bernoulli(μ(θ*ᵀx̃)): GLRB fits θ̂ by Newton (IRLS) and its regret per step falls.
        var problem = new RecourseProblem(
            "logistic",
            [new Feature("Intercept", "1", false, Constant: true), new Feature("x1", "", false), new Feature("m1", "", true), new Feature("m2", "", true)],
            [new Treatment("A", "a"), new Treatment("B", "b")],
            RecourseNorm.L2, 1, GlmLink.Logistic);
        var truth = new RecourseTruth(problem, [[-0.5, 1.0, 1.5, -1.0], [0.2, -1.0, 0.5, 1.0]]);
        var sampler = new CohortSampler(Enumerable.Range(0, 50).Select(i => new double[] { 1, Math.Sin(i), Math.Cos(3 * i), Math.Sin(7 * i) }).ToArray());
        var env = new RecourseEnvironment(truth, sampler, 0, null, 11);
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(0.5) });
        var regret = new double[1500];
        for (int t = 0; t < regret.Length; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = glrb.Decide(x);
            RecourseOutcome o = env.Respond(x, d);
            Assert.True(o.Reward is 0 or 1);
            regret[t] = env.OptimalExpectedReward(x) - o.ExpectedReward;
            glrb.Learn(d, o);
        }
        double early = regret.Take(300).Average(), late = regret.Skip(1200).Average();
        Assert.True(late < early / 2, $"per-step regret should halve: early {early:F4}, late {late:F4}");
        Assert.Equal(0.25, Links.LipschitzConstant(GlmLink.Logistic));
    }
}
