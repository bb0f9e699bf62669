using ScottPlot;

namespace Tandem.Reporting;

/// <summary>The two files a <see cref="Figures"/> method writes.</summary>
/// <param name="PngPath">Full path of the PNG image.</param>
/// <param name="SvgPath">Full path of the SVG image.</param>
public sealed record FigureFiles(string PngPath, string SvgPath);

/// <summary>
/// Paper-style figures (ScottPlot 5): each method writes <c>{pathStem}.png</c> and
/// <c>{pathStem}.svg</c> of the same drawing, creating the folder. Colours come from
/// <see cref="Palette"/> (Okabe–Ito, safe for the common colour-vision deficiencies), one per series
/// name in every figure (<see cref="SeriesPalette"/>); after the palette is used up, lines repeat its
/// colours dashed and markers change shape.
/// </summary>
/// <remarks>
/// Non-finite values never throw: a point whose x or y is NaN or ±∞ is skipped, and a line is
/// broken there rather than joined across the gap; a band is drawn only where both the value and
/// its half-width are finite; a bar whose value is not finite is left out, and an error bar whose
/// half-width is not finite is left off. On a logarithmic y axis, points with y ≤ 0 are skipped too.
/// </remarks>
public static class Figures
{
    /// <summary>
    /// The series colours, in order: Okabe &amp; Ito (2008) "Color Universal Design", with
    /// yellow last because it is faint on white.
    /// </summary>
    public static IReadOnlyList<string> Palette { get; } =
    [
        "#0072B2", // blue
        "#D55E00", // vermillion
        "#009E73", // bluish green
        "#CC79A7", // reddish purple
        "#E69F00", // orange
        "#56B4E9", // sky blue
        "#000000", // black
        "#F0E442", // yellow
    ];

    private const float TitleSize = 24;
    private const float AxisLabelSize = 20;
    private const float TickLabelSize = 16;
    private const float LegendSize = 16;
    private const float LineWidth = 2.5f;
    private const double BandAlpha = 0.2;

    // Paper figures read best in a sans-serif face; SkiaSharp's fallback on a bare Linux host is
    // whatever font it finds first (often a serif), so the first installed preferred face is used.
    private static readonly string[] PreferredSans =
        ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans", "Noto Sans", "Open Sans", "Segoe UI"];

    private static readonly Lazy<string?> SansFont = new(FindSansFont);

    private static readonly MarkerShape[] MarkerShapes =
    [
        MarkerShape.FilledCircle,
        MarkerShape.FilledSquare,
        MarkerShape.FilledTriangleUp,
        MarkerShape.FilledDiamond,
        MarkerShape.OpenCircle,
        MarkerShape.OpenSquare,
        MarkerShape.OpenTriangleUp,
        MarkerShape.OpenDiamond,
    ];

    /// <summary>
    /// Lines with optional translucent bands, such as cumulative regret against step with a
    /// ±1 sd or 95% CI band per policy.
    /// </summary>
    /// <param name="pathStem">Output path without extension; a trailing .png or .svg is removed.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="xLabel">X-axis label (replaced by <see cref="FigureOptions.XLabel"/> when set).</param>
    /// <param name="yLabel">Y-axis label (replaced by <see cref="FigureOptions.YLabel"/> when set).</param>
    /// <param name="series">The lines, drawn in order; the legend lists them in the same order.</param>
    /// <param name="options">Size and axis settings; <see cref="FigureOptions.Default"/> when null.</param>
    /// <returns>The paths written.</returns>
    /// <exception cref="ArgumentException">A series has X or Band of a length other than Y's.</exception>
    public static FigureFiles Line(
        string pathStem,
        string title,
        string xLabel,
        string yLabel,
        IReadOnlyList<Series> series,
        FigureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= FigureOptions.Default;
        ValidateCommon(pathStem, title, options);
        for (int s = 0; s < series.Count; s++)
        {
            Series line = series[s] ?? throw new ArgumentException($"series[{s}] is null.", nameof(series));
            ArgumentNullException.ThrowIfNull(line.Y, $"{nameof(series)}[{s}].Y");
            RequireSameLength(line.X, line.Y.Length, $"series[{s}] '{line.Name}': X", nameof(series));
            RequireSameLength(line.Band, line.Y.Length, $"series[{s}] '{line.Name}': Band", nameof(series));
        }

        using var plot = NewPlot(title, xLabel, yLabel, options);
        var colors = SeriesPalette.Assign(series.Select(x => x.Name).ToArray());
        for (int s = 0; s < series.Count; s++)
        {
            AddLine(plot, series[s], colors[s], options.LogY);
        }

        FinishLegend(plot, options);
        return Save(plot, pathStem, options);
    }

