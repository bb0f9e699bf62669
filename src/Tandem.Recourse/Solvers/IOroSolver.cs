namespace Tandem.Recourse.Solvers;

/// <summary>
/// Solves the per-arm optimistic recourse problem (ORO-Arm), seed 000 §2.2:
/// <code>
/// max_{x̃_M, θ}  (x_I, x̃_M)ᵀθ   subject to  x̃_M ∈ F(x_M),  ||θ − θ̂||_V ≤ ρ,
/// </code>
/// equivalently max_{x̃_M ∈ F(x_M)} x̃ᵀθ̂ + ρ·sqrt(x̃ᵀV⁻¹x̃). Implementations are not thread-safe (they own workspaces).
/// </summary>
public interface IOroSolver
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>
    /// Solve (ORO-Arm) for one arm.
    /// </summary>
    /// <param name="x">The full context x = (x_I, x_M), length d, finite.</param>
    /// <param name="thetaHat">The estimate θ̂, length d, finite.</param>
    /// <param name="inverseDesign">V⁻¹, row-major d×d, symmetric positive definite (only its diagonal is checked).</param>
    /// <param name="rho">The confidence radius ρ. Range: finite, ≥ 0.</param>
    /// <param name="destination">Receives the optimistic recourse context x̃ = (x_I, x̃_M), length d.</param>
    /// <returns>The optimistic value and convergence information.</returns>
    OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination);
}
