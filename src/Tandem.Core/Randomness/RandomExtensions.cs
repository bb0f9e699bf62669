namespace Tandem.Core.Randomness;

/// <summary>Sampling helpers on any <see cref="Random"/>.</summary>
public static class RandomExtensions
{
    /// <summary>A standard normal draw; uses the fast path when the source is a <see cref="Xoshiro256"/>.</summary>
    public static double NextGaussian(this Random random)
    {
        if (random is Xoshiro256 x) return x.NextGaussian();
        double u, v, s;
        do
        {
            u = 2.0 * random.NextDouble() - 1.0;
            v = 2.0 * random.NextDouble() - 1.0;
            s = u * u + v * v;
        }
        while (s >= 1.0 || s == 0.0);
        return u * Math.Sqrt(-2.0 * Math.Log(s) / s);
    }

    /// <summary>Fill <paramref name="destination"/> with independent standard normal draws.</summary>
    public static void FillGaussian(this Random random, Span<double> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = random.NextGaussian();
    }

    /// <summary>A point uniformly distributed in the unit L2 ball of dimension destination.Length.</summary>
    public static void FillUniformInUnitBall(this Random random, Span<double> destination)
    {
        random.FillGaussian(destination);
        double norm = 0;
        foreach (double v in destination) norm += v * v;
        norm = Math.Sqrt(norm);
        double radius = Math.Pow(random.NextDouble(), 1.0 / destination.Length);
        double scale = norm > 0 ? radius / norm : 0;
        for (int i = 0; i < destination.Length; i++) destination[i] *= scale;
    }
}
