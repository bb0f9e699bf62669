namespace Tandem.Recourse.Solvers;

/// <summary>
/// The result of an (ORO-Arm) solve (seed 000 §2.2).
/// </summary>
/// <param name="Value">The optimistic value max_{θ ∈ Θ} x̃ᵀθ = x̃ᵀθ̂ + ρ·||x̃||_{V⁻¹} at the returned context (the linear
/// predictor's upper confidence bound; the monotone link is dropped, seed §2.2).</param>
/// <param name="Iterations">Iterations the solver used (block updates, or bisection steps for the global solver).</param>
/// <param name="Converged">True when the stopping rule was met before the iteration limit.</param>
public readonly record struct OroSolution(double Value, int Iterations, bool Converged);
