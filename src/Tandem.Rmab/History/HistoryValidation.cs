using System.Globalization;
using Tandem.Core.Randomness;
using Tandem.Core.Reports;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.History;

/// <summary>`tandem rmab estimate --validate` as data: simulated histories with known transitions.</summary>
public sealed record HistoryValidationOptions
{
    /// <summary>Beneficiaries per replicate. Range 2..<see cref="Programme.ArmFiles.MaxArms"/>. Default 2000.</summary>
    public int Arms { get; init; } = 2000;

    /// <summary>Calls per week B. Range 1..Arms−1. Default 200 (10%).</summary>
    public int Budget { get; init; } = 200;

    /// <summary>History lengths compared (weeks of rows; W weeks give W−1 transitions). Each in 2..520, ascending.
    /// Default 2, 4, 8, 13, 26, 52.</summary>
    public IReadOnlyList<int> Weeks { get; init; } = [2, 4, 8, 13, 26, 52];

    /// <summary>Independent replicates (cohort and history each). Range 1..1000. Default 5.</summary>
    public int Replicates { get; init; } = 5;

    /// <summary>Probability that a beneficiary is called in a history week (calls at random, as an exploration
    /// arm of a programme). Range (0, 1). Default 0.2.</summary>
    public double CallRate { get; init; } = 0.2;

    /// <summary>Discount γ of the Whittle ranking. Range [0, 1). Default 0.9.</summary>
    public double Discount { get; init; } = 0.9;

    /// <summary>The estimation settings under test.</summary>
    public HistoryEstimateOptions Estimate { get; init; } = new();

    /// <summary>Random seed. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Folder holding cohort.json; null: data/dlm beside the application.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> (or its out-of-range kind) naming the first bad field.</summary>
    public void Validate()
    {
        if (Arms < 2 || Arms > Programme.ArmFiles.MaxArms) throw new ArgumentOutOfRangeException(nameof(Arms), Arms, $"Must lie in [2, {Programme.ArmFiles.MaxArms}].");
        if (Budget < 1 || Budget >= Arms) throw new ArgumentOutOfRangeException(nameof(Budget), Budget, "Must lie in [1, arms − 1].");
        if (Weeks is null || Weeks.Count == 0) throw new ArgumentException("Give at least one history length.", nameof(Weeks));
        for (int i = 0; i < Weeks.Count; i++)
        {
            if (Weeks[i] < 2 || Weeks[i] > 520) throw new ArgumentOutOfRangeException(nameof(Weeks), Weeks[i], "Each history length must lie in [2, 520] weeks.");
            if (i > 0 && Weeks[i] <= Weeks[i - 1]) throw new ArgumentException("History lengths must increase.", nameof(Weeks));
        }
        if (Replicates < 1 || Replicates > 1000) throw new ArgumentOutOfRangeException(nameof(Replicates), Replicates, "Must lie in [1, 1000].");
        if (!(CallRate > 0 && CallRate < 1)) throw new ArgumentOutOfRangeException(nameof(CallRate), CallRate, "Must lie in (0, 1).");
        if (!(Discount >= 0 && Discount < 1)) throw new ArgumentOutOfRangeException(nameof(Discount), Discount, "The discount must lie in [0, 1).");
        ArgumentNullException.ThrowIfNull(Estimate, nameof(Estimate));
        Estimate.Validate();
    }
}

/// <summary>One history length's scores, means over replicates (SD across replicates beside).</summary>
/// <param name="Weeks">Weeks of history.</param>
/// <param name="MeanAbsoluteError">Mean |estimate − truth| over beneficiaries and the four transitions.</param>
/// <param name="MeanAbsoluteErrorSd">Its SD across replicates.</param>
/// <param name="Coverage">Share of true transitions inside their posterior interval.</param>
/// <param name="TopBShare">Share of the true top-B (Whittle under the true transitions) that the estimated ranking calls.</param>
/// <param name="TopBShareSd">Its SD across replicates.</param>
/// <param name="TopBSharePooledOnce">The same with a single pool (k = 1): what clustering adds.</param>
/// <param name="TopBShareRandom">Expected share of a random call list, B/N.</param>
public sealed record ValidationRow(int Weeks, double MeanAbsoluteError, double MeanAbsoluteErrorSd, double Coverage, double TopBShare, double TopBShareSd,
    double TopBSharePooledOnce, double TopBShareRandom);

