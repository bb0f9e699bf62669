namespace Tandem.Reporting;

/// <summary>
/// One line of a <see cref="Figures.Line"/> figure, such as the mean cumulative regret of one
/// policy over the steps of a study.
/// </summary>
/// <param name="Name">The legend text.</param>
/// <param name="Y">The values, one per point.</param>
/// <param name="Band">
/// Optional symmetric half-width at each point (for example a standard deviation or the
/// half-width of a 95% confidence interval), drawn as a translucent fill from
/// <c>Y[i] - Band[i]</c> to <c>Y[i] + Band[i]</c>. Same length as <paramref name="Y"/>; negative
/// half-widths are taken as their absolute value.
/// </param>
/// <param name="X">Optional abscissae, same length as <paramref name="Y"/>; 1, 2, ..., n when null.</param>
public sealed record Series(string Name, double[] Y, double[]? Band = null, double[]? X = null);

/// <summary>One group member of a <see cref="Figures.Bars"/> figure: a value per category.</summary>
/// <param name="Name">The legend text.</param>
/// <param name="Values">One value per category, in the order of the categories.</param>
/// <param name="Errors">
/// Optional error-bar half-widths (for example a standard error), one per category, drawn from
/// <c>Values[i] - Errors[i]</c> to <c>Values[i] + Errors[i]</c>.
/// </param>
public sealed record BarSeries(string Name, double[] Values, double[]? Errors = null);

/// <summary>
/// Points of a <see cref="Figures.Scatter"/> figure, drawn as markers only (for example the
/// recommended recourse per patient: change in one feature against change in another).
/// </summary>
/// <param name="Name">The legend text.</param>
/// <param name="X">The abscissae.</param>
/// <param name="Y">The ordinates, same length as <paramref name="X"/>.</param>
public sealed record ScatterSeries(string Name, double[] X, double[] Y);

/// <summary>
/// One marker colour of a <see cref="Figures.Intervals"/> figure: a value per category with the lower and
/// upper ends of its interval (NaN where there is none).
/// </summary>
/// <param name="Name">The legend text.</param>
/// <param name="Values">One value per category.</param>
/// <param name="Lower">Lower ends, one per category, or null for no intervals.</param>
/// <param name="Upper">Upper ends, one per category, or null for no intervals.</param>
public sealed record IntervalSeries(string Name, double[] Values, double[]? Lower = null, double[]? Upper = null);