    /// <summary>
    /// Grouped bars with optional error bars: one group per category (labelled on the x axis),
    /// one bar per series within each group.
    /// </summary>
    /// <param name="pathStem">Output path without extension; a trailing .png or .svg is removed.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="yLabel">Y-axis label (replaced by <see cref="FigureOptions.YLabel"/> when set).</param>
    /// <param name="categories">The group labels, left to right.</param>
    /// <param name="series">The bars of each group, left to right; each has a value per category.</param>
    /// <param name="options">
    /// Size settings; <see cref="FigureOptions.Default"/> when null. <see cref="FigureOptions.LogY"/>
    /// must be false: a bar on a log axis has no base.
    /// </param>
    /// <returns>The paths written.</returns>
    /// <exception cref="ArgumentException">
    /// A series has Values or Errors of a length other than the number of categories, or LogY is set.
    /// </exception>
    public static FigureFiles Bars(
        string pathStem,
        string title,
        string yLabel,
        IReadOnlyList<string> categories,
        IReadOnlyList<BarSeries> series,
        FigureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        options ??= FigureOptions.Default;
        ValidateCommon(pathStem, title, options);
        if (options.LogY)
        {
            throw new ArgumentException("Bars cannot use a logarithmic y axis (LogY = true): a bar on a log axis has no base.", nameof(options));
        }

        for (int s = 0; s < series.Count; s++)
        {
            BarSeries bars = series[s] ?? throw new ArgumentException($"series[{s}] is null.", nameof(series));
            ArgumentNullException.ThrowIfNull(bars.Values, $"{nameof(series)}[{s}].Values");
            RequireSameLength(bars.Values, categories.Count, $"series[{s}] '{bars.Name}': Values", nameof(series));
            RequireSameLength(bars.Errors, categories.Count, $"series[{s}] '{bars.Name}': Errors", nameof(series));
        }

        using var plot = NewPlot(title, options.XLabel ?? string.Empty, yLabel, options);

        // Each group spans 0.8 of the unit between category centres; bars fill 90% of their slot.
        int groupSize = Math.Max(series.Count, 1);
        double slot = 0.8 / groupSize;
        var drawn = new List<Bar>();
        var colors = SeriesPalette.Assign(series.Select(x => x.Name).ToArray());
        for (int s = 0; s < series.Count; s++)
        {
            Color color = SeriesColor(colors[s].Color);
            BarSeries bars = series[s];
            for (int c = 0; c < categories.Count; c++)
            {
                double value = bars.Values[c];
                if (!double.IsFinite(value))
                {
                    continue;
                }

                double error = bars.Errors is null ? 0 : Math.Abs(bars.Errors[c]);
                drawn.Add(new Bar
                {
                    Position = c + ((s - ((groupSize - 1) / 2.0)) * slot),
                    Value = value,
                    ValueBase = 0,
                    Error = double.IsFinite(error) ? error : 0,
                    Size = slot * 0.9,
                    FillColor = color,
                    LineColor = Colors.Black.WithAlpha(0.6),
                    LineWidth = 1,
                });
            }

            plot.Legend.ManualItems.Add(new LegendItem { LabelText = bars.Name, FillColor = color });
        }

        if (drawn.Count > 0)
        {
            var plottable = plot.Add.Bars(drawn);
            plottable.ValueLabelStyle.FontSize = TickLabelSize;
        }

        double[] positions = Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, categories.Select(c => c ?? string.Empty).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        plot.HideGrid();
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 1;
        plot.ShowGrid();
        // Bars rest on 0: no margin below a chart of positive bars, some room below negative ones so
        // they do not run into the axis.
        bool anyNegative = drawn.Any(b => b.Value - b.Error < 0);
        FinishLegend(plot, options, bottomMargin: anyNegative ? 0.08 : 0);
        if (categories.Count > 0)
        {
            plot.Axes.SetLimitsX(-0.6, categories.Count - 0.4);
        }

        return Save(plot, pathStem, options);
    }

