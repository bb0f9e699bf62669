using Tandem.Core.Running;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Xunit.Abstractions;

namespace Tandem.Recourse.Tests.Experiments;

public class LibraStudyTests(ITestOutputHelper output)
{
    private static Task<StudyResult> Run(string env, LibraStudyOptions options, int horizon, int runs, ulong seed, int parallel = 2)
    {
        LibraStudyPlan plan = LibraStudy.Create(Scenarios.Create(env, TestWorlds.DataDirectory()), options);
        return StudyRunner.RunAsync(plan.Study, new RunnerOptions { Horizon = horizon, Runs = runs, Seed = seed, MaxDegreeOfParallelism = parallel });
    }

    [Fact]
    public async Task Synthetic_T1000_5Runs_RegretOrder_LibraBelowGlrbBelowLinUcb_AndGlrbIsSublinear()
    {
        StudyResult result = await Run("synthetic", new LibraStudyOptions(), 1000, 5, seed: 2024);
        double Regret(string name) => result.Policies.Single(p => p.Name == name).FinalCumulativeRegret().Average();
        foreach (PolicyTrace p in result.Policies) output.WriteLine($"{p.Name}: mean cumulative regret {Regret(p.Name):F1}, queries {p.QueriesPerRun().Average():F1}");
        Assert.True(Regret("LIBRA") < Regret("GLRB"), "LIBRA should beat GLRB");
        Assert.True(Regret("GLRB") < Regret("LinUCB"), "GLRB should beat LinUCB");

        PolicyTrace glrb = result.Policies.Single(p => p.Name == "GLRB");
        double firstHalf = glrb.Regret.Average(r => r.Take(500).Sum());
        double secondHalf = glrb.Regret.Average(r => r.Skip(500).Sum());
        output.WriteLine($"GLRB regret: first half {firstHalf:F1}, second half {secondHalf:F1}");
        Assert.True(secondHalf < firstHalf, "GLRB's regret in the second half should be below the first half's");
    }

    [Theory]
    [InlineData("hypertension")]
    [InlineData("fertility")]
    public async Task SameSeed_SameNumbers_WhateverTheParallelism(string env)
    {
        StudyResult a = await Run(env, new LibraStudyOptions(), 60, 3, seed: 5, parallel: 1);
        StudyResult b = await Run(env, new LibraStudyOptions(), 60, 3, seed: 5, parallel: 3);
        StudyResult c = await Run(env, new LibraStudyOptions(), 60, 3, seed: 6, parallel: 3);
        for (int p = 0; p < a.Policies.Count; p++)
        {
            Assert.Equal(a.Policies[p].Reward, b.Policies[p].Reward);
            Assert.Equal(a.Policies[p].Regret, b.Policies[p].Regret);
            Assert.Equal(a.Policies[p].AdvisorQueries, b.Policies[p].AdvisorQueries);
        }
        Assert.NotEqual(a.Policies[0].Reward, c.Policies[0].Reward);
    }

    [Fact]
    public async Task SeveralAdvisors_EachGetsItsOwnLibraAndLlmOnly_AndTheFirstDrawsAsIfAlone()
    {
        var two = new LibraStudyOptions { Advisors = [AdvisorSpec.Parse("simulated:q=0.9"), AdvisorSpec.Parse("simulated:q=0.1")] };
        StudyResult both = await Run("synthetic", two, 300, 3, seed: 11);
        StudyResult alone = await Run("synthetic", new LibraStudyOptions { Advisors = [AdvisorSpec.Parse("simulated:q=0.9")] }, 300, 3, seed: 11);

        Assert.Equal(["LinUCB", "LLM-only (simulated:q=0.9)", "LLM-only (simulated:q=0.1)", "GLRB", "LIBRA (simulated:q=0.9)", "LIBRA (simulated:q=0.1)", "LIBRA (q=0)"],
            both.Policies.Select(p => p.Name).ToArray());
        PolicyTrace Named(StudyResult r, string name) => r.Policies.Single(p => p.Name == name);
        // Adding a second advisor changes nothing for the first (its streams are named as before).
        Assert.Equal(Named(alone, "LIBRA").Regret, Named(both, "LIBRA (simulated:q=0.9)").Regret);
        Assert.Equal(Named(alone, "LLM-only").Regret, Named(both, "LLM-only (simulated:q=0.9)").Regret);
        // A near-perfect advisor beats a mostly wrong one when followed blindly.
        double Final(string name) => Named(both, name).FinalCumulativeRegret().Average();
        Assert.True(Final("LLM-only (simulated:q=0.9)") < Final("LLM-only (simulated:q=0.1)"));
    }

    [Fact]
    public void SameAdvisorTwice_IsRefused()
    {
        var options = new LibraStudyOptions { Advisors = [AdvisorSpec.Parse("simulated:q=0.5"), AdvisorSpec.Parse("simulated:q=0.5")] };
        var ex = Assert.Throws<ArgumentException>(() => LibraStudy.Create(new SyntheticScenario(), options));
        Assert.Contains("twice", ex.Message);
    }

    [Theory]
    [InlineData("random:eps=0.5")]
    [InlineData("adversarial:eps=0.5")]
    public async Task NonCompliance_StudiesRun_AndEveryRecourseIsFeasible(string spec)
    {
        // The environment throws on any infeasible recourse, so completing the study is the check.
        StudyResult result = await Run("hypertension", new LibraStudyOptions { NonCompliance = NonComplianceSpec.Parse(spec) }, 100, 2, seed: 9);
        Assert.All(result.Policies, p => Assert.All(p.Regret, r => Assert.Equal(100, r.Length)));
    }

    [Theory]
    [InlineData("l1")]
    [InlineData("linf")]
    [InlineData("mahalanobis")]
    public async Task OtherNorms_Run(string norm)
    {
        StudyResult result = await Run("synthetic", new LibraStudyOptions { Norm = norm }, 50, 1, seed: 1);
        Assert.Equal(5, result.Policies.Count);
    }

    [Fact]
    public async Task GlobalSolver_RunsOnL2()
    {
        StudyResult result = await Run("hypertension", new LibraStudyOptions { Solver = Tandem.Recourse.Policies.OroSolverKind.Global, Policies = ["glrb"] }, 50, 1, seed: 1);
        Assert.Single(result.Policies);
    }

    [Fact]
    public void Specs_ParseAndRefuse()
    {
        Assert.Equal(0.3, AdvisorSpec.Parse("simulated:q=0.3").Quality);
        Assert.Equal("clinician", AdvisorSpec.Parse("Clinician").Kind);
        Assert.Throws<ArgumentException>(() => AdvisorSpec.Parse("simulated:q=1.5"));
        Assert.Throws<ArgumentException>(() => AdvisorSpec.Parse("gpt"));
        Assert.Equal(0.25, NonComplianceSpec.Parse("random:eps=0.25").Epsilon);
        Assert.Throws<ArgumentException>(() => NonComplianceSpec.Parse("random:eps=-1"));
        Assert.Throws<ArgumentException>(() => LibraStudy.Create(new SyntheticScenario(), new LibraStudyOptions { Advisors = [AdvisorSpec.Parse("clinician")] }));
        Assert.Throws<ArgumentException>(() => LibraStudy.Create(new SyntheticScenario(), new LibraStudyOptions { Policies = ["ucb"] }));
    }
}
