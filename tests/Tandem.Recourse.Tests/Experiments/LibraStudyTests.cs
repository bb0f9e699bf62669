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
    public async Task Hypertension_WithAnAdvisorOfStatedQuality_TheRobustClaimsHold_In8Of10Runs()
    {
        // Issue 11 item 3, with the defaults and q = 0.9 (docs/libra-claims.md). Measured on study seeds 1, 2, 3: the warm start,
        // the flattening queries and "LIBRA beats its q = 0 control" held in 10/10 runs each time, GLRB explored both arms
        // in 10/10. GLRB's sublinearity criterion held in 10, 6 and 8 of 10 runs, so it is reported, not asserted here.
        var options = new LibraStudyOptions { Policies = ["glrb", "libra", "libra-q0"], Advisors = [AdvisorSpec.Parse("simulated:q=0.9")] };
        StudyResult result = await Run("hypertension", options, 500, 10, seed: 1);
        IReadOnlyList<ClaimCheck> claims = LibraMeasures.CheckClaims(result, arms: 2);
        foreach (ClaimCheck c in claims) output.WriteLine($"{c.Holds}/{c.Runs}: {c.Claim} ({c.Measure})");
        ClaimCheck Claim(string start) => claims.Single(c => c.Claim.StartsWith(start, StringComparison.Ordinal));
        Assert.Equal(10, Claim("GLRB explores every arm").Holds);
        Assert.True(Claim("LIBRA has lower cumulative regret than GLRB at step 50").Holds >= 8);
        Assert.True(Claim("LIBRA's queries flatten").Holds >= 8);
        Assert.True(Claim("LIBRA ends with lower cumulative regret than LIBRA (q=0)").Holds >= 8);
    }

    [Fact]
    public void Claims_CountRunByRun_AgainstClosedFormRegret()
    {
        // Two runs of 300 steps: GLRB's regret 1 per step until step 150 then 0 (sublinear) in run 0, flat 1 (linear) in run 1.
        // A check that compares halves on average, or uses the wrong window, counts run 1 as sublinear.
        var glrb = new PolicyTrace("GLRB", 2);
        glrb.Regret[0] = [.. Enumerable.Range(0, 300).Select(t => t < 150 ? 1.0 : 0.0)];
        glrb.Regret[1] = [.. Enumerable.Repeat(1.0, 300)];
        glrb.Arms[0] = [.. Enumerable.Range(0, 300).Select(t => t % 2)];
        glrb.Arms[1] = [.. Enumerable.Range(0, 300).Select(t => t < 4 ? 1 : 0)];
        glrb.AdvisorQueries[0] = new bool[300];
        glrb.AdvisorQueries[1] = new bool[300];
        var result = new StudyResult(new RunnerOptions { Horizon = 300, Runs = 2 }, [glrb], TimeSpan.Zero, 600);
        IReadOnlyList<ClaimCheck> claims = LibraMeasures.CheckClaims(result, arms: 2);
        Assert.Equal(1, claims.Single(c => c.Claim.StartsWith("GLRB's regret is sublinear", StringComparison.Ordinal)).Holds);
        Assert.Equal(1, claims.Single(c => c.Claim.StartsWith("GLRB explores every arm", StringComparison.Ordinal)).Holds); // run 1 pulls arm 1 four times
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
