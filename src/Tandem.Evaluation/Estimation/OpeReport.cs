using System.Globalization;
using Tandem.Core.Reports;

namespace Tandem.Evaluation.Estimation;

/// <summary>The report of an off-policy evaluation: <c>estimates.csv</c>, the figure <c>estimates</c> (PNG and SVG)
/// and the HTML body, rendered by Tandem.Reporting.</summary>
public sealed class OpeResult(OpeSummary summary) : IReportable
{
    /// <summary>The label of the exact value wherever it is shown: it comes from the log's truth, not from an estimator.</summary>
    public const string ExactLabel = "exact (simulated logs only)";

    /// <inheritdoc />
    public object Summary => summary;

    /// <summary>The summary, typed.</summary>
    public OpeSummary OpeSummary => summary;

    /// <inheritdoc />
    public Report ToReport()
    {
        var s = summary;
        bool exact = s.Policies.Any(p => double.IsFinite(p.Exact));
        var rows = new List<IReadOnlyList<object?>>();
        foreach (PolicyEvaluation p in s.Policies)
        {
            foreach (OpeEstimate e in p.Estimates)
                rows.Add([p.Policy, e.Estimator, e.Value, e.Lower, e.Upper, e.LinesUsed, Finite(p.Exact), p.Diagnostics.EffectiveSampleSize, Finite(p.Diagnostics.MaxWeight), e.Note]);
        }
        var csv = new RowTable("estimates.csv", ["policy", "estimator", "value", "lower", "upper", "lines_used", "exact_simulated_only", "ess", "max_weight", "note"], rows);

        var estimators = s.Policies[0].Estimates.Select(e => e.Estimator).ToList();
        // Markers with their intervals on an axis fitted to the data (bars from zero hid differences of a few
        // percent at values far from zero).
        var groups = estimators.Select((id, i) => new IntervalGroup(id,
            [.. s.Policies.Select(p => p.Estimates[i].Value)],
            [.. s.Policies.Select(p => p.Estimates[i].Lower)],
            [.. s.Policies.Select(p => p.Estimates[i].Upper)])).ToList();
        if (exact) groups.Add(new IntervalGroup(ExactLabel, [.. s.Policies.Select(p => p.Exact)]));
        var figure = new IntervalFigure("estimates", Inv($"Estimated value per target policy ({s.Options.Confidence * 100:0.#}% intervals)"), "value",
            [.. s.Policies.Select(p => p.Policy)], groups, new FigureLayout(Legend: "upper-right"));

        var body = new List<ReportBlock>
        {
            new ParagraphBlock(Inv($"{s.Lines} logged decisions evaluated ({s.LinesRead} lines read, {s.SkippedLines} invalid lines skipped), {s.Arms} arms, context {s.Context}{(s.Context == "numeric" ? $" of {s.Dimension} features" : "")}. {s.LinesWithoutPropensity} lines have no propensity and cannot support IPS, SNIPS or the DR family (those use the other lines); {s.LinesBelowFloor} have a propensity below the floor {s.Options.PropensityFloor}. Logging was {(s.LoggingUniform ? "" : "not ")}uniform.")),
            new ParagraphBlock(OpeResult.SeedCases(s)),
            new HeadingBlock("Estimates"),
            new TableBlock(["policy", "estimator", "value", "interval", "lines used", "note"],
                [.. s.Policies.SelectMany(p => p.Estimates.Select(e => (IReadOnlyList<string>)[p.Policy, e.Estimator, ReportText.Number(e.Value),
                    $"[{ReportText.Number(e.Lower)}, {ReportText.Number(e.Upper)}]", e.LinesUsed.ToString(CultureInfo.InvariantCulture), e.Note ?? ""]))],
                Inv($"{s.Options.Confidence:P0} Poisson-bootstrap percentile intervals, {s.Options.BootstrapReplicates} replicates, seed {s.Options.Seed}.")),
            new HeadingBlock("Diagnostics"),
            new TableBlock(["policy", ExactLabel, "ESS", "max weight", "mean weight", "clipped", "switched to model", "unsupported target mass", "replay matches", "propensity-draw SE", "target draws M", "target-draw SE", "switch-DR τ", "DR-OS λ"],
                [.. s.Policies.Select(p => (IReadOnlyList<string>)[p.Policy, ReportText.Number(p.Exact), ReportText.Number(p.Diagnostics.EffectiveSampleSize),
                    ReportText.Number(p.Diagnostics.MaxWeight), ReportText.Number(p.Diagnostics.MeanWeight), Inv($"{p.Diagnostics.ClippedWeights}"),
                    Inv($"{p.Diagnostics.SwitchedToModel}"), ReportText.Number(p.Diagnostics.UnsupportedTargetMass), Inv($"{p.Diagnostics.ReplayMatches}"), ReportText.Number(p.Diagnostics.PropensityNoiseStandardError),
                    Inv($"{p.Diagnostics.TargetDraws}"), ReportText.Number(p.Diagnostics.TargetDrawStandardError), Chosen(p.Diagnostics.SwitchThreshold, p.Diagnostics.SwitchThresholdTuned), Chosen(p.Diagnostics.ShrinkageLambda, p.Diagnostics.ShrinkageLambdaTuned)])],
                "Target draws M: a Thompson-sampling target's probabilities are estimated per line from M fresh posterior draws (unbiased); target-draw SE is what that adds to IPS's standard error (delta method). τ and λ marked (MSE) were chosen per target by the least estimated MSE, bias² + variance/n (Su et al. 2020); the intervals hold that choice fixed. DM, switch-DR and DR-OS replicates refit the reward model" + (s.Options.RefitBootstrap ? "." : " only when refitting is on (it is off here: their intervals miss the model's error).")),
            new FigureBlock("estimates.png", "Estimates per target policy; error bars are the half-width of the bootstrap interval (the CSV has both ends)." +
                (exact ? " The last bar is the exact value on the logged contexts, from the log's expectedRewards: available only for simulated logs." : "")),
        };
        if (exact)
            body.Add(new ParagraphBlock($"**{ExactLabel}**: the mean over the logged contexts of Σₐ π(a|x) E[r | x, a], read from the log's `expectedRewards`. A real log has no such field; the column is there to check the estimators, not to replace them."));
        return new Report("Off-policy evaluation", s, [csv, figure], body);
    }

