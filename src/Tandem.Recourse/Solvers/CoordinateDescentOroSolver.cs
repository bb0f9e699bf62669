using Tandem.Core.Numerics;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Solvers;

/// <summary>
/// Algorithm 2 (two-block coordinate descent for ORO-Arm), seed 000 §2.2. Starting from x̃_M = x_M it alternates the
/// closed-form blocks θ = θ̂ + ρ·V⁻¹x̃/||x̃||_{V⁻¹} and x̃_M = argmax_{F(x_M)} θ_Mᵀx̃_M
/// (<see cref="RecourseSet.MaximizeLinear"/>, Lemma 1). The objective f(x̃) = x̃ᵀθ̂ + ρ||x̃||_{V⁻¹} never decreases, so
/// the result is at least the no-recourse value; it converges to a critical point (Lemma 3), not necessarily the
/// global optimum (compare <see cref="GlobalMahalanobisOroSolver"/>). Works with every norm and with bounds.
/// One iteration costs one d×d matrix-vector product plus one linear maximisation; nothing is allocated. When every
/// feature is mutable and F is the L2 ball without bounds, the fused <see cref="AllMutableL2Kernel"/> runs instead
/// (bit-identical, without the general path's index maps and copies).
/// Not thread-safe.
/// </summary>
public sealed class CoordinateDescentOroSolver : IOroSolver
{
    private readonly OroWorkspace _workspace;
    // Set when every feature is mutable and F is the L2 ball without bounds: then AllMutableL2Kernel runs
    // (bit-identical to the general path, several times faster).
    private readonly double[]? _fusedScratch;
    private double[] _armsScratch = [];
    private AllMutableL2Kernel.ArmState[] _armStates = [];

    /// <summary>Create the solver.</summary>
    /// <param name="dimension">d = d_I + d_M ≥ 1.</param>
    /// <param name="mutableIndices">Positions of the mutable features in x: sorted, distinct, in [0, d), at least one.</param>
    /// <param name="recourseSet">The feasible set; its dimension must equal mutableIndices.Length.</param>
    /// <param name="options">Stopping rule; null for <see cref="OroSolverOptions.Default"/>.</param>
    public CoordinateDescentOroSolver(
        int dimension, int[] mutableIndices, RecourseSet recourseSet, OroSolverOptions? options = null)
    {
        _workspace = new OroWorkspace(dimension, mutableIndices, recourseSet);
        Options = options ?? OroSolverOptions.Default;
        if (recourseSet.Norm is L2Norm && !recourseSet.HasBounds && mutableIndices.Length == dimension)
            _fusedScratch = new double[AllMutableL2Kernel.ScratchLength(dimension)];
    }

    /// <summary>True when the fused kernel for the all-mutable, unbounded L2 case runs (<see cref="AllMutableL2Kernel"/>).</summary>
    internal bool IsFused => _fusedScratch is not null;

    /// <inheritdoc />
    public string Name => "coordinate-descent";

    /// <summary>The stopping rule.</summary>
    public OroSolverOptions Options { get; }

    /// <summary>d.</summary>
    public int Dimension => _workspace.Dimension;

    /// <summary>The mutable positions.</summary>
    public IReadOnlyList<int> MutableIndices => _workspace.Mutable;

    /// <summary>The feasible set.</summary>
    public RecourseSet RecourseSet => _workspace.Set;

