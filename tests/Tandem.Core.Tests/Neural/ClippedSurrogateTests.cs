using Tandem.Core.Neural;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Neural;

public class ClippedSurrogateTests
{
    // An independent slow implementation: the PPO-clip loss with entropy bonus summed sample by sample.
    private static double PerSampleLoss(double[] logits, double[] oldLogp, (int Row, int Action, double Advantage)[] samples, int k, double clip, double c)
    {
        double loss = 0;
        foreach ((int row, int action, double adv) in samples)
        {
            var logp = new double[k];
            Categorical.LogSoftmax(logits.AsSpan(row * k, k), logp);
            double ratio = Math.Exp(logp[action] - oldLogp[row * k + action]);
            loss -= Math.Min(ratio * adv, Math.Clamp(ratio, 1 - clip, 1 + clip) * adv);
            double h = 0;
            for (int j = 0; j < k; j++) h -= Math.Exp(logp[j]) * logp[j];
            loss -= c * h;
        }
        return loss / samples.Length;
    }

    private static (double[] Logits, double[] Old, (int, int, double)[] Samples) Problem(int rows, int k, int m, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var logits = new double[rows * k];
        var old = new double[rows * k];
        rng.FillGaussian(logits);
        var oldLogits = new double[rows * k];
        rng.FillGaussian(oldLogits);
        for (int r = 0; r < rows; r++) Categorical.LogSoftmax(oldLogits.AsSpan(r * k, k), old.AsSpan(r * k, k));
        var samples = Enumerable.Range(0, m).Select(_ => (rng.Next(rows), rng.Next(k), 2 * rng.NextGaussian())).ToArray();
        return (logits, old, samples);
    }

    private static double Merged(double[] logits, double[] old, (int Row, int Action, double Advantage)[] samples, int k, double clip, double c, double[] gradient)
    {
        var pos = new double[logits.Length];
        var neg = new double[logits.Length];
        var count = new double[logits.Length];
        foreach ((int row, int action, double adv) in samples)
        {
            if (adv > 0) pos[row * k + action] += adv; else neg[row * k + action] += adv;
            count[row * k + action]++;
        }
        return ClippedSurrogate.LossAndGradient(logits, old, pos, neg, count, k, samples.Length, clip, c, gradient);
    }

    [Theory]
    [InlineData(2, 0.2, 0.0)]
    [InlineData(2, 2.0, 0.5)]
    [InlineData(3, 0.1, 0.3)]
    public void MergedRows_EqualThePerSampleLoss(int k, double clip, double c)
    {
        (double[] logits, double[] old, var samples) = Problem(rows: 7, k, m: 300, seed: 11);
        double merged = Merged(logits, old, samples, k, clip, c, new double[logits.Length]);
        Assert.Equal(PerSampleLoss(logits, old, samples, k, clip, c), merged, 12);
    }

    // Central differences of the per-sample loss against the merged gradient; tolerance 1e-7 absolute (h = 1e-6).
    [Theory]
    [InlineData(2, 0.2, 0.0)]
    [InlineData(2, 2.0, 0.5)]
    [InlineData(4, 0.3, 0.1)]
    public void Gradient_MatchesFiniteDifferences(int k, double clip, double c)
    {
        (double[] logits, double[] old, var samples) = Problem(rows: 5, k, m: 200, seed: 5);
        var gradient = new double[logits.Length];
        Merged(logits, old, samples, k, clip, c, gradient);
        FiniteDifferences.AssertMatches(() => logits, () => PerSampleLoss(logits, old, samples, k, clip, c), gradient,
            (numeric, analytic) => Math.Abs(numeric - analytic) < 1e-7, "logit");
    }

    // The kernel's logit gradients backpropagated through an Mlp equal finite differences in the network's parameters.
    [Fact]
    public void ThroughAnMlp_ParameterGradient_MatchesFiniteDifferences()
    {
        var random = Seeds.CreateRandom(3);
        var net = new Mlp([3, 6, 6, 2], Activation.Tanh, maxBatch: 8);
        net.InitializeUniform(random);
        const int rows = 6;
        var inputs = new double[rows * 3];
        random.FillGaussian(inputs);
        (_, double[] old, var samples) = Problem(rows, 2, m: 120, seed: 9);
        var logits = new double[rows * 2];
        var gradient = new double[rows * 2];
        net.ForwardBatch(inputs, logits, rows);
        Merged(logits, old, samples, 2, 0.2, 0.3, gradient);
        net.ZeroGradients();
        net.BackwardBatch(gradient, rows);
        double[] analytic = net.Gradients.ToArray();

        double Loss()
        {
            var z = new double[rows * 2];
            for (int r = 0; r < rows; r++) net.Forward(inputs.AsSpan(r * 3, 3), z.AsSpan(r * 2, 2));
            return PerSampleLoss(z, old, samples, 2, 0.2, 0.3);
        }

        FiniteDifferences.AssertMatches(() => net.Parameters, Loss, analytic,
            (numeric, backprop) => Math.Abs(numeric - backprop) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), "parameter");
    }

    [Fact]
    public void InvalidArguments_Throw_NamingTheParameter()
    {
        var two = new double[2];
        Assert.Equal("totalSamples", Assert.Throws<ArgumentOutOfRangeException>(() => ClippedSurrogate.LossAndGradient(two, two, two, two, two, 2, 0, 0.2, 0, new double[2])).ParamName);
        Assert.Equal("clipRatio", Assert.Throws<ArgumentOutOfRangeException>(() => ClippedSurrogate.LossAndGradient(two, two, two, two, two, 2, 1, 0, 0, new double[2])).ParamName);
        Assert.Equal("entropyCoefficient", Assert.Throws<ArgumentOutOfRangeException>(() => ClippedSurrogate.LossAndGradient(two, two, two, two, two, 2, 1, 0.2, -1, new double[2])).ParamName);
        Assert.Equal("logitGradients", Assert.Throws<ArgumentException>(() => ClippedSurrogate.LossAndGradient(two, two, two, two, two, 2, 1, 0.2, 0, new double[3])).ParamName);
    }

    [Fact]
    public void LogSoftmax_IsStable_ForLargeLogits()
    {
        var d = new double[2];
        Categorical.LogSoftmax([1000, 0], d);
        Assert.Equal(0, d[0], 12);
        Assert.Equal(-1000, d[1], 9);
    }
}
