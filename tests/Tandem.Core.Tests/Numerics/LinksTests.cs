using Tandem.Core.Numerics;

namespace Tandem.Core.Tests.Numerics;

public class LinksTests
{
    [Theory]
    [InlineData(GlmLink.Identity, 1.0)]
    [InlineData(GlmLink.Logistic, 0.25)]
    public void LipschitzConstant_IsOneForIdentity_AndAQuarterForLogistic(GlmLink link, double expected) =>
        Assert.Equal(expected, Links.LipschitzConstant(link));

    [Fact]
    public void Logistic_Mean_KnownValues_AndNoOverflow()
    {
        Assert.Equal(0.5, Links.Mean(GlmLink.Logistic, 0.0));
        Assert.Equal(1.0 / (1.0 + Math.Exp(-2.0)), Links.Mean(GlmLink.Logistic, 2.0), 15);
        Assert.Equal(1.0, Links.Mean(GlmLink.Logistic, 800.0));
        Assert.Equal(0.0, Links.Mean(GlmLink.Logistic, -800.0));
        Assert.Equal(0.0, Links.Derivative(GlmLink.Logistic, 800.0));
        Assert.Equal(800.0, Links.Cumulant(GlmLink.Logistic, 800.0));
    }

    [Theory]
    [InlineData(GlmLink.Identity, -1.3)]
    [InlineData(GlmLink.Identity, 2.0)]
    [InlineData(GlmLink.Logistic, -4.0)]
    [InlineData(GlmLink.Logistic, 0.3)]
    [InlineData(GlmLink.Logistic, 6.0)]
    public void Derivatives_MatchCentralDifferences_WithinOneE8(GlmLink link, double z)
    {
        const double h = 1e-5;
        double meanSlope = (Links.Mean(link, z + h) - Links.Mean(link, z - h)) / (2 * h);
        double cumulantSlope = (Links.Cumulant(link, z + h) - Links.Cumulant(link, z - h)) / (2 * h);

        Assert.True(Math.Abs(meanSlope - Links.Derivative(link, z)) < 1e-8);
        Assert.True(Math.Abs(cumulantSlope - Links.Mean(link, z)) < 1e-8);
    }

    [Fact]
    public void Mean_UnknownLink_Throws_WithParamName()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Links.Mean((GlmLink)42, 0));
        Assert.Equal("link", ex.ParamName);
    }
}