    /// <summary>
    /// Estimates with intervals, grouped by category: one marker per (series, category) at the value and a
    /// vertical line from the lower to the upper end of its interval, such as off-policy estimates of several
    /// target policies. Unlike <see cref="Bars"/>, the y axis fits the data, so estimates that differ by a
    /// little far from zero stay visible.
    /// </summary>
    /// <param name="pathStem">Output path without extension; a trailing .png or .svg is removed.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="yLabel">Y-axis label (replaced by <see cref="FigureOptions.YLabel"/> when set).</param>
    /// <param name="categories">The groups along the x axis.</param>
    /// <param name="series">One marker colour per series; values, lower and upper ends per category (NaN: not drawn).</param>
    /// <param name="options">Size and axis settings; <see cref="FigureOptions.Default"/> when null.</param>
    /// <returns>The paths written.</returns>
    /// <exception cref="ArgumentException">A series has Values, Lower or Upper of a length other than the number of categories.</exception>
    public static FigureFiles Intervals(
        string pathStem,
        string title,
        string yLabel,
        IReadOnlyList<string> categories,
        IReadOnlyList<IntervalSeries> series,
        FigureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        options ??= FigureOptions.Default;
        ValidateCommon(pathStem, title, options);
        for (int s = 0; s < series.Count; s++)
        {
            IntervalSeries item = series[s] ?? throw new ArgumentException($"series[{s}] is null.", nameof(series));
            ArgumentNullException.ThrowIfNull(item.Values, $"{nameof(series)}[{s}].Values");
            RequireSameLength(item.Values, categories.Count, $"series[{s}] '{item.Name}': Values", nameof(series));
            RequireSameLength(item.Lower, categories.Count, $"series[{s}] '{item.Name}': Lower", nameof(series));
            RequireSameLength(item.Upper, categories.Count, $"series[{s}] '{item.Name}': Upper", nameof(series));
        }

        using var plot = NewPlot(title, options.XLabel ?? string.Empty, yLabel, options);
        int groupSize = Math.Max(series.Count, 1);
        double slot = 0.8 / groupSize;
        var colors = SeriesPalette.Assign(series.Select(x => x.Name).ToArray());
        for (int s = 0; s < series.Count; s++)
        {
            IntervalSeries item = series[s];
            Color color = SeriesColor(colors[s].Color);
            MarkerShape shape = MarkerShapes[s % MarkerShapes.Length];
            var xs = new List<double>();
            var ys = new List<double>();
            for (int c = 0; c < categories.Count; c++)
            {
                if (!TryMapY(item.Values[c], options.LogY, out double y)) continue;
                double x = c + ((s - ((groupSize - 1) / 2.0)) * slot);
                xs.Add(x);
                ys.Add(y);
                if (item.Lower is not null && item.Upper is not null
                    && TryMapY(item.Lower[c], options.LogY, out double low) && TryMapY(item.Upper[c], options.LogY, out double high))
                {
                    var line = plot.Add.Line(x, low, x, high);
                    line.Color = color;
                    line.LineWidth = 2;
                }
            }

            if (xs.Count > 0)
            {
                var markers = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
                markers.Color = color;
                markers.MarkerShape = shape;
                markers.MarkerSize = 10;
            }

            plot.Legend.ManualItems.Add(new LegendItem { LabelText = item.Name, MarkerShape = shape, MarkerFillColor = color, MarkerLineColor = color, MarkerSize = 10 });
        }

        double[] positions = Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, categories.Select(c => c ?? string.Empty).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        FinishLegend(plot, options);
        if (categories.Count > 0)
        {
            plot.Axes.SetLimitsX(-0.6, categories.Count - 0.4);
        }

        return Save(plot, pathStem, options);
    }