    /// <summary>What the seeds' special cases did to this log (issue 17 item 5), in one paragraph.</summary>
    public static string SeedCases(OpeSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var parts = new List<string>
        {
            Inv($"{s.AdvisorLinesWithoutPropensity} lines followed an advisor with no stated propensity (LIBRA): IPS, SNIPS and the DR family are estimated on the {s.Lines - s.LinesWithoutPropensity} lines with one; DM and replay use all {s.Lines}."),
        };
        if (s.LinesWithEstimatedPropensity > 0)
        {
            string draws = s.MinPropensityDraws == 0 ? "the log does not state the number of draws, so their noise cannot be sized"
                : s.MinPropensityDraws == s.MaxPropensityDraws ? Inv($"{s.MinPropensityDraws} draws each")
                : Inv($"{s.MinPropensityDraws} to {s.MaxPropensityDraws} draws");
            parts.Add(Inv($"{s.LinesWithEstimatedPropensity} propensities are Monte Carlo estimates over posterior draws (GAMBITTS; {draws}); the standard error they add to IPS is in the diagnostics (propensity-draw SE)."));
        }
        if (s.LinesWithRecourse > 0)
            parts.Add(Inv($"{s.LinesWithRecourse} lines carry a recourse: the reward model reads it instead of the logged context, which precedes the recourse while the reward follows it."));
        return string.Join(" ", parts);
    }


    private static string Chosen(double value, bool tuned) => ReportText.Number(value) + (tuned ? " (MSE)" : "");

    private static object? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
