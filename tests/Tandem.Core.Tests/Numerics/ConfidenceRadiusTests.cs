using Tandem.Core.Numerics;

namespace Tandem.Core.Tests.Numerics;

public class ConfidenceRadiusTests
{
    [Fact]
    public void Lemma2_HandComputedValue()
    {
        // d = 2, K = 5, n = 100, λ = 1, σ = 0.5, δ = 0.05, β_X = 1, β_Θ = 2, c_μ = 1/4:
        // σ√(d log(1 + β_X² n/λ)) = 0.5·√(2 ln 101) = 1.5190655872675907
        // d log(K/δ)              = 2 ln 100        = 9.2103403719761840
        // √λ β_Θ                  = 2
        // ρ = (1.5190655872675907 + 9.210340371976184 + 2) / 0.25 = 50.917623836975096
        double rho = ConfidenceRadius.Lemma2(2, 5, 100, 1.0, 0.5, 0.05, 1.0, 2.0, 0.25);

        Assert.Equal(50.917623836975096, rho, 12);
    }

    [Fact]
    public void Lemma2_NoObservations_IsUnionAndPriorTermsOnly()
    {
        // n = 0: the noise term vanishes; 3 ln(10/0.1) + √4 · 1.5 = 13.815510557964274 + 3.
        Assert.Equal(16.815510557964274, ConfidenceRadius.Lemma2(3, 10, 0, 4.0, 1.0, 0.1, 2.0, 1.5, 1.0), 12);
    }

    [Theory]
    [InlineData(0, 5, 10, 1.0, 1.0, 0.1, 1.0, 1.0, 1.0, "dimension")]
    [InlineData(2, 0, 10, 1.0, 1.0, 0.1, 1.0, 1.0, 1.0, "armCount")]
    [InlineData(2, 5, -1, 1.0, 1.0, 0.1, 1.0, 1.0, 1.0, "count")]
    [InlineData(2, 5, 10, 0.0, 1.0, 0.1, 1.0, 1.0, 1.0, "lambda")]
    [InlineData(2, 5, 10, 1.0, -1.0, 0.1, 1.0, 1.0, 1.0, "sigma")]
    [InlineData(2, 5, 10, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, "delta")]
    [InlineData(2, 5, 10, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, "delta")]
    [InlineData(2, 5, 10, 1.0, 1.0, 0.1, double.NaN, 1.0, 1.0, "betaX")]
    [InlineData(2, 5, 10, 1.0, 1.0, 0.1, 1.0, 0.0, 1.0, "betaTheta")]
    [InlineData(2, 5, 10, 1.0, 1.0, 0.1, 1.0, 1.0, double.PositiveInfinity, "cMu")]
    public void Lemma2_OutOfRange_Throws_WithParamName(
        int d, int k, int n, double lambda, double sigma, double delta, double betaX, double betaTheta, double cMu, string param)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceRadius.Lemma2(d, k, n, lambda, sigma, delta, betaX, betaTheta, cMu));
        Assert.Equal(param, ex.ParamName);
    }
}
