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

    /// <summary>The seed's robust benchmark at <paramref name="context"/> (Appendix C.1 for random non-compliance:
    /// max over (a, x̃) of E_ε r(x̃ + ε, a); C.4 for adversarial: max over (a, x̃) of the worst reward within ε), or
    /// NaN where this model cannot state it exactly.</summary>
    double RobustOptimum(RecourseTruth truth, ReadOnlySpan<double> context);

    /// <summary>The same measure for the pair (<paramref name="intended"/>, <paramref name="arm"/>): E_ε r(x̃ + ε, a)
    /// (C.1) or the worst reward within ε (C.4); NaN where <see cref="RobustOptimum"/> is.</summary>
    double RobustValue(RecourseTruth truth, ReadOnlySpan<double> context, ReadOnlySpan<double> intended, int arm);
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

    /// <inheritdoc />
    /// <remarks>E[ε] = −E·b·u (w has mean 0), so for the identity link E_ε r(x̃ + ε, a) = θ*_aᵀx̃ − E·b·θ*_{a,M}ᵀu.
    /// With the change c = t·d (‖d‖₂ = 1, 0 &lt; t ≤ γ) the mutable part is (t − E·b)·θ*_{a,M}ᵀd, whose supremum over an
    /// L2 ball without bounds is max(γ − E·b, E·b)·‖θ*_{a,M}‖₂ (the second term a limit of ever smaller changes
    /// against θ*). Exact for the identity link and the L2 norm without bounds; NaN otherwise.</remarks>
    public double RobustOptimum(RecourseTruth truth, ReadOnlySpan<double> context)
    {
        ArgumentNullException.ThrowIfNull(truth);
        if (!Exact(truth)) return double.NaN;
        int[] mutable = _problem.MutableIndices;
        double shrink = Math.Max(truth.Problem.Gamma - Epsilon * Bias, Epsilon * Bias);
        double best = double.NegativeInfinity;
        for (int a = 0; a < truth.Problem.ArmCount; a++)
        {
            ReadOnlySpan<double> theta = truth.Theta(a);
            double z = 0, norm = 0;
            for (int i = 0; i < theta.Length; i++) z += theta[i] * context[i];
            foreach (int i in mutable) norm += theta[i] * theta[i];
            best = Math.Max(best, z + shrink * Math.Sqrt(norm));
        }
        return best;
    }

    /// <inheritdoc />
    public double RobustValue(RecourseTruth truth, ReadOnlySpan<double> context, ReadOnlySpan<double> intended, int arm)
    {
        ArgumentNullException.ThrowIfNull(truth);
        if (!Exact(truth)) return double.NaN;
        int[] mutable = _problem.MutableIndices;
        ReadOnlySpan<double> theta = truth.Theta(arm);
        double z = 0, norm = 0, along = 0;
        for (int i = 0; i < theta.Length; i++) z += theta[i] * intended[i];
        foreach (int i in mutable)
        {
            double change = intended[i] - context[i];
            norm += change * change;
            along += theta[i] * change;
        }
        return norm > 0 ? z - Epsilon * Bias * along / Math.Sqrt(norm) : z;
    }

    private static bool Exact(RecourseTruth truth) =>
        truth.Problem.Link == Core.Numerics.GlmLink.Identity && truth.Problem.Set.Norm is Geometry.L2Norm && !truth.Problem.Set.HasBounds;
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

    /// <inheritdoc />
    /// <remarks>C.4, eq. (31)-(32): the worst reward within ε of x̃ is μ(θ*_aᵀx̃ − ε‖θ*_{a,M}‖_*), so the max-min
    /// benchmark is max over a of μ(θ*_aᵀx̃*_a − ε‖θ*_{a,M}‖_*) with x̃*_a Lemma 1's recourse. Exact for every norm.</remarks>
    public double RobustOptimum(RecourseTruth truth, ReadOnlySpan<double> context)
    {
        ArgumentNullException.ThrowIfNull(truth);
        RecourseProblem problem = truth.Problem;
        Span<double> best = context.Length <= 256 ? stackalloc double[context.Length] : new double[context.Length];
        Span<double> xM = stackalloc double[problem.MutableIndices.Length];
        Span<double> w = stackalloc double[problem.MutableIndices.Length];
        Span<double> target = stackalloc double[problem.MutableIndices.Length];
        problem.GetMutable(context, xM);
        double top = double.NegativeInfinity;
        for (int a = 0; a < problem.ArmCount; a++)
        {
            ReadOnlySpan<double> theta = truth.Theta(a);
            problem.GetMutable(theta, w);
            problem.Set.MaximizeLinear(xM, w, target);
            context.CopyTo(best);
            problem.SetMutable(best, target);
            double z = 0;
            for (int i = 0; i < theta.Length; i++) z += theta[i] * best[i];
            top = Math.Max(top, z - Epsilon * problem.Set.Norm.DualNorm(w));
        }
        return Core.Numerics.Links.Mean(problem.Link, top);
    }

    /// <inheritdoc />
    public double RobustValue(RecourseTruth truth, ReadOnlySpan<double> context, ReadOnlySpan<double> intended, int arm)
    {
        ArgumentNullException.ThrowIfNull(truth);
        RecourseProblem problem = truth.Problem;
        Span<double> w = stackalloc double[problem.MutableIndices.Length];
        ReadOnlySpan<double> theta = truth.Theta(arm);
        problem.GetMutable(theta, w);
        double z = 0;
        for (int i = 0; i < theta.Length; i++) z += theta[i] * intended[i];
        return Core.Numerics.Links.Mean(problem.Link, z - Epsilon * problem.Set.Norm.DualNorm(w));
    }
}
