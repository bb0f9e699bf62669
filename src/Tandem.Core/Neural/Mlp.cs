using Tandem.Core.State;

namespace Tandem.Core.Neural;

/// <summary>
/// A small fully connected network (multilayer perceptron): dense layers with an <see cref="Activation"/>
/// after every hidden layer and a linear output layer. All weights and biases live in one flat
/// <see cref="Parameters"/> vector (so an optimizer such as <see cref="Adam"/> steps over one span), and
/// <see cref="Gradients"/> has the same layout. Layer l stores its weight matrix input-major
/// (row i holds the weights from input i to every output) followed by its biases, so a forward pass is a
/// sum of contiguous axpy operations. Written by hand on spans because TorchSharp does not run on this
/// Debian (ARCHITECTURE "Numerics"); gradient-checked in tests. Nothing allocates after construction.
/// Not thread-safe: each network owns its scratch.
/// </summary>
public sealed class Mlp
{
    private readonly int[] _sizes;
    private readonly int[] _offsets; // start of layer l's weights in the flat vector
    private readonly double[] _parameters;
    private readonly double[] _gradients;
    private readonly double[] _scratchA;
    private readonly double[] _scratchB;
    private readonly double[][] _activations; // per layer boundary: maxBatch × width (post-activation; [0] = inputs)
    private readonly double[] _deltaA;
    private readonly double[] _deltaB;

