using MathNet.Numerics.LinearAlgebra;

namespace Tandem.Llm.Gambit;

/// <summary>
/// A linear map from a text embedding e ∈ R^E to style scores s ∈ R^D, s = W e + b, fitted by ridge regression on a
/// labelled set. Immutable.
/// <para>Fit: centre the embeddings X (n × E) and labels Y (n × D) on their means x̄, ȳ (the intercept is not
/// penalised), then Wᵀ = (XcᵀXc + λI_E)⁻¹ XcᵀYc — or, when E &gt; n (embeddings of 768–3,072 numbers against a
/// calibration set of about a hundred), the equal dual form Wᵀ = Xcᵀ(XcXcᵀ + λI_n)⁻¹ Yc, an n × n system — and
/// b = ȳ − W x̄. Both are solved by Cholesky factorisation (MathNet.Numerics).</para>
/// </summary>
public sealed class LinearProbe
{
    private readonly double[] _weights; // D × E, row-major
    private readonly double[] _intercept; // D

    private LinearProbe(double[] weights, double[] intercept, int inputDimension, double lambda, double[] trainingR2)
    {
        _weights = weights;
        _intercept = intercept;
        InputDimension = inputDimension;
        Lambda = lambda;
        TrainingR2 = trainingR2;
    }

    /// <summary>E, the embedding length.</summary>
    public int InputDimension { get; }

    /// <summary>D, the number of scores.</summary>
    public int OutputDimension => _intercept.Length;

    /// <summary>The ridge penalty λ it was fitted with.</summary>
    public double Lambda { get; }

    /// <summary>In-sample R² per output on the labelled set (NaN for a constant label).</summary>
    public IReadOnlyList<double> TrainingR2 { get; }

    /// <summary>The weight of embedding entry <paramref name="input"/> in score <paramref name="output"/>.</summary>
    public double Weight(int output, int input) => _weights[output * InputDimension + input];

    /// <summary>The intercept of score <paramref name="output"/>.</summary>
    public double Intercept(int output) => _intercept[output];

    /// <summary>Fit on <paramref name="count"/> rows: <paramref name="embeddings"/> is row-major n × E, <paramref name="labels"/>
    /// row-major n × D; all finite. Range: n ≥ 2, λ &gt; 0 and finite.</summary>
    public static LinearProbe Fit(ReadOnlySpan<double> embeddings, ReadOnlySpan<double> labels, int count, double lambda)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "A probe needs at least two labelled rows.");
        if (!(lambda > 0) || !double.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be finite and > 0.");
        if (embeddings.Length == 0 || embeddings.Length % count != 0) throw new ArgumentException($"{embeddings.Length} embedding numbers do not make {count} rows.", nameof(embeddings));
        if (labels.Length == 0 || labels.Length % count != 0) throw new ArgumentException($"{labels.Length} labels do not make {count} rows.", nameof(labels));
        foreach (double v in embeddings) if (!double.IsFinite(v)) throw new ArgumentException("An embedding holds a non-finite number.", nameof(embeddings));
        foreach (double v in labels) if (!double.IsFinite(v)) throw new ArgumentException("A label is not finite.", nameof(labels));
        int n = count, e = embeddings.Length / n, d = labels.Length / n;

        Matrix<double> x = Matrix<double>.Build.Dense(n, e);
        Matrix<double> y = Matrix<double>.Build.Dense(n, d);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < e; j++) x[i, j] = embeddings[i * e + j];
            for (int j = 0; j < d; j++) y[i, j] = labels[i * d + j];
        }
        Vector<double> xMean = x.ColumnSums() / n, yMean = y.ColumnSums() / n;
        for (int i = 0; i < n; i++)
        {
            x.SetRow(i, x.Row(i) - xMean);
            y.SetRow(i, y.Row(i) - yMean);
        }

        Matrix<double> wT; // E × D
        if (e <= n)
        {
            Matrix<double> gram = x.TransposeThisAndMultiply(x) + lambda * Matrix<double>.Build.DenseIdentity(e);
            wT = gram.Cholesky().Solve(x.TransposeThisAndMultiply(y));
        }
        else
        {
            Matrix<double> kernel = x.TransposeAndMultiply(x) + lambda * Matrix<double>.Build.DenseIdentity(n);
            wT = x.TransposeThisAndMultiply(kernel.Cholesky().Solve(y));
        }
        var weights = new double[d * e];
        var intercept = new double[d];
        for (int k = 0; k < d; k++)
        {
            double b = yMean[k];
            for (int j = 0; j < e; j++)
            {
                weights[k * e + j] = wT[j, k];
                b -= wT[j, k] * xMean[j];
            }
            intercept[k] = b;
        }

        // In-sample R² = 1 − SSres / SStot, on the centred data.
        Matrix<double> residual = y - x * wT;
        var r2 = new double[d];
        for (int k = 0; k < d; k++)
        {
            double total = y.Column(k).DotProduct(y.Column(k));
            r2[k] = total <= 0 ? double.NaN : 1 - residual.Column(k).DotProduct(residual.Column(k)) / total;
        }
        return new LinearProbe(weights, intercept, e, lambda, r2);
    }

    /// <summary>
    /// A scale-free ridge penalty: λ = <paramref name="ridge"/> · tr(XcXcᵀ) / n, the ratio times the mean squared
    /// length of the centred embeddings (the average eigenvalue of the kernel matrix), so the same ratio suits
    /// unit-length OpenAI vectors and unnormalised Ollama ones. Range: ridge &gt; 0. Falls back to <paramref name="ridge"/>
    /// itself when every embedding is the same.
    /// </summary>
    public static double ScaledLambda(ReadOnlySpan<double> embeddings, int count, double ridge)
    {
        if (count < 1 || embeddings.Length % count != 0) throw new ArgumentException($"{embeddings.Length} embedding numbers do not make {count} rows.", nameof(embeddings));
        if (!(ridge > 0) || !double.IsFinite(ridge)) throw new ArgumentOutOfRangeException(nameof(ridge), ridge, "The ridge ratio must be finite and > 0.");
        int e = embeddings.Length / count;
        double total = 0;
        for (int j = 0; j < e; j++)
        {
            double mean = 0;
            for (int i = 0; i < count; i++) mean += embeddings[i * e + j];
            mean /= count;
            for (int i = 0; i < count; i++) total += (embeddings[i * e + j] - mean) * (embeddings[i * e + j] - mean);
        }
        double lambda = ridge * total / count;
        return lambda > 0 && double.IsFinite(lambda) ? lambda : ridge;
    }

    /// <summary>Write W e + b into <paramref name="scores"/> (length D). <paramref name="embedding"/> has length E.</summary>
    public void Predict(ReadOnlySpan<float> embedding, Span<double> scores)
    {
        if (embedding.Length != InputDimension) throw new ArgumentException($"The embedding has {embedding.Length} numbers; the probe was fitted on {InputDimension}.", nameof(embedding));
        if (scores.Length != OutputDimension) throw new ArgumentException($"Expected room for {OutputDimension} scores.", nameof(scores));
        for (int k = 0; k < scores.Length; k++)
        {
            double s = _intercept[k];
            ReadOnlySpan<double> row = _weights.AsSpan(k * InputDimension, InputDimension);
            for (int j = 0; j < row.Length; j++) s += row[j] * embedding[j];
            scores[k] = s;
        }
    }
}
