using Tandem.Core.Numerics;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>
/// The ground truth of a recourse environment: θ*_a for every arm and the link μ. Answers the expected
/// reward of any (context, arm) and the optimal pair exactly by Lemma 1 (seed 000 §2.1): for each arm
/// the best recourse maximises θ*_{a,M}ᵀx̃_M over the feasible set, then the best arm is taken.
/// </summary>
public sealed class RecourseTruth
{
    private readonly double[][] _theta;
    private readonly double[] _mutable;
    private readonly double[] _weights;
    private readonly double[] _best;

    /// <summary>Create the truth; <paramref name="theta"/>[a] has length d.</summary>
    public RecourseTruth(RecourseProblem problem, double[][] theta)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.Length != problem.ArmCount)
            throw new ArgumentException($"θ* has {theta.Length} arms; the problem has {problem.ArmCount}.", nameof(theta));
        foreach (double[] row in theta)
        {
            if (row.Length != problem.Dimension || row.Any(v => !double.IsFinite(v)))
                throw new ArgumentException($"Every θ*_a must have {problem.Dimension} finite values.", nameof(theta));
        }
        Problem = problem;
        _theta = theta.Select(r => (double[])r.Clone()).ToArray();
        _mutable = new double[problem.MutableIndices.Length];
        _weights = new double[problem.MutableIndices.Length];
        _best = new double[problem.MutableIndices.Length];
    }

    /// <summary>The problem this truth belongs to.</summary>
    public RecourseProblem Problem { get; }

    /// <summary>θ*_a (a copy-free view).</summary>
    public ReadOnlySpan<double> Theta(int arm) => _theta[arm];

    /// <summary>μ(θ*_aᵀ x) for a full context x (already including any recourse).</summary>
    public double ExpectedReward(int arm, ReadOnlySpan<double> x)
    {
        double z = 0;
        double[] theta = _theta[arm];
        for (int i = 0; i < theta.Length; i++) z += theta[i] * x[i];
        return Links.Mean(Problem.Link, z);
    }

    /// <summary>The optimal (arm, recourse) for context <paramref name="x"/> (Lemma 1): writes x̃* into
    /// <paramref name="destination"/> (length d) and returns a* and r*(x). Not thread-safe.</summary>
    public (int Arm, double Value) OptimalPair(ReadOnlySpan<double> x, Span<double> destination)
    {
        int bestArm = -1;
        double bestValue = double.NegativeInfinity;
        Problem.GetMutable(x, _mutable);
        for (int a = 0; a < _theta.Length; a++)
        {
            Problem.GetMutable(_theta[a], _weights);
            Problem.Set.MaximizeLinear(_mutable, _weights, _best);
            double z = 0;
            double[] theta = _theta[a];
            for (int i = 0; i < theta.Length; i++) z += theta[i] * x[i];
            for (int j = 0; j < _best.Length; j++) z += _weights[j] * (_best[j] - _mutable[j]);
            if (z > bestValue)
            {
                bestValue = z;
                bestArm = a;
                x.CopyTo(destination);
                Problem.SetMutable(destination, _best);
            }
        }
        return (bestArm, Links.Mean(Problem.Link, bestValue));
    }

    /// <summary>The optimal arm alone and r*(x); see <see cref="OptimalPair"/>.</summary>
    public double OptimalValue(ReadOnlySpan<double> x)
    {
        Span<double> scratch = x.Length <= 256 ? stackalloc double[x.Length] : new double[x.Length];
        return OptimalPair(x, scratch).Value;
    }
}
