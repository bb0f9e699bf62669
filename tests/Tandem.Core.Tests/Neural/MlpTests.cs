using Tandem.Core.Neural;
using Tandem.Core.Randomness;

namespace Tandem.Core.Tests.Neural;

public class MlpTests
{
    // Central differences of the batch MSE against backpropagation; tolerance 1e-6 relative (h = 1e-6).
    [Theory]
    [InlineData(Activation.ReLU, new[] { 3, 64, 1 })]
    [InlineData(Activation.Tanh, new[] { 4, 8, 5, 2 })]
    [InlineData(Activation.ReLU, new[] { 2, 6, 6, 3 })]
    public void BackwardBatch_MatchesFiniteDifferences(Activation activation, int[] sizes)
    {
        var random = Seeds.CreateRandom(7);
        var net = new Mlp(sizes, activation, maxBatch: 16);
        net.InitializeUniform(random);
        const int batch = 9;
        var inputs = new double[batch * net.InputSize];
        var targets = new double[batch * net.OutputSize];
        random.FillGaussian(inputs);
        random.FillGaussian(targets);
        var work = new double[batch * net.OutputSize];
        net.MeanSquaredErrorGradient(inputs, targets, batch, work);
        double[] analytic = net.Gradients.ToArray();

        double Loss()
        {
            var outputs = new double[batch * net.OutputSize];
            for (int s = 0; s < batch; s++) net.Forward(inputs.AsSpan(s * net.InputSize, net.InputSize), outputs.AsSpan(s * net.OutputSize, net.OutputSize));
            double l = 0;
            for (int i = 0; i < outputs.Length; i++) l += (outputs[i] - targets[i]) * (outputs[i] - targets[i]);
            return l / outputs.Length;
        }

        FiniteDifferences.AssertMatches(() => net.Parameters, Loss, analytic,
            (numeric, backprop) => Math.Abs(numeric - backprop) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), "parameter");
    }

    [Fact]
    public void Forward_EqualsHandComputedNetwork()
    {
        var net = new Mlp([2, 2, 1]);
        // layer 0 weights input-major: W[i, j] from input i to hidden j.
        net.Weights(0)[0] = 1; net.Weights(0)[1] = -1;
        net.Weights(0)[2] = 2; net.Weights(0)[3] = 0.5;
        net.Biases(0)[0] = 0.1; net.Biases(0)[1] = -3;
        net.Weights(1)[0] = 2; net.Weights(1)[1] = 4;
        net.Biases(1)[0] = 0.25;
        // x = (1, 2): hidden pre = (1 + 4 + 0.1, -1 + 1 - 3) = (5.1, -3) -> relu (5.1, 0); out = 10.2 + 0.25.
        Assert.Equal(10.45, net.Predict([1, 2]), 12);
        Assert.Equal((2 + 1) * 2 + (2 + 1) * 1, net.ParameterCount);
    }

    [Fact]
    public void ForwardBatch_EqualsForwardPerSample()
    {
        var random = Seeds.CreateRandom(3);
        var net = new Mlp([5, 16, 16, 2], Activation.Tanh, maxBatch: 8);
        net.InitializeUniform(random);
        var inputs = new double[8 * 5];
        random.FillGaussian(inputs);
        var batchOut = new double[16];
        net.ForwardBatch(inputs, batchOut, 8);
        var one = new double[2];
        for (int s = 0; s < 8; s++)
        {
            net.Forward(inputs.AsSpan(s * 5, 5), one);
            Assert.Equal(one[0], batchOut[2 * s], 14);
            Assert.Equal(one[1], batchOut[2 * s + 1], 14);
        }
    }

    [Fact]
    public void InitializeUniform_StaysWithinPyTorchBounds_AndIsDeterministic()
    {
        var a = new Mlp([3, 64, 1]);
        var b = new Mlp([3, 64, 1]);
        a.InitializeUniform(Seeds.CreateRandom(11));
        b.InitializeUniform(Seeds.CreateRandom(11));
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        foreach (double w in a.Weights(0)) Assert.InRange(Math.Abs(w), 0, 1 / Math.Sqrt(3));
        foreach (double w in a.Weights(1)) Assert.InRange(Math.Abs(w), 0, 1 / 8.0);
    }

    [Fact]
    public void AdamTraining_FitsALinearFunction()
    {
        var random = Seeds.CreateRandom(5);
        var net = new Mlp([2, 32, 1], maxBatch: 64);
        net.InitializeUniform(random);
        var adam = new Adam(net.ParameterCount, new AdamOptions { LearningRate = 0.01 });
        var buffer = new ReplayBuffer(512, 2, 1);
        for (int i = 0; i < 512; i++)
        {
            double x0 = random.NextGaussian(), x1 = random.NextGaussian();
            buffer.Add([x0, x1], [1 + 2 * x0 - x1]);
        }
        var idx = new int[64];
        var xs = new double[128];
        var ys = new double[64];
        var work = new double[64];
        double loss = double.NaN;
        for (int step = 0; step < 1500; step++)
        {
            buffer.SampleBatch(random, idx);
            buffer.GatherInputs(idx, xs);
            buffer.GatherTargetColumn(idx, 0, ys);
            loss = net.MeanSquaredErrorGradient(xs, ys, 64, work);
            adam.Step(net.Parameters, net.Gradients);
        }
        Assert.True(loss < 0.01, $"loss {loss}");
    }

    [Fact]
    public void TrainingStep_DoesNotAllocate()
    {
        var random = Seeds.CreateRandom(1);
        var net = new Mlp([3, 64, 1], maxBatch: 100);
        net.InitializeUniform(random);
        var adam = new Adam(net.ParameterCount, new AdamOptions { LearningRate = 0.1 });
        var xs = new double[300];
        var ys = new double[100];
        var work = new double[100];
        random.FillGaussian(xs);
        void Step()
        {
            net.MeanSquaredErrorGradient(xs, ys, 100, work);
            adam.Step(net.Parameters, net.Gradients);
            net.Predict(xs.AsSpan(0, 3));
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

public class AdamTests
{
    [Fact]
    public void FirstStep_MovesEachParameterByTheLearningRate_AgainstTheGradientSign()
    {
        // t = 1: m̂ = g, v̂ = g², so the step is α g / (|g| + ε) ≈ α sign(g).
        var adam = new Adam(3, new AdamOptions { LearningRate = 0.1 });
        double[] theta = [1, 2, 3];
        adam.Step(theta, [0.5, -2, 1e-3]);
        Assert.Equal(1 - 0.1 * 0.5 / (0.5 + 1e-8), theta[0], 14);
        Assert.Equal(2 + 0.1 * 2 / (2 + 1e-8), theta[1], 14);
        Assert.Equal(3 - 0.1 * 1e-3 / (1e-3 + 1e-8), theta[2], 12);
    }

    [Fact]
    public void TwoSteps_MatchTheBiasCorrectedRecursion()
    {
        var o = new AdamOptions { LearningRate = 0.05, Beta1 = 0.8, Beta2 = 0.9, Epsilon = 1e-6 };
        var adam = new Adam(1, o);
        double[] theta = [0.3];
        adam.Step(theta, [1.5]);
        adam.Step(theta, [-0.5]);
        double m1 = 0.2 * 1.5, v1 = 0.1 * 2.25;
        double expected = 0.3 - 0.05 * (m1 / 0.2) / (Math.Sqrt(v1 / 0.1) + 1e-6);
        double m2 = 0.8 * m1 + 0.2 * -0.5, v2 = 0.9 * v1 + 0.1 * 0.25;
        expected -= 0.05 * (m2 / (1 - 0.64)) / (Math.Sqrt(v2 / (1 - 0.81)) + 1e-6);
        Assert.Equal(expected, theta[0], 12);
    }

    [Fact]
    public void Options_OutOfRange_NameTheSetting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(2, new AdamOptions { LearningRate = 0 }));
        Assert.Equal("LearningRate", ex.ParamName);
        Assert.Equal("Beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(2, new AdamOptions { Beta2 = 1 })).ParamName);
    }
}

public class ReplayBufferTests
{
    [Fact]
    public void WhenFull_OverwritesTheOldestRow()
    {
        var buffer = new ReplayBuffer(3, 1, 2);
        for (int i = 0; i < 5; i++) buffer.Add([i], [i, 10 * i]);
        Assert.Equal(3, buffer.Count);
        Assert.Equal(5, buffer.Added);
        var held = Enumerable.Range(0, 3).Select(i => buffer.Input(i)[0]).Order().ToArray();
        Assert.Equal([2.0, 3.0, 4.0], held);
        var col = new double[3];
        buffer.GatherTargetColumn([0, 1, 2], 1, col);
        Assert.Equal(held.Select(h => 10 * h).ToArray(), col.Order().ToArray());
    }

    [Fact]
    public void SampleBatch_DrawsOnlyHeldRows_Uniformly()
    {
        var buffer = new ReplayBuffer(10, 1, 1);
        for (int i = 0; i < 4; i++) buffer.Add([i], [i]);
        var idx = new int[40000];
        buffer.SampleBatch(Seeds.CreateRandom(2), idx);
        var counts = new int[4];
        foreach (int i in idx) counts[i]++;
        // Each frequency is 0.25 ± 4.5 sd (sd = sqrt(0.25·0.75/40000) ≈ 0.0022).
        foreach (int c in counts) Assert.InRange(c / 40000.0, 0.24, 0.26);
    }
}

public class MlpPredictBatchTests
{
    [Theory]
    [InlineData(new[] { 3, 64, 1 }, Activation.ReLU)]   // fused path
    [InlineData(new[] { 6, 7, 1 }, Activation.ReLU)]    // fused path with a scalar remainder
    [InlineData(new[] { 2, 5, 3, 2 }, Activation.Tanh)] // general path
    public void PredictBatch_EqualsForwardPerSample(int[] sizes, Activation activation)
    {
        var random = Tandem.Core.Randomness.Seeds.CreateRandom(4);
        var net = new Mlp(sizes, activation);
        net.InitializeUniform(random);
        const int count = 11;
        var inputs = new double[count * net.InputSize];
        Tandem.Core.Randomness.RandomExtensions.FillGaussian(random, inputs);
        var batch = new double[count * net.OutputSize];
        net.PredictBatch(inputs, batch, count);
        var one = new double[net.OutputSize];
        for (int s = 0; s < count; s++)
        {
            net.Forward(inputs.AsSpan(s * net.InputSize, net.InputSize), one);
            for (int o = 0; o < net.OutputSize; o++) Assert.Equal(one[o], batch[s * net.OutputSize + o], 12);
        }
    }

    [Theory]
    [InlineData(new[] { 6, 64, 1 }, Activation.ReLU, 3)] // fused path: the shared part folded into the biases
    [InlineData(new[] { 6, 64, 1 }, Activation.ReLU, 0)]
    [InlineData(new[] { 5, 4, 2 }, Activation.Tanh, 2)]  // general path
    public void PredictBatch_WithSharedInputs_EqualsFullInputs(int[] sizes, Activation activation, int shared)
    {
        var random = Tandem.Core.Randomness.Seeds.CreateRandom(6);
        var net = new Mlp(sizes, activation);
        net.InitializeUniform(random);
        const int count = 9;
        int width = net.InputSize - shared;
        var varying = new double[count * width];
        var common = new double[shared];
        Tandem.Core.Randomness.RandomExtensions.FillGaussian(random, varying);
        Tandem.Core.Randomness.RandomExtensions.FillGaussian(random, common);
        var full = new double[count * net.InputSize];
        for (int s = 0; s < count; s++)
        {
            varying.AsSpan(s * width, width).CopyTo(full.AsSpan(s * net.InputSize));
            common.CopyTo(full.AsSpan(s * net.InputSize + width));
        }
        var expected = new double[count * net.OutputSize];
        var actual = new double[count * net.OutputSize];
        net.PredictBatch(full, expected, count);
        net.PredictBatch(varying, common, actual, count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }
}
