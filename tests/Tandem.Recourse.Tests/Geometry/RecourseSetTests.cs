using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Randomness;
using Tandem.Recourse.Geometry;
using Xunit.Abstractions;

namespace Tandem.Recourse.Tests.Geometry;

public class RecourseSetTests(ITestOutputHelper output)
{
    [Fact]
    public void MaximizeLinear_NoBounds_IsLemma1()
    {
        // Lemma 1, seed 000 §2.1: x̃ = x_M + γ·∂||w||_*, value wᵀx_M + γ||w||_*. Tolerance 1e-12 relative.
        var random = new Xoshiro256(21);
        const int n = 4;
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            var set = new RecourseSet(n, norm, 1.7);
            for (int trial = 0; trial < 20; trial++)
            {
                double[] xM = Fixtures.Gaussian(random, n), w = Fixtures.Gaussian(random, n);
                var result = new double[n];
                var direction = new double[n];
                set.MaximizeLinear(xM, w, result);
                norm.MaximizeOnUnitBall(w, direction);
                for (int i = 0; i < n; i++) Assert.Equal(xM[i] + 1.7 * direction[i], result[i], 12);
                double expected = Fixtures.Dot(w, xM) + 1.7 * norm.DualNorm(w);
                Assert.Equal(expected, Fixtures.Dot(w, result), 1e-12 * Math.Max(1, Math.Abs(expected)));
            }
        }
    }

    [Fact]
    public void MaximizeLinear_WithBounds_MatchesGridSearch_In2D()
    {
        // Independent slow method: a 401×401 grid over the bounding box of F. The grid can only be worse than the exact
        // maximiser (by at most about Σ|w_i|·h_i for grid steps h_i), never better (1e-12).
        var random = new Xoshiro256(22);
        const int n = 2, grid = 401;
        double worst = 0;
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            for (int trial = 0; trial < 12; trial++)
            {
                double gamma = 0.5 + random.NextDouble();
                var set = new RecourseSet(n, norm, gamma, Fixtures.RandomBounds(random, n));
                double[] xM = new double[n], w = Fixtures.Gaussian(random, n), best = new double[n];
                set.MaximizeLinear(xM, w, best);
                Assert.True(set.Contains(xM, best), $"{norm.Name}: maximiser not feasible");
                double ours = Fixtures.Dot(w, best);

                double[] lower = new double[n], upper = new double[n];
                set.ChangeInterval(xM, lower, upper);
                double reach = 4 * gamma;
                double lo0 = Math.Max(lower[0], -reach), hi0 = Math.Min(upper[0], reach);
                double lo1 = Math.Max(lower[1], -reach), hi1 = Math.Min(upper[1], reach);
                double h0 = (hi0 - lo0) / (grid - 1), h1 = (hi1 - lo1) / (grid - 1);
                double gridBest = double.NegativeInfinity;
                var point = new double[n];
                for (int a = 0; a < grid; a++)
                {
                    point[0] = lo0 + a * h0;
                    for (int b = 0; b < grid; b++)
                    {
                        point[1] = lo1 + b * h1;
                        if (norm.Norm(point) > gamma) continue;
                        gridBest = Math.Max(gridBest, w[0] * point[0] + w[1] * point[1]);
                    }
                }
                double slack = 3 * (Math.Abs(w[0]) * h0 + Math.Abs(w[1]) * h1);
                Assert.True(gridBest <= ours + 1e-12, $"{norm.Name}: grid {gridBest} beats exact {ours}");
                Assert.True(ours - gridBest <= slack, $"{norm.Name}: exact {ours} vs grid {gridBest}, slack {slack}");
                worst = Math.Max(worst, (ours - gridBest) / Math.Max(slack, 1e-300));
            }
        }
        output.WriteLine($"largest (exact − grid)/slack = {worst:F3}");
    }

    [Fact]
    public void MaximizeLinear_WithBounds_NoFeasibleSampleBeatsIt_In4D()
    {
        // 4 000 uniform feasible points per instance never beat the maximiser by more than 1e-9.
        var random = new Xoshiro256(23);
        const int n = 4;
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            for (int trial = 0; trial < 15; trial++)
            {
                var set = new RecourseSet(n, norm, 0.5 + random.NextDouble(), Fixtures.RandomBounds(random, n));
                double[] xM = Fixtures.Gaussian(random, n), w = Fixtures.Gaussian(random, n), best = new double[n];
                set.MaximizeLinear(xM, w, best);
                Assert.True(set.Contains(xM, best));
                double ours = Fixtures.Dot(w, best);
                var y = new double[n];
                for (int s = 0; s < 4000; s++)
                {
                    set.SampleUniform(xM, random, y);
                    Assert.True(Fixtures.Dot(w, y) <= ours + 1e-9, $"{norm.Name}: a feasible sample beats the maximiser");
                }
            }
        }
    }

    [Fact]
    public void MaximizeLinear_MahalanobisWithBox_MatchesIndependentProjectedGradientDual()
    {
        // Independent slow method written here: bisection on the ellipsoid multiplier ν with the inner box QP
        // max wᵀδ − ν/2·δᵀAδ solved by plain projected gradient ascent (40 000 steps). Values agree to 1e-7.
        var random = new Xoshiro256(24);
        const int n = 3;
        double worst = 0;
        for (int trial = 0; trial < 15; trial++)
        {
            double[,] a = Fixtures.RandomSpd(random, n);
            var norm = RecourseNorm.Mahalanobis(a);
            double gamma = 0.5 + random.NextDouble();
            var bounds = new FeatureBounds[n];
            for (int i = 0; i < n; i++) bounds[i] = new FeatureBounds(-0.1 - 0.6 * random.NextDouble(), 0.1 + 0.6 * random.NextDouble());
            var set = new RecourseSet(n, norm, gamma, bounds);
            double[] xM = new double[n], w = Fixtures.Gaussian(random, n), best = new double[n];
            set.MaximizeLinear(xM, w, best);
            double ours = Fixtures.Dot(w, best);
            double reference = SlowMahalanobisBoxMaximum(a, gamma, bounds, w);
            Assert.Equal(reference, ours, 1e-7);
            worst = Math.Max(worst, Math.Abs(reference - ours));
        }
        output.WriteLine($"largest |exact − projected-gradient dual| = {worst:E2}");
    }

    private static double SlowMahalanobisBoxMaximum(double[,] a, double gamma, FeatureBounds[] bounds, double[] w)
    {
        int n = w.Length;
        Matrix<double> matrix = Matrix<double>.Build.DenseOfArray(a);
        double lambdaMax = matrix.Evd().EigenValues.Select(e => e.Real).Max();
        double Quadratic(double[] v)
        {
            double s = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) s += v[i] * a[i, j] * v[j];
            return s;
        }
        double[] Inner(double nu)
        {
            var delta = new double[n];
            double step = 1 / (nu * lambdaMax);
            for (int iteration = 0; iteration < 40_000; iteration++)
            {
                var gradient = new double[n];
                for (int i = 0; i < n; i++)
                {
                    double ad = 0;
                    for (int j = 0; j < n; j++) ad += a[i, j] * delta[j];
                    gradient[i] = w[i] - nu * ad;
                }
                for (int i = 0; i < n; i++) delta[i] = Math.Clamp(delta[i] + step * gradient[i], bounds[i].Lower, bounds[i].Upper);
            }
            return delta;
        }
        // If the box corner is inside the ellipsoid, it is the answer.
        var corner = new double[n];
        for (int i = 0; i < n; i++) corner[i] = w[i] > 0 ? bounds[i].Upper : bounds[i].Lower;
        if (Quadratic(corner) <= gamma * gamma) return Fixtures.Dot(w, corner);
        double lo = 1e-6, hi = 1e6;
        for (int iteration = 0; iteration < 80; iteration++)
        {
            double mid = Math.Sqrt(lo * hi);
            if (Quadratic(Inner(mid)) > gamma * gamma) lo = mid;
            else hi = mid;
        }
        return Fixtures.Dot(w, Inner(hi));
    }

    [Fact]
    public void Project_LandsInF_SatisfiesVariationalInequality_AndIsIdempotent()
    {
        // Optimality of a Euclidean projection: (p − Π(p))ᵀ(y − Π(p)) ≤ 0 for every y ∈ F; checked on 300 feasible
        // samples per proposal with tolerance 1e-8. Idempotence to 1e-9.
        var random = new Xoshiro256(25);
        const int n = 4;
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            foreach (bool bounded in new[] { false, true })
            {
                var set = new RecourseSet(n, norm, 0.5 + random.NextDouble(), bounded ? Fixtures.RandomBounds(random, n) : null);
                for (int trial = 0; trial < 25; trial++)
                {
                    double[] xM = Fixtures.Gaussian(random, n);
                    double[] proposal = Fixtures.Gaussian(random, n, 3);
                    for (int i = 0; i < n; i++) proposal[i] += xM[i];
                    var projected = new double[n];
                    set.Project(xM, proposal, projected);
                    Assert.True(set.Contains(xM, projected), $"{norm.Name}: projection not in F");
                    var y = new double[n];
                    for (int s = 0; s < 300; s++)
                    {
                        set.SampleUniform(xM, random, y);
                        double inner = 0;
                        for (int i = 0; i < n; i++) inner += (proposal[i] - projected[i]) * (y[i] - projected[i]);
                        Assert.True(inner <= 1e-8, $"{norm.Name} bounded={bounded}: variational inequality violated by {inner}");
                    }
                    var again = new double[n];
                    set.Project(xM, projected, again);
                    for (int i = 0; i < n; i++) Assert.Equal(projected[i], again[i], 9);
                }
            }
        }
    }

    [Fact]
    public void Project_MahalanobisWithoutBounds_MatchesEigenSecularEquation()
    {
        // Independent method: in the eigenbasis A = QΛQᵀ, Π(p) = Q diag(1/(1 + νλ_i)) Qᵀp with
        // Σ λ_i p̃_i²/(1 + νλ_i)² = γ², ν by bisection. Agreement to 1e-9.
        var random = new Xoshiro256(26);
        const int n = 5;
        for (int trial = 0; trial < 20; trial++)
        {
            double[,] a = Fixtures.RandomSpd(random, n);
            double gamma = 0.5 + random.NextDouble();
            var set = new RecourseSet(n, RecourseNorm.Mahalanobis(a), gamma);
            double[] p = Fixtures.Gaussian(random, n, 3), projected = new double[n];
            set.Project(new double[n], p, projected);

            var evd = Matrix<double>.Build.DenseOfArray(a).Evd();
            double[] lambda = evd.EigenValues.Select(e => e.Real).ToArray();
            Vector<double> pt = evd.EigenVectors.TransposeThisAndMultiply(Vector<double>.Build.DenseOfArray(p));
            double Phi(double nu) => Enumerable.Range(0, n).Sum(i => lambda[i] * pt[i] * pt[i] / Math.Pow(1 + nu * lambda[i], 2));
            double lo = 0, hi = 1;
            if (Phi(0) <= gamma * gamma) hi = 0;
            while (Phi(hi) > gamma * gamma) hi *= 2;
            for (int k = 0; k < 200 && hi > 0; k++)
            {
                double mid = 0.5 * (lo + hi);
                if (Phi(mid) > gamma * gamma) lo = mid;
                else hi = mid;
            }
            Vector<double> scaled = Vector<double>.Build.Dense(n, i => pt[i] / (1 + hi * lambda[i]));
            Vector<double> expected = evd.EigenVectors * scaled;
            for (int i = 0; i < n; i++) Assert.Equal(expected[i], projected[i], 9);
        }
    }

    [Fact]
    public void Project_HostileProposal_LandsInF()
    {
        var random = new Xoshiro256(27);
        const int n = 4;
        double[][] hostile =
        [
            [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e308],
            [-1e308, 1e308, double.NaN, double.NaN],
            [double.MaxValue, double.MaxValue, double.MaxValue, double.MaxValue],
            [double.NaN, double.NaN, double.NaN, double.NaN],
        ];
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            foreach (bool bounded in new[] { false, true })
            {
                var set = new RecourseSet(n, norm, 1.3, bounded ? Fixtures.RandomBounds(random, n) : null);
                double[] xM = Fixtures.Gaussian(random, n);
                foreach (double[] proposal in hostile)
                {
                    var projected = new double[n];
                    set.Project(xM, proposal, projected);
                    Assert.All(projected, v => Assert.True(double.IsFinite(v)));
                    Assert.True(set.Contains(xM, projected), $"{norm.Name} bounded={bounded}: hostile proposal escaped F");
                }
                var allNaN = new double[n];
                set.Project(xM, hostile[3], allNaN);
                Assert.Equal(xM, allNaN); // NaN reads as "no change"
            }
        }
    }

    [Fact]
    public void Project_NaNCoordinate_IsNoChange_ForSeparableNorm()
    {
        var set = new RecourseSet(2, RecourseNorm.WeightedLInf(1, 1), 1.0);
        var projected = new double[2];
        set.Project([5.0, 7.0], [double.NaN, 9.0], projected);
        Assert.Equal([5.0, 8.0], projected);
    }

    [Fact]
    public void SampleUniform_AlwaysInF()
    {
        var random = new Xoshiro256(28);
        const int n = 5;
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            foreach (bool bounded in new[] { false, true })
            {
                var set = new RecourseSet(n, norm, 0.8, bounded ? Fixtures.RandomBounds(random, n) : null);
                double[] xM = Fixtures.Gaussian(random, n), y = new double[n];
                for (int s = 0; s < 2000; s++)
                {
                    set.SampleUniform(xM, random, y);
                    Assert.True(set.Contains(xM, y), $"{norm.Name} bounded={bounded}: sample outside F");
                }
            }
        }
    }

    [Theory]
    [InlineData("l2", false)]
    [InlineData("l1", false)]
    [InlineData("mahalanobis", false)]
    [InlineData("l2", true)]
    [InlineData("l1", true)]
    public void SampleUniform_In2D_QuarterOfMassWithinHalfRadius(string normName, bool decreaseOnly)
    {
        // In 2-D a uniform point of any norm ball lies within half the radius with probability (1/2)² = 1/4.
        // 100 000 draws: standard error 0.0014; tolerance 0.006 (about 4 standard errors). With DecreaseOnly on the
        // first feature the sampler reflects into the half-ball, which must stay uniform.
        RecourseNorm norm = normName == "mahalanobis"
            ? RecourseNorm.Mahalanobis(new double[,] { { 2.0, 0.6 }, { 0.6, 1.0 } })
            : RecourseNorm.Parse(normName, 2);
        FeatureBounds[]? bounds = decreaseOnly ? [new FeatureBounds(Direction: ChangeDirection.DecreaseOnly), new FeatureBounds()] : null;
        const double gamma = 2.0;
        var set = new RecourseSet(2, norm, gamma, bounds);
        var random = new Xoshiro256(29);
        double[] xM = [1.0, -1.0], y = new double[2], delta = new double[2];
        int inside = 0;
        const int draws = 100_000;
        for (int s = 0; s < draws; s++)
        {
            set.SampleUniform(xM, random, y);
            delta[0] = y[0] - xM[0];
            delta[1] = y[1] - xM[1];
            if (decreaseOnly) Assert.True(delta[0] <= 0);
            if (norm.Norm(delta) <= gamma / 2) inside++;
        }
        double fraction = (double)inside / draws;
        output.WriteLine($"{normName} decreaseOnly={decreaseOnly}: fraction within γ/2 = {fraction:F4} (expected 0.25)");
        Assert.InRange(fraction, 0.25 - 0.006, 0.25 + 0.006);
    }

    [Fact]
    public void SampleUniform_SameSeed_SameDraws()
    {
        var set = new RecourseSet(3, RecourseNorm.L1, 1.0, Fixtures.RandomBounds(new Xoshiro256(1), 3));
        double[] first = Draw(new Xoshiro256(77)), second = Draw(new Xoshiro256(77));
        Assert.Equal(first, second);

        double[] Draw(Random random)
        {
            var all = new List<double>();
            var y = new double[3];
            for (int s = 0; s < 50; s++)
            {
                set.SampleUniform([0.1, 0.2, 0.3], random, y);
                all.AddRange(y);
            }
            return [.. all];
        }
    }

    [Fact]
    public void ChangeInterval_RelaxesViolatedBounds_SoStayingPutIsFeasible()
    {
        FeatureBounds[] bounds =
        [
            new(Upper: 3.0, Direction: ChangeDirection.DecreaseOnly), // alcohol: may only go down, at most 3
            new(Lower: 0.0),                                          // hours ≥ 0
            new(Lower: 1.0, Upper: 2.0),
        ];
        var set = new RecourseSet(3, RecourseNorm.L2, 1.0, bounds);
        double[] lower = new double[3], upper = new double[3];
        set.ChangeInterval([5.0, -1.0, 1.5], lower, upper);
        Assert.Equal([double.NegativeInfinity, 0.0, -0.5], lower); // hours already below 0: may stay (l = 0)
        Assert.Equal([0.0, double.PositiveInfinity, 0.5], upper);  // alcohol above 3: may stay or go down
        Assert.True(set.Contains([5.0, -1.0, 1.5], [5.0, -1.0, 1.5]));
        Assert.False(set.Contains([5.0, -1.0, 1.5], [5.2, -1.0, 1.5]));
    }

    [Fact]
    public void ZeroBudget_AllowsOnlyStayingPut()
    {
        var set = new RecourseSet(2, RecourseNorm.Mahalanobis(new double[,] { { 1, 0 }, { 0, 1 } }), 0.0);
        double[] xM = [1, 2], result = new double[2];
        set.MaximizeLinear(xM, [3, 4], result);
        Assert.Equal(xM, result);
        set.Project(xM, [9, 9], result);
        Assert.Equal(xM, result);
        set.SampleUniform(xM, new Xoshiro256(3), result);
        Assert.Equal(xM, result);
    }

    [Fact]
    public void DistanceAndDistanceToSet()
    {
        var set = new RecourseSet(2, RecourseNorm.L1, 1.0);
        Assert.Equal(7.0, set.Distance([1, 1], [4, -3]), 12);
        Assert.Equal(0.0, set.DistanceToSet([0, 0], [0.5, 0.5]), 12);
        Assert.Equal(Math.Sqrt(2) / 2, set.DistanceToSet([0, 0], [1, 1]), 12); // projected to (0.5, 0.5)
    }

    [Fact]
    public void InvalidArgs_ThrowNamingParameter()
    {
        Assert.Equal("dimension", Assert.Throws<ArgumentException>(() => new RecourseSet(0, RecourseNorm.L2, 1)).ParamName);
        Assert.Equal("norm", Assert.Throws<ArgumentException>(() => new RecourseSet(3, RecourseNorm.WeightedLInf(1, 1), 1)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => new RecourseSet(2, RecourseNorm.L2, -1)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() => new RecourseSet(2, RecourseNorm.L2, double.NaN)).ParamName);
        Assert.Equal("bounds", Assert.Throws<ArgumentException>(() => new RecourseSet(2, RecourseNorm.L2, 1, [new FeatureBounds()])).ParamName);
        Assert.Equal("bounds", Assert.Throws<ArgumentException>(() => new RecourseSet(1, RecourseNorm.L2, 1, [new FeatureBounds(2, 1)])).ParamName);
        Assert.Equal("bounds", Assert.Throws<ArgumentException>(() => new RecourseSet(1, RecourseNorm.L2, 1, [new FeatureBounds(double.NaN)])).ParamName);

        var set = new RecourseSet(2, RecourseNorm.L2, 1);
        var two = new double[2];
        Assert.Equal("xM", Assert.Throws<ArgumentException>(() => set.MaximizeLinear(new double[3], two, two)).ParamName);
        Assert.Equal("xM", Assert.Throws<ArgumentException>(() => set.MaximizeLinear([double.NaN, 0], two, two)).ParamName);
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => set.MaximizeLinear(two, [double.PositiveInfinity, 0], two)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => set.MaximizeLinear(two, two, new double[1])).ParamName);
        Assert.Equal("proposal", Assert.Throws<ArgumentException>(() => set.Project(two, new double[1], two)).ParamName);
        Assert.Equal("tolerance", Assert.Throws<ArgumentException>(() => set.Contains(two, two, -1)).ParamName);
        Assert.Equal("candidate", Assert.Throws<ArgumentException>(() => set.Distance(two, [double.NaN, 0])).ParamName);
        Assert.Equal("random", Assert.Throws<ArgumentNullException>(() => set.SampleUniform(two, null!, two)).ParamName);
        Assert.False(set.Contains(two, [double.NaN, 0]));
    }

    [Fact]
    public void MaximizeLinearAndProject_DoNotAllocate()
    {
        var random = new Xoshiro256(30);
        const int n = 6;
        foreach (RecourseNorm norm in Fixtures.Norms(random, n))
        {
            var set = new RecourseSet(n, norm, 1.0, Fixtures.RandomBounds(random, n));
            double[] xM = Fixtures.Gaussian(random, n), w = Fixtures.Gaussian(random, n), result = new double[n];
            set.MaximizeLinear(xM, w, result);
            set.Project(xM, w, result);
            set.SampleUniform(xM, random, result);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 100; k++)
            {
                set.MaximizeLinear(xM, w, result);
                set.Project(xM, w, result);
                set.SampleUniform(xM, random, result);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
