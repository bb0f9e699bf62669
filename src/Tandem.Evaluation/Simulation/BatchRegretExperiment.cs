using System.Globalization;
using Tandem.Core.Abstractions;
using Tandem.Core.Composition;
using Tandem.Core.Decisions;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Core.Statistics;

namespace Tandem.Evaluation.Simulation;

/// <summary>What the regret-against-batch-size experiment runs (docs/hot-studies.md).</summary>
public sealed record BatchRegretOptions
{
    /// <summary>The batch sizes compared; 1 (the online learner) is added when missing, since every other size is
    /// compared with it. Range: each in 1..<see cref="SnapshotBatching.MaxBatchSize"/>,
    /// at most 12 sizes. Default 1, 10, 100, 1000.</summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [1, 10, 100, 1000];

    /// <summary>Steps per run T. Range: 1..<see cref="RunnerOptions.MaxHorizon"/>. Default 2000.</summary>
    public int Horizon { get; init; } = 2000;

    /// <summary>Independent runs R (each with its own seed; every batch size meets the same patients). Range: 2..<see cref="RunnerOptions.MaxRuns"/>
    /// (a standard error needs two). Default 10.</summary>
    public int Runs { get; init; } = 10;

    /// <summary>The study seed. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Runs in parallel at most. Range: ≥ 1. Default: the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>The most batch sizes one experiment compares.</summary>
    public const int MaxBatchSizes = 12;

    /// <summary>The batch sizes in ascending order, 1 included, duplicates removed.</summary>
    public IReadOnlyList<int> ResolvedBatchSizes => [.. BatchSizes.Append(1).Distinct().Order()];

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(BatchSizes, nameof(BatchSizes));
        foreach (int b in BatchSizes)
        {
            SnapshotBatching.CheckBatchSize(b, nameof(BatchSizes));
        }
        if (ResolvedBatchSizes.Count > MaxBatchSizes)
            throw new ArgumentOutOfRangeException(nameof(BatchSizes), ResolvedBatchSizes.Count, $"At most {MaxBatchSizes} batch sizes (1 included).");
        if (Runs < 2) throw new ArgumentOutOfRangeException(nameof(Runs), Runs, "At least 2 runs are needed for a standard error.");
        new RunnerOptions { Horizon = Horizon, Runs = Runs, Seed = Seed, MaxDegreeOfParallelism = MaxDegreeOfParallelism }.Validate();
    }
}

/// <summary>One environment of the experiment: its name and the study (environment and learners) to batch.</summary>
/// <param name="Name">The environment's name, e.g. "synthetic".</param>
/// <param name="Study">The environment and the online learners; each learner must save and restore its state.</param>
public sealed record BatchRegretEnvironment<TContext, TDecision, TOutcome>(string Name, Study<TContext, TDecision, TOutcome> Study)
    where TDecision : Decision
    where TOutcome : IOutcome;

