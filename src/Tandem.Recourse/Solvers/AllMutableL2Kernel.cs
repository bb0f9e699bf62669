using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tandem.Core.Numerics;

namespace Tandem.Recourse.Solvers;

/// <summary>
/// Algorithm 2 (seed 000 §2.2) fused for its commonest case: every feature mutable, the L2 ball of radius γ, no
/// bounds, no non-compliance shift (the synthetic study of §6.1). There x̃ = z is the whole context and the
/// x̃-step is Corollary 1.1's closed form z = x + γ·θ/‖θ‖₂, so one iteration is
/// <code>
/// u = V⁻¹z,  w = ‖z‖_{V⁻¹} = √(zᵀu),  θ = θ̂ + (ρ/w)·u,  value = zᵀθ̂ + ρ·w,  z′ = x + γ·θ/‖θ‖₂.
/// </code>
/// Every floating-point operation is the one <see cref="CoordinateDescentOroSolver"/>'s general path performs, in
/// the same order (the same kernels for V⁻¹z, the dot products and ‖θ‖₂; θ/‖θ‖₂ then ×γ), so the result is
/// bit-identical to it; what is saved is the index map between x and x_M, the copies between the workspace's
/// vectors, the separate passes and the branchy scalar maxima of the stopping test. An iteration is one serial chain
/// (V⁻¹z → √ → θ → ‖θ‖ → z′ → V⁻¹z′ …), so its cost is latency, not arithmetic; <see cref="SolveArms"/> therefore runs
/// the arms of one decision in lockstep (iteration k of every arm, then k + 1), letting the processor overlap their
/// independent chains. Each arm's own operations are unchanged, so lockstep is bit-identical too.
/// Static, no allocation; the caller checks the inputs.
/// </summary>
internal static class AllMutableL2Kernel
{
    /// <summary>Doubles of scratch one arm needs for dimension d.</summary>
    public static int ScratchLength(int d) => 4 * d;

