using Tandem.Core.Randomness;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Tests.Geometry;

public class RecourseNormTests
{
    private const int N = 4;

    [Fact]
    public void MaximizeOnUnitBall_MatchesCorollary1ClosedForms()
    {
        // Lemma 1 / Corollary 1, seed 000 §2.1. Tolerance 1e-12 absolute on unit-scale vectors.
        var random = new Xoshiro256(11);
        double[] w = [0.5, -2.0, 0.0, 1.5];
        var destination = new double[N];

        RecourseNorm.L2.MaximizeOnUnitBall(w, destination);
        double l2 = Math.Sqrt(w.Sum(v => v * v));
        for (int i = 0; i < N; i++) Assert.Equal(w[i] / l2, destination[i], 12);

        double[] alpha = [1.0, 2.0, 0.5, 4.0];
        RecourseNorm.WeightedLInf(alpha).MaximizeOnUnitBall(w, destination);
        for (int i = 0; i < N; i++) Assert.Equal(Math.Sign(w[i]) / alpha[i], destination[i], 12);

        RecourseNorm.L1.MaximizeOnUnitBall(w, destination);
        Assert.Equal([0.0, -1.0, 0.0, 0.0], destination);

        double[,] a = Fixtures.RandomSpd(random, N);
        var mahalanobis = RecourseNorm.Mahalanobis(a);
        mahalanobis.MaximizeOnUnitBall(w, destination);
        double[,] inverse = mahalanobis.ToInverseMatrix();
        var expected = new double[N];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) expected[i] += inverse[i, j] * w[j];
        double scale = Math.Sqrt(Fixtures.Dot(w, expected));
        for (int i = 0; i < N; i++) Assert.Equal(expected[i] / scale, destination[i], 12);
    }

    [Fact]
    public void MaximizeOnUnitBall_AttainsDualNorm_AndNoBallPointBeatsIt()
    {
        // Hölder: wᵀδ ≤ ||δ||·||w||_*. The maximiser is on the unit sphere and attains the dual norm (1e-12 relative);
        // 20 000 random sphere points u/||u|| never exceed it (1e-12).
        var random = new Xoshiro256(12);
        foreach (RecourseNorm norm in Fixtures.Norms(random, N))
        {
            for (int trial = 0; trial < 20; trial++)
            {
                double[] w = Fixtures.Gaussian(random, N);
                var best = new double[N];
                norm.MaximizeOnUnitBall(w, best);
                double dual = norm.DualNorm(w);
                Assert.Equal(1.0, norm.Norm(best), 12);
                Assert.Equal(dual, Fixtures.Dot(w, best), 1e-12 * Math.Max(1, dual));
                for (int s = 0; s < 1000; s++)
                {
                    double[] u = Fixtures.Gaussian(random, N);
                    double length = norm.Norm(u);
                    double value = Fixtures.Dot(w, u) / length;
                    Assert.True(value <= dual + 1e-12, $"{norm.Name}: sample {value} beats dual norm {dual}");
                }
            }
        }
    }

    [Fact]
    public void MaximizeOnUnitBall_ZeroGradient_GivesZero()
    {
        var random = new Xoshiro256(13);
        foreach (RecourseNorm norm in Fixtures.Norms(random, N))
        {
            double[] destination = [9, 9, 9, 9];
            norm.MaximizeOnUnitBall(new double[N], destination);
            Assert.All(destination, v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void MaximizeOnUnitBall_InPlace_MatchesOutOfPlace()
    {
        var random = new Xoshiro256(14);
        foreach (RecourseNorm norm in Fixtures.Norms(random, N))
        {
            double[] w = Fixtures.Gaussian(random, N);
            var expected = new double[N];
            norm.MaximizeOnUnitBall(w, expected);
            norm.MaximizeOnUnitBall(w, w);
            Assert.Equal(expected, w);
        }
    }

    [Fact]
    public void L1_MaximizeOnUnitBall_BreaksTiesAtLowestIndex()
    {
        var destination = new double[3];
        RecourseNorm.L1.MaximizeOnUnitBall([1.0, -3.0, 3.0], destination);
        Assert.Equal([0.0, -1.0, 0.0], destination);
    }

    [Theory]
    [InlineData("l2", "l2")]
    [InlineData("L1", "l1")]
    [InlineData(" linf ", "linf")]
    [InlineData("Mahalanobis", "mahalanobis")]
    public void Parse_KnownNames(string name, string expected)
    {
        RecourseNorm norm = RecourseNorm.Parse(name, 3);
        Assert.Equal(expected, norm.Name);
        double[] v = [3, -4, 0];
        double expectedNorm = expected switch { "l1" => 7, "linf" => 4, _ => 5 };
        Assert.Equal(expectedNorm, norm.Norm(v), 12);
    }

    [Fact]
    public void Parse_UnknownName_ThrowsListingAllowedNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => RecourseNorm.Parse("l3", 2));
        Assert.Equal("name", ex.ParamName);
        foreach (string allowed in RecourseNorm.Names) Assert.Contains(allowed, ex.Message);
        Assert.Equal("dimension", Assert.Throws<ArgumentException>(() => RecourseNorm.Parse("l2", 0)).ParamName);
    }

    [Fact]
    public void Constructors_InvalidArgs_Throw()
    {
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => RecourseNorm.WeightedLInf(1, 0)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => RecourseNorm.WeightedLInf(1, double.NaN)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => RecourseNorm.WeightedLInf()).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentException>(() => RecourseNorm.Mahalanobis(new double[,] { { 1, 0.5 }, { 0.4, 1 } })).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentException>(() => RecourseNorm.Mahalanobis(new double[,] { { 1, 2 }, { 2, 1 } })).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentException>(() => RecourseNorm.Mahalanobis(new double[2, 3])).ParamName);
        Assert.Equal("matrix", Assert.Throws<ArgumentException>(() => RecourseNorm.Mahalanobis(new double[,] { { double.PositiveInfinity } })).ParamName);
    }

    [Fact]
    public void Members_WrongLength_ThrowNamingParameter()
    {
        var norm = RecourseNorm.WeightedLInf(1, 2);
        Assert.Equal("v", Assert.Throws<ArgumentException>(() => norm.Norm(new double[3])).ParamName);
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => norm.DualNorm(new double[1])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => norm.MaximizeOnUnitBall(new double[2], new double[3])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => RecourseNorm.L2.MaximizeOnUnitBall(new double[2], new double[3])).ParamName);
    }

    [Fact]
    public void Records_CompareByValue()
    {
        Assert.Equal(RecourseNorm.WeightedLInf(1, 2), RecourseNorm.WeightedLInf(1, 2));
        Assert.NotEqual(RecourseNorm.WeightedLInf(1, 2), RecourseNorm.WeightedLInf(1, 3));
        Assert.Equal(RecourseNorm.Parse("mahalanobis", 2), RecourseNorm.Parse("mahalanobis", 2));
        Assert.Contains("Weights = [1, 2]", RecourseNorm.WeightedLInf(1, 2).ToString());
    }
}
