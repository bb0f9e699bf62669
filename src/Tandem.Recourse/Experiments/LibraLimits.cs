using System.Globalization;

namespace Tandem.Recourse.Experiments;

/// <summary>
/// What a LIBRA study can compute: the ranges every option is checked against before any work (docs/libra-limits.md).
/// Sizes are bounded by memory (the runner keeps, per policy, run and step, three doubles, an arm and a query flag:
/// <see cref="BytesPerCell"/> bytes); real values by what the solvers and the design matrices can represent
/// (γ² and x̃ᵀV⁻¹x̃ with V⁻¹ ≤ I/λ must stay far from overflow, 1/λ must be finite, and no value may be subnormal).
/// </summary>
public static class LibraLimits
{
    /// <summary>Largest horizon T (steps per run).</summary>
    public const int MaxHorizon = 10_000_000;

    /// <summary>Largest number of runs R.</summary>
    public const int MaxRuns = 100_000;

    /// <summary>Largest T × R × (number of policies), summed over the settings of an ablation: 2·10⁷ cells of
    /// <see cref="BytesPerCell"/> bytes, about 580 MB of traces.</summary>
    public const long MaxCells = 20_000_000;

    /// <summary>Bytes the runner keeps per (policy, run, step).</summary>
    public const int BytesPerCell = 29;

    /// <summary>Largest number of ablation values.</summary>
    public const int MaxAblationValues = 1000;

    /// <summary>Largest γ, ε (recourse and deviation budgets, in feature units), ρ and λ: 10⁶ (Δ is only compared with
    /// a confidence width, so any finite Δ can be computed; a huge Δ means "never consult"). A recourse of a million
    /// standardised units is not a recourse, and this keeps γ², x̃ᵀV⁻¹x̃ and the rewards of a recommended context
    /// many orders of magnitude from overflow.</summary>
    public const double MaxScale = 1e6;

    /// <summary>Smallest positive γ, ε, ρ, Δ and λ: 10⁻⁶ (0 is allowed where the option allows it, λ must be at least
    /// this). Below it V⁻¹ = I/λ loses every digit to cancellation in the Sherman–Morrison updates (1/λ = ∞ for a
    /// subnormal λ), and the other values would be rounding noise beside the contexts.</summary>
    public const double MinPositive = 1e-6;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/> unless
    /// <paramref name="value"/> is 0 (when <paramref name="zeroAllowed"/>) or in [<see cref="MinPositive"/>,
    /// <paramref name="max"/>] (default <see cref="MaxScale"/>).</summary>
    public static void CheckScale(double value, string paramName, string symbol, bool zeroAllowed = true, double max = MaxScale)
    {
        if (zeroAllowed && value == 0) return;
        if (!(value >= MinPositive && value <= max))
        {
            string range = string.Create(CultureInfo.InvariantCulture, $"[{MinPositive:G}, {max:G}]");
            throw new ArgumentOutOfRangeException(paramName, value, zeroAllowed
                ? $"{symbol} must be 0 or lie in {range} (finite, not subnormal, small enough for the solvers)."
                : $"{symbol} must lie in {range} (finite, not subnormal, small enough for the solvers).");
        }
    }

    /// <summary>Largest Δ: the largest finite double (Δ is a threshold only).</summary>
    public const double MaxDelta = double.MaxValue;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming "Horizon" when T × R × policies exceeds
    /// <see cref="MaxCells"/>.</summary>
    public static void CheckCells(long horizon, long runs, long policies)
    {
        long cells = horizon * runs * policies; // each factor is bounded (≤ 10⁷, 10⁵, a few hundred): no overflow
        if (cells > MaxCells)
            throw new ArgumentOutOfRangeException("Horizon", horizon, string.Create(CultureInfo.InvariantCulture,
                $"horizon × runs × policies = {horizon} × {runs} × {policies} = {cells:N0} exceeds {MaxCells:N0} (the traces kept in memory, {BytesPerCell} bytes each, would need {cells * BytesPerCell / 1e9:F1} GB); lower the horizon or the runs."));
    }
}
