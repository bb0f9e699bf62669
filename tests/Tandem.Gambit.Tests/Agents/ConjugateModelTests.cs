using MathNet.Numerics.LinearAlgebra;
using Tandem.Gambit.Agents;

namespace Tandem.Gambit.Tests.Agents;

public class NormalInverseGammaTests
{
    [Fact]
    public void SequentialUpdates_EqualTheBatchClosedForm()
    {
        double[] ys = [80.1, 83.5, 79.2, 85.0, 82.2, 81.7, 90.3];
        var sequential = NormalInverseGamma.AuthorsPrior;
        foreach (double y in ys) sequential = sequential.Update(y);
        var batch = NormalInverseGamma.AuthorsPrior.UpdateBatch(ys);
        // Independent closed form written out: κ_n, m_n, α_n, β_n.
        double n = ys.Length, mean = ys.Average(), ss = ys.Sum(y => (y - mean) * (y - mean));
        Assert.Equal(5 + n, sequential.Kappa, 12);
        Assert.Equal((5 * 77 + n * mean) / (5 + n), sequential.Mean, 10);
        Assert.Equal(1 + n / 2, sequential.Alpha, 12);
        Assert.Equal(10 + ss / 2 + 5 * n * (mean - 77) * (mean - 77) / (2 * (5 + n)), sequential.Beta, 8);
        Assert.Equal(batch.Mean, sequential.Mean, 10);
        Assert.Equal(batch.Beta, sequential.Beta, 8);
    }

    [Fact]
    public void MeanDraws_HaveTheStudentTMoments()
    {
        // μ ~ t_{2α}(m, β/(ακ)): mean m, variance β/((α − 1)κ). α = 6, β = 12, κ = 4 → variance 0.6.
        var model = new NormalInverseGamma(80, 4, 6, 12);
        var random = TestWorlds.Rng(3);
        const int n = 200_000;
        var draws = Enumerable.Range(0, n).Select(_ => model.SampleMean(random)).ToArray();
        double mean = draws.Average();
        double variance = draws.Sum(d => (d - mean) * (d - mean)) / (n - 1);
        Assert.InRange(mean, 80 - 0.01, 80 + 0.01);       // sd of the mean ≈ 0.0017
        Assert.InRange(variance, 0.6 * 0.97, 0.6 * 1.03); // heavy-ish tails (ν = 12): a few % tolerance
    }
}

public class BayesianLinearRegressionTests
{
    [Fact]
    public void SequentialUpdates_EqualTheBatchPosterior_WithANonZeroPriorMean()
    {
        double[] priorMean = [77, 0.5, -1.25, 2];
        double[] priorPrecision = [0.01, 1, 2, 0.5];
        const double sigma2 = 0.8;
        var blr = new BayesianLinearRegression(priorMean, priorPrecision, sigma2);
        var random = TestWorlds.Rng(5);
        const int n = 40;
        var x = Matrix<double>.Build.Dense(n, 4);
        var y = Vector<double>.Build.Dense(n);
        for (int i = 0; i < n; i++)
        {
            double[] phi = [1, random.NextDouble() * 4 - 2, random.NextDouble(), random.NextDouble() * 3];
            double target = 82 + 0.3 * phi[1] - 0.5 * phi[2] + 0.1 * phi[3] + random.NextDouble();
            blr.Update(phi, target);
            x.SetRow(i, phi);
            y[i] = target;
        }
        // Batch closed form: Λ = Λ₀ + XᵀX/σ², μ = Λ⁻¹(Λ₀μ₀ + Xᵀy/σ²).
        var lambda0 = Matrix<double>.Build.DenseOfDiagonalArray(priorPrecision);
        var lambda = lambda0 + x.TransposeThisAndMultiply(x) / sigma2;
        var covariance = lambda.Inverse();
        var mean = covariance * (lambda0 * Vector<double>.Build.DenseOfArray(priorMean) + x.TransposeThisAndMultiply(y) / sigma2);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(mean[i], blr.Mean[i], 8);
            for (int j = 0; j < 4; j++) Assert.Equal(covariance[i, j], blr.Covariance[i * 4 + j], 10);
        }
    }

    [Fact]
    public void PriorMean_IsKept_AfterTheFirstUpdate()
    {
        // With one observation of the intercept only, μ₁ = (λ₀μ₀ + y/σ²)/(λ₀ + 1/σ²): the prior mean 77 still counts.
        var blr = new BayesianLinearRegression([77], [0.01], 1);
        blr.Update([1], 80);
        Assert.Equal((0.01 * 77 + 80) / 1.01, blr.Mean[0], 10);
    }

    [Fact]
    public void Draws_HaveThePosteriorMeanAndCovariance()
    {
        var blr = new BayesianLinearRegression([1, -2], [1, 4], 1);
        blr.Update([1, 0.5], 1.5);
        blr.Update([1, -1], 0.2);
        var random = TestWorlds.Rng(9);
        const int n = 200_000;
        var draw = new double[2];
        double m0 = 0, m1 = 0, c00 = 0, c01 = 0, c11 = 0;
        var all = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            blr.Sample(random, draw);
            all[i, 0] = draw[0];
            all[i, 1] = draw[1];
            m0 += draw[0] / n;
            m1 += draw[1] / n;
        }
        for (int i = 0; i < n; i++)
        {
            c00 += (all[i, 0] - m0) * (all[i, 0] - m0) / (n - 1);
            c01 += (all[i, 0] - m0) * (all[i, 1] - m1) / (n - 1);
            c11 += (all[i, 1] - m1) * (all[i, 1] - m1) / (n - 1);
        }
        // Tolerances: 5 standard errors of the mean; 2% on (co)variances (standard error ≈ 0.3%).
        Assert.InRange(m0 - blr.Mean[0], -5 * Math.Sqrt(blr.Covariance[0] / n), 5 * Math.Sqrt(blr.Covariance[0] / n));
        Assert.InRange(m1 - blr.Mean[1], -5 * Math.Sqrt(blr.Covariance[3] / n), 5 * Math.Sqrt(blr.Covariance[3] / n));
        Assert.Equal(blr.Covariance[0], c00, 0.02 * blr.Covariance[0]);
        Assert.Equal(blr.Covariance[1], c01, 0.02 * Math.Sqrt(blr.Covariance[0] * blr.Covariance[3]));
        Assert.Equal(blr.Covariance[3], c11, 0.02 * blr.Covariance[3]);
    }
}

