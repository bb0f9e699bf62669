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
/// <para>Numeric contexts: features φ(x) = (1, x); for the training set T, m = mean reward of T and
/// β_a = (Σ_T φφᵀ + λI)⁻¹ Σ_T φ (y − m) over T's lines with arm a; q̂(x, a) = m + φ(x)·β_a. The whole β is
/// penalised, so an arm with no data predicts m.</para>
/// <para>Categorical contexts (a string cell): ridge on one-hot cells, q̂(c, a) = m + Σ_{T,c,a}(y − m) / (n_{T,c,a} + λ).</para>
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
    public void Add(LoggedDecision line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (_beta is not null) throw new InvalidOperationException("The model is already fitted.");
        int f = FoldOf(line.Line);
        _foldCount[f]++;
        _foldSum[f] += line.Reward;
        if (_cells)
        {
            if (!_cellStats.TryGetValue(line.Cell!, out double[]? s)) _cellStats[line.Cell!] = s = new double[_folds * _arms * 2];
            int at = (f * _arms + line.Arm) * 2;
            s[at]++;
            s[at + 1] += line.Reward;
            return;
        }
        Span<double> g = _gram.AsSpan((f * _arms + line.Arm) * _p * _p, _p * _p);
        Span<double> m = _moment.AsSpan((f * _arms + line.Arm) * _p, _p);
        double[] x = line.Features!;
        for (int i = 0; i < _p; i++)
        {
            double xi = i == 0 ? 1 : x[i - 1];
            m[i] += xi * line.Reward;
            for (int j = 0; j <= i; j++) g[i * _p + j] += xi * (j == 0 ? 1 : x[j - 1]);
        }
    }

    /// <summary>Solve every fold's and the full fit's coefficients; call once after the last <see cref="Add"/>.</summary>
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
        if (_cells) return;
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
                // Centre the response: Σφ(y − m) = Σφy − m Σφ, and Σφ is the Gram's first column (φ₀ = 1).
                for (int i = 0; i < _p; i++) b[i] -= _center[t] * a[i * _p];
                for (int i = 0; i < _p; i++) a[i * _p + i] += _lambda;
                if (!Cholesky.TryFactor(a, a, _p)) throw new InvalidOperationException("The ridge system is not positive definite (non-finite contexts or rewards?).");
                Cholesky.Solve(a, b, _beta.AsSpan((t * _arms + arm) * _p, _p));
            }
        }
    }

    /// <inheritdoc />
    public void Predict(LoggedDecision line, Span<double> destination) => PredictFrom(FoldOf(line.Line), line, destination);

    /// <summary>q̂ of the fit on every line (no cross-fitting): the model a target policy may act on.</summary>
    public void PredictFull(LoggedDecision line, Span<double> destination) => PredictFrom(_folds, line, destination);

    private void PredictFrom(int set, LoggedDecision line, Span<double> destination)
    {
        if (_beta is null || _center is null) throw new InvalidOperationException("Call Fit before Predict.");
        if (destination.Length != _arms) throw new ArgumentException($"Expected {_arms} arms; got {destination.Length}.", nameof(destination));
        double m = _center[set];
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
                destination[arm] = m + (sum - m * n) / (n + _lambda);
            }
            return;
        }
        double[] x = line.Features!;
        for (int arm = 0; arm < _arms; arm++)
        {
            var beta = _beta.AsSpan((set * _arms + arm) * _p, _p);
            double q = m + beta[0];
            for (int i = 1; i < _p; i++) q += beta[i] * x[i - 1];
            destination[arm] = q;
        }
    }
}
