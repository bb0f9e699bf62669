using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Evaluation.Logs;

namespace Tandem.Evaluation.Models;

/// <summary>A reward model q̂(x, a) for the direct method and the doubly robust estimators.</summary>
public interface IRewardModel
{
    /// <summary>Write q̂(x, a) of <paramref name="line"/>'s context for every arm into <paramref name="destination"/>
    /// (length = the log's arm count). A cross-fitted model predicts each line from folds that do not hold it.</summary>
    void Predict(LoggedDecision line, Span<double> destination);
}

/// <summary>
/// Ridge regression of the reward per arm, cross-fitted over K folds (Chernozhukov et al. 2018): a line in fold f
/// is predicted by the fit on the other folds, so its own reward never enters its prediction and DR keeps its
/// guarantees with a flexible model. Memory is folds × arms × (d+1)² numbers, whatever the log's length.
/// <para>Numeric contexts: for arm a and the training set T, ridge with an unpenalised intercept (the usual
/// convention): β_a = (Σ (x − x̄)(x − x̄)ᵀ + λI)⁻¹ Σ (x − x̄)(y − ȳ) over T's lines with arm a, and
/// q̂(x, a) = ȳ + (x − x̄)·β_a. An arm with no line in T predicts T's mean reward m.</para>
/// <para>The features are <see cref="LoggedDecision.RewardFeatures"/>: the payload's recourse when the log carries one
/// (a recourse log's context precedes the recourse, the reward follows it), else the numeric context.</para>
/// <para>Categorical contexts (a string cell): the arm's mean plus a ridge-shrunk cell effect,
/// q̂(c, a) = ȳ_a + Σ_{T,c,a}(y − ȳ_a) / (n_{T,c,a} + λ); an arm with no line in T predicts m.</para>
/// </summary>
public sealed class CrossFittedRidge : IRewardModel
{
    private readonly int _arms, _folds, _p;
    private readonly double _lambda;
    private readonly ulong _seed;
    private readonly bool _cells;
    // Numeric: per fold, per arm: Gram (p×p) and φy (p); per fold: n and Σy.
    private readonly double[] _gram, _moment, _foldCount, _foldSum;
    private readonly Dictionary<string, double[]> _cellStats = new(StringComparer.Ordinal); // per fold, per arm: n, Σy
    private double[]? _beta; // per fold (+1 for the full fit), per arm: p
    private double[]? _center; // per fold (+1 for the full fit)
    private double[]? _armMean; // cells: per fold (+1), per arm