public class NormalInverseWishartTests
{
    private static double[][] Data(int n, int d, ulong seed)
    {
        var random = TestWorlds.Rng(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(j => random.NextDouble() * 3 - j).ToArray()).ToArray();
    }

    [Fact]
    public void SequentialUpdates_EqualTheBatchClosedForm()
    {
        const int d = 3;
        double[] mu0 = [0.5, -1, 2];
        double[] psi0 = [2, 0.3, 0, 0.3, 1, -0.2, 0, -0.2, 1.5];
        var niw = new NormalInverseWishart(mu0, 2.5, psi0, 4);
        double[][] zs = Data(25, d, 4);
        foreach (double[] z in zs) niw.Update(z);
        // κ_n = κ₀ + n, μ_n = (κ₀μ₀ + n z̄)/κ_n, ν_n = ν₀ + n, Ψ_n = Ψ₀ + S + κ₀n/κ_n (z̄ − μ₀)(z̄ − μ₀)ᵀ.
        int n = zs.Length;
        double[] zbar = Enumerable.Range(0, d).Select(j => zs.Average(z => z[j])).ToArray();
        Assert.Equal(2.5 + n, niw.Kappa, 12);
        Assert.Equal(4 + n, niw.Nu, 12);
        for (int i = 0; i < d; i++) Assert.Equal((2.5 * mu0[i] + n * zbar[i]) / (2.5 + n), niw.Mean[i], 10);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double s = zs.Sum(z => (z[i] - zbar[i]) * (z[j] - zbar[j]));
                double expected = psi0[i * d + j] + s + 2.5 * n / (2.5 + n) * (zbar[i] - mu0[i]) * (zbar[j] - mu0[j]);
                Assert.Equal(expected, niw.Scale[i * d + j], 9);
            }
    }

    [Fact]
    public void JointDraws_HaveTheInverseWishartAndNormalMoments()
    {
        // E[Σ] = Ψ/(ν − d − 1); E[m] = μ; Cov[m] = E[Σ]/κ.
        const int d = 2;
        var niw = new NormalInverseWishart([1, -1], 2, [3, 1, 1, 2], 9);
        var random = TestWorlds.Rng(21);
        const int n = 100_000;
        var m = new double[d];
        var f = new double[d * d];
        var sigmaMean = new double[d * d];
        var mMean = new double[d];
        var mSq = new double[d * d];
        for (int s = 0; s < n; s++)
        {
            niw.Sample(random, m, f);
            for (int i = 0; i < d; i++)
            {
                mMean[i] += m[i] / n;
                for (int j = 0; j < d; j++)
                {
                    double sigma = 0;
                    for (int k = 0; k < d; k++) sigma += f[i * d + k] * f[j * d + k]; // Σ = F Fᵀ
                    sigmaMean[i * d + j] += sigma / n;
                    mSq[i * d + j] += m[i] * m[j] / n;
                }
            }
        }
        double[] expectedSigma = [3 / 6.0, 1 / 6.0, 1 / 6.0, 2 / 6.0];
        for (int k = 0; k < 4; k++) Assert.Equal(expectedSigma[k], sigmaMean[k], 0.015);
        Assert.Equal(1, mMean[0], 0.01);
        Assert.Equal(-1, mMean[1], 0.01);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                Assert.Equal(expectedSigma[i * d + j] / 2, mSq[i * d + j] - mMean[i] * mMean[j], 0.01);
    }

    [Fact]
    public void MarginalMeanDraws_MatchTheJointDrawsMoments()
    {
        // SampleMean draws the multivariate t: mean μ, covariance Ψ/(κ(ν − d − 1)).
        var niw = new NormalInverseWishart([0.5, 2], 3, [2, -0.5, -0.5, 1], 8);
        var random = TestWorlds.Rng(8);
        const int n = 200_000;
        var m = new double[2];
        double a = 0, b = 0, aa = 0, ab = 0, bb = 0;
        for (int s = 0; s < n; s++)
        {
            niw.SampleMean(random, m);
            a += m[0]; b += m[1]; aa += m[0] * m[0]; ab += m[0] * m[1]; bb += m[1] * m[1];
        }
        a /= n; b /= n;
        double scale = 1.0 / (3 * (8 - 2 - 1));
        Assert.Equal(0.5, a, 0.005);
        Assert.Equal(2, b, 0.005);
        Assert.Equal(2 * scale, aa / n - a * a, 0.006);
        Assert.Equal(-0.5 * scale, ab / n - a * b, 0.004);
        Assert.Equal(1 * scale, bb / n - b * b, 0.004);
    }

    [Fact]
    public void Nu_MustExceedDMinusOne()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new NormalInverseWishart([0, 0], 1, [1, 0, 0, 1], 0.5));
        Assert.Equal("nu", ex.ParamName);
    }
}