/// <summary>The object `tandem rmab estimate --validate --json` prints.</summary>
public sealed record ValidationSummary(string Command, int Arms, int Budget, int Replicates, double CallRate, int Clusters, double PriorStrength, double Interval,
    ulong Seed, IReadOnlyList<ValidationRow> Rows);

/// <summary>The validation, reported with a table and two figures.</summary>
public sealed record HistoryValidationResult(ValidationSummary Summary) : IReportable
{
    object IReportable.Summary => Summary;

    /// <inheritdoc />
    public Report ToReport()
    {
        ValidationSummary s = Summary;
        var inv = CultureInfo.InvariantCulture;
        double[] x = s.Rows.Select(r => (double)r.Weeks).ToArray();
        return new Report("Tandem — estimating transitions from history: validation", s,
            [new RowTable("validation.csv", ["weeks", "mae", "mae_sd", "coverage", "topb_share", "topb_share_sd", "topb_share_one_pool", "topb_share_random"],
                s.Rows.Select(r => (IReadOnlyList<object?>)[r.Weeks, r.MeanAbsoluteError, r.MeanAbsoluteErrorSd, r.Coverage, r.TopBShare, r.TopBShareSd, r.TopBSharePooledOnce, r.TopBShareRandom]).ToArray()),
             new LineFigure("validation-error", "Estimation error against weeks observed", "weeks of history", "mean |estimate − truth|",
                [new LineSeries($"k = {s.Clusters}, κ = {s.PriorStrength.ToString(inv)}", s.Rows.Select(r => r.MeanAbsoluteError).ToArray(), s.Rows.Select(r => r.MeanAbsoluteErrorSd).ToArray(), x)]),
             new LineFigure("validation-topb", "Share of the true top-B called", "weeks of history", "share of true top-B called",
                [new LineSeries($"clusters (k = {s.Clusters})", s.Rows.Select(r => r.TopBShare).ToArray(), s.Rows.Select(r => r.TopBShareSd).ToArray(), x),
                 new LineSeries("one pool (k = 1)", s.Rows.Select(r => r.TopBSharePooledOnce).ToArray(), null, x),
                 new LineSeries("random call list", s.Rows.Select(r => r.TopBShareRandom).ToArray(), null, x)])],
            [new HeadingBlock("Estimating transitions from history: simulated programmes with known transitions"),
             new ParagraphBlock($"{s.Replicates} replicates of {s.Arms} beneficiaries drawn from the ARMMAN-like cohort generator (data/dlm/cohort.json), " +
                $"each observed for up to {s.Rows[^1].Weeks} weeks with random calls at rate {s.CallRate.ToString(inv)}; the estimator sees only the rows " +
                $"(features 7-42, engaged, called), pools by k-means clusters (k = {s.Clusters}) with prior strength κ = {s.PriorStrength.ToString(inv)}, " +
                $"and is scored against the generator's transitions. Top-B: the {s.Budget} beneficiaries with the largest Whittle index (reward = engaged, " +
                "state = the last week observed) under the true transitions, and the share of them the estimated ranking calls."),
             new TableBlock(["weeks", "mean abs. error", $"{(100 * s.Interval).ToString("0.#", inv)}% interval coverage", "true top-B called", "one pool", "random"],
                s.Rows.Select(r => (IReadOnlyList<string>)[r.Weeks.ToString(inv), $"{r.MeanAbsoluteError:0.0000} ± {r.MeanAbsoluteErrorSd:0.0000}", r.Coverage.ToString("0.000", inv),
                    $"{r.TopBShare:0.000} ± {r.TopBShareSd:0.000}", r.TopBSharePooledOnce.ToString("0.000", inv), r.TopBShareRandom.ToString("0.000", inv)]).ToArray()),
             new FigureBlock("validation-error", "Mean absolute error of the four transition probabilities (band: SD across replicates)."),
             new FigureBlock("validation-topb", "Share of the true top-B that the estimated Whittle ranking calls.")]);
    }
}

/// <summary>
/// Validation of <see cref="HistoryEstimator"/> on simulated histories with known transitions: the generator's
/// transitions are the truth, the estimator sees only the simulated rows, and the scores are the estimation error,
/// interval coverage and the share of the true top-B the estimated ranking calls, against the weeks observed.
/// </summary>
public static class HistoryValidation
{
    /// <summary>The feature columns the simulated histories carry: the non-sensitive groups 7-42.</summary>
    public static IReadOnlyList<int> FeatureColumns { get; } = Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature).ToArray();

