using System.Text.Json;
using Tandem.Core.Neural;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Core.Tests.Neural;

public class NeuralStateTests
{
    private static T RoundTrip<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, PolicyStates.JsonOptions), PolicyStates.JsonOptions)!;

    private static (Mlp Net, Adam Adam) Trained(ulong seed, int steps)
    {
        var random = Seeds.CreateRandom(seed);
        var net = new Mlp([2, 5, 1], Activation.ReLU, 4);
        net.InitializeUniform(random);
        var adam = new Adam(net.ParameterCount, new AdamOptions { LearningRate = 0.05 });
        var xs = new double[8];
        var ys = new double[4];
        var work = new double[4];
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < 8; i++) xs[i] = random.NextDouble();
            for (int i = 0; i < 4; i++) ys[i] = xs[2 * i] - xs[2 * i + 1];
            net.MeanSquaredErrorGradient(xs, ys, 4, work);
            adam.Step(net.Parameters, net.Gradients);
        }
        return (net, adam);
    }

    [Fact]
    public void MlpAndAdam_RestoredThroughJson_ContinueTrainingBitForBit()
    {
        var (net, adam) = Trained(1, 20);
        var (copy, copyAdam) = Trained(2, 3); // other parameters and moments, same shapes
        copy.ImportState(RoundTrip(net.ExportState()));
        copyAdam.ImportState(RoundTrip(adam.ExportState()));
        Assert.Equal(adam.Steps, copyAdam.Steps);
        var gradients = new double[net.ParameterCount];
        for (int t = 0; t < 10; t++)
        {
            for (int i = 0; i < gradients.Length; i++) gradients[i] = Math.Sin(t + i);
            adam.Step(net.Parameters, gradients);
            copyAdam.Step(copy.Parameters, gradients);
        }
        Assert.Equal(net.Parameters.ToArray(), copy.Parameters.ToArray());
        Assert.Equal(net.Predict([0.3, 0.4]), copy.Predict([0.3, 0.4]));
    }

    [Fact]
    public void Mlp_OtherLayerWidths_AreRefusedNamingThem_AndNothingChanges()
    {
        var net = new Mlp([2, 5, 1]);
        net.InitializeUniform(Seeds.CreateRandom(3));
        double[] before = net.Parameters.ToArray();
        var other = new Mlp([2, 4, 1]);
        var ex = Assert.Throws<PolicyStateException>(() => net.ImportState(other.ExportState()));
        Assert.Contains("[2, 4, 1]", ex.Message, StringComparison.Ordinal);
        MlpState state = net.ExportState();
        state.Parameters[0] = double.NaN;
        Assert.Throws<PolicyStateException>(() => net.ImportState(new MlpState([2, 5, 1], new double[state.Parameters.Length]) with { Parameters = state.Parameters }));
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void Adam_OtherParameterCountOrBadMoments_AreRefused_AndNothingChanges()
    {
        var (_, adam) = Trained(4, 5);
        AdamState before = adam.ExportState();
        var small = new Adam(3, new AdamOptions());
        Assert.Contains("first moment", Assert.Throws<PolicyStateException>(() => adam.ImportState(small.ExportState())).Message, StringComparison.Ordinal);
        double[] v = before.SecondMoment.ToArray();
        v[0] = -1;
        Assert.Throws<PolicyStateException>(() => adam.ImportState(before with { SecondMoment = v }));
        Assert.Throws<PolicyStateException>(() => adam.ImportState(before with { Beta1Power = 0 }));
        AdamState after = adam.ExportState();
        Assert.Equal(before.FirstMoment, after.FirstMoment);
        Assert.Equal(before.SecondMoment, after.SecondMoment);
        Assert.Equal(before.Steps, after.Steps);
    }

    [Theory]
    [InlineData(3)]  // partly full
    [InlineData(11)] // wrapped around
    public void ReplayBuffer_RestoredThroughJson_HoldsTheSameRows_AndOverwritesTheSameOldest(int added)
    {
        var buffer = new ReplayBuffer(5, 2, 1);
        for (int i = 0; i < added; i++) buffer.Add([i, -i], [10 * i]);
        var copy = new ReplayBuffer(5, 2, 1);
        copy.Add([99, 99], [99]);
        copy.ImportState(RoundTrip(buffer.ExportState()));
        Assert.Equal(buffer.Count, copy.Count);
        Assert.Equal(buffer.Added, copy.Added);
        buffer.Add([100, 100], [100]);
        copy.Add([100, 100], [100]);
        for (int i = 0; i < buffer.Count; i++)
        {
            Assert.Equal(buffer.Input(i).ToArray(), copy.Input(i).ToArray());
            Assert.Equal(buffer.Target(i).ToArray(), copy.Target(i).ToArray());
        }
        Span<int> a = stackalloc int[6], b = stackalloc int[6];
        buffer.SampleBatch(Seeds.CreateRandom(5), a);
        copy.SampleBatch(Seeds.CreateRandom(5), b);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void ReplayBuffer_OtherShapesOrInconsistentPositions_AreRefused_AndNothingChanges()
    {
        var buffer = new ReplayBuffer(4, 2, 1);
        buffer.Add([1, 2], [3]);
        ReplayBufferState before = buffer.ExportState();
        Assert.Contains("capacity 8", Assert.Throws<PolicyStateException>(() => buffer.ImportState(new ReplayBuffer(8, 2, 1).ExportState())).Message, StringComparison.Ordinal);
        Assert.Throws<PolicyStateException>(() => buffer.ImportState(before with { Next = 3 }));
        Assert.Throws<PolicyStateException>(() => buffer.ImportState(before with { Inputs = [1, 2, 3] }));
        Assert.Throws<PolicyStateException>(() => buffer.ImportState(before with { Added = 7 }));
        Assert.Equal(before with { }, buffer.ExportState() with { Inputs = before.Inputs, Targets = before.Targets });
        Assert.Equal(before.Inputs, buffer.ExportState().Inputs);
    }
}
