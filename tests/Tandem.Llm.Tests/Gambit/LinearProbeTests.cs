using MathNet.Numerics.LinearAlgebra;
using Tandem.Llm.Gambit;

namespace Tandem.Llm.Tests.Gambit;

public class LinearProbeTests
{
    [Fact]
    public void Fit_RecoversAKnownLinearMap_WithinTolerance()
    {
        // Noise-free scores s = A e + b on 60 random 6-dimensional embeddings; with λ → 0 ridge is least squares,
        // which recovers A and b exactly (up to λ-induced bias of order λ / smallest eigenvalue ≈ 1e-9).
        const int n = 60, e = 6, d = 3;
        var random = new Random(5);
        double[,] a = new double[d, e];
        double[] b = [5, -1, 0.5];
        for (int k = 0; k < d; k++) for (int j = 0; j < e; j++) a[k, j] = random.NextDouble() * 4 - 2;
        var x = new double[n * e];
        var y = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < e; j++) x[i * e + j] = random.NextDouble() * 2 - 1;
            for (int k = 0; k < d; k++)
            {
                double s = b[k];
                for (int j = 0; j < e; j++) s += a[k, j] * x[i * e + j];
                y[i * d + k] = s;
            }
        }
        LinearProbe probe = LinearProbe.Fit(x, y, n, lambda: 1e-9);
        for (int k = 0; k < d; k++)
        {
            Assert.Equal(b[k], probe.Intercept(k), 1e-6);
            for (int j = 0; j < e; j++) Assert.Equal(a[k, j], probe.Weight(k, j), 1e-6);
            Assert.Equal(1.0, probe.TrainingR2[k], 1e-9);
        }
        var scores = new double[d];
        probe.Predict([0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f], scores);
        for (int k = 0; k < d; k++)
        {
            double expected = b[k] + a[k, 0] * 0.1f + a[k, 1] * 0.2f + a[k, 2] * -0.3f + a[k, 3] * 0.4f + a[k, 4] * 0.5f + a[k, 5] * -0.6f;
            Assert.Equal(expected, scores[k], 1e-6);
        }
    }

    [Fact]
    public void Fit_WideEmbeddings_UsesTheDualForm_EqualToThePrimalSolution()
    {
        // E = 40 > n = 12: the probe solves the n × n dual system; compare with the primal ridge solution
        // (XcᵀXc + λI)⁻¹ XcᵀYc computed here independently.
        const int n = 12, e = 40, d = 2;
        const double lambda = 0.3;
        var random = new Random(11);
        var x = new double[n * e];
        var y = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = random.NextDouble();
        for (int i = 0; i < y.Length; i++) y[i] = random.NextDouble() * 10;
        LinearProbe probe = LinearProbe.Fit(x, y, n, lambda);

        Matrix<double> xm = Matrix<double>.Build.Dense(n, e, (i, j) => x[i * e + j]);
        Matrix<double> ym = Matrix<double>.Build.Dense(n, d, (i, k) => y[i * d + k]);
        Vector<double> xMean = xm.ColumnSums() / n, yMean = ym.ColumnSums() / n;
        Matrix<double> xc = xm - Matrix<double>.Build.Dense(n, e, (i, j) => xMean[j]);
        Matrix<double> yc = ym - Matrix<double>.Build.Dense(n, d, (i, k) => yMean[k]);
        Matrix<double> primal = (xc.TransposeThisAndMultiply(xc) + lambda * Matrix<double>.Build.DenseIdentity(e)).Inverse() * xc.TransposeThisAndMultiply(yc);
        for (int k = 0; k < d; k++)
        {
            for (int j = 0; j < e; j++) Assert.Equal(primal[j, k], probe.Weight(k, j), 1e-9);
            Assert.Equal(yMean[k] - primal.Column(k).DotProduct(xMean), probe.Intercept(k), 1e-9);
        }
    }

    [Fact]
    public void ScaledLambda_MakesPredictionsInvariantToTheEmbeddingScale()
    {
        const int n = 30, e = 5;
        var random = new Random(3);
        var x = new double[n * e];
        var y = new double[n];
        for (int i = 0; i < x.Length; i++) x[i] = random.NextDouble();
        for (int i = 0; i < n; i++) y[i] = 3 * x[i * e] - x[i * e + 1] + random.NextDouble();
        double[] scaled = x.Select(v => v * 1000).ToArray();
        LinearProbe small = LinearProbe.Fit(x, y, n, LinearProbe.ScaledLambda(x, n, 0.1));
        LinearProbe large = LinearProbe.Fit(scaled, y, n, LinearProbe.ScaledLambda(scaled, n, 0.1));
        var a = new double[1];
        var b = new double[1];
        small.Predict([0.2f, 0.4f, 0.6f, 0.8f, 1f], a);
        large.Predict([200f, 400f, 600f, 800f, 1000f], b);
        Assert.Equal(a[0], b[0], 1e-6);
    }

    [Fact]
    public void Fit_BadInput_NamesTheParameter()
    {
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => LinearProbe.Fit([1.0], [1.0], 1, 1)).ParamName);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => LinearProbe.Fit([1.0, 2], [1.0, 2], 2, 0)).ParamName);
        Assert.Equal("embeddings", Assert.Throws<ArgumentException>(() => LinearProbe.Fit([1.0, double.NaN], [1.0, 2], 2, 1)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => LinearProbe.Fit([1.0, 2], [1.0, 2, 3], 2, 1)).ParamName);
        LinearProbe probe = LinearProbe.Fit([1.0, 2, 3], [1.0, 2, 3], 3, 1);
        Assert.Equal("embedding", Assert.Throws<ArgumentException>(() => probe.Predict([1f, 2f], new double[1])).ParamName);
    }
}