    /// <summary>
    /// Markers only, one colour and marker shape per series, such as the recommended recourse per
    /// patient (change in one feature against change in another).
    /// </summary>
    /// <param name="pathStem">Output path without extension; a trailing .png or .svg is removed.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="xLabel">X-axis label (replaced by <see cref="FigureOptions.XLabel"/> when set).</param>
    /// <param name="yLabel">Y-axis label (replaced by <see cref="FigureOptions.YLabel"/> when set).</param>
    /// <param name="series">The point sets, drawn in order.</param>
    /// <param name="options">Size and axis settings; <see cref="FigureOptions.Default"/> when null.</param>
    /// <returns>The paths written.</returns>
    /// <exception cref="ArgumentException">A series has X and Y of different lengths.</exception>
    public static FigureFiles Scatter(
        string pathStem,
        string title,
        string xLabel,
        string yLabel,
        IReadOnlyList<ScatterSeries> series,
        FigureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= FigureOptions.Default;
        ValidateCommon(pathStem, title, options);
        for (int s = 0; s < series.Count; s++)
        {
            ScatterSeries points = series[s] ?? throw new ArgumentException($"series[{s}] is null.", nameof(series));
            ArgumentNullException.ThrowIfNull(points.X, $"{nameof(series)}[{s}].X");
            ArgumentNullException.ThrowIfNull(points.Y, $"{nameof(series)}[{s}].Y");
            RequireSameLength(points.Y, points.X.Length, $"series[{s}] '{points.Name}': Y", nameof(series));
        }

        using var plot = NewPlot(title, xLabel, yLabel, options);
        var colors = SeriesPalette.Assign(series.Select(x => x.Name).ToArray());
        for (int s = 0; s < series.Count; s++)
        {
            ScatterSeries points = series[s];
            var xs = new List<double>(points.X.Length);
            var ys = new List<double>(points.X.Length);
            for (int i = 0; i < points.X.Length; i++)
            {
                if (TryMapY(points.Y[i], options.LogY, out double y) && double.IsFinite(points.X[i]))
                {
                    xs.Add(points.X[i]);
                    ys.Add(y);
                }
            }

            Color color = SeriesColor(colors[s].Color);
            MarkerShape shape = MarkerShapes[s % MarkerShapes.Length];
            if (xs.Count > 0)
            {
                var markers = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
                markers.Color = color.WithAlpha(0.75);
                markers.MarkerShape = shape;
                markers.MarkerSize = 9;
            }

            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = points.Name,
                MarkerShape = shape,
                MarkerFillColor = color,
                MarkerLineColor = color,
                MarkerSize = 10,
            });
        }

        FinishLegend(plot, options);
        return Save(plot, pathStem, options);
    }

    private static void AddLine(Plot plot, Series series, (int Color, bool Repeated) assigned, bool logY)
    {
        Color color = SeriesColor(assigned.Color);
        LinePattern pattern = assigned.Repeated ? LinePattern.Dashed : LinePattern.Solid;
        int n = series.Y.Length;

        // Maximal runs of drawable points: a non-finite value breaks the line instead of joining across it.
        int start = 0;
        while (start < n)
        {
            while (start < n && !TryPoint(series, start, logY, out _, out _))
            {
                start++;
            }

            int end = start;
            while (end < n && TryPoint(series, end, logY, out _, out _))
            {
                end++;
            }

            if (end > start)
            {
                AddRun(plot, series, start, end, logY, color, pattern);
            }

            start = end;
        }

        plot.Legend.ManualItems.Add(new LegendItem
        {
            LabelText = series.Name,
            LineColor = color,
            LineWidth = LineWidth,
            LinePattern = pattern,
            FillColor = series.Band is null ? Colors.Transparent : color.WithAlpha(BandAlpha),
        });
    }

    private static void AddRun(Plot plot, Series series, int start, int end, bool logY, Color color, LinePattern pattern)
    {
        int count = end - start;
        double[] xs = new double[count];
        double[] ys = new double[count];
        for (int i = 0; i < count; i++)
        {
            TryPoint(series, start + i, logY, out xs[i], out ys[i]);
        }

        if (series.Band is { } band)
        {
            AddBand(plot, series, band, start, end, logY, color);
        }

        if (count == 1)
        {
            // A lone point between gaps has no segment to draw; a marker keeps it visible.
            var dot = plot.Add.ScatterPoints(xs, ys);
            dot.Color = color;
            dot.MarkerSize = 6;
            return;
        }

        var line = plot.Add.ScatterLine(xs, ys);
        line.Color = color;
        line.LineWidth = LineWidth;
        line.LinePattern = pattern;
    }

    private static void AddBand(Plot plot, Series series, double[] band, int start, int end, bool logY, Color color)
    {
        // The band may itself have gaps (non-finite half-widths) inside a run of the line.
        var xs = new List<double>();
        var lower = new List<double>();
        var upper = new List<double>();
        void Flush()
        {
            if (xs.Count >= 2)
            {
                var fill = plot.Add.FillY(xs.ToArray(), lower.ToArray(), upper.ToArray());
                fill.FillColor = color.WithAlpha(BandAlpha);
                fill.LineWidth = 0;
            }

            xs.Clear();
            lower.Clear();
            upper.Clear();
        }

        for (int i = start; i < end; i++)
        {
            double half = Math.Abs(band[i]);
            if (!double.IsFinite(half))
            {
                Flush();
                continue;
            }

            double x = series.X?[i] ?? i + 1;
            double y = series.Y[i];
            double lo = y - half;
            double hi = y + half;
            if (logY)
            {
                // Clip the lower edge at the line itself when it would fall to zero or below.
                lo = lo > 0 ? Math.Log10(lo) : Math.Log10(y);
                hi = Math.Log10(hi);
            }

            if (!double.IsFinite(lo) || !double.IsFinite(hi))
            {
                Flush();
                continue;
            }

            xs.Add(x);
            lower.Add(lo);
            upper.Add(hi);
        }

        Flush();
    }

    private static bool TryPoint(Series series, int i, bool logY, out double x, out double y)
    {
        x = series.X?[i] ?? i + 1;
        return TryMapY(series.Y[i], logY, out y) && double.IsFinite(x);
    }

    private static bool TryMapY(double value, bool logY, out double y)
    {
        if (logY)
        {
            y = value > 0 ? Math.Log10(value) : double.NaN;
        }
        else
        {
            y = value;
        }

        return double.IsFinite(y);
    }

    private static Color SeriesColor(int paletteIndex) => Color.FromHex(Palette[paletteIndex % Palette.Count]);

    private static Plot NewPlot(string title, string xLabel, string yLabel, FigureOptions options)
    {
        var plot = new Plot();
        if (SansFont.Value is { } font)
        {
            plot.Font.Set(font);
            plot.Legend.FontName = font;
        }

        plot.Title(title);
        plot.XLabel(options.XLabel ?? xLabel);
        plot.YLabel(options.YLabel ?? yLabel);
        plot.Axes.Title.Label.FontSize = TitleSize;
        plot.Axes.Title.Label.Bold = true;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.FontSize = AxisLabelSize;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontSize = TickLabelSize;
        }

        plot.Axes.Right.FrameLineStyle.Width = 0;
        plot.Axes.Top.FrameLineStyle.Width = 0;
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.08);
        plot.Legend.FontSize = LegendSize;
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.85);
        plot.Legend.OutlineColor = Colors.Black.WithAlpha(0.25);
        plot.Legend.ShadowColor = Colors.Transparent;

        if (options.LogY)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
            };
        }

        return plot;
    }

    private static string? FindSansFont()
    {
        var installed = new HashSet<string>(SkiaSharp.SKFontManager.Default.FontFamilies, StringComparer.OrdinalIgnoreCase);
        return PreferredSans.FirstOrDefault(installed.Contains);
    }

    private static void FinishLegend(Plot plot, FigureOptions options, double bottomMargin = 0.1)
    {
        if (options.Legend == LegendPosition.Hidden || plot.Legend.ManualItems.Count == 0)
        {
            plot.HideLegend();
            plot.Axes.Margins(bottom: bottomMargin, top: 0.1);
            return;
        }

        // Head room for a legend in an upper corner, so it covers the data as little as possible:
        // the legend's approximate height as a fraction of the data area (title and x axis take ~150 px).
        double legendPixels = (plot.Legend.ManualItems.Count * LegendSize * 1.6) + 24;
        double dataPixels = Math.Max(options.Height - 150, 50);
        bool upper = options.Legend is LegendPosition.UpperLeft or LegendPosition.UpperRight;
        double top = upper ? Math.Min(0.6, (legendPixels / dataPixels) + 0.05) : 0.1;
        double bottom = upper ? bottomMargin : Math.Max(bottomMargin, Math.Min(0.6, (legendPixels / dataPixels) + 0.05));
        plot.Axes.Margins(bottom: bottom, top: top);

        plot.ShowLegend(options.Legend switch
        {
            LegendPosition.UpperRight => Alignment.UpperRight,
            LegendPosition.LowerLeft => Alignment.LowerLeft,
            LegendPosition.LowerRight => Alignment.LowerRight,
            _ => Alignment.UpperLeft,
        });
    }

    private static FigureFiles Save(Plot plot, string pathStem, FigureOptions options)
    {
        string stem = Path.GetFullPath(pathStem);
        string extension = Path.GetExtension(stem);
        if (extension.Equals(".png", StringComparison.OrdinalIgnoreCase) || extension.Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            stem = stem[..^extension.Length];
        }

        string? folder = Path.GetDirectoryName(stem);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var files = new FigureFiles(stem + ".png", stem + ".svg");
        plot.SavePng(files.PngPath, options.Width, options.Height);
        plot.SaveSvg(files.SvgPath, options.Width, options.Height);
        return files;
    }

    private static void ValidateCommon(string pathStem, string title, FigureOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathStem);
        ArgumentNullException.ThrowIfNull(title);
        options.Validate();
    }

    private static void RequireSameLength(Array? values, int expected, string what, string paramName)
    {
        if (values is not null && values.Length != expected)
        {
            throw new ArgumentException($"{what} has {values.Length} values; expected {expected}.", paramName);
        }
    }
}
