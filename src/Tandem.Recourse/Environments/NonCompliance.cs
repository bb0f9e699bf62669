using Tandem.Core.Randomness;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>How a patient departs from the recommended recourse (seed 000 §4): the realized context
/// x̄ = x̃ + ε on the mutable features.</summary>
public interface INonCompliance
{
    /// <summary>"none", "random:eps=E" or "adversarial:eps=E".</summary>
    string Name { get; }

    /// <summary>Write x̄ into <paramref name="realized"/> given the clean context, the intended x̃ and the arm.</summary>
    void Realize(ReadOnlySpan<double> context, ReadOnlySpan<double> intended, int arm, Span<double> realized, Random random);
}

/// <summary>
/// Random non-compliance (seed §4.1): ε is bounded (‖ε‖₂ ≤ E) and biased towards undoing the change:
/// ε = E·(−b·u + (1 − b)·w), u the unit direction of the recommended change x̃_M − x_M, w uniform in the
/// unit ball, b the bias in [0, 1] (default ½: patients tend to do less than asked). ε has non-zero mean,
/// as the seed allows.
/// </summary>
public sealed class RandomNonCompliance : INonCompliance
{
    private readonly RecourseProblem _problem;
    private readonly double[] _w;

    /// <summary>Create it; ε ≥ 0, bias in [0, 1].</summary>
    public RandomNonCompliance(RecourseProblem problem, double epsilon, double bias = 0.5)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (!double.IsFinite(epsilon) || epsilon < 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and ≥ 0.");
        if (!(bias >= 0 && bias <= 1)) throw new ArgumentOutOfRangeException(nameof(bias), bias, "The bias must lie in [0, 1].");
        _problem = problem;
        Epsilon = epsilon;
        Bias = bias;
        _w = new double[problem.MutableIndices.Length];
    }

    /// <summary>E, the bound on ‖ε‖₂.</summary>
    public double Epsilon { get; }

    /// <summary>b.</summary>
    public double Bias { get; }

    /// <inheritdoc />
    public string Name => FormattableString.Invariant($"random:eps={Epsilon}");

    /// <inheritdoc />
    public void Realize(ReadOnlySpan<double> context, ReadOnlySpan<double> intended, int arm, Span<double> realized, Random random)
    {
        intended.CopyTo(realized);
        int[] mutable = _problem.MutableIndices;
        double norm = 0;
        for (int j = 0; j < mutable.Length; j++)
        {
            double change = intended[mutable[j]] - context[mutable[j]];
            norm += change * change;
        }
        norm = Math.Sqrt(norm);
        random.FillUniformInUnitBall(_w);
        for (int j = 0; j < mutable.Length; j++)
        {
            double u = norm > 0 ? (intended[mutable[j]] - context[mutable[j]]) / norm : 0;
            realized[mutable[j]] += Epsilon * (-Bias * u + (1 - Bias) * _w[j]);
        }
    }
}

/// <summary>
/// Adversarial non-compliance (seed §4.2): the patient moves to the worst point within ε of x̃ in the
/// recourse norm, x̄_M = x̃_M − ε·∂‖θ*_{a,M}‖_* (the closed form of the inner minimisation in ORO-NC).
/// It knows the true θ*, so it is the strongest adversary the seed's model allows.
/// </summary>
public sealed class AdversarialNonCompliance : INonCompliance
{
    private readonly RecourseTruth _truth;
    private readonly double[] _thetaM;
    private readonly double[] _direction;

    /// <summary>Create it; ε ≥ 0.</summary>
    public AdversarialNonCompliance(RecourseTruth truth, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(truth);
        if (!double.IsFinite(epsilon) || epsilon < 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and ≥ 0.");
        _truth = truth;
        Epsilon = epsilon;
        _thetaM = new double[truth.Problem.MutableIndices.Length];
        _direction = new double[truth.Problem.MutableIndices.Length];
    }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public string Name => FormattableString.Invariant($"adversarial:eps={Epsilon}");

    /// <inheritdoc />
    public void Realize(ReadOnlySpan<double> context, ReadOnlySpan<double> intended, int arm, Span<double> realized, Random random)
    {
        RecourseProblem problem = _truth.Problem;
        intended.CopyTo(realized);
        problem.GetMutable(_truth.Theta(arm), _thetaM);
        problem.Set.Norm.MaximizeOnUnitBall(_thetaM, _direction);
        int[] mutable = problem.MutableIndices;
        for (int j = 0; j < mutable.Length; j++) realized[mutable[j]] -= Epsilon * _direction[j];
    }
}
