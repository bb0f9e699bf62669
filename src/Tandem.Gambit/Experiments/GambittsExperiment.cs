using System.Globalization;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Core.Randomness;
using Tandem.Core.Statistics;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Experiments;

/// <summary>What to run: pure data, validated by <see cref="Validate"/>. The bank is the synthetic one unless
/// <see cref="BankFile"/> names a CSV or the host passes a bank it built (see <see cref="GambittsExperiment.RunAsync"/>).</summary>
public sealed record GambittsExperimentOptions
{
    /// <summary>The experiment id (<see cref="GambittsExperiments.Ids"/>). Default "illustrative".</summary>
    public string Experiment { get; init; } = "illustrative";

    /// <summary>Agent ids (<see cref="AgentCatalog"/>); null = the experiment's defaults.</summary>
    public IReadOnlyList<string>? Agents { get; init; }

    /// <summary>Independent runs. Range: ≥ 1. Default 50.</summary>
    public int Runs { get; init; } = 50;

    /// <summary>Steps per run. Range: ≥ 1. Default 1,000.</summary>
    public int Horizon { get; init; } = 1000;

    /// <summary>The study seed. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>A bank CSV (<see cref="BankCsv"/>); null = the synthetic bank or the host's bank.</summary>
    public string? BankFile { get; init; }

    /// <summary>How the summary names the bank when the host passes one (e.g. "bank.csv (model, encoder, 20 per cell)").</summary>
    public string? BankName { get; init; }

    /// <summary>Seed of the synthetic bank; null = derived from <see cref="Seed"/> (one bank per study, so that
    /// repeating a study with other seeds varies the bank too). 2025 gives the single bank every study used before.
    /// Not allowed together with <see cref="SyntheticBank"/> (which carries its own seed).</summary>
    public ulong? BankSeed { get; init; }

    /// <summary>Settings of the synthetic bank, when neither a file nor a host bank is given; null = the defaults with
    /// the seed <see cref="EffectiveBankSeed"/>.</summary>
    public SyntheticBankOptions? SyntheticBank { get; init; }

    /// <summary>The synthetic bank's seed this study uses: <see cref="SyntheticBank"/>'s, else <see cref="BankSeed"/>,
    /// else derived from <see cref="Seed"/>.</summary>
    public ulong EffectiveBankSeed => SyntheticBank?.Seed ?? BankSeed ?? Seeds.Derive(Seed, "synthetic-bank");

