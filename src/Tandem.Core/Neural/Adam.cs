using Tandem.Core.State;

namespace Tandem.Core.Neural;

/// <summary>Settings of <see cref="Adam"/> (Kingma and Ba 2015). Immutable; validated at construction of the optimizer.</summary>
public sealed record AdamOptions
{
    /// <summary>Step size α. Range: α &gt; 0. Default 0.001 (PyTorch's default; GAMBITTS uses 0.1, seed 002 App. F.2.3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Decay of the first-moment average β₁. Range: 0 ≤ β₁ &lt; 1. Default 0.9.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Decay of the second-moment average β₂. Range: 0 ≤ β₂ &lt; 1. Default 0.999.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>ε added to √v̂. Range: ε &gt; 0. Default 1e-8.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be finite and > 0.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "β₁ must lie in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "β₂ must lie in [0, 1).");
        if (!(Epsilon > 0) || !double.IsFinite(Epsilon)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must be finite and > 0.");
    }
}

/// <summary>
/// The Adam optimizer over one flat parameter vector: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// θ ← θ − α m̂ / (√v̂ + ε) with the bias corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) (PyTorch's form).
/// Owns its moment buffers; <see cref="Step"/> does not allocate.
/// </summary>
public sealed class Adam
{
    private readonly double[] _m;
    private readonly double[] _v;
    private double _beta1Power = 1, _beta2Power = 1;

    /// <summary>An optimizer for <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">Range: ≥ 1.</param>
    /// <param name="options">Validated here.</param>
    public Adam(int parameterCount, AdamOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _m = new double[parameterCount];
        _v = new double[parameterCount];
    }

    /// <summary>The settings.</summary>
    public AdamOptions Options { get; }

    /// <summary>Steps taken so far, t.</summary>
    public long Steps { get; private set; }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradients"/> (both of the constructor's length).</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradients)
    {
        if (parameters.Length != _m.Length) throw new ArgumentException($"Expected {_m.Length} parameters; got {parameters.Length}.", nameof(parameters));
        if (gradients.Length != _m.Length) throw new ArgumentException($"Expected {_m.Length} gradients; got {gradients.Length}.", nameof(gradients));
        Steps++;
        double b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Epsilon;
        _beta1Power *= b1;
        _beta2Power *= b2;
        double stepSize = Options.LearningRate / (1 - _beta1Power);
        double secondCorrection = 1.0 / Math.Sqrt(1 - _beta2Power);
        Span<double> m = _m, v = _v;
        int start = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            // The same arithmetic as the scalar loop below, Vector<double>.Count parameters at a time.
            int width = System.Numerics.Vector<double>.Count;
            var vb1 = new System.Numerics.Vector<double>(b1);
            var vb2 = new System.Numerics.Vector<double>(b2);
            var v1b1 = new System.Numerics.Vector<double>(1 - b1);
            var v1b2 = new System.Numerics.Vector<double>(1 - b2);
            var vStep = new System.Numerics.Vector<double>(stepSize);
            var vCorr = new System.Numerics.Vector<double>(secondCorrection);
            var vEps = new System.Numerics.Vector<double>(eps);
            for (; start <= parameters.Length - width; start += width)
            {
                var g = new System.Numerics.Vector<double>(gradients[start..]);
                var mi = vb1 * new System.Numerics.Vector<double>(m[start..]) + v1b1 * g;
                var vi = vb2 * new System.Numerics.Vector<double>(v[start..]) + v1b2 * g * g;
                mi.CopyTo(m[start..]);
                vi.CopyTo(v[start..]);
                var theta = new System.Numerics.Vector<double>(parameters[start..]) - vStep * mi / (System.Numerics.Vector.SquareRoot(vi) * vCorr + vEps);
                theta.CopyTo(parameters[start..]);
            }
        }
        for (int i = start; i < parameters.Length; i++)
        {
            double g = gradients[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            parameters[i] -= stepSize * m[i] / (Math.Sqrt(v[i]) * secondCorrection + eps);
        }
    }

    /// <summary>Forget the moments and the step count.</summary>
    public void Reset()
    {
        Array.Clear(_m);
        Array.Clear(_v);
        _beta1Power = _beta2Power = 1;
        Steps = 0;
    }

    /// <summary>The moments, the step count and the bias-correction powers β₁ᵗ, β₂ᵗ, as data (copies).</summary>
    public AdamState ExportState() => new(_m.ToArray(), _v.ToArray(), Steps, _beta1Power, _beta2Power);

    /// <summary>Throws <see cref="PolicyStateException"/> naming the mismatch unless <paramref name="state"/> fits this
    /// optimizer (parameter count, finite moments, v ≥ 0, steps ≥ 0, powers in (0, 1]).</summary>
    public void ValidateState(AdamState state)
    {
        PolicyStates.Require(state is not null, "The Adam state is missing.");
        PolicyStates.RequireLength(state!.FirstMoment, _m.Length, "Adam first moment");
        PolicyStates.RequireLength(state.SecondMoment, _v.Length, "Adam second moment");
        PolicyStates.RequireFinite(state.FirstMoment, "Adam first moment");
        PolicyStates.RequireFinite(state.SecondMoment, "Adam second moment");
        foreach (double v in state.SecondMoment) PolicyStates.Require(v >= 0, $"The Adam second moment holds {v}; it must be ≥ 0.");
        PolicyStates.Require(state.Steps >= 0, $"The Adam step count is {state.Steps}; it must be ≥ 0.");
        PolicyStates.Require(state.Beta1Power > 0 && state.Beta1Power <= 1 && state.Beta2Power > 0 && state.Beta2Power <= 1,
            $"The Adam powers β₁ᵗ = {state.Beta1Power}, β₂ᵗ = {state.Beta2Power} must lie in (0, 1].");
    }

    /// <summary>Continue from <paramref name="state"/> (validated first; nothing changes when it does not fit).</summary>
    public void ImportState(AdamState state)
    {
        ValidateState(state);
        state.FirstMoment.CopyTo(_m, 0);
        state.SecondMoment.CopyTo(_v, 0);
        Steps = state.Steps;
        _beta1Power = state.Beta1Power;
        _beta2Power = state.Beta2Power;
    }
}

/// <summary>An <see cref="Adam"/> optimizer's state as data.</summary>
/// <param name="FirstMoment">m, one per parameter.</param>
/// <param name="SecondMoment">v, one per parameter.</param>
/// <param name="Steps">t.</param>
/// <param name="Beta1Power">β₁ᵗ (kept, not recomputed, so a restored optimizer continues bit for bit).</param>
/// <param name="Beta2Power">β₂ᵗ.</param>
public sealed record AdamState(double[] FirstMoment, double[] SecondMoment, long Steps, double Beta1Power, double Beta2Power);
