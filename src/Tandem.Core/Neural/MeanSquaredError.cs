namespace Tandem.Core.Neural;

/// <summary>The mean squared error L = (1/n) Σ (p_i − t_i)² and its gradient, a span kernel (STYLE 4).</summary>
public static class MeanSquaredError
{
    /// <summary>Returns L over the n = predictions.Length values and writes ∂L/∂p_i = 2 (p_i − t_i) / n.</summary>
    /// <param name="predictions">p, length n ≥ 1.</param>
    /// <param name="targets">t, length n.</param>
    /// <param name="gradient">Receives ∂L/∂p, length n; may be the predictions buffer itself.</param>
    public static double LossAndGradient(ReadOnlySpan<double> predictions, ReadOnlySpan<double> targets, Span<double> gradient)
    {
        int n = predictions.Length;
        if (n == 0) throw new ArgumentException("At least one prediction is needed.", nameof(predictions));
        if (targets.Length != n) throw new ArgumentException($"Expected {n} targets; got {targets.Length}.", nameof(targets));
        if (gradient.Length != n) throw new ArgumentException($"Expected a gradient of length {n}; got {gradient.Length}.", nameof(gradient));
        double loss = 0, scale = 2.0 / n;
        for (int i = 0; i < n; i++)
        {
            double r = predictions[i] - targets[i];
            loss += r * r;
            gradient[i] = scale * r;
        }
        return loss / n;
    }
}
