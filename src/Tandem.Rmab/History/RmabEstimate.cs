using System.Globalization;
using Tandem.Core.Reports;
using Tandem.Rmab.Model;
using Tandem.Rmab.Programme;

namespace Tandem.Rmab.History;

/// <summary>`tandem rmab estimate` as data: the history file and how to estimate.</summary>
public sealed record RmabEstimateOptions
{
    /// <summary>The history CSV (<see cref="HistoryFile"/>).</summary>
    public string HistoryFile { get; init; } = "";

    /// <summary>Clusters, prior strength, interval and seed.</summary>
    public HistoryEstimateOptions Estimate { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(HistoryFile)) throw new ArgumentException("Give the history file.", nameof(HistoryFile));
        ArgumentNullException.ThrowIfNull(Estimate, nameof(Estimate));
        Estimate.Validate();
    }
}

/// <summary>Summary of one (state, action) pair over all beneficiaries.</summary>
/// <param name="Column">Its column in arms.csv, e.g. p01_active.</param>
/// <param name="MeanEstimate">Mean over beneficiaries of the posterior mean.</param>
/// <param name="MeanIntervalWidth">Mean width of the central posterior interval.</param>
/// <param name="Unobserved">Share of beneficiaries never seen in this pair (their estimate is the cluster prior).</param>
public sealed record PairSummary(string Column, double MeanEstimate, double MeanIntervalWidth, double Unobserved);

/// <summary>A cluster in the summary.</summary>
public sealed record ClusterSummary(string Label, int Members, IReadOnlyList<double> PriorMean, IReadOnlyList<long> Transitions);

/// <summary>The object `tandem rmab estimate --json` prints and summary.json holds.</summary>
public sealed record EstimateSummary(string Command, string File, long Rows, int Beneficiaries, IReadOnlyList<string> FeatureColumns, string Method,
    double PriorStrength, double Interval, IReadOnlyList<PairSummary> Pairs, IReadOnlyList<ClusterSummary> Clusters);

/// <summary>Estimated transitions, reported: arms.csv (what `tandem rmab plan --arms` reads), estimates.csv (intervals and
/// counts) and clusters.csv.</summary>
/// <param name="Summary">The `--json` object.</param>
/// <param name="Histories">What was read.</param>
/// <param name="Estimate">The estimates.</param>
public sealed record RmabEstimateResult(EstimateSummary Summary, HistorySet Histories, HistoryEstimate Estimate) : IReportable
{
    object IReportable.Summary => Summary;

    /// <summary>The estimates as beneficiary rows a plan starts from (state = the last week observed).</summary>
    public IReadOnlyList<BeneficiaryRow> Rows() =>
        Estimate.Beneficiaries.Select(b => new BeneficiaryRow(b.History.Id, b.History.State, b.History.Features, b.Mean)).ToArray();

