using System.Globalization;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Core.Randomness;
using Tandem.Core.Statistics;
using Tandem.Gambit.Agents;
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

    /// <summary>Synthetic banks to repeat the experiment over, <see cref="Runs"/> runs on each (issue 13 item 3). Bank 0
    /// is the bank of <see cref="EffectiveBankSeed"/> with the runs of <see cref="Seed"/> (so 1 bank gives the numbers
    /// of a single-bank study); bank b ≥ 1 has a bank seed and run seeds derived from them and b. With more than one bank
    /// the summary's intervals are over the banks' means, so they include the between-bank variation. Range: 1–1,000.
    /// Default 1. Needs the synthetic bank (not a bank file or a host bank).</summary>
    public int Banks { get; init; } = 1;

    /// <summary>Posterior draws per decision that estimate the logged propensities (<see cref="AgentOptions.PropensityDraws"/>);
    /// null = the agents' default, 100. 0 = do not estimate (faster; propensities NaN). Range: 0–100,000.</summary>
    public int? PropensityDraws { get; init; }

    /// <summary>Offline draws M per (context, prompt) cell (<see cref="AgentOptions.OfflineDraws"/>), taken without
    /// replacement from the bank; null = the experiment's (500, or the values the simulator-access experiment varies).
    /// Range: 1 up to the smallest cell of the bank. Not allowed with the simulator-access experiment, which varies M.</summary>
    public int? OfflineDraws { get; init; }

    /// <summary>Ensembles' reward centring (<see cref="AgentOptions.EnsembleTargetOffset"/>); null = 77. The authors: 0.</summary>
    public double? EnsembleTargetOffset { get; init; }

    /// <summary>Ensembles' optimizer reset per update (<see cref="AgentOptions.EnsembleResetOptimizer"/>); null = false. The authors: true.</summary>
    public bool? EnsembleResetOptimizer { get; init; }

    /// <summary>The upper bound of <see cref="Banks"/>.</summary>
    public const int MaxBanks = 1000;

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
        if (Banks is < 1 or > MaxBanks) throw new ArgumentOutOfRangeException(nameof(Banks), Banks, $"The number of banks must lie in 1..{MaxBanks}.");
        if (Banks > 1 && BankFile is not null)
            throw new ArgumentException($"{Banks} banks need the synthetic bank; the bank file '{BankFile}' is one bank.", nameof(Banks));
        if (EnsembleTargetOffset is { } offset && !double.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(EnsembleTargetOffset), offset, "The reward centring must be finite.");
        if (PropensityDraws is < 0 or > 100_000) throw new ArgumentOutOfRangeException(nameof(PropensityDraws), PropensityDraws, "Propensity draws must lie in 0..100000.");
        if (OfflineDraws is < 1) throw new ArgumentOutOfRangeException(nameof(OfflineDraws), OfflineDraws, "At least one offline draw per cell is needed.");
        int syntheticCell = (SyntheticBank ?? new SyntheticBankOptions()).ResponsesPerCell;
        if (OfflineDraws > syntheticCell && BankFile is null)
            throw new ArgumentOutOfRangeException(nameof(OfflineDraws), OfflineDraws,
                $"{OfflineDraws} offline draws per cell exceed the synthetic bank's {syntheticCell} responses per cell; offline draws are taken without replacement.");
        if ((EnsembleTargetOffset is not null || EnsembleResetOptimizer is not null) && string.Equals(Experiment?.Trim(), "ensemble-options", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("The ensemble-options experiment varies the reward centring and the optimizer reset itself; neither can be imposed.",
                EnsembleTargetOffset is not null ? nameof(EnsembleTargetOffset) : nameof(EnsembleResetOptimizer));
        if (OfflineDraws is not null && string.Equals(Experiment?.Trim(), "simulator-access", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The simulator-access experiment varies the offline draws itself; {OfflineDraws} cannot be imposed.", nameof(OfflineDraws));
    }

    /// <summary>The seeds of bank <paramref name="bank"/> (0-based): its synthetic bank's seed and its runs' seed.</summary>
    public (ulong BankSeed, ulong RunSeed) SeedsOfBank(int bank) => bank == 0
        ? (EffectiveBankSeed, Seed)
        : (Seeds.Derive(EffectiveBankSeed, "bank-" + bank.ToString(CultureInfo.InvariantCulture)), Seeds.Derive(Seed, "bank-" + bank.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>The bank's realised calibration beside the authors' (docs/gambitts-calibration.md): σ₀ measured as the authors
/// define it, the summed variance of the outcome's style scores over the whole bank.</summary>
/// <param name="ThreeD">Summed variance of optimism, formality and severity over the bank; null when the bank lacks one.</param>
/// <param name="OneD">Variance of optimism over the bank; null when the bank lacks it.</param>
/// <param name="AuthorsThreeD">The authors' 0.7098.</param>
/// <param name="AuthorsOneD">The authors' 0.3757.</param>
/// <param name="Correlations">Seed 002 App. F Table 1's pairs present in the bank: the bank's correlation pooled over all
/// responses beside the paper's.</param>
public sealed record BankCalibrationSummary(double? ThreeD, double? OneD, double AuthorsThreeD, double AuthorsOneD, IReadOnlyList<CorrelationPair>? Correlations = null)
{
    /// <summary>Measure <paramref name="bank"/>.</summary>
    public static BankCalibrationSummary Of(ResponseBank bank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        bool Has(params string[] dims) => dims.All(d => bank.DimensionIndex(d) >= 0);
        return new(
            Has(StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity) ? GambittsExperiments.ThreeDSigma(bank) : null,
            Has(StyleDimensions.Optimism) ? GambittsExperiments.OneDSigma(bank) : null,
            BankCalibration.AuthorsThreeD, BankCalibration.AuthorsOneD, CorrelationPair.Of(bank));
    }
}

/// <summary>One pair of Table 1 (seed 002 App. F): the bank's pooled correlation and the paper's.</summary>
/// <param name="First">A dimension.</param>
/// <param name="Second">Another.</param>
/// <param name="Bank">Pearson r over every response of the bank (<see cref="BankCalibration.PooledCorrelation"/>).</param>
/// <param name="Paper">Table 1's value.</param>
public sealed record CorrelationPair(string First, string Second, double Bank, double Paper)
{
    /// <summary>The Table 1 pairs whose two dimensions the bank has, in Table 1's order.</summary>
    public static IReadOnlyList<CorrelationPair> Of(ResponseBank bank)
    {
        ArgumentNullException.ThrowIfNull(bank);
        var order = StyleDimensions.Table1Order;
        var pairs = new List<CorrelationPair>();
        for (int i = 0; i < order.Count; i++)
            for (int j = i + 1; j < order.Count; j++)
                if (bank.DimensionIndex(order[i]) >= 0 && bank.DimensionIndex(order[j]) >= 0)
                    pairs.Add(new(order[i], order[j], BankCalibration.PooledCorrelation(bank, order[i], order[j]), StyleDimensions.Table1[i, j]));
        return pairs;
    }
}

/// <summary>How much the context matters in one setting's world (<see cref="GambitWorld.MeasureContextDependence"/>).</summary>
/// <param name="Setting">The setting's label (null when the experiment varies nothing).</param>
/// <param name="ContextsWhereBestDiffers">Contexts whose best prompt is not the prompt best on average.</param>
/// <param name="ContextCount">|X|.</param>
/// <param name="MeanGap">Per-step regret of the best non-contextual prompt, averaged over contexts.</param>
/// <param name="MaxGap">Its largest value over contexts.</param>
public sealed record SettingContextDependence(string? Setting, int ContextsWhereBestDiffers, int ContextCount, double MeanGap, double MaxGap);

/// <summary>Mean, sd over runs and the 95% half-width of the mean. Over several banks the mean is the mean of the banks'
/// means (equal runs per bank: the mean of all runs), the sd is over all runs, and the half-width is Student's t with
/// banks − 1 degrees of freedom times the sd of the banks' means over √banks: an interval for the mean over banks
/// that includes the between-bank variation (each bank's mean carries its runs' noise too).</summary>
public sealed record RegretStat(double Mean, double Sd, double Ci95)
{
    /// <summary>The statistic of final regrets grouped by bank: <paramref name="values"/> holds <paramref name="banks"/>
    /// consecutive blocks of equal length (one bank's runs each).</summary>
    public static RegretStat OfBanks(double[] values, int banks)
    {
        ArgumentNullException.ThrowIfNull(values);
        MeanSd all = MeanSd.Of(values);
        if (banks <= 1) return new(all.Mean, all.Sd, all.Ci95);
        if (values.Length % banks != 0) throw new ArgumentException($"{values.Length} runs do not split into {banks} equal banks.", nameof(values));
        int per = values.Length / banks;
        double[] means = Enumerable.Range(0, banks).Select(b => values.AsSpan(b * per, per).ToArray().Average()).ToArray();
        MeanSd between = MeanSd.Of(means);
        return new(between.Mean, all.Sd, BetweenBankHalfWidth(between.Sd, banks));
    }

    /// <summary>t_{0.975, banks − 1} · sd / √banks.</summary>
    public static double BetweenBankHalfWidth(double sdOfBankMeans, int banks) =>
        MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, banks - 1, 0.975) * sdOfBankMeans / Math.Sqrt(banks);
}

/// <summary>One agent in one setting.</summary>
public sealed record GambittsSeries(string Agent, string? Setting, RegretStat CumulativeRegret, double[] RegretCurve);

/// <summary>The <c>tandem gambitts --json</c> object (summary.json). The contract's fields come first; the rest describe
/// the run. <c>Llm</c> is the model use when the host built the bank with a model (null otherwise). <c>Ensemble</c> is the
/// ensembles' training choice, null when the experiment varies it (ensemble-options: the setting labels say which).</summary>
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
    IReadOnlyList<SettingContextDependence>? ContextDependence = null,
    int Banks = 1,
    IReadOnlyList<ulong>? BankSeeds = null,
    int PropensityDraws = 100,
    EnsembleSettings? Ensemble = null);

/// <summary>How the ensembles trained (issue 13 item 4), recorded in the summary because regret depends on it several-fold.</summary>
/// <param name="RewardCentring">Subtracted from rewards before training (<see cref="AgentOptions.EnsembleTargetOffset"/>).</param>
/// <param name="ResetOptimizer">Whether Adam restarted at every update (<see cref="AgentOptions.EnsembleResetOptimizer"/>).</param>
public sealed record EnsembleSettings(double RewardCentring, bool ResetOptimizer);

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
        var curves = new List<Curve>();
        foreach (SettingResult s in Result.Settings)
        {
            foreach (PolicyTrace trace in s.Result.Policies)
            {
                string name = s.Setting.Label is null ? trace.Name : $"{trace.Name} [{s.Setting.Label}]";
                curves.Add(new Curve(name, "regret_mean", trace.MeanCumulativeRegretCurve()));
                curves.Add(new Curve(name, "regret_ci95", Ci95Curve(trace)));
            }
        }
        files.Add(new CurveTable("curves.csv", curves));

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
            // The settings are categories (a few prompts counts, noise levels, dimensions): markers with their intervals,
            // no lines between them.
            string[] categories = Result.Settings.Select(s => s.Setting.Label ?? "—").ToArray();
            var groups = Result.Agents.Select((a, i) =>
            {
                RegretStat[] finals = Result.Settings.Select(s => RegretStat.OfBanks(s.Result.Policies[i].FinalCumulativeRegret(), summary.Banks)).ToArray();
                return new IntervalGroup(a.Name, finals.Select(f => f.Mean).ToArray(), finals.Select(f => f.Mean - f.Ci95).ToArray(), finals.Select(f => f.Mean + f.Ci95).ToArray());
            }).ToArray();
            files.Add(new IntervalFigure("final-regret", $"{title}: regret after {summary.Horizon} steps by {summary.Varied ?? "setting"}", $"cumulative regret at T = {summary.Horizon}", categories, groups));
            figures.Insert(0, ("final-regret.png", $"Cumulative regret at T = {summary.Horizon} by {summary.Varied}, mean with its 95% interval over {summary.Runs} runs" + (summary.Banks > 1 ? $" on each of {summary.Banks} banks" : "") + " (the summary panel of the seed's figure, drawn as points)."));
        }

        var body = new List<ReportBlock>
        {
            new HeadingBlock($"GAMBITTS — {summary.Experiment} ({summary.Section})"),
            new ParagraphBlock($"{Result.Experiment.Title}. {summary.Runs} runs × {summary.Horizon} steps" + (summary.Banks > 1 ? $" on each of {summary.Banks} banks (95% intervals over the banks' means: they include the between-bank variation)" : "") + $", seed {summary.Seed}, bank: {ReportText.Code(summary.Bank)}. " +
                $"Regret is exact: against the best prompt's expected reward in the current context, computed from the bank. Wall time {summary.WallSeconds.ToString("F1", Inv)} s."),
            new ParagraphBlock("**What the seed reports** (compare, do not tune toward): " + Result.Experiment.SeedFinding),
            new ParagraphBlock("**Calibration** (summed variance of the outcome's style scores over the whole bank, the authors' σ₀): " +
                $"3-D {Opt(summary.Calibration?.ThreeD)} (authors' {BankCalibration.AuthorsThreeD.ToString("0.0000", Inv)}), " +
                $"1-D {Opt(summary.Calibration?.OneD)} (authors' {BankCalibration.AuthorsOneD.ToString("0.0000", Inv)})."),
            new TableBlock(["agent", "setting", "cumulative regret (mean)", "sd", "95% half-width"],
                summary.Series.Select(s => (IReadOnlyList<string>)[s.Agent, s.Setting ?? "—", F(s.CumulativeRegret.Mean), F(s.CumulativeRegret.Sd), F(s.CumulativeRegret.Ci95)]).ToArray(),
                $"Cumulative regret after {summary.Horizon} steps."),
        };
        if (summary.Calibration?.Correlations is { Count: > 0 } pairs)
            body.Add(new TableBlock(["dimensions", "bank (pooled over all responses)", "paper (Table 1)"],
                pairs.Select(p => (IReadOnlyList<string>)[$"{p.First} – {p.Second}", p.Bank.ToString("0.000", Inv), p.Paper.ToString("0.000", Inv)]).ToArray(),
                "Correlations of the primary style dimensions, pooled over the whole bank as seed 002 App. F Table 1 reports them" + (summary.Banks > 1 ? " (bank 0)." : ".")));
        if (summary.ContextDependence is { Count: > 0 } dependence)
            body.Add(new TableBlock(["setting", "contexts whose best prompt differs", "mean gap", "largest gap"],
                dependence.Select(d => (IReadOnlyList<string>)[d.Setting ?? "—", $"{d.ContextsWhereBestDiffers} of {d.ContextCount}", d.MeanGap.ToString("0.0000", Inv), d.MaxGap.ToString("0.0000", Inv)]).ToArray(),
                "How much the context matters: contexts whose best prompt is not the prompt best on average, and the per-step regret of that prompt (μ(x, best in x) − μ(x, best on average)), mean over contexts and largest."));
        foreach (var (file, caption) in figures) body.Add(new FigureBlock(file, caption));
        return new Report($"Tandem — GAMBITTS: {summary.Experiment}", summary, files, body);
    }

    private double[] Ci95Curve(PolicyTrace trace)
    {
        int banks = Summary.Banks;
        if (banks > 1 && trace.Regret.Length % banks == 0)
        {
            int per = trace.Regret.Length / banks;
            double[][] bankMeans = Enumerable.Range(0, banks).Select(b => Curves.MeanOfCumulative(trace.Regret.Skip(b * per).Take(per).ToArray())).ToArray();
            return Curves.SdOfCumulative(bankMeans.Select(Differences).ToArray()).Select(sdb => RegretStat.BetweenBankHalfWidth(sdb, banks)).ToArray();
        }
        double[] sd = Curves.SdOfCumulative(trace.Regret);
        double root = Math.Sqrt(trace.Regret.Length);
        return sd.Select(s => Z95 * s / root).ToArray();
    }

    // Curves.SdOfCumulative takes per-step rows and cumulates them; a bank's mean cumulative curve is cumulated already.
    private static double[] Differences(double[] cumulative)
    {
        var steps = new double[cumulative.Length];
        for (int t = 0; t < steps.Length; t++) steps[t] = cumulative[t] - (t > 0 ? cumulative[t - 1] : 0);
        return steps;
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
        if (options.Banks > 1 && bank is not null)
            throw new ArgumentException($"{options.Banks} banks need the synthetic bank; the host passed one bank.", nameof(options.Banks));
        string bankName;
        bool synthetic = bank is null && options.BankFile is null;
        if (bank is not null) bankName = options.BankName ?? "host bank";
        else if (options.BankFile is not null)
        {
            bank = BankCsv.Load(options.BankFile);
            bankName = Path.GetFileName(options.BankFile);
        }
        else
        {
            bank = Synthetic(BankOptions(options, 0));
            bankName = options.Banks == 1
                ? $"synthetic (bank seed {options.EffectiveBankSeed.ToString(CultureInfo.InvariantCulture)})"
                : $"{options.Banks} synthetic banks (bank 0 seed {options.EffectiveBankSeed.ToString(CultureInfo.InvariantCulture)}, the others derived from it)";
        }
        int propensityDraws = options.PropensityDraws ?? new AgentOptions().PropensityDraws;
        IReadOnlyList<ExperimentSetting> settings = Configure(experiment.Settings(bank), options, agents);
        var bankResults = new List<ExperimentResult>(options.Banks);
        var bankSeeds = new List<ulong>(options.Banks);
        for (int b = 0; b < options.Banks; b++)
        {
            ulong runSeed = options.SeedsOfBank(b).RunSeed;
            bankSeeds.Add(BankOptions(options, b).Seed);
            IReadOnlyList<ExperimentSetting> bankSettings = b == 0 ? settings : Configure(experiment.Settings(Synthetic(BankOptions(options, b))), options, agents);
            var runner = new RunnerOptions { Runs = options.Runs, Horizon = options.Horizon, Seed = runSeed, MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? System.Environment.ProcessorCount };
            int offset = b;
            bankResults.Add(await GambittsStudy.RunAsync(experiment, bankSettings, agents, runner, observers,
                progress is null ? null : (index, count, p) => progress.Report(new StudyProgress((offset * count + index) * p.TotalSteps + p.CompletedSteps, options.Banks * count * p.TotalSteps)),
                cancellationToken).ConfigureAwait(false));
        }
        ExperimentResult result = bankResults.Count == 1 ? bankResults[0] : Pool(bankResults);

        var series = new List<GambittsSeries>();
        foreach (SettingResult s in result.Settings)
        {
            foreach (PolicyTrace trace in s.Result.Policies)
            {
                series.Add(new GambittsSeries(trace.Name, s.Setting.Label, RegretStat.OfBanks(trace.FinalCumulativeRegret(), options.Banks), trace.MeanCumulativeRegretCurve()));
            }
        }
        double wall = timeProvider.GetElapsedTime(start).TotalSeconds;
        var summary = new GambittsSummary("gambitts", experiment.Id, options.Runs, options.Horizon, options.Seed, wall, series,
            experiment.Section, bankName, experiment.Varied, result.SimulationWallTime.TotalSeconds, Calibration: BankCalibrationSummary.Of(bank),
            ContextDependence: settings.Select(s =>
            {
                ContextDependence d = s.World.MeasureContextDependence();
                return new SettingContextDependence(s.Label, d.ContextsWhereBestDiffers, d.ContextCount, d.MeanGap, d.MaxGap);
            }).ToArray(),
            Banks: options.Banks, BankSeeds: synthetic ? bankSeeds : null,
            PropensityDraws: propensityDraws,
            Ensemble: settings.All(s => s.Options.EnsembleTargetOffset == settings[0].Options.EnsembleTargetOffset && s.Options.EnsembleResetOptimizer == settings[0].Options.EnsembleResetOptimizer)
                ? new EnsembleSettings(settings[0].Options.EnsembleTargetOffset, settings[0].Options.EnsembleResetOptimizer)
                : null); // the ensemble-options experiment varies them; its labels say which
        return new GambittsExperimentResult(summary, result);
    }

    /// <summary>Throws <see cref="ArgumentException"/> (named <see cref="GambittsExperimentOptions.OfflineDraws"/>) when an agent of
    /// <paramref name="options"/> would draw more responses offline than a cell of <paramref name="bank"/> holds, or when
    /// the bank lacks what the experiment needs; lets a host check a bank before it writes anything.</summary>
    public static void CheckBank(GambittsExperimentOptions options, ResponseBank bank)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bank);
        options.Validate();
        ExperimentDefinition experiment = GambittsExperiments.Find(options.Experiment)!;
        _ = Configure(experiment.Settings(bank), options, (options.Agents ?? experiment.DefaultAgents).Select(id => AgentCatalog.Find(id)!).ToArray());
    }

    private static SyntheticBankOptions BankOptions(GambittsExperimentOptions options, int bank) =>
        options.SyntheticBank is { } given
            ? (bank == 0 ? given : given with { Seed = options.SeedsOfBank(bank).BankSeed })
            : new SyntheticBankOptions { Seed = options.SeedsOfBank(bank).BankSeed };

    // The study-wide agent settings (propensity and offline draws) on every setting, and the check that a bank cell
    // holds the offline draws that agents take from it without replacement.
    private static IReadOnlyList<ExperimentSetting> Configure(IReadOnlyList<ExperimentSetting> settings, GambittsExperimentOptions options, IReadOnlyList<AgentSpec> agents)
    {
        var configured = settings.Select(s => s with
        {
            Options = s.Options with
            {
                PropensityDraws = options.PropensityDraws ?? s.Options.PropensityDraws,
                OfflineDraws = options.OfflineDraws ?? s.Options.OfflineDraws,
                EnsembleTargetOffset = options.EnsembleTargetOffset ?? s.Options.EnsembleTargetOffset,
                EnsembleResetOptimizer = options.EnsembleResetOptimizer ?? s.Options.EnsembleResetOptimizer,
            },
        }).ToArray();
        if (agents.Any(a => a.UsesOfflineDraws))
        {
            foreach (ExperimentSetting s in configured)
            {
                int smallest = s.World.Bank.SmallestCell;
                if (s.Options.OfflineDraws > smallest)
                    throw new ArgumentOutOfRangeException(nameof(options.OfflineDraws), s.Options.OfflineDraws,
                        $"{s.Options.OfflineDraws} offline draws per cell exceed the bank's smallest cell ({smallest} responses); offline draws are taken without replacement, so give at most {smallest}.");
            }
        }
        return configured;
    }

    // Several banks' results as one: the traces of every setting and agent concatenated bank after bank (equal runs
    // per bank, so RegretStat.OfBanks can split them again); the settings are bank 0's.
    private static ExperimentResult Pool(IReadOnlyList<ExperimentResult> banks)
    {
        ExperimentResult first = banks[0];
        var settings = new List<SettingResult>(first.Settings.Count);
        for (int i = 0; i < first.Settings.Count; i++)
        {
            int runs = banks.Sum(b => b.Settings[i].Result.Options.Runs);
            var traces = new List<PolicyTrace>();
            for (int p = 0; p < first.Settings[i].Result.Policies.Count; p++)
            {
                var pooled = new PolicyTrace(first.Settings[i].Result.Policies[p].Name, runs);
                int row = 0;
                foreach (ExperimentResult b in banks)
                {
                    PolicyTrace t = b.Settings[i].Result.Policies[p];
                    for (int r = 0; r < t.Regret.Length; r++, row++)
                    {
                        pooled.Regret[row] = t.Regret[r];
                        pooled.Reward[row] = t.Reward[r];
                        pooled.ExpectedReward[row] = t.ExpectedReward[r];
                        pooled.AdvisorQueries[row] = t.AdvisorQueries[r];
                        pooled.Arms[row] = t.Arms[r];
                    }
                }
                traces.Add(pooled);
            }
            StudyResult firstResult = first.Settings[i].Result;
            var result = new StudyResult(firstResult.Options with { Runs = runs }, traces,
                TimeSpan.FromTicks(banks.Sum(b => b.Settings[i].Result.SimulationWallTime.Ticks)), banks.Sum(b => b.Settings[i].Result.Rounds));
            settings.Add(new SettingResult(first.Settings[i].Setting, result));
        }
        return new ExperimentResult(first.Experiment, first.Agents, settings);
    }
}
