using Tandem.Core.Randomness;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Simulation;

/// <summary>Options of <see cref="SyntheticBandit"/>.</summary>
/// <param name="Arms">K. Range: 2..50.</param>
/// <param name="Dimension">d, the context's length. Range: 1..100.</param>
/// <param name="Offset">A constant added to every expected reward (SNIPS's advantage over IPS grows with it). Range: finite.</param>
/// <param name="Noise">The reward noise's standard deviation. Range: ≥ 0.</param>
/// <param name="Epsilon">The logger's uniform share: μ = (1 − ε) softmax(ψx / T) + ε/K, so every propensity is at least ε/K. Range: (0, 1].</param>
/// <param name="Temperature">The logger's softmax temperature T. Range: &gt; 0.</param>
public sealed record SyntheticBanditOptions(int Arms = 4, int Dimension = 3, double Offset = 5, double Noise = 1, double Epsilon = 0.2, double Temperature = 1)
{
    /// <summary>Throw <see cref="ArgumentOutOfRangeException"/> naming the parameter when a value is out of range.</summary>
    public void Validate()
    {
        if (Arms is < 2 or > 50) throw new ArgumentOutOfRangeException(nameof(Arms), Arms, "The arms must lie in 2..50.");
        if (Dimension is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(Dimension), Dimension, "The dimension must lie in 1..100.");
        if (!double.IsFinite(Offset)) throw new ArgumentOutOfRangeException(nameof(Offset), Offset, "The offset must be finite.");
        if (!(Noise >= 0) || !double.IsFinite(Noise)) throw new ArgumentOutOfRangeException(nameof(Noise), Noise, "The noise must be finite and at least 0.");
        if (!(Epsilon > 0 && Epsilon <= 1)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must lie in (0, 1].");
        if (!(Temperature > 0) || !double.IsFinite(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature must be positive.");
    }
}

/// <summary>
/// A linear contextual bandit that knows its truth, for checking estimators: x ~ N(0, I_d),
/// E[r | x, a] = offset + b_a + θ_a·x, r = E[r | x, a] + N(0, noise²). The logger is a softmax over its own
/// random scores ψ_a·x mixed with ε uniform exploration; it never reads θ or b. The population value of the
/// simple targets has a closed form: offset + mean(b) for uniform, offset + b_N for arm:N (E[x] = 0).
/// </summary>
public sealed class SyntheticBandit
{
    private readonly SyntheticBanditOptions _options;
    private readonly double[] _theta, _bias, _psi;

    /// <summary>Draw a world (θ, b, ψ) from <paramref name="worldSeed"/>.</summary>
    public SyntheticBandit(SyntheticBanditOptions options, ulong worldSeed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        var random = new Xoshiro256(worldSeed);
        int k = options.Arms, d = options.Dimension;
        _theta = new double[k * d];
        _psi = new double[k * d];
        _bias = new double[k];
        for (int i = 0; i < _theta.Length; i++) _theta[i] = random.NextGaussian() / Math.Sqrt(d);
        for (int a = 0; a < k; a++) _bias[a] = random.NextGaussian();
        for (int i = 0; i < _psi.Length; i++) _psi[i] = random.NextGaussian();
    }

    /// <summary>E[r | x, a].</summary>
    public double ExpectedReward(ReadOnlySpan<double> x, int arm)
    {
        double v = _options.Offset + _bias[arm];
        for (int i = 0; i < x.Length; i++) v += _theta[arm * x.Length + i] * x[i];
        return v;
    }

    /// <summary>The population value E_x[Σ_a π(a|x) E[r | x, a]] of uniform or arm:N.</summary>
    /// <exception cref="ArgumentException">The target has no closed form here (greedy-model), or its arm is out of range.</exception>
    public double Value(TargetSpec target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Kind switch
        {
            "uniform" => _options.Offset + _bias.Average(),
            "arm" when target.Arm >= 0 && target.Arm < _options.Arms => _options.Offset + _bias[target.Arm],
            _ => throw new ArgumentException($"Target '{target}' has no closed-form value in this simulation.", nameof(target)),
        };
    }

    /// <summary>A log of <paramref name="lines"/> decisions drawn with <paramref name="seed"/>, with the truth per arm.</summary>
    public IReadOnlyList<LoggedDecision> Log(int lines, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lines);
        var random = new Xoshiro256(seed);
        var log = new List<LoggedDecision>(lines);
        for (int i = 0; i < lines; i++) log.Add(Next(random, i));
        return log;
    }

    /// <summary>Draw the <paramref name="step"/>-th decision with <paramref name="random"/>.</summary>
    public LoggedDecision Next(Random random, long step)
    {
        ArgumentNullException.ThrowIfNull(random);
        int k = _options.Arms, d = _options.Dimension;
        var x = new double[d];
        random.FillGaussian(x);
        var probabilities = new double[k];
        double max = double.NegativeInfinity;
        for (int a = 0; a < k; a++)
        {
            double s = 0;
            for (int i = 0; i < d; i++) s += _psi[a * d + i] * x[i];
            probabilities[a] = s / _options.Temperature;
            max = Math.Max(max, probabilities[a]);
        }
        double sum = 0;
        for (int a = 0; a < k; a++) sum += probabilities[a] = Math.Exp(probabilities[a] - max);
        for (int a = 0; a < k; a++) probabilities[a] = (1 - _options.Epsilon) * probabilities[a] / sum + _options.Epsilon / k;
        double u = random.NextDouble(), cumulative = 0;
        int arm = k - 1;
        for (int a = 0; a < k; a++)
        {
            cumulative += probabilities[a];
            if (u < cumulative) { arm = a; break; }
        }
        var truth = new double[k];
        for (int a = 0; a < k; a++) truth[a] = ExpectedReward(x, a);
        double reward = truth[arm] + _options.Noise * random.NextGaussian();
        return new LoggedDecision(step + 1, 0, step, x, null, arm, probabilities[arm], probabilities, reward, truth);
    }
}
