namespace Tandem.Reporting;

/// <summary>Where a figure's legend is drawn, inside the data area.</summary>
public enum LegendPosition
{
    /// <summary>Upper left corner, where cumulative curves that start at zero leave room.</summary>
    UpperLeft,
    /// <summary>Upper right corner.</summary>
    UpperRight,
    /// <summary>Lower left corner.</summary>
    LowerLeft,
    /// <summary>Lower right corner.</summary>
    LowerRight,
    /// <summary>No legend.</summary>
    Hidden,
}

/// <summary>
/// Size and axis settings shared by the <see cref="Figures"/> methods. Immutable; change one
/// setting with a <c>with</c> expression: <c>FigureOptions.Default with { LogY = true }</c>.
/// </summary>
/// <param name="Width">Image width in pixels. Range: 200 ≤ Width ≤ 8000. The SVG uses the same size in user units.</param>
/// <param name="Height">Image height in pixels. Range: 150 ≤ Height ≤ 8000.</param>
/// <param name="LogY">
/// Whether the y axis is logarithmic (base 10). Points whose y (or band lower edge) is not
/// positive cannot be drawn on it and are skipped (bands are clipped to the smallest positive
/// value of their line instead).
/// </param>
/// <param name="XLabel">Replaces the x-axis label given to the method, when not null.</param>
/// <param name="YLabel">Replaces the y-axis label given to the method, when not null.</param>
/// <param name="Legend">Where the legend goes; <see cref="LegendPosition.UpperLeft"/> by default.</param>
public sealed record FigureOptions(
    int Width = FigureOptions.DefaultWidth,
    int Height = FigureOptions.DefaultHeight,
    bool LogY = false,
    string? XLabel = null,
    string? YLabel = null,
    LegendPosition Legend = LegendPosition.UpperLeft)
{
    /// <summary>The default width, 1000 px.</summary>
    public const int DefaultWidth = 1000;

    /// <summary>The default height, 600 px.</summary>
    public const int DefaultHeight = 600;

    /// <summary>1000 × 600, linear axes, legend upper left.</summary>
    public static FigureOptions Default { get; } = new();

    /// <summary>Throws when a setting is out of its documented range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Width, Height or Legend is out of range.</exception>
    public void Validate()
    {
        if (Width is < 200 or > 8000)
        {
            throw new ArgumentOutOfRangeException(nameof(Width), Width, "Width must be in [200, 8000] pixels.");
        }

        if (Height is < 150 or > 8000)
        {
            throw new ArgumentOutOfRangeException(nameof(Height), Height, "Height must be in [150, 8000] pixels.");
        }

        if (!Enum.IsDefined(Legend))
        {
            throw new ArgumentOutOfRangeException(nameof(Legend), Legend, "Unknown legend position.");
        }
    }
}