    /// <inheritdoc />
    public OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination)
    {
        _workspace.Validate(x, thetaHat, inverseDesign, rho, destination);
        return SolveCore(x, thetaHat, inverseDesign, rho, ReadOnlySpan<double>.Empty, destination);
    }

    /// <summary>
    /// Robust ORO for random non-compliance (robust-ORO, seed 000 §4.1 and Remark 1): the realised context is
    /// x̃ + ε with ε the patient's deviation; for the identity link E_ε[(x̃ + ε)ᵀθ] = (x̃ + ε̄)ᵀθ exactly, so the
    /// θ-step and the value use z = x̃ + ε̄ on the mutable coordinates, where ε̄ = <paramref name="meanDeviation"/> is
    /// the empirical mean of the observed deviations x̄ − x̃. <paramref name="destination"/> still receives the
    /// recommendation x̃; the value is (x̃ + ε̄)ᵀθ̂ + ρ||x̃ + ε̄||_{V⁻¹}.
    /// </summary>
    /// <param name="x">The full context, length d, finite.</param>
    /// <param name="thetaHat">θ̂, length d, finite.</param>
    /// <param name="inverseDesign">V⁻¹, row-major d×d, symmetric positive definite.</param>
    /// <param name="rho">ρ ≥ 0, finite.</param>
    /// <param name="destination">Receives x̃ = (x_I, x̃_M), length d.</param>
    /// <param name="meanDeviation">ε̄, length d_M, finite (all zeros recovers <see cref="Solve(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, double, Span{double})"/>).</param>
    public OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        ReadOnlySpan<double> meanDeviation, Span<double> destination)
    {
        _workspace.Validate(x, thetaHat, inverseDesign, rho, destination);
        ThrowHelper.Exactly(meanDeviation.Length, _workspace.Mutable.Length, nameof(meanDeviation));
        ThrowHelper.AllFinite(meanDeviation, nameof(meanDeviation));
        return SolveCore(x, thetaHat, inverseDesign, rho, meanDeviation, destination);
    }

    /// <summary>
    /// <see cref="Solve(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, Span{double})"/>
    /// without re-checking what the caller guarantees: GLRB passes a context its problem has validated, its own finite
    /// θ̂ and positive-definite V⁻¹, and a finite shift (empty for none). Checking them again for every arm of every
    /// decision cost about a tenth of a GLRB round.
    /// </summary>
    internal OroSolution SolveTrusted(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        ReadOnlySpan<double> shift, Span<double> destination)
    {
        ThrowHelper.FiniteNonNegative(rho, nameof(rho));
        return SolveCore(x, thetaHat, inverseDesign, rho, shift, destination);
    }

    private OroSolution SolveCore(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        ReadOnlySpan<double> shift, Span<double> destination) =>
        _fusedScratch is not null && shift.IsEmpty
            ? AllMutableL2Kernel.Solve(x, thetaHat, inverseDesign, rho, _workspace.Set.Gamma, Options, destination, _fusedScratch)
            : SolveGeneral(x, thetaHat, inverseDesign, rho, shift, destination);

    /// <summary>
    /// Algorithm 2 for every arm of one GLRB decision (no shift): arm a's result is exactly
    /// SolveTrusted(x, θ̂_a, V_a⁻¹, ρ_a, empty, destinations[a]). In the fused case the arms run in lockstep
    /// (<see cref="AllMutableL2Kernel.SolveArms"/>). The caller guarantees what <see cref="SolveTrusted"/> assumes.
    /// </summary>
    internal void SolveArmsTrusted(
        ReadOnlySpan<double> x, IReadOnlyList<GlmArm> arms, ReadOnlySpan<double> rho, double[][] destinations,
        Span<OroSolution> solutions)
    {
        int count = arms.Count;
        for (int a = 0; a < count; a++) ThrowHelper.FiniteNonNegative(rho[a], nameof(rho));
        if (_fusedScratch is null)
        {
            for (int a = 0; a < count; a++)
                solutions[a] = SolveGeneral(x, arms[a].Theta, arms[a].InverseDesign, rho[a], ReadOnlySpan<double>.Empty, destinations[a]);
            return;
        }
        int length = count * AllMutableL2Kernel.ScratchLength(Dimension);
        if (_armsScratch.Length < length) _armsScratch = new double[length];
        if (_armStates.Length < count) _armStates = new AllMutableL2Kernel.ArmState[count];
        AllMutableL2Kernel.SolveArms(x, arms, rho, _workspace.Set.Gamma, Options, destinations, solutions, _armStates, _armsScratch);
    }

    // Algorithm 2, seed 000 §2.2, for every norm, bounds and shift (tests compare the fused kernel with it).
    internal OroSolution SolveGeneral(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        ReadOnlySpan<double> shift, Span<double> destination)
    {
        OroWorkspace w = _workspace;
        w.Load(x);
        w.XM.CopyTo(w.Current, 0);
        w.SetMutable(w.Current, shift);
        double value = w.ThetaStep(thetaHat, inverseDesign, rho);
        double tolerance = Options.Tolerance;
        int iterations = 0;
        bool converged = false;
        for (int k = 1; k <= Options.MaxIterations; k++)
        {
            iterations = k;
            w.Set.MaximizeLinearUnchecked(w.XM, w.ThetaM, w.Candidate);
            if (SameRecourse(w.Current, w.Candidate, tolerance))
            {
                // A fixed point: the next θ-step would return the same θ and value, so skip it.
                converged = true;
                break;
            }
            w.SetMutable(w.Candidate, shift);
            double next = w.ThetaStep(thetaHat, inverseDesign, rho);
            double scale = tolerance * Math.Max(1, Math.Abs(next));
            if (next < value)
            {
                // Monotone in exact arithmetic (Lemma 3); a decrease is rounding at a fixed point: keep the previous x̃.
                converged = value - next < scale * 1e3;
                break;
            }
            w.Candidate.CopyTo(w.Current, 0);
            bool small = next - value < scale;
            value = next;
            if (small)
            {
                converged = true;
                break;
            }
        }
        w.Write(x, w.Current, destination);
        return new OroSolution(value, iterations, converged);
    }

    // ‖a − b‖∞ ≤ tolerance · max(1, ‖a‖∞).
    private static bool SameRecourse(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double tolerance)
    {
        double scale = 1, gap = 0;
        for (int i = 0; i < a.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[i]));
            gap = Math.Max(gap, Math.Abs(a[i] - b[i]));
        }
        return gap <= tolerance * scale;
    }
}
