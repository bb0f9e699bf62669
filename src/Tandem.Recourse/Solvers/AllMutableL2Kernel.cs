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
/// vectors and the separate passes (the general path costs several times its matrix–vector product per iteration).
/// Static, span in, span out, no allocation; the caller checks the inputs.
/// </summary>
internal static class AllMutableL2Kernel
{
    /// <summary>Doubles of scratch <see cref="Solve"/> needs for dimension d.</summary>
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
        int d = x.Length;
        Span<double> u = scratch.Slice(0, d);
        Span<double> theta = scratch.Slice(d, d);
        Span<double> current = scratch.Slice(2 * d, d);
        Span<double> candidate = scratch.Slice(3 * d, d);
        x.CopyTo(current);
        double value = ThetaStep(current, thetaHat, inverseDesign, rho, u, theta);
        double tolerance = options.Tolerance;
        int iterations = 0;
        bool converged = false;
        ref double xRef = ref MemoryMarshal.GetReference(x);
        for (int k = 1; k <= options.MaxIterations; k++)
        {
            iterations = k;
            // x̃-step, Corollary 1.1: candidate = x + (θ/‖θ‖₂)·γ, and ‖current − candidate‖∞ against max(1, ‖current‖∞).
            double norm = gamma == 0 ? 0 : TensorPrimitives.Norm((ReadOnlySpan<double>)theta);
            double inverse = 1.0 / norm;
            ref double thetaRef = ref MemoryMarshal.GetReference(theta);
            ref double currentRef = ref MemoryMarshal.GetReference(current);
            ref double candidateRef = ref MemoryMarshal.GetReference(candidate);
            double scale = 1, gap = 0;
            if (norm == 0)
            {
                for (int i = 0; i < d; i++)
                {
                    double next = Unsafe.Add(ref xRef, i) + 0.0;
                    double now = Unsafe.Add(ref currentRef, i);
                    Unsafe.Add(ref candidateRef, i) = next;
                    scale = Math.Max(scale, Math.Abs(now));
                    gap = Math.Max(gap, Math.Abs(now - next));
                }
            }
            else
            {
                for (int i = 0; i < d; i++)
                {
                    double next = Unsafe.Add(ref xRef, i) + Unsafe.Add(ref thetaRef, i) * inverse * gamma;
                    double now = Unsafe.Add(ref currentRef, i);
                    Unsafe.Add(ref candidateRef, i) = next;
                    scale = Math.Max(scale, Math.Abs(now));
                    gap = Math.Max(gap, Math.Abs(now - next));
                }
            }
            if (gap <= tolerance * scale)
            {
                // A fixed point: the next θ-step would return the same θ and value, so skip it.
                converged = true;
                break;
            }
            double nextValue = ThetaStep(candidate, thetaHat, inverseDesign, rho, u, theta);
            double threshold = tolerance * Math.Max(1, Math.Abs(nextValue));
            if (nextValue < value)
            {
                // Monotone in exact arithmetic (Lemma 3); a decrease is rounding at a fixed point: keep the previous x̃.
                converged = value - nextValue < threshold * 1e3;
                break;
            }
            Span<double> swap = current;
            current = candidate;
            candidate = swap;
            bool small = nextValue - value < threshold;
            value = nextValue;
            if (small)
            {
                converged = true;
                break;
            }
        }
        current.CopyTo(destination);
        return new OroSolution(value, iterations, converged);
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
        ref double uRef = ref MemoryMarshal.GetReference(u);
        ref double hatRef = ref MemoryMarshal.GetReference(thetaHat);
        ref double thetaRef = ref MemoryMarshal.GetReference(theta);
        for (int i = 0; i < d; i++) Unsafe.Add(ref thetaRef, i) = Unsafe.Add(ref hatRef, i) + scale * Unsafe.Add(ref uRef, i);
        return SymmetricKernels.Dot(z, thetaHat) + rho * width;
    }
}