    /// <summary>Parallel runs; null = one per processor. Range: ≥ 1. Does not change the numbers.</summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>Throws naming the first setting out of range or unknown.</summary>
    public void Validate()
    {
        _ = GambittsExperiments.Find(Experiment ?? "")
            ?? throw new ArgumentException($"Experiment '{Experiment}' is unknown; allowed: {string.Join(", ", GambittsExperiments.Ids)}.", nameof(Experiment));
        if (Agents is not null)
        {
            if (Agents.Count == 0) throw new ArgumentException("At least one agent is needed.", nameof(Agents));
            foreach (string id in Agents)
                if (AgentCatalog.Find(id) is null) throw new ArgumentException($"Agent '{id}' is unknown; allowed: {string.Join(", ", AgentCatalog.All.Select(a => a.Id))}.", nameof(Agents));
            var twice = Agents.GroupBy(a => a.Trim(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null) throw new ArgumentException($"Agent '{twice.Key}' is listed twice.", nameof(Agents));
        }
        if (Runs < 1) throw new ArgumentOutOfRangeException(nameof(Runs), Runs, "At least one run is needed.");
        if (Horizon < 1) throw new ArgumentOutOfRangeException(nameof(Horizon), Horizon, "The horizon must be at least 1.");
        var runner = new RunnerOptions { Runs = Runs, Horizon = Horizon };
        runner.Validate();
        runner.CheckCells(Agents?.Count ?? GambittsExperiments.Find(Experiment!)!.DefaultAgents.Count);
        if (BankFile is not null && string.IsNullOrWhiteSpace(BankFile)) throw new ArgumentException("The bank file path is empty.", nameof(BankFile));
        if (MaxDegreeOfParallelism is < 1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "Parallelism must be at least 1.");
        if (SyntheticBank is not null && BankSeed is not null)
            throw new ArgumentException($"The bank seed ({BankSeed}) and synthetic bank settings (seed {SyntheticBank.Seed}) exclude each other: give the seed in the settings.", nameof(BankSeed));
        if (BankSeed is not null && BankFile is not null)
            throw new ArgumentException($"A bank seed ({BankSeed}) applies to the synthetic bank only, not to the bank file '{BankFile}'.", nameof(BankSeed));
        SyntheticBank?.Validate();
    }
}

/// <summary>The bank's realised calibration beside the authors' (docs/gambitts-calibration.md): σ₀ measured as the authors
/// define it, the summed variance of the outcome's style scores over the whole bank.</summary>
/// <param name="ThreeD">Summed variance of optimism, formality and severity over the bank; null when the bank lacks one.</param>
/// <param name="OneD">Variance of optimism over the bank; null when the bank lacks it.</param>
/// <param name="AuthorsThreeD">The authors' 0.7098.</param>
/// <param name="AuthorsOneD">The authors' 0.3757.</param>
public sealed record BankCalibrationSummary(double? ThreeD, double? OneD, double AuthorsThreeD, double AuthorsOneD)
{
    /// <summary>Measure <paramref name="bank"/>.</summary>
    public static BankCalibrationSummary Of(ResponseBank bank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        bool Has(params string[] dims) => dims.All(d => bank.DimensionIndex(d) >= 0);
        return new(
            Has(StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity) ? GambittsExperiments.ThreeDSigma(bank) : null,
            Has(StyleDimensions.Optimism) ? GambittsExperiments.OneDSigma(bank) : null,
            BankCalibration.AuthorsThreeD, BankCalibration.AuthorsOneD);
    }
}

/// <summary>How much the context matters in one setting's world (<see cref="GambitWorld.MeasureContextDependence"/>).</summary>
/// <param name="Setting">The setting's label (null when the experiment varies nothing).</param>
/// <param name="ContextsWhereBestDiffers">Contexts whose best prompt is not the prompt best on average.</param>
/// <param name="ContextCount">|X|.</param>
/// <param name="MeanGap">Per-step regret of the best non-contextual prompt, averaged over contexts.</param>
/// <param name="MaxGap">Its largest value over contexts.</param>
public sealed record SettingContextDependence(string? Setting, int ContextsWhereBestDiffers, int ContextCount, double MeanGap, double MaxGap);

/// <summary>Mean, sd over runs and the 95% half-width of the mean.</summary>
public sealed record RegretStat(double Mean, double Sd, double Ci95);

/// <summary>One agent in one setting.</summary>
public sealed record GambittsSeries(string Agent, string? Setting, RegretStat CumulativeRegret, double[] RegretCurve);

/// <summary>The <c>tandem gambitts --json</c> object (summary.json). The contract's fields come first; the rest describe
/// the run. <c>Llm</c> is the model use when the host built the bank with a model (null otherwise).</summary>
public sealed record GambittsSummary(
    string Command,
    string Experiment,
    int Runs,
    int Horizon,
    ulong Seed,
    double WallSeconds,
    IReadOnlyList<GambittsSeries> Series,
    string Section,
    string Bank,
    string? Varied,
    double SimulationSeconds,
    ModelUse? Llm = null,
    BankCalibrationSummary? Calibration = null,
    IReadOnlyList<SettingContextDependence>? ContextDependence = null);

/// <summary>What an experiment produced, able to report itself (summary, curves.csv, figures, report body).</summary>
public sealed class GambittsExperimentResult : IReportable
{
    private const double Z95 = 1.959963984540054;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal GambittsExperimentResult(GambittsSummary summary, ExperimentResult result)
    {
        Summary = summary;
        Result = result;
    }

    /// <summary>The summary object.</summary>
    public GambittsSummary Summary { get; }

    /// <summary>The traces.</summary>
    public ExperimentResult Result { get; }

    object IReportable.Summary => Summary;

    /// <summary>The same result with the model use of the host's bank building.</summary>
    public GambittsExperimentResult WithModelUse(ModelUse? llm) => new(Summary with { Llm = llm }, Result);

