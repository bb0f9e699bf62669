namespace Tandem.Core.Statistics;

/// <summary>Mean and sample standard deviation (n − 1 denominator; 0 when n = 1) of a set of runs,
/// with the half-width of a normal-approximation 95% interval for the mean.</summary>
public readonly record struct MeanSd(double Mean, double Sd, int Count)
{
    /// <summary>1.96 · sd / √n.</summary>
    public double Ci95 => Count > 0 ? 1.959963984540054 * Sd / Math.Sqrt(Count) : double.NaN;

    /// <summary>Summarise <paramref name="values"/> (Welford's update: stable for large means).</summary>
    public static MeanSd Of(ReadOnlySpan<double> values)
    {
        if (values.Length == 0) return new MeanSd(double.NaN, double.NaN, 0);
        double mean = 0, m2 = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double delta = values[i] - mean;
            mean += delta / (i + 1);
            m2 += delta * (values[i] - mean);
        }
        double sd = values.Length > 1 ? Math.Sqrt(m2 / (values.Length - 1)) : 0.0;
        return new MeanSd(mean, sd, values.Length);
    }

    /// <inheritdoc cref="Of(ReadOnlySpan{double})"/>
    public static MeanSd Of(double[] values) => Of(values.AsSpan());
}

/// <summary>Curves over steps from per-run traces.</summary>
public static class Curves
{
    /// <summary>Mean over rows of the running sum of each row; at step t the mean is over the rows
    /// that reached t.</summary>
    public static double[] MeanOfCumulative(double[][] rows)
    {
        int length = rows.Length == 0 ? 0 : rows.Max(r => r.Length);
        var sum = new double[length];
        var count = new int[length];
        foreach (double[] row in rows)
        {
            double acc = 0;
            for (int t = 0; t < row.Length; t++)
            {
                acc += row[t];
                sum[t] += acc;
                count[t]++;
            }
        }
        for (int t = 0; t < length; t++) sum[t] /= count[t];
        return sum;
    }

    /// <summary>Per-step sample standard deviation over rows of the running sums (0 where one row).</summary>
    public static double[] SdOfCumulative(double[][] rows)
    {
        int length = rows.Length == 0 ? 0 : rows.Max(r => r.Length);
        var cumulative = rows.Select(r =>
        {
            var c = new double[r.Length];
            double acc = 0;
            for (int t = 0; t < r.Length; t++) c[t] = acc += r[t];
            return c;
        }).ToArray();
        var sd = new double[length];
        var column = new List<double>(rows.Length);
        for (int t = 0; t < length; t++)
        {
            column.Clear();
            foreach (double[] c in cumulative) if (t < c.Length) column.Add(c[t]);
            sd[t] = MeanSd.Of(column.ToArray()).Sd;
        }
        return sd;
    }
}