/// <summary>
/// Regret against batch size: every learner of every environment runs online (batch size 1) and deciding from a
/// snapshot with learning batched every B observations (<see cref="SnapshotBatchedPolicy{TContext, TDecision, TOutcome}"/>,
/// the Open Bandit Pipeline's <c>batch_size</c> pattern), over the same runs and patients (common random numbers), so the
/// extra regret that staleness costs is measured per run and paired.
/// </summary>
public static class BatchRegretExperiment
{
    /// <summary>Run the experiment. Throws <see cref="ArgumentException"/> naming the option out of range.</summary>
    public static async Task<BatchRegretResult> RunAsync<TContext, TDecision, TOutcome>(
        IReadOnlyList<BatchRegretEnvironment<TContext, TDecision, TOutcome>> environments,
        BatchRegretOptions options,
        IProgress<StudyProgress>? progress = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
        where TDecision : Decision
        where TOutcome : IOutcome
    {
        ArgumentNullException.ThrowIfNull(environments);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (environments.Count == 0) throw new ArgumentException("At least one environment is needed.", nameof(environments));
        IReadOnlyList<int> sizes = options.ResolvedBatchSizes;
        var runner = new RunnerOptions { Horizon = options.Horizon, Runs = options.Runs, Seed = options.Seed, MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        foreach (var environment in environments) runner.CheckCells(environment.Study.Policies.Count, sizes.Count);

        var cells = new List<BatchRegretCell>();
        var curves = new List<BatchRegretCurve>();
        double seconds = 0;
        foreach (var environment in environments)
        {
            var factories = new List<PolicyFactory<TContext, TDecision, TOutcome>>();
            foreach (var factory in environment.Study.Policies)
                foreach (int b in sizes)
                    factories.Add(SnapshotBatching.Wrap(factory, b, SeriesName(factory.Name, b)));
            StudyResult result = await StudyRunner.RunAsync(new Study<TContext, TDecision, TOutcome>(environment.Study.CreateEnvironment, factories), runner,
                progress: progress, timeProvider: timeProvider, cancellationToken: cancellationToken).ConfigureAwait(false);
            seconds += result.SimulationWallTime.TotalSeconds;
            for (int p = 0; p < environment.Study.Policies.Count; p++)
            {
                string policy = environment.Study.Policies[p].Name;
                double[] online = result.Policies[p * sizes.Count].FinalCumulativeRegret();
                for (int i = 0; i < sizes.Count; i++)
                {
                    PolicyTrace trace = result.Policies[p * sizes.Count + i];
                    double[] final = trace.FinalCumulativeRegret();
                    double[] extra = final.Select((r, run) => r - online[run]).ToArray();
                    MeanSd regret = MeanSd.Of(final), paired = MeanSd.Of(extra);
                    cells.Add(new BatchRegretCell(environment.Name, policy, sizes[i], regret.Mean, StandardError(regret), paired.Mean, StandardError(paired)));
                    curves.Add(new BatchRegretCurve(environment.Name, policy, sizes[i], trace.MeanCumulativeRegretCurve(), Curves.SdOfCumulative(trace.Regret)));
                }
            }
        }
        var summary = new BatchRegretSummary("batch-regret", options.Runs, options.Horizon, options.Seed, sizes, [.. environments.Select(e => e.Name)], cells, seconds);
        return new BatchRegretResult(summary, curves);
    }

    /// <summary>The series name of <paramref name="policy"/> at batch size <paramref name="batchSize"/>, e.g. "GLRB B=100".</summary>
    public static string SeriesName(string policy, int batchSize) => string.Create(CultureInfo.InvariantCulture, $"{policy} B={batchSize}");

    private static double StandardError(MeanSd s) => s.Count > 1 ? s.Sd / Math.Sqrt(s.Count) : double.NaN;
}

/// <summary>One learner at one batch size in one environment: final cumulative regret over the runs, and the paired
/// difference with the online learner (the same runs at batch size 1).</summary>
/// <param name="Environment">The environment.</param>
/// <param name="Policy">The learner, e.g. "GLRB".</param>
/// <param name="BatchSize">Observations per update; 1 is the online learner.</param>
/// <param name="RegretMean">Mean over runs of the cumulative regret at T.</param>
/// <param name="RegretSe">Its standard error (sd / √R).</param>
/// <param name="ExtraRegretMean">Mean over runs of (regret at this batch size − regret online), run by run.</param>
/// <param name="ExtraRegretSe">Its standard error.</param>
public sealed record BatchRegretCell(string Environment, string Policy, int BatchSize, double RegretMean, double RegretSe, double ExtraRegretMean, double ExtraRegretSe);

/// <summary>The mean cumulative regret curve of one cell and its standard deviation over runs.</summary>
public sealed record BatchRegretCurve(string Environment, string Policy, int BatchSize, double[] Mean, double[] Sd);

/// <summary>The <c>tandem batch-regret --json</c> object (summary.json).</summary>
/// <param name="Experiment">"batch-regret".</param>
/// <param name="Runs">R.</param>
/// <param name="Horizon">T.</param>
/// <param name="Seed">The study seed.</param>
/// <param name="BatchSizes">The batch sizes, ascending, 1 first.</param>
/// <param name="Environments">The environments, in order.</param>
/// <param name="Cells">Every (environment, learner, batch size).</param>
/// <param name="SimulationSeconds">Wall time of the simulations.</param>
public sealed record BatchRegretSummary(string Experiment, int Runs, int Horizon, ulong Seed, IReadOnlyList<int> BatchSizes, IReadOnlyList<string> Environments,
    IReadOnlyList<BatchRegretCell> Cells, double SimulationSeconds);

/// <summary>What the experiment produced, able to report itself: summary, curves.csv (long format), a figure per environment of
/// the final regret against batch size and one of the regret curves, and the report.</summary>
public sealed class BatchRegretResult : IReportable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly IReadOnlyList<BatchRegretCurve> _curves;

    internal BatchRegretResult(BatchRegretSummary summary, IReadOnlyList<BatchRegretCurve> curves)
    {
        Summary = summary;
        _curves = curves;
    }

    /// <summary>The summary object.</summary>
    public BatchRegretSummary Summary { get; }

    object IReportable.Summary => Summary;

    /// <summary>The mean cumulative regret curves, one per cell.</summary>
    public IReadOnlyList<BatchRegretCurve> Curves => _curves;

    /// <inheritdoc />
    public Report ToReport()
    {
        BatchRegretSummary s = Summary;
        double rootRuns = Math.Sqrt(s.Runs);
        var files = new List<ReportFile>
        {
            new CurveTable("curves.csv", [.. _curves.SelectMany(c => new[]
            {
                new Curve(Series(c), "regret_mean", c.Mean),
                new Curve(Series(c), "regret_se", c.Sd.Select(v => v / rootRuns).ToArray()),
            })]),
            new RowTable("final-regret.csv", ["environment", "policy", "batch_size", "regret_mean", "regret_se", "extra_regret_mean", "extra_regret_se"],
                [.. s.Cells.Select(c => (IReadOnlyList<object?>)[c.Environment, c.Policy, c.BatchSize, c.RegretMean, c.RegretSe, c.ExtraRegretMean, c.ExtraRegretSe])]),
        };
        var body = new List<ReportBlock>
        {
            new HeadingBlock("Regret against batch size (hot studies)"),
            new ParagraphBlock($"Each learner decides from a snapshot of itself and learns every B observations, the owner publishing a new snapshot after each batch (the Open Bandit Pipeline's `batch_size` pattern; docs/hot-studies.md). B = 1 is the online learner. {s.Runs} runs of T = {s.Horizon} steps, seed {s.Seed}; every batch size meets the same patients, so the extra regret over B = 1 is paired run by run. Mean ± standard error over runs."),
        };
        string[] categories = [.. s.BatchSizes.Select(b => b.ToString(Inv))];
        foreach (string environment in s.Environments)
        {
            string slug = ReportText.Slug(environment);
            BatchRegretCell[] cells = [.. s.Cells.Where(c => c.Environment == environment)];
            string[] policies = [.. cells.Select(c => c.Policy).Distinct()];
            files.Add(new IntervalFigure("final-regret-" + slug, $"{environment}: cumulative regret at T = {s.Horizon} by batch size", "cumulative regret (mean ± se)", categories,
                [.. policies.Select(p =>
                {
                    BatchRegretCell[] row = [.. s.BatchSizes.Select(b => cells.Single(c => c.Policy == p && c.BatchSize == b))];
                    return new IntervalGroup(p, [.. row.Select(c => c.RegretMean)], [.. row.Select(c => c.RegretMean - c.RegretSe)], [.. row.Select(c => c.RegretMean + c.RegretSe)]);
                })]));
            files.Add(new LineFigure("regret-" + slug, $"{environment}: cumulative regret", "step t", "cumulative regret",
                [.. _curves.Where(c => c.Environment == environment).Select(c => new LineSeries(Series(c)[(environment.Length + 2)..], c.Mean, c.Sd.Select(v => v / rootRuns).ToArray()))]));
            body.Add(new HeadingBlock(environment, 3));
            body.Add(new FigureBlock($"final-regret-{slug}.png", $"Cumulative regret at T = {s.Horizon} against batch size B, mean ± se over {s.Runs} runs."));
            body.Add(new TableBlock(["policy", "B", "regret at T", "extra over B = 1 (paired)"],
                [.. cells.Select(c => (IReadOnlyList<string>)[c.Policy, c.BatchSize.ToString(Inv), PlusMinus(c.RegretMean, c.RegretSe), c.BatchSize == 1 ? "—" : PlusMinus(c.ExtraRegretMean, c.ExtraRegretSe)])]));
            body.Add(new FigureBlock($"regret-{slug}.png", $"Mean cumulative regret with ± se bands, {s.Runs} runs."));
        }
        return new Report("Regret against batch size", s, files, body);
    }

    private static string Series(BatchRegretCurve c) => $"{c.Environment}: {BatchRegretExperiment.SeriesName(c.Policy, c.BatchSize)}";

    private static string PlusMinus(double mean, double se) => $"{mean.ToString("0.0", Inv)} ± {se.ToString("0.0", Inv)}";
}
