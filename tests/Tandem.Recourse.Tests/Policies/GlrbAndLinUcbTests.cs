using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

public class GlrbAndLinUcbTests
{
    [Fact]
    public void Glrb_EveryRecourse_IsFeasible_AndKeepsImmutables()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(3) });
        var xm = new double[2];
        var rm = new double[2];
        for (int t = 0; t < 300; t++)
        {
            double[] x = env.NextContext();
            RecourseDecision d = glrb.Decide(x);
            problem.GetMutable(x, xm);
            problem.GetMutable(d.Recourse.AsSpan(), rm);
            Assert.True(problem.Set.Contains(xm, rm, 1e-9));
            foreach (int i in problem.ImmutableIndices) Assert.Equal(x[i], d.Recourse[i]);
            glrb.Learn(d, env.Respond(x, d));
        }
    }

    [Fact]
    public void Glrb_ConfidenceWidth_Is2RhoTimesTheV1Norm()
    {
        // Seed §3.1: CI = 2 L_μ ρ ‖x̃‖_{V⁻¹}; L_μ = 1 for the identity link. With no data V = λI.
        var (problem, env) = TestWorlds.Hypertension();
        var glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(1.5), Lambda = 2 });
        double[] x = env.NextContext();
        RecourseDecision d = glrb.Decide(x);
        double norm = Math.Sqrt(d.Recourse.Sum(v => v * v) / 2);
        Assert.Equal(2 * 1.5 * norm, d.ConfidenceWidth, 1e-9);
    }

    public static TheoryData<double[]> BadContexts => new()
    {
        new double[] { 1, 2, 3 },
        new double[] { 1, 0, 0, 0, 0, 0, double.NaN, 0, 0 },
        new double[] { 1, 0, 0, 0, 0, 0, 0, double.PositiveInfinity, 0 },
    };

    [Theory]
    [MemberData(nameof(BadContexts))]
    public async Task Policies_BadContext_ThrowArgumentException_NamingContext(double[] x)
    {
        var (problem, _) = TestWorlds.Hypertension();
        Assert.Equal("context", Assert.Throws<ArgumentException>(() => new GlrbPolicy(problem).Decide(x)).ParamName);
        Assert.Equal("context", (await Assert.ThrowsAsync<ArgumentException>(async () => await new LinUcbPolicy(problem).DecideAsync(x))).ParamName);
    }

    [Fact]
    public void Learn_BadInput_Throws_AndLeavesTheModelUnchanged()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var glrb = new GlrbPolicy(problem);
        double[] x = env.NextContext();
        RecourseDecision d = glrb.Decide(x);
        glrb.Learn(d, env.Respond(x, d));
        double[] theta = glrb.Arms[d.Arm].Theta.ToArray();
        double[] inverse = glrb.Arms[d.Arm].InverseDesign.ToArray();

        Assert.Equal("outcome", Assert.Throws<ArgumentException>(() => glrb.Learn(d, new RecourseOutcome(double.NaN, 0, [.. x]))).ParamName);
        double[] nan = (double[])x.Clone();
        nan[3] = double.NaN;
        Assert.Equal("outcome", Assert.Throws<ArgumentException>(() => glrb.Learn(d, new RecourseOutcome(1, 1, [.. nan]))).ParamName);
        Assert.Equal("decision", Assert.Throws<ArgumentOutOfRangeException>(() => glrb.Learn(d with { Arm = 5 }, new RecourseOutcome(1, 1, [.. x]))).ParamName);

        Assert.Equal(theta, glrb.Arms[d.Arm].Theta.ToArray());
        Assert.Equal(inverse, glrb.Arms[d.Arm].InverseDesign.ToArray());
    }

    [Fact]
    public async Task LinUcb_RecommendsNoRecourse()
    {
        var (problem, env) = TestWorlds.Hypertension();
        var policy = new LinUcbPolicy(problem);
        double[] x = env.NextContext();
        Assert.Equal(x, (await policy.DecideAsync(x)).Recourse.ToArray());
    }

    [Fact]
    public void Options_OutOfRange_Throw_NamingTheOption()
    {
        Assert.Equal("Lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new GlrbOptions { Lambda = 0 }.Validate()).ParamName);
        Assert.Equal("Epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new GlrbOptions { Epsilon = -1 }.Validate()).ParamName);
        Assert.Equal("Delta", Assert.Throws<ArgumentOutOfRangeException>(() => new AdvisorGateOptions { Delta = -0.1 }.Validate()).ParamName);
        Assert.Equal("Alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new LinUcbOptions { Alpha = double.NaN }.Validate()).ParamName);
        Assert.Equal("rho", Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceRadiusRule.Constant(-1)).ParamName);
    }

    [Fact]
    public void Options_SubnormalLambda_IsRefused()
    {
        // Issue 15 defect 19: λ = 1e-320 made V⁻¹ = I/λ infinite and every later number NaN.
        var glrb = Assert.Throws<ArgumentOutOfRangeException>(() => new GlrbOptions { Lambda = 1e-320 }.Validate());
        Assert.Equal("Lambda", glrb.ParamName);
        Assert.Contains("subnormal", glrb.Message);
        Assert.Equal("Lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new LinUcbOptions { Lambda = 1e-320 }.Validate()).ParamName);
    }
}
