using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Randomness;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Tests;

/// <summary>Seeded random instances shared by the geometry and solver tests.</summary>
internal static class Fixtures
{
    public static double[] Gaussian(Random random, int n, double scale = 1)
    {
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = scale * random.NextGaussian();
        return v;
    }

    /// <summary>A random SPD matrix with condition number at most about 1 + 10·spread: BBᵀ/n + I·floor.</summary>
    public static double[,] RandomSpd(Random random, int n, double floor = 0.3)
    {
        var b = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) b[i, j] = random.NextGaussian();
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += b[i, k] * b[j, k];
                a[i, j] = s / n + (i == j ? floor : 0);
            }
        }
        return a;
    }

    /// <summary>V⁻¹ for a realistic design V = I + Σ x xᵀ over a random number of random contexts, row-major.</summary>
    public static double[] RandomInverseDesign(Random random, int d)
    {
        int samples = random.Next(0, 3 * d);
        Matrix<double> v = Matrix<double>.Build.DenseIdentity(d);
        for (int s = 0; s < samples; s++)
        {
            Vector<double> x = Vector<double>.Build.DenseOfArray(Gaussian(random, d));
            v += x.OuterProduct(x);
        }
        Matrix<double> inverse = v.Inverse();
        var result = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) result[i * d + j] = 0.5 * (inverse[i, j] + inverse[j, i]);
        return result;
    }

    /// <summary>The four norms in dimension n, with random weights / matrix.</summary>
    public static IEnumerable<RecourseNorm> Norms(Random random, int n)
    {
        yield return RecourseNorm.L2;
        yield return RecourseNorm.L1;
        var weights = new double[n];
        for (int i = 0; i < n; i++) weights[i] = 0.5 + 1.5 * random.NextDouble();
        yield return RecourseNorm.WeightedLInf(weights);
        yield return RecourseNorm.Mahalanobis(RandomSpd(random, n));
    }

    /// <summary>Random bounds: a mix of finite limits (some already violated by x_M = 0), directions and none.</summary>
    public static FeatureBounds[] RandomBounds(Random random, int n)
    {
        var bounds = new FeatureBounds[n];
        for (int i = 0; i < n; i++)
        {
            bounds[i] = random.Next(6) switch
            {
                0 => new FeatureBounds(),
                1 => new FeatureBounds(Direction: ChangeDirection.DecreaseOnly),
                2 => new FeatureBounds(Direction: ChangeDirection.IncreaseOnly),
                3 => new FeatureBounds(-0.2 - random.NextDouble(), 0.1 + random.NextDouble()),
                4 => new FeatureBounds(-0.3 * random.NextDouble(), double.PositiveInfinity, ChangeDirection.DecreaseOnly),
                _ => new FeatureBounds(0.2 + random.NextDouble(), 2.0), // x_M = 0 violates Lower: relaxed to stay put
            };
        }
        return bounds;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