    /// <inheritdoc />
    public Report ToReport()
    {
        GambittsSummary summary = Summary;
        var files = new List<ReportFile>();
        var headers = new List<string> { "step" };
        var columns = new List<IReadOnlyList<double>> { Enumerable.Range(1, summary.Horizon).Select(t => (double)t).ToArray() };
        foreach (SettingResult s in Result.Settings)
        {
            foreach (PolicyTrace trace in s.Result.Policies)
            {
                string name = s.Setting.Label is null ? trace.Name : $"{trace.Name} [{s.Setting.Label}]";
                headers.Add(name + " regret mean");
                columns.Add(trace.MeanCumulativeRegretCurve());
                headers.Add(name + " regret ci95");
                columns.Add(Ci95Curve(trace));
            }
        }
        files.Add(new ColumnTable("curves.csv", headers, columns));

        var figures = new List<(string File, string Caption)>();
        string title = $"{summary.Experiment} ({summary.Section})";
        foreach (SettingResult s in Result.Settings)
        {
            string stem = s.Setting.Label is null ? "regret" : "regret-" + Slug(s.Setting.Label);
            string panel = s.Setting.Label is null ? title : $"{title}: {s.Setting.Label}";
            files.Add(new LineFigure(stem, panel, "step t", "cumulative regret",
                s.Result.Policies.Select(t => new LineSeries(t.Name, t.MeanCumulativeRegretCurve(), Ci95Curve(t))).ToArray()));
            figures.Add((stem + ".png", $"Mean cumulative regret over {summary.Runs} runs with 95% intervals" + (s.Setting.Label is null ? "." : $", {s.Setting.Label}.")));
        }
        if (Result.Settings.Count > 1)
        {
            double[] x = Result.Settings.Select(s => s.Setting.Value).ToArray();
            var lines = Result.Agents.Select((a, i) =>
            {
                MeanSd[] finals = Result.Settings.Select(s => MeanSd.Of(s.Result.Policies[i].FinalCumulativeRegret())).ToArray();
                return new LineSeries(a.Name, finals.Select(f => f.Mean).ToArray(), finals.Select(f => f.Ci95).ToArray(), x);
            }).ToArray();
            files.Add(new LineFigure("final-regret", $"{title}: regret after {summary.Horizon} steps", summary.Varied ?? "setting", $"cumulative regret at T = {summary.Horizon}", lines));
            figures.Insert(0, ("final-regret.png", $"Cumulative regret at T = {summary.Horizon} against {summary.Varied}, mean with 95% intervals over {summary.Runs} runs (the summary panel of the seed's figure)."));
        }

        var body = new List<ReportBlock>
        {
            new HeadingBlock($"GAMBITTS — {summary.Experiment} ({summary.Section})"),
            new ParagraphBlock($"{Result.Experiment.Title}. {summary.Runs} runs × {summary.Horizon} steps, seed {summary.Seed}, bank: {ReportText.Code(summary.Bank)}. " +
                $"Regret is exact: against the best prompt's expected reward in the current context, computed from the bank. Wall time {summary.WallSeconds.ToString("F1", Inv)} s."),
            new ParagraphBlock("**What the seed reports** (compare, do not tune toward): " + Result.Experiment.SeedFinding),
            new ParagraphBlock("**Calibration** (summed variance of the outcome's style scores over the whole bank, the authors' σ₀): " +
                $"3-D {Opt(summary.Calibration?.ThreeD)} (authors' {BankCalibration.AuthorsThreeD.ToString("0.0000", Inv)}), " +
                $"1-D {Opt(summary.Calibration?.OneD)} (authors' {BankCalibration.AuthorsOneD.ToString("0.0000", Inv)})."),
            new TableBlock(["agent", "setting", "cumulative regret (mean)", "sd", "95% half-width"],
                summary.Series.Select(s => (IReadOnlyList<string>)[s.Agent, s.Setting ?? "—", F(s.CumulativeRegret.Mean), F(s.CumulativeRegret.Sd), F(s.CumulativeRegret.Ci95)]).ToArray(),
                $"Cumulative regret after {summary.Horizon} steps."),
        };
        if (summary.ContextDependence is { Count: > 0 } dependence)
            body.Add(new TableBlock(["setting", "contexts whose best prompt differs", "mean gap", "largest gap"],
                dependence.Select(d => (IReadOnlyList<string>)[d.Setting ?? "—", $"{d.ContextsWhereBestDiffers} of {d.ContextCount}", d.MeanGap.ToString("0.0000", Inv), d.MaxGap.ToString("0.0000", Inv)]).ToArray(),
                "How much the context matters: contexts whose best prompt is not the prompt best on average, and the per-step regret of that prompt (μ(x, best in x) − μ(x, best on average)), mean over contexts and largest."));
        foreach (var (file, caption) in figures) body.Add(new FigureBlock(file, caption));
        return new Report($"Tandem — GAMBITTS: {summary.Experiment}", summary, files, body);
    }

    private static double[] Ci95Curve(PolicyTrace trace)
    {
        double[] sd = Curves.SdOfCumulative(trace.Regret);
        double root = Math.Sqrt(trace.Regret.Length);
        return sd.Select(s => Z95 * s / root).ToArray();
    }