    /// <summary>Run the validation.</summary>
    public static HistoryValidationResult Run(HistoryValidationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string data = options.DataDirectory ?? Path.Combine(AppContext.BaseDirectory, "data", "dlm");
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(data, "cohort.json")) with { PopulationSize = Math.Max(options.Arms, 7668) });
        int w = options.Weeks.Count;
        var mae = new double[w, options.Replicates];
        var coverage = new double[w, options.Replicates];
        var share = new double[w, options.Replicates];
        var shareOne = new double[w, options.Replicates];
        HistoryEstimateOptions onePool = options.Estimate with { Clusters = 1, ClusterColumn = null };
        for (int r = 0; r < options.Replicates; r++)
        {
            ulong seed = Seeds.Derive(options.Seed, r);
            RmabInstance instance = CohortGenerator.Sample(generator.Population(Seeds.Derive(seed, "cohort")), options.Arms, options.Budget, Seeds.Derive(seed, "arms"));
            (byte[,] engaged, byte[,] called) = Simulate(instance, options.Weeks[^1], options.CallRate, Seeds.Derive(seed, "history"));
            for (int j = 0; j < w; j++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                HistorySet set = Prefix(instance, engaged, called, options.Weeks[j]);
                HistoryEstimate est = HistoryEstimator.Estimate(set, options.Estimate with { ClusterColumn = null }, cancellationToken);
                HistoryEstimate one = HistoryEstimator.Estimate(set, onePool, cancellationToken);
                byte[] states = set.Beneficiaries.Select(b => b.State).ToArray();
                bool[] truth = TopB(instance.Dynamics, states, options.Budget, options.Discount, cancellationToken);
                double err = 0, inside = 0;
                for (int i = 0; i < instance.ArmCount; i++)
                {
                    BeneficiaryEstimate b = est.Beneficiaries[i];
                    for (int k = 0; k < BeneficiaryHistory.Pairs; k++)
                    {
                        double t = instance.Dynamics[i].ToEngaged(k % 2, k / 2);
                        err += Math.Abs(b.Mean.ToEngaged(k % 2, k / 2) - t);
                        if (t >= b.Lower[k] && t <= b.Upper[k]) inside++;
                    }
                }
                mae[j, r] = err / (4.0 * instance.ArmCount);
                coverage[j, r] = inside / (4.0 * instance.ArmCount);
                share[j, r] = Overlap(truth, TopB(est.Beneficiaries.Select(b => b.Mean).ToArray(), states, options.Budget, options.Discount, cancellationToken), options.Budget);
                shareOne[j, r] = Overlap(truth, TopB(one.Beneficiaries.Select(b => b.Mean).ToArray(), states, options.Budget, options.Discount, cancellationToken), options.Budget);
            }
        }
        var rows = new ValidationRow[w];
        for (int j = 0; j < w; j++)
        {
            var (m, msd) = MeanSd(mae, j);
            var (sh, shsd) = MeanSd(share, j);
            rows[j] = new ValidationRow(options.Weeks[j], m, msd, MeanSd(coverage, j).Mean, sh, shsd, MeanSd(shareOne, j).Mean, (double)options.Budget / options.Arms);
        }
        return new HistoryValidationResult(new ValidationSummary("rmab estimate --validate", options.Arms, options.Budget, options.Replicates, options.CallRate,
            options.Estimate.Clusters, options.Estimate.PriorStrength, options.Estimate.Interval, options.Seed, rows));
    }

    /// <summary>Simulate <paramref name="weeks"/> weeks: the first state from the arm's initial engagement probability, calls at
    /// random with probability <paramref name="callRate"/>, next states from the true transitions.</summary>
    public static (byte[,] Engaged, byte[,] Called) Simulate(RmabInstance instance, int weeks, double callRate, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var rng = new Xoshiro256(seed);
        var engaged = new byte[instance.ArmCount, weeks];
        var called = new byte[instance.ArmCount, weeks];
        for (int i = 0; i < instance.ArmCount; i++)
        {
            int s = rng.NextDouble() < instance.InitialEngaged[i] ? 1 : 0;
            for (int t = 0; t < weeks; t++)
            {
                int a = rng.NextDouble() < callRate ? 1 : 0;
                engaged[i, t] = (byte)s;
                called[i, t] = (byte)a;
                s = rng.NextDouble() < instance.Dynamics[i].ToEngaged(s, a) ? 1 : 0;
            }
        }
        return (engaged, called);
    }

    /// <summary>The histories of the first <paramref name="weeks"/> weeks, as <see cref="HistoryFile"/> would read them
    /// from rows id = arm index, features <see cref="FeatureColumns"/>.</summary>
    public static HistorySet Prefix(RmabInstance instance, byte[,] engaged, byte[,] called, int weeks)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(engaged);
        ArgumentNullException.ThrowIfNull(called);
        var people = new BeneficiaryHistory[instance.ArmCount];
        for (int i = 0; i < people.Length; i++)
        {
            var visits = new int[BeneficiaryHistory.Pairs];
            var ones = new int[BeneficiaryHistory.Pairs];
            for (int t = 0; t + 1 < weeks; t++)
            {
                int p = BeneficiaryHistory.Pair(engaged[i, t], called[i, t]);
                visits[p]++;
                ones[p] += engaged[i, t + 1];
            }
            var features = new double[Features.Count];
            foreach (int f in FeatureColumns) features[f] = instance.FeatureRows[i][f];
            people[i] = new BeneficiaryHistory(i.ToString(CultureInfo.InvariantCulture), features, visits, ones, engaged[i, weeks - 1], weeks);
        }
        return new HistorySet("simulated", people, FeatureColumns, (long)weeks * people.Length);
    }

    // The B arms with the largest Whittle index in their current state (reward = engaged); ties to the lower arm.
    private static bool[] TopB(ArmDynamics[] dynamics, byte[] states, int budget, double discount, CancellationToken cancellationToken)
    {
        int n = dynamics.Length;
        var i0 = new double[n];
        var i1 = new double[n];
        var indexable = new bool[n];
        RewardTable reward = RewardTable.EngagementOnly(n);
        WhittleIndex.Compute(dynamics, reward.State0, reward.State1, discount, i0, i1, indexable, cancellationToken);
        int[] order = Enumerable.Range(0, n).OrderByDescending(i => states[i] == 1 ? i1[i] : i0[i]).ThenBy(i => i).ToArray();
        var top = new bool[n];
        for (int k = 0; k < budget; k++) top[order[k]] = true;
        return top;
    }

    private static double Overlap(bool[] a, bool[] b, int budget)
    {
        int both = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] && b[i]) both++;
        return (double)both / budget;
    }

    private static (double Mean, double Sd) MeanSd(double[,] values, int row)
    {
        int n = values.GetLength(1);
        double mean = 0;
        for (int r = 0; r < n; r++) mean += values[row, r];
        mean /= n;
        double ss = 0;
        for (int r = 0; r < n; r++) ss += (values[row, r] - mean) * (values[row, r] - mean);
        return (mean, n > 1 ? Math.Sqrt(ss / (n - 1)) : 0);
    }
}
