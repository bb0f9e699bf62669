using Tandem.Core.Numerics;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Solvers;

/// <summary>
/// Algorithm 4 (two-block coordinate descent for ORO-NC-Arm), seed 000 §4.2: the patient may move the recommended
/// x̌_M anywhere within ε of it (in the set's norm) to hurt the outcome. Starting from x̌ = x̄ = x_M it alternates
/// θ = θ̂ + ρ·V⁻¹x̄/||x̄||_{V⁻¹} (on the worst realised context x̄) and the closed form of Lemma 4:
/// x̌_M = argmax_{F(x_M)} θ_Mᵀx̌_M and x̄_M = x̌_M − ε·∂||θ_M||_*, the adversary's best reply within ε of x̌. Without
/// bounds this is x̌_M = x_M + γv, x̄_M = x_M + (γ − ε)v, v ∈ ∂||θ_M||_*. The adversary's deviation is limited by ε
/// only (the feature bounds constrain the recommendation, not the patient). Stops when the value
/// x̄ᵀθ̂ + ρ||x̄||_{V⁻¹} changes by less than Tolerance·max(1, |value|); the alternation is not guaranteed to be
/// monotone, so <see cref="OroSolution.Converged"/> says whether it settled. No allocation; not thread-safe.
/// </summary>
public sealed class AdversarialOroSolver : IOroSolver
{
    private readonly OroWorkspace _workspace;

    /// <summary>Create the solver.</summary>
    /// <param name="dimension">d ≥ 1.</param>
    /// <param name="mutableIndices">Positions of the mutable features: sorted, distinct, in [0, d).</param>
    /// <param name="recourseSet">The feasible set of recommendations; dimension = mutableIndices.Length.</param>
    /// <param name="epsilon">Non-compliance radius ε in the set's norm. Range: finite, ≥ 0 (0 recovers Algorithm 2).</param>
    /// <param name="options">Stopping rule; null for <see cref="OroSolverOptions.Default"/>.</param>
    public AdversarialOroSolver(
        int dimension, int[] mutableIndices, RecourseSet recourseSet, double epsilon, OroSolverOptions? options = null)
    {
        _workspace = new OroWorkspace(dimension, mutableIndices, recourseSet);
        ThrowHelper.FiniteNonNegative(epsilon, nameof(epsilon));
        Epsilon = epsilon;
        Options = options ?? OroSolverOptions.Default;
    }

    /// <inheritdoc />
    public string Name => "adversarial";

    /// <summary>The non-compliance radius ε ≥ 0.</summary>
    public double Epsilon { get; }

    /// <summary>The stopping rule.</summary>
    public OroSolverOptions Options { get; }

    /// <summary>
    /// Solve ORO-NC-Arm. <paramref name="destination"/> receives the INTENDED recourse context x̌ (what the learner
    /// recommends); the value is x̄ᵀθ̂ + ρ||x̄||_{V⁻¹} at the anticipated worst realised context x̄.
    /// </summary>
    public OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination)
    {
        _workspace.Validate(x, thetaHat, inverseDesign, rho, destination);
        return SolveCore(x, thetaHat, inverseDesign, rho, destination, Span<double>.Empty);
    }

    /// <summary>As <see cref="Solve(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, double, Span{double})"/>,
    /// also writing the anticipated worst realised context x̄ (length d) into <paramref name="worstCase"/>.</summary>
    /// <param name="x">The full context, length d, finite.</param>
    /// <param name="thetaHat">θ̂, length d, finite.</param>
    /// <param name="inverseDesign">V⁻¹, row-major d×d, symmetric positive definite.</param>
    /// <param name="rho">ρ ≥ 0, finite.</param>
    /// <param name="destination">Receives the intended x̌ = (x_I, x̌_M), length d.</param>
    /// <param name="worstCase">Receives x̄ = (x_I, x̄_M), length d.</param>
    public OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination, Span<double> worstCase)
    {
        _workspace.Validate(x, thetaHat, inverseDesign, rho, destination);
        ThrowHelper.Exactly(worstCase.Length, _workspace.Dimension, nameof(worstCase));
        return SolveCore(x, thetaHat, inverseDesign, rho, destination, worstCase);
    }

    /// <summary>
    /// The adversary's realised context for a given θ (Lemma 4, seed 000 §4.2, Appendix C.2):
    /// destination = <paramref name="intended"/> with x̄_M = x̌_M − ε·argmax_{||u||≤1} θ_Mᵀu, the minimiser of x̄ᵀθ over
    /// ||x̄_M − x̌_M|| ≤ ε. All spans have length d; destination may alias intended.
    /// </summary>
    public void WorstCase(ReadOnlySpan<double> intended, ReadOnlySpan<double> theta, Span<double> destination)
    {
        OroWorkspace ws = _workspace;
        ThrowHelper.Exactly(intended.Length, ws.Dimension, nameof(intended));
        ThrowHelper.AllFinite(intended, nameof(intended));
        ThrowHelper.Exactly(theta.Length, ws.Dimension, nameof(theta));
        ThrowHelper.AllFinite(theta, nameof(theta));
        ThrowHelper.Exactly(destination.Length, ws.Dimension, nameof(destination));
        for (int j = 0; j < ws.Mutable.Length; j++) ws.ThetaM[j] = theta[ws.Mutable[j]];
        ws.Set.Norm.MaximizeOnUnitBallCore(ws.ThetaM, ws.Direction);
        intended.CopyTo(destination);
        for (int j = 0; j < ws.Mutable.Length; j++) destination[ws.Mutable[j]] -= Epsilon * ws.Direction[j];
    }

    // Algorithm 4, seed 000 §4.2.
    private OroSolution SolveCore(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination, Span<double> worstCase)
    {
        OroWorkspace ws = _workspace;
        int m = ws.Mutable.Length;
        ws.Load(x);
        ws.XM.CopyTo(ws.Current, 0);
        double value = ws.ThetaStep(thetaHat, inverseDesign, rho);
        double tolerance = Options.Tolerance;
        int iterations = 0;
        bool converged = false;
        double[] realized = ws.Candidate;
        ws.XM.CopyTo(realized, 0);
        for (int k = 1; k <= Options.MaxIterations; k++)
        {
            iterations = k;
            ws.Set.MaximizeLinearUnchecked(ws.XM, ws.ThetaM, ws.Current);
            ws.Set.Norm.MaximizeOnUnitBallCore(ws.ThetaM, ws.Direction);
            for (int j = 0; j < m; j++) realized[j] = ws.Current[j] - Epsilon * ws.Direction[j];
            ws.SetMutable(realized, ReadOnlySpan<double>.Empty);
            double next = ws.ThetaStep(thetaHat, inverseDesign, rho);
            bool small = Math.Abs(next - value) < tolerance * Math.Max(1, Math.Abs(next));
            value = next;
            if (small)
            {
                converged = true;
                break;
            }
        }
        if (!worstCase.IsEmpty) ws.Write(x, realized, worstCase);
        ws.Write(x, ws.Current, destination);
        return new OroSolution(value, iterations, converged);
    }
}
