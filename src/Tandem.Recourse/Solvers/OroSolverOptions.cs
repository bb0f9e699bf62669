namespace Tandem.Recourse.Solvers;

/// <summary>
/// Stopping rule of the block coordinate solvers (Algorithms 2 and 4, seed 000 §2.2 and §4.2): stop when the
/// objective changes by less than Tolerance·max(1, |value|), when the recourse reaches a fixed point (it moves by
/// at most Tolerance·max(1, ‖x̃_M‖∞), so the next θ-step would change nothing), or after MaxIterations block updates.
/// </summary>
public sealed record OroSolverOptions
{
    /// <summary>The defaults: 100 iterations, tolerance 1e-10.</summary>
    public static OroSolverOptions Default { get; } = new();

    /// <summary>Maximum number of (θ, x̃) block updates. Range: ≥ 1. Default 100.</summary>
    public int MaxIterations
    {
        get;
        init
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(MaxIterations), value, "Must be ≥ 1.");
            field = value;
        }
    } = 100;

    /// <summary>Relative objective change that counts as converged. Range: finite, &gt; 0. Default 1e-10.</summary>
    public double Tolerance
    {
        get;
        init
        {
            if (!double.IsFinite(value) || value <= 0)
                throw new ArgumentOutOfRangeException(nameof(Tolerance), value, "Must be finite and > 0.");
            field = value;
        }
    } = 1e-10;
}