    /// <summary>Create an empty model for <paramref name="arms"/> arms and contexts of <paramref name="dimension"/> numbers
    /// (or cells when <paramref name="cells"/>).</summary>
    public CrossFittedRidge(int arms, int dimension, bool cells, int folds, double lambda, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arms, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "Cross-fitting needs at least 2 folds.");
        if (!(lambda > 0) || !double.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "The ridge penalty must be positive and finite.");
        (_arms, _folds, _lambda, _seed, _cells) = (arms, folds, lambda, seed, cells);
        _p = cells ? 0 : dimension + 1;
        _gram = new double[folds * arms * _p * _p];
        _moment = new double[folds * arms * _p];
        _foldCount = new double[folds];
        _foldSum = new double[folds];
    }

    /// <summary>The number of folds.</summary>
    public int Folds => _folds;

    /// <summary>The fold of a log line: a seeded hash of its line number, so the assignment does not follow any
    /// period in the log (runs, policies) and the same seed gives the same folds.</summary>
    public int FoldOf(long line) => (int)(Seeds.Derive(_seed, line) % (ulong)_folds);

    /// <summary>Add one line's (context, arm, reward) to the sufficient statistics of its fold.</summary>
    public void Add(LoggedDecision line) => Add(line, 1);

    /// <summary>Add one line counted <paramref name="count"/> times (a bootstrap replicate's refit; 1 is <see cref="Add(LoggedDecision)"/>
    /// bit for bit, since every product is scaled by the count first).</summary>
    internal void Add(LoggedDecision line, double count)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (_beta is not null) throw new InvalidOperationException("The model is already fitted.");
        int f = FoldOf(line.Line);
        double y = line.Reward;
        _foldCount[f] += count;
        _foldSum[f] += count * y;
        if (_cells)
        {
            if (!_cellStats.TryGetValue(line.Cell!, out double[]? s)) _cellStats[line.Cell!] = s = new double[_folds * _arms * 2];
            int at = (f * _arms + line.Arm) * 2;
            s[at] += count;
            s[at + 1] += count * y;
            return;
        }
        Span<double> g = _gram.AsSpan((f * _arms + line.Arm) * _p * _p, _p * _p);
        Span<double> m = _moment.AsSpan((f * _arms + line.Arm) * _p, _p);
        double[] x = Features(line);
        for (int i = 0; i < _p; i++)
        {
            double xi = count * (i == 0 ? 1 : x[i - 1]);
            m[i] += xi * y;
            for (int j = 0; j <= i; j++) g[i * _p + j] += xi * (j == 0 ? 1 : x[j - 1]);
        }
    }

    /// <summary>Solve every fold's and the full fit's coefficients; call once after the last <see cref="Add(LoggedDecision)"/>.</summary>
    public void Fit()
    {
        int sets = _folds + 1;
        _center = new double[sets];
        for (int t = 0; t < sets; t++)
        {
            double n = 0, sum = 0;
            for (int f = 0; f < _folds; f++)
            {
                if (f == t) continue;
                n += _foldCount[f];
                sum += _foldSum[f];
            }
            _center[t] = n > 0 ? sum / n : 0;
        }
        _beta = new double[sets * _arms * _p];
        if (_cells)
        {
            _armMean = new double[sets * _arms];
            var n = new double[_arms];
            var sum = new double[_arms];
            for (int t = 0; t < sets; t++)
            {
                Array.Clear(n);
                Array.Clear(sum);
                foreach (double[] s in _cellStats.Values)
                {
                    for (int f = 0; f < _folds; f++)
                    {
                        if (f == t) continue;
                        for (int arm = 0; arm < _arms; arm++)
                        {
                            n[arm] += s[(f * _arms + arm) * 2];
                            sum[arm] += s[(f * _arms + arm) * 2 + 1];
                        }
                    }
                }
                for (int arm = 0; arm < _arms; arm++) _armMean[t * _arms + arm] = n[arm] > 0 ? sum[arm] / n[arm] : _center[t];
            }
            return;
        }
        var a = new double[_p * _p];
        var b = new double[_p];
        for (int t = 0; t < sets; t++)
        {
            for (int arm = 0; arm < _arms; arm++)
            {
                Array.Clear(a);
                Array.Clear(b);
                for (int f = 0; f < _folds; f++)
                {
                    if (f == t) continue;
                    var g = _gram.AsSpan((f * _arms + arm) * _p * _p, _p * _p);
                    for (int i = 0; i < a.Length; i++) a[i] += g[i];
                    var m = _moment.AsSpan((f * _arms + arm) * _p, _p);
                    for (int i = 0; i < _p; i++) b[i] += m[i];
                }
                // From the sums (φ₀ = 1): n = a[0,0], Σx = a[i,0], Σxxᵀ = a[i,j], Σy = b[0], Σxy = b[i]; centre them.
                Span<double> beta = _beta.AsSpan((t * _arms + arm) * _p, _p);
                double n = a[0];
                if (n == 0)
                {
                    beta.Clear();
                    beta[0] = _center[t];
                    continue;
                }
                int d = _p - 1;
                double meanY = b[0] / n;
                if (d > 0)
                {
                    var c = new double[d * d];
                    var r = new double[d];
                    for (int i = 0; i < d; i++)
                    {
                        double sxi = a[(i + 1) * _p];
                        r[i] = b[i + 1] - sxi * b[0] / n;
                        for (int j = 0; j <= i; j++) c[i * d + j] = a[(i + 1) * _p + j + 1] - sxi * a[(j + 1) * _p] / n;
                        c[i * d + i] += _lambda;
                    }
                    if (!Cholesky.TryFactor(c, c, d)) throw new InvalidOperationException("The ridge system is not positive definite (non-finite contexts or rewards?).");
                    Cholesky.Solve(c, r, beta[1..]);
                }
                double intercept = meanY;
                for (int i = 1; i < _p; i++) intercept -= beta[i] * a[i * _p] / n;
                beta[0] = intercept;
            }
        }
    }

    /// <inheritdoc />
    public void Predict(LoggedDecision line, Span<double> destination) => PredictFrom(FoldOf(line.Line), line, destination);

    /// <summary>q̂ of the fit on every line (no cross-fitting): the model a target policy may act on.</summary>
    public void PredictFull(LoggedDecision line, Span<double> destination) => PredictFrom(_folds, line, destination);

    // The recourse when the line has one (the reward followed it), else the context; every line must have d of them.
    private double[] Features(LoggedDecision line)
    {
        double[] x = line.RewardFeatures ?? throw new DecisionLogException(line.Line, "context", "is not numeric; the log's first line is");
        if (x.Length != _p - 1)
            throw new DecisionLogException(line.Line, line.Recourse is null ? "context" : "payload.recourse", $"has {x.Length} reward-model features; the log's first line has {_p - 1}");
        return x;
    }

    private void PredictFrom(int set, LoggedDecision line, Span<double> destination)
    {
        if (_beta is null || _center is null) throw new InvalidOperationException("Call Fit before Predict.");
        if (destination.Length != _arms) throw new ArgumentException($"Expected {_arms} arms; got {destination.Length}.", nameof(destination));
        if (_cells)
        {
            _cellStats.TryGetValue(line.Cell!, out double[]? s);
            for (int arm = 0; arm < _arms; arm++)
            {
                double n = 0, sum = 0;
                if (s is not null)
                {
                    for (int f = 0; f < _folds; f++)
                    {
                        if (f == set) continue;
                        int at = (f * _arms + arm) * 2;
                        n += s[at];
                        sum += s[at + 1];
                    }
                }
                double mean = _armMean![set * _arms + arm];
                destination[arm] = mean + (sum - mean * n) / (n + _lambda);
            }
            return;
        }
        double[] x = Features(line);
        for (int arm = 0; arm < _arms; arm++)
        {
            var beta = _beta.AsSpan((set * _arms + arm) * _p, _p);
            double q = beta[0];
            for (int i = 1; i < _p; i++) q += beta[i] * x[i - 1];
            destination[arm] = q;
        }
    }
}
