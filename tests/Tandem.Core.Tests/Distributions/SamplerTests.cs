using Tandem.Core.Distributions;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Distributions;

public class SamplerTests
{
    [Fact]
    public void StandardNormal_HasUnitMomentsAndGaussianTails()
    {
        var random = Seeds.CreateRandom(1);
        const int n = 1_000_000;
        double sum = 0, sq = 0, fourth = 0;
        int beyond2 = 0, beyondR = 0;
        for (int i = 0; i < n; i++)
        {
            double z = NormalSampler.Standard(random);
            sum += z; sq += z * z; fourth += z * z * z * z;
            if (Math.Abs(z) > 2) beyond2++;
            if (Math.Abs(z) > 3.442619855899) beyondR++;
        }
        Assert.Equal(0, sum / n, 0.005);
        Assert.Equal(1, sq / n, 0.005);
        Assert.Equal(3, fourth / n, 0.05);
        Assert.Equal(0.0455003, (double)beyond2 / n, 0.001);   // P(|Z| > 2)
        Assert.Equal(0.000576, (double)beyondR / n, 0.0001);   // P(|Z| > r), the ziggurat's tail
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(7.5)]
    public void Gamma_HasMeanAndVarianceEqualToTheShape(double shape)
    {
        var random = Seeds.CreateRandom(2);
        const int n = 400_000;
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++)
        {
            double g = GammaSampler.Sample(random, shape);
            sum += g; sq += g * g;
        }
        double mean = sum / n;
        Assert.Equal(shape, mean, 0.01 * Math.Max(1, shape));
        Assert.Equal(shape, sq / n - mean * mean, 0.03 * Math.Max(1, shape));
    }

    [Fact]
    public void NonXoshiroSources_UseThePolarMethod_AndGammaRefusesNonPositiveShapes()
    {
        var system = new Random(3);
        var reference = new Random(3);
        Assert.Equal(reference.NextGaussian(), NormalSampler.Standard(system));
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => GammaSampler.Sample(Seeds.CreateRandom(1), 0)).ParamName);
    }
}
