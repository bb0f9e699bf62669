using Tandem.Core.Randomness;

namespace Tandem.Core.Distributions;

/// <summary>Standard normal draws on any <see cref="Random"/>, without allocation: the ziggurat on a
/// <see cref="Xoshiro256"/> source, the polar method otherwise.</summary>
public static class NormalSampler
{
    // Ziggurat of Marsaglia and Tsang (2000), 128 layers: r = 3.442619855899, common area v = 9.91256303526217e-3.
    private const double ZigguratR = 3.442619855899;
    private const double ZigguratV = 9.91256303526217e-3;
    private static readonly double[] ZigguratX = BuildZiggurat(out ZigguratF);
    private static readonly double[] ZigguratF;

    private static double[] BuildZiggurat(out double[] f)
    {
        var x = new double[129];
        f = new double[129];
        x[0] = ZigguratV / Math.Exp(-0.5 * ZigguratR * ZigguratR);
        x[1] = ZigguratR;
        for (int i = 2; i < 128; i++) x[i] = Math.Sqrt(-2 * Math.Log(ZigguratV / x[i - 1] + Math.Exp(-0.5 * x[i - 1] * x[i - 1])));
        x[128] = 0;
        for (int i = 0; i < 129; i++) f[i] = Math.Exp(-0.5 * x[i] * x[i]);
        return x;
    }

    /// <summary>
    /// A standard normal draw. On a <see cref="Xoshiro256"/> source it uses the ziggurat method (Marsaglia and
    /// Tsang 2000; one 64-bit draw for about 99% of samples), several times faster than the polar method that
    /// <see cref="RandomExtensions.NextGaussian"/> uses; on any other source it falls back to that.
    /// </summary>
    public static double Standard(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (random is not Xoshiro256 x) return random.NextGaussian();
        double[] xs = ZigguratX, fs = ZigguratF;
        while (true)
        {
            ulong u = x.NextUInt64();
            int i = (int)(u & 127);
            double sign = (u & 128) != 0 ? -1.0 : 1.0;
            double z = (u >> 11) * (1.0 / (1UL << 53)) * xs[i];
            if (z < xs[i + 1]) return sign * z;
            if (i == 0)
            {
                // The tail beyond r (Marsaglia 1964).
                double a, b;
                do
                {
                    a = -Math.Log(1 - x.NextDouble()) / ZigguratR;
                    b = -Math.Log(1 - x.NextDouble());
                }
                while (b + b < a * a);
                return sign * (ZigguratR + a);
            }
            if (fs[i] + x.NextDouble() * (fs[i + 1] - fs[i]) < Math.Exp(-0.5 * z * z)) return sign * z;
        }
    }

    /// <summary>Fill <paramref name="destination"/> with independent <see cref="Standard"/> draws.</summary>
    public static void FillStandard(Random random, Span<double> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Standard(random);
    }
}