    private static string Slug(string label)
    {
        var chars = label.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '-').ToArray();
        string slug = new string(chars).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug;
    }

    private static string F(double v) => v.ToString("0.00", Inv);

    private static string Opt(double? v) => v is { } x ? x.ToString("0.0000", Inv) : "n/a";
}

/// <summary>The library entry point of <c>tandem gambitts</c>: bank → settings → study → result.</summary>
public static class GambittsExperiment
{
    private static readonly object CacheGate = new();
    private static (SyntheticBankOptions Options, ResponseBank Bank)? _lastSynthetic;

    // The last synthetic bank is kept: repeated studies on one bank (tests, the CLI's settings) build it once.
    private static ResponseBank Synthetic(SyntheticBankOptions options)
    {
        lock (CacheGate)
        {
            if (_lastSynthetic is { } last && last.Options == options) return last.Bank;
        }
        ResponseBank bank = Bank.SyntheticBank.Create(options);
        lock (CacheGate) _lastSynthetic = (options, bank);
        return bank;
    }

    /// <summary>Run an experiment.</summary>
    /// <param name="options">What to run (validated here).</param>
    /// <param name="bank">A bank the host built (e.g. with a language model); null = <see cref="GambittsExperimentOptions.BankFile"/> or the synthetic bank.</param>
    /// <param name="observers">Step observers (decision log, early stop); may be null.</param>
    /// <param name="progress">Receives completed/total steps over all settings.</param>
    /// <param name="timeProvider">Clock of the wall time; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Stops the study.</param>
    /// <exception cref="BankFormatException">The bank file is malformed.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the bank lacks what the experiment needs.</exception>
    public static async Task<GambittsExperimentResult> RunAsync(
        GambittsExperimentOptions options,
        ResponseBank? bank = null,
        IReadOnlyList<IStepObserver<GambitContext, GambitDecision, GambitOutcome>>? observers = null,
        IProgress<StudyProgress>? progress = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        timeProvider ??= TimeProvider.System;
        long start = timeProvider.GetTimestamp();
        ExperimentDefinition experiment = GambittsExperiments.Find(options.Experiment)!;
        IReadOnlyList<AgentSpec> agents = (options.Agents ?? experiment.DefaultAgents).Select(id => AgentCatalog.Find(id)!).ToArray();
        string bankName;
        if (bank is not null) bankName = options.BankName ?? "host bank";
        else if (options.BankFile is not null)
        {
            bank = BankCsv.Load(options.BankFile);
            bankName = Path.GetFileName(options.BankFile);
        }
        else
        {
            bank = Synthetic(options.SyntheticBank ?? new SyntheticBankOptions { Seed = options.EffectiveBankSeed });
            bankName = $"synthetic (bank seed {options.EffectiveBankSeed.ToString(CultureInfo.InvariantCulture)})";
        }
        IReadOnlyList<ExperimentSetting> settings = experiment.Settings(bank);
        var runner = new RunnerOptions { Runs = options.Runs, Horizon = options.Horizon, Seed = options.Seed, MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? System.Environment.ProcessorCount };
        ExperimentResult result = await GambittsStudy.RunAsync(experiment, settings, agents, runner, observers,
            progress is null ? null : (index, count, p) => progress.Report(new StudyProgress(index * p.TotalSteps + p.CompletedSteps, count * p.TotalSteps)),
            cancellationToken).ConfigureAwait(false);

        var series = new List<GambittsSeries>();
        foreach (SettingResult s in result.Settings)
        {
            foreach (PolicyTrace trace in s.Result.Policies)
            {
                MeanSd final = MeanSd.Of(trace.FinalCumulativeRegret());
                series.Add(new GambittsSeries(trace.Name, s.Setting.Label, new RegretStat(final.Mean, final.Sd, final.Ci95), trace.MeanCumulativeRegretCurve()));
            }
        }
        double wall = timeProvider.GetElapsedTime(start).TotalSeconds;
        var summary = new GambittsSummary("gambitts", experiment.Id, options.Runs, options.Horizon, options.Seed, wall, series,
            experiment.Section, bankName, experiment.Varied, result.SimulationWallTime.TotalSeconds, Calibration: BankCalibrationSummary.Of(bank),
            ContextDependence: settings.Select(s =>
            {
                ContextDependence d = s.World.MeasureContextDependence();
                return new SettingContextDependence(s.Label, d.ContextsWhereBestDiffers, d.ContextCount, d.MeanGap, d.MaxGap);
            }).ToArray());
        return new GambittsExperimentResult(summary, result);
    }
}
