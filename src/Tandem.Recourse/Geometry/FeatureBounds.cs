namespace Tandem.Recourse.Geometry;

/// <summary>Which way a mutable feature may be changed by a recourse.</summary>
public enum ChangeDirection
{
    /// <summary>Up or down.</summary>
    Any,

    /// <summary>Only up (δ_i ≥ 0), e.g. "hours of exercise may only go up".</summary>
    IncreaseOnly,

    /// <summary>Only down (δ_i ≤ 0), e.g. "alcohol may only go down".</summary>
    DecreaseOnly,
}

/// <summary>
/// Per-feature limits on a recourse, in the feature's own units: the recommended value must lie in
/// [<paramref name="Lower"/>, <paramref name="Upper"/>] and move only in <paramref name="Direction"/>. The defaults
/// mean "no limit". Range: Lower ≤ Upper, neither NaN (validated by <see cref="RecourseSet"/>).
/// </summary>
/// <param name="Lower">Smallest allowed recommended value (e.g. 0 for "hours ≥ 0").</param>
/// <param name="Upper">Largest allowed recommended value.</param>
/// <param name="Direction">Allowed direction of change.</param>
public sealed record FeatureBounds(
    double Lower = double.NegativeInfinity,
    double Upper = double.PositiveInfinity,
    ChangeDirection Direction = ChangeDirection.Any)
{
    /// <summary>No limit at all.</summary>
    public static FeatureBounds None { get; } = new();

    /// <summary>True when the bounds restrict nothing.</summary>
    public bool IsUnbounded =>
        double.IsNegativeInfinity(Lower) && double.IsPositiveInfinity(Upper) && Direction == ChangeDirection.Any;
}