    /// <inheritdoc />
    public Report ToReport()
    {
        var inv = CultureInfo.InvariantCulture;
        string[] p = [.. ArmFiles.TransitionColumns];
        IReadOnlyList<int> features = Histories.FeatureColumns;
        var armsHeader = new List<string> { "id", "state" };
        armsHeader.AddRange(p);
        armsHeader.AddRange(features.Select(f => Features.ColumnNames[f]));
        var estHeader = new List<string> { "id", "cluster", "weeks", "state" };
        foreach (string c in p) estHeader.AddRange([c, c + "_lo", c + "_hi", "n_" + c]);
        var arms = new List<IReadOnlyList<object?>>(Estimate.Beneficiaries.Count);
        var est = new List<IReadOnlyList<object?>>(Estimate.Beneficiaries.Count);
        foreach (BeneficiaryEstimate b in Estimate.Beneficiaries)
        {
            ArmDynamics m = b.Mean;
            var row = new List<object?>(armsHeader.Count) { b.History.Id, (int)b.History.State, m.Passive0, m.Passive1, m.Active0, m.Active1 };
            foreach (int f in features) row.Add(b.History.Features[f]);
            arms.Add(row);
            var e = new List<object?>(estHeader.Count) { b.History.Id, Estimate.Clusters[b.Cluster].Label, b.History.Weeks, (int)b.History.State };
            for (int k = 0; k < BeneficiaryHistory.Pairs; k++) e.AddRange([m.ToEngaged(k % 2, k / 2), b.Lower[k], b.Upper[k], b.History.Visits[k]]);
            est.Add(e);
        }
        var clusterHeader = new List<string> { "cluster", "members" };
        clusterHeader.AddRange(p.Select(c => "prior_" + c));
        var clusterRows = Estimate.Clusters.Select(c => (IReadOnlyList<object?>)[c.Label, c.Members, .. c.PriorMean.Cast<object?>()]).ToArray();
        EstimateSummary s = Summary;
        return new Report("Tandem — transitions estimated from history", s,
            [new RowTable("arms.csv", armsHeader, arms), new RowTable("estimates.csv", estHeader, est), new RowTable("clusters.csv", clusterHeader, clusterRows)],
            [new HeadingBlock($"Transitions of {s.Beneficiaries} beneficiaries from {s.Rows} weekly rows of {ReportText.Code(s.File)}"),
             new ParagraphBlock($"Pooled Beta priors by cluster ({s.Method}), prior strength κ = {s.PriorStrength.ToString(inv)} pseudo-transitions; " +
                $"intervals are central {(100 * s.Interval).ToString("0.#", inv)}% posterior intervals. arms.csv is what `tandem rmab plan --arms` reads " +
                "(state = the last week observed); estimates.csv has the intervals and counts (docs/rmab-history.md)."),
             new TableBlock(["transition", "mean estimate", "mean interval width", "never observed"],
                s.Pairs.Select(x => (IReadOnlyList<string>)[x.Column, ReportText.Number(x.MeanEstimate), ReportText.Number(x.MeanIntervalWidth), (100 * x.Unobserved).ToString("0.#", inv) + "%"]).ToArray()),
             new TableBlock(["cluster", "members", .. p.Select(c => "prior " + c)],
                s.Clusters.Take(50).Select(c => (IReadOnlyList<string>)[c.Label, c.Members.ToString(inv), .. c.PriorMean.Select(ReportText.Number)]).ToArray(),
                s.Clusters.Count > 50 ? $"First 50 of {s.Clusters.Count} clusters; all are in clusters.csv." : null)]);
    }
}

/// <summary>The library entry point of `tandem rmab estimate` (and of `rmab plan --history`).</summary>
public static class RmabHistory
{
    /// <summary>Read the history of <see cref="RmabEstimateOptions.HistoryFile"/> and estimate every beneficiary's transitions.</summary>
    /// <exception cref="ArgumentException">An option is invalid (names the field).</exception>
    /// <exception cref="FormatException">The file is malformed (one line naming file, row and column).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static RmabEstimateResult Estimate(RmabEstimateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        HistorySet histories = History.HistoryFile.Read(options.HistoryFile, options.Estimate.ClusterColumn, cancellationToken);
        HistoryEstimate estimate = HistoryEstimator.Estimate(histories, options.Estimate, cancellationToken);
        return new RmabEstimateResult(Summarise(histories, estimate), histories, estimate);
    }

    private static EstimateSummary Summarise(HistorySet histories, HistoryEstimate estimate)
    {
        int n = estimate.Beneficiaries.Count;
        var pairs = new PairSummary[BeneficiaryHistory.Pairs];
        for (int k = 0; k < pairs.Length; k++)
        {
            double mean = 0, width = 0, unobserved = 0;
            foreach (BeneficiaryEstimate b in estimate.Beneficiaries)
            {
                mean += b.Mean.ToEngaged(k % 2, k / 2);
                width += b.Upper[k] - b.Lower[k];
                if (b.History.Visits[k] == 0) unobserved++;
            }
            pairs[k] = new PairSummary(ArmFiles.TransitionColumns[k], mean / n, width / n, unobserved / n);
        }
        return new EstimateSummary("rmab estimate", histories.Source, histories.Rows, n, histories.FeatureColumns.Select(f => Features.ColumnNames[f]).ToArray(),
            estimate.Method, estimate.Options.PriorStrength, estimate.Options.Interval, pairs,
            estimate.Clusters.Select(c => new ClusterSummary(c.Label, c.Members, c.PriorMean, c.Visits)).ToArray());
    }
}