    /// <summary>Create a network with the given layer widths, parameters all zero (call <see cref="InitializeUniform"/>).</summary>
    /// <param name="layerSizes">Widths [input, hidden..., output]; at least two entries, each ≥ 1.</param>
    /// <param name="hidden">Nonlinearity after each hidden layer. Default ReLU.</param>
    /// <param name="maxBatch">Largest batch <see cref="ForwardBatch"/> accepts. Range: ≥ 1. Default 128.</param>
    public Mlp(ReadOnlySpan<int> layerSizes, Activation hidden = Activation.ReLU, int maxBatch = 128)
    {
        if (layerSizes.Length < 2) throw new ArgumentException("An MLP needs at least an input and an output width.", nameof(layerSizes));
        foreach (int s in layerSizes) if (s < 1) throw new ArgumentOutOfRangeException(nameof(layerSizes), s, "Every layer width must be at least 1.");
        if (!Enum.IsDefined(hidden)) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "Unknown activation.");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _sizes = layerSizes.ToArray();
        HiddenActivation = hidden;
        MaxBatch = maxBatch;
        _offsets = new int[_sizes.Length - 1];
        int count = 0, widest = 0;
        for (int l = 0; l < _sizes.Length - 1; l++)
        {
            _offsets[l] = count;
            count += (_sizes[l] + 1) * _sizes[l + 1];
        }
        foreach (int s in _sizes) widest = Math.Max(widest, s);
        _parameters = new double[count];
        _gradients = new double[count];
        _scratchA = new double[widest];
        _scratchB = new double[widest];
        _activations = new double[_sizes.Length][];
        for (int l = 0; l < _sizes.Length; l++) _activations[l] = new double[maxBatch * _sizes[l]];
        _deltaA = new double[widest];
        _deltaB = new double[widest];
    }

    /// <summary>Input width.</summary>
    public int InputSize => _sizes[0];

    /// <summary>Output width.</summary>
    public int OutputSize => _sizes[^1];

    /// <summary>Number of dense layers (hidden layers + 1).</summary>
    public int LayerCount => _sizes.Length - 1;

    /// <summary>Width of boundary l (0 = input, LayerCount = output).</summary>
    public int Width(int boundary) => _sizes[boundary];

    /// <summary>The nonlinearity after hidden layers.</summary>
    public Activation HiddenActivation { get; }

    /// <summary>Largest batch for <see cref="ForwardBatch"/>.</summary>
    public int MaxBatch { get; }

    /// <summary>Total number of weights and biases: Σ_l (n_l + 1) n_{l+1}.</summary>
    public int ParameterCount => _parameters.Length;

    /// <summary>All weights and biases, flat (layer by layer: input-major weights, then biases).</summary>
    public Span<double> Parameters => _parameters;

    /// <summary>∂loss/∂parameters accumulated by <see cref="BackwardBatch"/>; same layout as <see cref="Parameters"/>.</summary>
    public Span<double> Gradients => _gradients;

    /// <summary>Weights of layer l (n_l × n_{l+1}, input-major) inside <see cref="Parameters"/>.</summary>
    public Span<double> Weights(int layer) => _parameters.AsSpan(_offsets[layer], _sizes[layer] * _sizes[layer + 1]);

    /// <summary>Biases of layer l (n_{l+1}) inside <see cref="Parameters"/>.</summary>
    public Span<double> Biases(int layer) => _parameters.AsSpan(_offsets[layer] + _sizes[layer] * _sizes[layer + 1], _sizes[layer + 1]);

    /// <summary>PyTorch's default initialisation of <c>nn.Linear</c>: every weight and bias of layer l uniform on
    /// (−1/√n_l, 1/√n_l), n_l its input width (seed 002 App. F.2.3).</summary>
    public void InitializeUniform(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int l = 0; l < LayerCount; l++)
        {
            double bound = 1.0 / Math.Sqrt(_sizes[l]);
            Span<double> layer = _parameters.AsSpan(_offsets[l], (_sizes[l] + 1) * _sizes[l + 1]);
            for (int i = 0; i < layer.Length; i++) layer[i] = bound * (2 * random.NextDouble() - 1);
        }
    }

    /// <summary>Copy another network's parameters (same layer widths).</summary>
    public void CopyParametersFrom(Mlp other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!other._sizes.AsSpan().SequenceEqual(_sizes)) throw new ArgumentException("The networks have different layer widths.", nameof(other));
        other._parameters.CopyTo(_parameters, 0);
    }

    /// <summary>The layer widths and parameters as data (copies; gradients and scratch are not state).</summary>
    public MlpState ExportState() => new(_sizes.ToArray(), _parameters.ToArray());

    /// <summary>Throws <see cref="PolicyStateException"/> naming the mismatch unless <paramref name="state"/> has this
    /// network's layer widths and finite parameters.</summary>
    public void ValidateState(MlpState state)
    {
        PolicyStates.Require(state is not null, "The network state is missing.");
        PolicyStates.Require(state!.LayerSizes is not null && state.LayerSizes.AsSpan().SequenceEqual(_sizes),
            $"The network state has layer widths [{string.Join(", ", state.LayerSizes ?? [])}]; this network has [{string.Join(", ", _sizes)}].");
        PolicyStates.RequireLength(state.Parameters, _parameters.Length, "network parameters");
        PolicyStates.RequireFinite(state.Parameters, "network parameters");
    }

    /// <summary>Replace the parameters by those of <paramref name="state"/> (validated first; nothing changes when it does not fit).</summary>
    public void ImportState(MlpState state)
    {
        ValidateState(state);
        state.Parameters.CopyTo(_parameters, 0);
    }

    /// <summary>One forward pass without keeping activations (for prediction).</summary>
    /// <param name="input">Length <see cref="InputSize"/>.</param>
    /// <param name="output">Receives the outputs, length <see cref="OutputSize"/>.</param>
    public void Forward(ReadOnlySpan<double> input, Span<double> output)
    {
        if (input.Length != InputSize) throw new ArgumentException($"Expected {InputSize} inputs; got {input.Length}.", nameof(input));
        if (output.Length != OutputSize) throw new ArgumentException($"Expected {OutputSize} outputs; got {output.Length}.", nameof(output));
        ForwardUnchecked(input, output);
    }

    /// <summary>The first output for one input; a shortcut for single-output networks (no checks beyond the input width).</summary>
    public double Predict(ReadOnlySpan<double> input)
    {
        if (input.Length != InputSize) throw new ArgumentException($"Expected {InputSize} inputs; got {input.Length}.", nameof(input));
        Span<double> o = _scratchB.AsSpan(0, 1);
        if (OutputSize == 1)
        {
            ForwardUnchecked(input, o);
            return o[0];
        }
        Span<double> all = stackalloc double[OutputSize];
        ForwardUnchecked(input, all);
        return all[0];
    }

    /// <summary>
    /// Forward passes of <paramref name="count"/> inputs without keeping activations (for prediction). Networks with
    /// one hidden layer and one output take a fused path: h = act(b₁ + Σ_i x_i W₁[i, :]) and y = b₂ + w₂ᵀh are formed
    /// in registers without writing h.
    /// </summary>
    /// <param name="inputs">count × <see cref="InputSize"/>, row-major.</param>
    /// <param name="outputs">Receives count × <see cref="OutputSize"/>, row-major.</param>
    /// <param name="count">Range: ≥ 0.</param>
    public void PredictBatch(ReadOnlySpan<double> inputs, Span<double> outputs, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (inputs.Length != count * InputSize) throw new ArgumentException($"Expected {count * InputSize} inputs; got {inputs.Length}.", nameof(inputs));
        if (outputs.Length != count * OutputSize) throw new ArgumentException($"Expected {count * OutputSize} outputs; got {outputs.Length}.", nameof(outputs));
        if (LayerCount == 2 && OutputSize == 1 && HiddenActivation == Activation.ReLU)
        {
            int nIn = _sizes[0], hidden = _sizes[1];
            ReadOnlySpan<double> w1 = _parameters.AsSpan(_offsets[0], nIn * hidden);
            ReadOnlySpan<double> b1 = _parameters.AsSpan(_offsets[0] + nIn * hidden, hidden);
            ReadOnlySpan<double> w2 = _parameters.AsSpan(_offsets[1], hidden);
            double b2 = _parameters[_offsets[1] + hidden];
            for (int s = 0; s < count; s++)
                outputs[s] = b2 + SmallKernels.ReluLayerDot(inputs.Slice(s * nIn, nIn), w1, b1, w2);
            return;
        }
        for (int s = 0; s < count; s++)
            ForwardUnchecked(inputs.Slice(s * InputSize, InputSize), outputs.Slice(s * OutputSize, OutputSize));
    }

    /// <summary>
    /// Forward passes of <paramref name="count"/> inputs that share their last values: input s is
    /// [varying row s, <paramref name="shared"/>] (for example Monte Carlo draws of a treatment followed by the
    /// context, the same for all). For one-hidden-layer single-output ReLU networks the shared part of the first
    /// layer, Σ_i shared_i W₁[i, :], is folded into the biases once, so each input costs only its varying width.
    /// </summary>
    /// <param name="varying">count × (<see cref="InputSize"/> − shared.Length), row-major.</param>
    /// <param name="shared">The common trailing inputs; may be empty.</param>
    /// <param name="outputs">Receives count × <see cref="OutputSize"/>.</param>
    /// <param name="count">Range: ≥ 0.</param>
    public void PredictBatch(ReadOnlySpan<double> varying, ReadOnlySpan<double> shared, Span<double> outputs, int count)
    {
        int width = InputSize - shared.Length;
        if (width < 0) throw new ArgumentException($"At most {InputSize} shared inputs; got {shared.Length}.", nameof(shared));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (varying.Length != count * width) throw new ArgumentException($"Expected {count * width} varying inputs; got {varying.Length}.", nameof(varying));
        if (outputs.Length != count * OutputSize) throw new ArgumentException($"Expected {count * OutputSize} outputs; got {outputs.Length}.", nameof(outputs));
        if (LayerCount == 2 && OutputSize == 1 && HiddenActivation == Activation.ReLU && width > 0)
        {
            int hidden = _sizes[1];
            ReadOnlySpan<double> w1 = _parameters.AsSpan(_offsets[0], InputSize * hidden);
            Span<double> bias = _scratchA.AsSpan(0, hidden);
            _parameters.AsSpan(_offsets[0] + InputSize * hidden, hidden).CopyTo(bias);
            for (int i = 0; i < shared.Length; i++) SmallKernels.Axpy(shared[i], w1.Slice((width + i) * hidden, hidden), bias);
            ReadOnlySpan<double> w2 = _parameters.AsSpan(_offsets[1], hidden);
            double b2 = _parameters[_offsets[1] + hidden];
            ReadOnlySpan<double> w1Varying = w1[..(width * hidden)];
            for (int s = 0; s < count; s++)
                outputs[s] = b2 + SmallKernels.ReluLayerDot(varying.Slice(s * width, width), w1Varying, bias, w2);
            return;
        }
        double[] row = _deltaA; // scratch of the widest layer, free outside BackwardBatch
        for (int s = 0; s < count; s++)
        {
            varying.Slice(s * width, width).CopyTo(row);
            shared.CopyTo(row.AsSpan(width));
            ForwardUnchecked(row.AsSpan(0, InputSize), outputs.Slice(s * OutputSize, OutputSize));
        }
    }

    internal void ForwardUnchecked(ReadOnlySpan<double> input, Span<double> output)
    {
        ReadOnlySpan<double> current = input;
        for (int l = 0; l < LayerCount; l++)
        {
            bool last = l == LayerCount - 1;
            Span<double> next = last ? output : (l % 2 == 0 ? _scratchA : _scratchB).AsSpan(0, _sizes[l + 1]);
            Dense(l, current, next);
            if (!last) Activate(next);
            current = next;
        }
    }

    private void Dense(int layer, ReadOnlySpan<double> input, Span<double> output)
    {
        int nIn = _sizes[layer], nOut = _sizes[layer + 1];
        ReadOnlySpan<double> w = _parameters.AsSpan(_offsets[layer], nIn * nOut);
        ReadOnlySpan<double> b = _parameters.AsSpan(_offsets[layer] + nIn * nOut, nOut);
        if (nOut == 1)
        {
            output[0] = b[0] + SmallKernels.Dot(input, w);
            return;
        }
        SmallKernels.DenseForward(input, w, b, output);
    }

    private void Activate(Span<double> values)
    {
        if (HiddenActivation == Activation.ReLU) SmallKernels.Relu(values);
        else System.Numerics.Tensors.TensorPrimitives.Tanh(values, values); // vectorised; within a few ulp of Math.Tanh
    }

    /// <summary>Forward pass of a batch, keeping the activations that <see cref="BackwardBatch"/> needs.</summary>
    /// <param name="inputs">batch × <see cref="InputSize"/>, row-major.</param>
    /// <param name="outputs">Receives batch × <see cref="OutputSize"/>, row-major.</param>
    /// <param name="batch">Range: 1 ≤ batch ≤ <see cref="MaxBatch"/>.</param>
    public void ForwardBatch(ReadOnlySpan<double> inputs, Span<double> outputs, int batch)
    {
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must lie in [1, {MaxBatch}].");
        if (inputs.Length != batch * InputSize) throw new ArgumentException($"Expected {batch * InputSize} inputs; got {inputs.Length}.", nameof(inputs));
        if (outputs.Length != batch * OutputSize) throw new ArgumentException($"Expected {batch * OutputSize} outputs; got {outputs.Length}.", nameof(outputs));
        inputs.CopyTo(_activations[0]);
        for (int s = 0; s < batch; s++)
        {
            for (int l = 0; l < LayerCount; l++)
            {
                ReadOnlySpan<double> x = _activations[l].AsSpan(s * _sizes[l], _sizes[l]);
                Span<double> y = _activations[l + 1].AsSpan(s * _sizes[l + 1], _sizes[l + 1]);
                Dense(l, x, y);
                if (l < LayerCount - 1) Activate(y);
            }
        }
        _activations[LayerCount].AsSpan(0, batch * OutputSize).CopyTo(outputs);
    }

    /// <summary>Set <see cref="Gradients"/> to zero.</summary>
    public void ZeroGradients() => Array.Clear(_gradients);

    /// <summary>
    /// Backpropagation through the batch of the last <see cref="ForwardBatch"/>: adds ∂loss/∂θ to
    /// <see cref="Gradients"/> given ∂loss/∂output of every sample (call <see cref="ZeroGradients"/> first
    /// unless accumulating).
    /// </summary>
    /// <param name="outputGradients">batch × <see cref="OutputSize"/>, row-major.</param>
    /// <param name="batch">The batch of the last forward pass.</param>
    public void BackwardBatch(ReadOnlySpan<double> outputGradients, int batch)
    {
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must lie in [1, {MaxBatch}].");
        if (outputGradients.Length != batch * OutputSize) throw new ArgumentException($"Expected {batch * OutputSize} output gradients; got {outputGradients.Length}.", nameof(outputGradients));
        for (int s = 0; s < batch; s++)
        {
            Span<double> delta = _deltaA.AsSpan(0, OutputSize);
            bool inA = true;
            outputGradients.Slice(s * OutputSize, OutputSize).CopyTo(delta);
            for (int l = LayerCount - 1; l >= 0; l--)
            {
                int nIn = _sizes[l], nOut = _sizes[l + 1];
                ReadOnlySpan<double> x = _activations[l].AsSpan(s * nIn, nIn);
                ReadOnlySpan<double> w = _parameters.AsSpan(_offsets[l], nIn * nOut);
                Span<double> gw = _gradients.AsSpan(_offsets[l], nIn * nOut);
                Span<double> gb = _gradients.AsSpan(_offsets[l] + nIn * nOut, nOut);
                if (nOut == 1)
                {
                    // Single output: contiguous axpy over the inputs instead of nIn axpys of length 1.
                    double g = delta[0];
                    gb[0] += g;
                    SmallKernels.Axpy(g, x, gw);
                    if (l == 0) break;
                    Span<double> down = (inA ? _deltaB : _deltaA).AsSpan(0, nIn);
                    inA = !inA;
                    for (int i = 0; i < nIn; i++)
                    {
                        double a = x[i];
                        double gi = w[i] * g;
                        down[i] = HiddenActivation == Activation.ReLU ? (a > 0 ? gi : 0) : gi * (1 - a * a);
                    }
                    delta = down;
                    continue;
                }
                SmallKernels.Axpy(1.0, delta, gb);
                if (l == 0)
                {
                    SmallKernels.DenseBackward(x, w, delta, gw, default);
                    break;
                }
                // gW[i, :] += x_i δ and δ_in[i] = Σ_j W[i, j] δ[j] in one pass, then through the activation of the layer below.
                Span<double> below = (inA ? _deltaB : _deltaA).AsSpan(0, nIn);
                inA = !inA;
                SmallKernels.DenseBackward(x, w, delta, gw, below);
                for (int i = 0; i < nIn; i++)
                {
                    double g = below[i], a = x[i];
                    below[i] = HiddenActivation == Activation.ReLU ? (a > 0 ? g : 0) : g * (1 - a * a);
                }
                delta = below;
            }
        }
    }

    /// <summary>
    /// One supervised step on a batch: forward, mean squared error against <paramref name="targets"/>,
    /// backward (gradients are zeroed first). Returns the loss; the gradients are left in <see cref="Gradients"/>.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/>.</param>
    /// <param name="targets">batch × <see cref="OutputSize"/>.</param>
    /// <param name="batch">Range: 1 ≤ batch ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="workspace">Scratch of length ≥ batch × <see cref="OutputSize"/>.</param>
    public double MeanSquaredErrorGradient(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int batch, Span<double> workspace)
    {
        int n = batch * OutputSize;
        if (workspace.Length < n) throw new ArgumentException($"The workspace needs at least {n} values; got {workspace.Length}.", nameof(workspace));
        Span<double> outputs = workspace[..n];
        if (LayerCount == 2 && OutputSize == 1 && HiddenActivation == Activation.ReLU)
        {
            // Fused path for d → H → 1 ReLU networks (ensemble sampling): one pass per sample, forward then backward,
            // with the hidden pre-activations kept in scratch (bitwise the unfused computation, tested).
            if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must lie in [1, {MaxBatch}].");
            if (inputs.Length != batch * InputSize) throw new ArgumentException($"Expected {batch * InputSize} inputs; got {inputs.Length}.", nameof(inputs));
            if (targets.Length != n) throw new ArgumentException($"Expected {n} targets; got {targets.Length}.", nameof(targets));
            ZeroGradients();
            int nIn = _sizes[0], hidden = _sizes[1];
            ReadOnlySpan<double> w1 = _parameters.AsSpan(_offsets[0], nIn * hidden);
            ReadOnlySpan<double> b1 = _parameters.AsSpan(_offsets[0] + nIn * hidden, hidden);
            ReadOnlySpan<double> w2 = _parameters.AsSpan(_offsets[1], hidden);
            double b2 = _parameters[_offsets[1] + hidden];
            Span<double> gw1 = _gradients.AsSpan(_offsets[0], nIn * hidden);
            Span<double> gb1 = _gradients.AsSpan(_offsets[0] + nIn * hidden, hidden);
            Span<double> gw2 = _gradients.AsSpan(_offsets[1], hidden);
            Span<double> pre = _scratchA.AsSpan(0, hidden);
            double scale = 2.0 / n, fusedLoss = 0, gb2 = 0;
            for (int s = 0; s < batch; s++)
            {
                double r = SmallKernels.ReluLayerSquaredErrorStep(inputs.Slice(s * nIn, nIn), w1, b1, w2, b2, targets[s], scale, pre, gw1, gb1, gw2);
                fusedLoss += r * r;
                outputs[s] = scale * r;
                gb2 += outputs[s];
            }
            _gradients[_offsets[1] + hidden] = gb2;
            return fusedLoss / n;
        }
        ForwardBatch(inputs, outputs, batch);
        double loss = MeanSquaredError.LossAndGradient(outputs, targets, outputs);
        ZeroGradients();
        BackwardBatch(outputs, batch);
        return loss;
    }
}

/// <summary>An <see cref="Mlp"/>'s parameters as data.</summary>
/// <param name="LayerSizes">Widths [input, hidden..., output].</param>
/// <param name="Parameters">All weights and biases, in <see cref="Mlp.Parameters"/> layout.</param>
public sealed record MlpState(int[] LayerSizes, double[] Parameters);