    /// <summary>
    /// Solve (ORO-Arm) for one arm by Algorithm 2 with the stopping rule of <see cref="OroSolverOptions"/>.
    /// </summary>
    /// <param name="x">The context, length d, finite (every coordinate mutable).</param>
    /// <param name="thetaHat">θ̂, length d, finite.</param>
    /// <param name="inverseDesign">V⁻¹, d×d row-major, symmetric positive definite.</param>
    /// <param name="rho">ρ ≥ 0, finite.</param>
    /// <param name="gamma">γ ≥ 0, finite.</param>
    /// <param name="options">The stopping rule.</param>
    /// <param name="destination">Receives x̃, length d.</param>
    /// <param name="scratch">Length ≥ <see cref="ScratchLength"/>(d); must not overlap the other spans.</param>
    public static OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        double gamma, OroSolverOptions options, Span<double> destination, Span<double> scratch)
    {
        var state = new ArmState();
        Start(ref state, x, thetaHat, inverseDesign, rho, scratch);
        for (int k = 1; k <= options.MaxIterations && state.Active; k++)
            Iterate(ref state, k, x, thetaHat, inverseDesign, rho, gamma, options.Tolerance, scratch);
        Current(ref state, scratch, x.Length).CopyTo(destination);
        return new OroSolution(state.Value, state.Iterations, state.Converged);
    }

    /// <summary>
    /// <see cref="Solve"/> for every arm of one decision, in lockstep; arm a's result is exactly what <see cref="Solve"/>
    /// returns for it.
    /// </summary>
    /// <param name="x">The context, length d, finite.</param>
    /// <param name="arms">The arms' θ̂ and V⁻¹ (identity or logistic link alike).</param>
    /// <param name="rho">ρ_a per arm, finite, ≥ 0.</param>
    /// <param name="gamma">γ ≥ 0, finite.</param>
    /// <param name="options">The stopping rule.</param>
    /// <param name="destinations">Receives x̃_a per arm, each of length d.</param>
    /// <param name="solutions">Receives each arm's value, iterations and convergence.</param>
    /// <param name="states">Workspace, one per arm.</param>
    /// <param name="scratch">Length ≥ arms × <see cref="ScratchLength"/>(d).</param>
    public static void SolveArms(
        ReadOnlySpan<double> x, IReadOnlyList<GlmArm> arms, ReadOnlySpan<double> rho, double gamma, OroSolverOptions options,
        double[][] destinations, Span<OroSolution> solutions, Span<ArmState> states, Span<double> scratch)
    {
        int d = x.Length, stride = ScratchLength(d), count = arms.Count;
        for (int a = 0; a < count; a++)
            Start(ref states[a], x, arms[a].Theta, arms[a].InverseDesign, rho[a], scratch.Slice(a * stride, stride));
        double tolerance = options.Tolerance;
        for (int k = 1; k <= options.MaxIterations; k++)
        {
            bool any = false;
            for (int a = 0; a < count; a++)
            {
                ref ArmState state = ref states[a];
                if (!state.Active) continue;
                Iterate(ref state, k, x, arms[a].Theta, arms[a].InverseDesign, rho[a], gamma, tolerance, scratch.Slice(a * stride, stride));
                any |= state.Active;
            }
            if (!any) break;
        }
        for (int a = 0; a < count; a++)
        {
            ref ArmState state = ref states[a];
            Current(ref state, scratch.Slice(a * stride, stride), d).CopyTo(destinations[a]);
            solutions[a] = new OroSolution(state.Value, state.Iterations, state.Converged);
        }
    }

    /// <summary>One arm's progress through Algorithm 2.</summary>
    internal struct ArmState
    {
        /// <summary>The objective at the current x̃.</summary>
        public double Value;

        /// <summary>Iterations so far.</summary>
        public int Iterations;

        /// <summary>Stopped by the rule (not by the limit).</summary>
        public bool Converged;

        /// <summary>Still iterating.</summary>
        public bool Active;

        /// <summary>Whether the current x̃ sits in the fourth slot of the arm's scratch (else the third).</summary>
        public bool Swapped;
    }

    // Scratch of one arm: u = V⁻¹z | θ | two slots for the current and the candidate x̃.
    private static Span<double> Current(ref ArmState state, Span<double> scratch, int d) => scratch.Slice(state.Swapped ? 3 * d : 2 * d, d);

    private static void Start(
        ref ArmState state, ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign,
        double rho, Span<double> scratch)
    {
        int d = x.Length;
        Span<double> current = scratch.Slice(2 * d, d);
        x.CopyTo(current);
        state.Value = ThetaStep(current, thetaHat, inverseDesign, rho, scratch[..d], scratch.Slice(d, d));
        state.Iterations = 0;
        state.Converged = false;
        state.Active = true;
        state.Swapped = false;
    }

    // Iteration k of Algorithm 2 (CoordinateDescentOroSolver.SolveGeneral's loop body, operation for operation).
    private static void Iterate(
        ref ArmState state, int k, ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign,
        double rho, double gamma, double tolerance, Span<double> scratch)
    {
        int d = x.Length;
        Span<double> u = scratch[..d];
        Span<double> theta = scratch.Slice(d, d);
        Span<double> current = scratch.Slice(state.Swapped ? 3 * d : 2 * d, d);
        Span<double> candidate = scratch.Slice(state.Swapped ? 2 * d : 3 * d, d);
        state.Iterations = k;
        // x̃-step, Corollary 1.1: candidate = x + (θ/‖θ‖₂)·γ (x + 0 when θ = 0 or γ = 0).
        double norm = gamma == 0 ? 0 : TensorPrimitives.Norm((ReadOnlySpan<double>)theta);
        if (norm == 0)
        {
            for (int i = 0; i < d; i++) candidate[i] = x[i] + 0.0;
        }
        else
        {
            AddScaled(x, theta, 1.0 / norm, gamma, candidate);
        }
        // ‖current − candidate‖∞ against max(1, ‖current‖∞). Branch-free maxima (NaN-propagating like Math.Max):
        // a scalar Math.Max chain mispredicts on random data and cost more than the V⁻¹ product.
        TensorPrimitives.Subtract(current, candidate, u);
        double scale = Math.Max(1, Math.Abs(TensorPrimitives.MaxMagnitude((ReadOnlySpan<double>)current)));
        double gap = Math.Abs(TensorPrimitives.MaxMagnitude((ReadOnlySpan<double>)u));
        if (gap <= tolerance * scale)
        {
            // A fixed point: the next θ-step would return the same θ and value, so skip it.
            state.Converged = true;
            state.Active = false;
            return;
        }
        double next = ThetaStep(candidate, thetaHat, inverseDesign, rho, u, theta);
        double threshold = tolerance * Math.Max(1, Math.Abs(next));
        if (next < state.Value)
        {
            // Monotone in exact arithmetic (Lemma 3); a decrease is rounding at a fixed point: keep the previous x̃.
            state.Converged = state.Value - next < threshold * 1e3;
            state.Active = false;
            return;
        }
        state.Swapped = !state.Swapped;
        bool small = next - state.Value < threshold;
        state.Value = next;
        if (small)
        {
            state.Converged = true;
            state.Active = false;
        }
    }

    // Lemma 1 on Θ = {‖θ − θ̂‖_V ≤ ρ}: θ = θ̂ + ρ·V⁻¹z/‖z‖_{V⁻¹}; returns zᵀθ̂ + ρ‖z‖_{V⁻¹} (OroWorkspace.ThetaStep).
    private static double ThetaStep(
        ReadOnlySpan<double> z, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> u, Span<double> theta)
    {
        int d = z.Length;
        SymmetricKernels.Multiply(inverseDesign, z, u);
        double quadratic = SymmetricKernels.Dot(z, u);
        double width = quadratic > 0 ? Math.Sqrt(quadratic) : 0;
        double scale = width > 0 ? rho / width : 0;
        // θ = θ̂ + scale·u, one rounding for the product and one for the sum (never fused), as the general path.
        ref double uRef = ref MemoryMarshal.GetReference(u);
        ref double hatRef = ref MemoryMarshal.GetReference(thetaHat);
        ref double thetaRef = ref MemoryMarshal.GetReference(theta);
        int width4 = Vector<double>.Count, i = 0;
        var scaleVector = new Vector<double>(scale);
        for (; i + width4 <= d; i += width4)
            (Vector.LoadUnsafe(ref hatRef, (nuint)i) + scaleVector * Vector.LoadUnsafe(ref uRef, (nuint)i)).StoreUnsafe(ref thetaRef, (nuint)i);
        for (; i < d; i++) Unsafe.Add(ref thetaRef, i) = Unsafe.Add(ref hatRef, i) + scale * Unsafe.Add(ref uRef, i);
        return SymmetricKernels.Dot(z, thetaHat) + rho * width;
    }

    // destination = x + (v·a)·b, each product and the sum rounded separately (never fused), as the general path's
    // TensorPrimitives.Multiply(w, 1/‖w‖), then ×γ, then x_M + δ.
    private static void AddScaled(ReadOnlySpan<double> x, ReadOnlySpan<double> v, double a, double b, Span<double> destination)
    {
        int d = x.Length;
        ref double xRef = ref MemoryMarshal.GetReference(x);
        ref double vRef = ref MemoryMarshal.GetReference(v);
        ref double dRef = ref MemoryMarshal.GetReference(destination);
        int width = Vector<double>.Count, i = 0;
        Vector<double> av = new(a), bv = new(b);
        for (; i + width <= d; i += width)
            (Vector.LoadUnsafe(ref xRef, (nuint)i) + Vector.LoadUnsafe(ref vRef, (nuint)i) * av * bv).StoreUnsafe(ref dRef, (nuint)i);
        for (; i < d; i++) Unsafe.Add(ref dRef, i) = Unsafe.Add(ref xRef, i) + Unsafe.Add(ref vRef, i) * a * b;
    }
}
