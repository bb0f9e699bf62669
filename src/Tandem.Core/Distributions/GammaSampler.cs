namespace Tandem.Core.Distributions;

/// <summary>Gamma draws and the distributions built on them (χ², inverse Gamma), on any <see cref="Random"/>, without allocation.</summary>
public static class GammaSampler
{
    /// <summary>Gamma(shape, 1) by Marsaglia and Tsang (2000); shape &lt; 1 by the boost Gamma(shape + 1)·U^{1/shape}.</summary>
    /// <param name="random">The source.</param>
    /// <param name="shape">Range: shape &gt; 0.</param>
    public static double Sample(Random random, double shape)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(shape > 0)) throw new ArgumentOutOfRangeException(nameof(shape), shape, "The shape must be > 0.");
        if (shape < 1)
        {
            double u = random.NextDouble();
            while (u == 0) u = random.NextDouble();
            return Sample(random, shape + 1) * Math.Pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NormalSampler.Standard(random);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (u > 0 && Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>χ²(ν) = 2·Gamma(ν/2). Range: ν &gt; 0.</summary>
    public static double ChiSquared(Random random, double degreesOfFreedom) => 2 * Sample(random, 0.5 * degreesOfFreedom);

    /// <summary>Inverse-Gamma(α, β): β / Gamma(α, 1); mean β/(α − 1) for α &gt; 1.</summary>
    public static double InverseGamma(Random random, double shape, double scale) => scale / Sample(random, shape);
}
