using MathNet.Numerics.Distributions;

namespace Tandem.Rmab.Metrics;

/// <summary>An aggregate over seeds: interquartile mean with its standard error, and the plain mean.</summary>
/// <param name="Iqm">Mean of the values between the first and third quartile (the middle half after sorting).</param>
/// <param name="Se">Standard error of the IQM: sample sd of the middle half / √(its count); 0 for one value.</param>
/// <param name="Mean">Plain mean of all values.</param>
public readonly record struct Aggregate(double Iqm, double Se, double Mean);

/// <summary>Seed 001's summary statistics (§5 "mean normalized reward", Table 4, Table 5).</summary>
public static class RobustStats
{
    /// <summary>MNR = (R_method − R_random) / (R_base − R_random) (seed 001 §5). NaN when the denominator is 0.</summary>
    public static double MeanNormalizedReward(double method, double random, double @base)
    {
        double d = @base - random;
        return d == 0 ? double.NaN : (method - random) / d;
    }

    /// <summary>IQM, its standard error and the mean of the finite values of <paramref name="values"/>. The middle half
    /// drops ⌊n/4⌋ values at each end (all values when n &lt; 4).</summary>
    public static Aggregate Summarize(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] v = values.Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return new Aggregate(double.NaN, double.NaN, double.NaN);
        int cut = v.Length / 4;
        ReadOnlySpan<double> middle = v.AsSpan(cut, v.Length - 2 * cut);
        var stat = Tandem.Core.Statistics.MeanSd.Of(middle);
        return new Aggregate(stat.Mean, middle.Length > 1 ? stat.Sd / Math.Sqrt(middle.Length) : 0, v.Average());
    }

    /// <summary>
    /// The interquartile mean as the authors' analysis computes it for Table 4: keep the values between the 25th and 75th
    /// percentiles inclusive (percentiles by linear interpolation between order statistics), return their mean, the
    /// sample sd of the kept values (n − 1) over √(kept), and the plain mean of all values. Non-finite values are dropped.
    /// </summary>
    public static Aggregate AuthorsIqm(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] v = values.Where(double.IsFinite).Order().ToArray();
        if (v.Length == 0) return new Aggregate(double.NaN, double.NaN, double.NaN);
        double q1 = Percentile(v, 25), q3 = Percentile(v, 75);
        double[] kept = v.Where(x => x >= q1 && x <= q3).ToArray();
        var stat = Tandem.Core.Statistics.MeanSd.Of(kept);
        return new Aggregate(stat.Mean, kept.Length > 1 ? stat.Sd / Math.Sqrt(kept.Length) : 0, v.Average());
    }

    /// <summary>
    /// A Table 4 cell as the authors' analysis computes it for No Action and the DLM columns: the IQM of the method's
    /// returns normalised by the IQMs of Random's and Base's returns, (IQM_m − IQM_random) / (IQM_base − IQM_random); its
    /// standard error is the IQM's (<see cref="AuthorsIqm"/>) over |IQM_base − IQM_random|. The authors pool the returns of
    /// single trials; Tandem passes each seed's mean over its trials. NaN when the denominator is 0.
    /// </summary>
    public static Aggregate PaperMnr(IEnumerable<double> method, IEnumerable<double> random, IEnumerable<double> @base)
    {
        Aggregate m = AuthorsIqm(method), r = AuthorsIqm(random), b = AuthorsIqm(@base);
        double d = b.Iqm - r.Iqm;
        if (d == 0 || !double.IsFinite(d)) return new Aggregate(double.NaN, double.NaN, double.NaN);
        double dm = b.Mean - r.Mean;
        return new Aggregate((m.Iqm - r.Iqm) / d, m.Se / Math.Abs(d), dm == 0 ? double.NaN : (m.Mean - r.Mean) / dm);
    }

    /// <summary>
    /// The Average row of seed 001 Table 4 from its task rows: the plain mean of the task values, with standard error the
    /// mean of the task standard errors over √(tasks). (The paper's printed Average row is the mean of its 16 printed task
    /// values in every column; this SE reproduces its printed SEs 0.017, 0.027 and 0.006 for No Action, Default and DLM
    /// (Reflection) and gives 0.009 where it prints 0.008 for DLM (No Reflection).) Tasks with undefined values are skipped.
    /// </summary>
    public static Aggregate AverageRow(IReadOnlyList<Aggregate> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        Aggregate[] ok = tasks.Where(a => double.IsFinite(a.Iqm)).ToArray();
        if (ok.Length == 0) return new Aggregate(double.NaN, double.NaN, double.NaN);
        return new Aggregate(ok.Average(a => a.Iqm), ok.Average(a => a.Se) / Math.Sqrt(ok.Length), ok.Average(a => a.Mean));
    }

    // NumPy's default percentile: linear interpolation between the order statistics of sorted values.
    private static double Percentile(double[] sorted, double percent)
    {
        double pos = percent / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>One-sided Welch t-test of H1: mean(a) &gt; mean(b) (seed 001 Table 5). Returns the p-value; 0.5 when both
    /// samples have zero variance and equal means, 0 or 1 when zero variance and different means.</summary>
    public static double WelchGreater(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double[] x = a.Where(double.IsFinite).ToArray(), y = b.Where(double.IsFinite).ToArray();
        if (x.Length < 2 || y.Length < 2) return double.NaN;
        var sx = Tandem.Core.Statistics.MeanSd.Of(x);
        var sy = Tandem.Core.Statistics.MeanSd.Of(y);
        double vx = sx.Sd * sx.Sd / x.Length, vy = sy.Sd * sy.Sd / y.Length;
        double diff = sx.Mean - sy.Mean;
        if (vx + vy == 0) return diff > 0 ? 0 : diff < 0 ? 1 : 0.5;
        double t = diff / Math.Sqrt(vx + vy);
        double df = (vx + vy) * (vx + vy) / (vx * vx / (x.Length - 1) + vy * vy / (y.Length - 1));
        return 1 - StudentT.CDF(0, 1, df, t);
    }

    /// <summary>Precision and recall of a used feature set against the true one (seed 001 Table 1). Precision is NaN
    /// when nothing is used.</summary>
    public static (double Precision, double Recall) PrecisionRecall(IReadOnlyCollection<int> used, IReadOnlyCollection<int> truth)
    {
        ArgumentNullException.ThrowIfNull(used);
        ArgumentNullException.ThrowIfNull(truth);
        int hit = used.Count(truth.Contains);
        return (used.Count == 0 ? double.NaN : (double)hit / used.Count, truth.Count == 0 ? double.NaN : (double)hit / truth.Count);
    }

    /// <summary>
    /// Arm-level logic recall (our measurable reading of seed 001 Appendix H): the share of the arms the Base reward
    /// favours (engaged lift R(n,1) − R(n,0) above its minimum over arms) that the candidate ranks among its top |T| arms
    /// by the same lift; arms tied at the boundary share the remaining places. It is 1 when the candidate's combination
    /// of features (AND, OR, weights) singles out exactly the Base reward's target arms. NaN when the Base reward
    /// favours no arm or every arm.
    /// </summary>
    public static double LogicRecall(IReadOnlyList<double> candidateLift, IReadOnlyList<double> baseLift)
    {
        ArgumentNullException.ThrowIfNull(candidateLift);
        ArgumentNullException.ThrowIfNull(baseLift);
        if (candidateLift.Count != baseLift.Count) throw new ArgumentException("One lift per arm in both lists.", nameof(candidateLift));
        double floor = baseLift.Min();
        var target = Enumerable.Range(0, baseLift.Count).Where(n => baseLift[n] > floor + 1e-12).ToArray();
        if (target.Length == 0 || target.Length == baseLift.Count) return double.NaN;
        double threshold = candidateLift.OrderByDescending(v => v).ElementAt(target.Length - 1);
        int above = candidateLift.Count(v => v > threshold), tied = candidateLift.Count(v => v == threshold);
        double tieShare = (double)(target.Length - above) / tied;
        double hits = target.Sum(n => candidateLift[n] > threshold ? 1.0 : candidateLift[n] == threshold ? tieShare : 0.0);
        return hits / target.Length;
    }
}
