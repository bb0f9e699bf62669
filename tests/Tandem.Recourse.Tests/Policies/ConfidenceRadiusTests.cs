using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Tests.Policies;

public class ConfidenceRadiusTests
{
    [Fact]
    public void Lemma2_IsTheProofsExpression_NotTheMainTextsTypo()
    {
        // Appendix A.2: ρ = (1/c_μ)(σ √(d log(1 + β_X² n/λ) + d log(K/δ)) + √λ β_Θ).
        // d = 2, K = 5, n = 100, λ = 1, σ = 0.5, δ = 0.05, β_X = 1, β_Θ = 2, c_μ = 1/4:
        // 0.5 √(2 ln 101 + 2 ln 100) = 2.1471249035430323; (2.1471249035430323 + 2)/0.25 = 16.58849961417213.
        // The main text's version (d log(K/δ) outside the root, unscaled by σ) gives 50.917623836975096.
        var rule = new Lemma2Radius(2, 5, 1.0, 0.5, 0.05, 1.0, 2.0, 0.25);
        Assert.Equal(16.58849961417213, rule.Radius(100), 12);
        // n = 0: only the union and prior terms; 1 · √(3 ln 100) + √4 · 1.5 = 6.716922188849839.
        Assert.Equal(6.716922188849839, new Lemma2Radius(3, 10, 4.0, 1.0, 0.1, 2.0, 1.5, 1.0).Radius(0), 12);
    }

    [Fact]
    public void Lemma2_UnionTerm_ScalesWithSigma()
    {
        // In the proof σ multiplies the whole self-normalised bound, the union term included: with β_Θ = 0 the radius is
        // proportional to σ at every n (the typo's unscaled d log(K/δ) breaks this at n = 0).
        for (int n = 0; n <= 1000; n += 250)
        {
            double one = new Lemma2Radius(4, 3, 1, 1, 0.05, 2, 0, 1).Radius(n);
            double five = new Lemma2Radius(4, 3, 1, 5, 0.05, 2, 0, 1).Radius(n);
            Assert.Equal(5 * one, five, 10);
        }
    }

    [Theory]
    [InlineData(0.5, 0.0, "cMu")]
    [InlineData(0.0, 1.0, "delta")]
    [InlineData(1.0 + 1e-12, 1.0, "delta")]
    public void Lemma2_UndefinedRadius_IsRefused_NamingTheParameter(double delta, double cMu, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Lemma2Radius(2, 2, 1, 1, delta, 1, 1, cMu));
        Assert.Equal(name, ex.ParamName);
    }

    [Theory]
    [InlineData("constant:2", "constant:2")]
    [InlineData("lemma2", "lemma2:delta=0.05")]
    [InlineData("LEMMA2:delta=0.1,beta-theta=3,c-mu=0.5", "lemma2:delta=0.1,beta-theta=3,c-mu=0.5")]
    public void RadiusSpec_Parses_AndRoundTrips(string text, string canonical)
    {
        RadiusSpec spec = RadiusSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, RadiusSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("lemma2:delta=1.5", "δ")]
    [InlineData("lemma2:c-mu=0", "c_μ")]
    [InlineData("constant:-1", "ρ")]
    public void RadiusSpec_OutOfRange_IsRefused_NamingTheRadius(string text, string symbol)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => RadiusSpec.Parse(text).Validate());
        Assert.Equal("Radius", ex.ParamName);
        Assert.Contains(symbol, ex.Message);
    }

    [Theory]
    [InlineData("lemma2:gamma=1")]
    [InlineData("lemma2:delta")]
    [InlineData("constant")]
    [InlineData("huge")]
    public void RadiusSpec_Malformed_IsRefused_WithWhatIsAllowed(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => RadiusSpec.Parse(text));
        Assert.Contains(text, ex.Message);
        Assert.Contains("constant:RHO", ex.Message);
    }

    [Fact]
    public void RadiusSpec_Constant_IsInUnitsOfSigma_AndLemma2UsesTheStudysSigmaAndLambda()
    {
        RecourseProblem problem = new HypertensionScenario().CreateProblem(RecourseNorm.L2, 3);
        var (constant, _) = RadiusSpec.Constant(2).Create(problem, sigma: 5, lambda: 1);
        Assert.Equal(10, constant.Radius(0));
        var (lemma, lipschitz) = RadiusSpec.Parse("lemma2:beta-theta=2,l-mu=0.5").Create(problem, sigma: 5, lambda: 4);
        var expected = new Lemma2Radius(9, 2, 4, 5, 0.05, 3 + 3, 2 * 5, 1);
        Assert.Equal(expected.Radius(37), lemma.Radius(37), 12);
        Assert.Equal(0.5, lipschitz);
    }
}
