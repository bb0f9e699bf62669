using System.Globalization;
using Tandem.Core.Randomness;
using Tandem.Core.Reports;
using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Simulation;

/// <summary>Options of <see cref="OpeValidation"/> (issue 17 item 4).</summary>
/// <param name="Repetitions">Independent logs drawn from the same world. Range: 2..10000; default 100.</param>
/// <param name="Lines">Decisions per log. Range: 10..10⁶; default 500.</param>
/// <param name="World">The simulated bandit and its exploring logger.</param>
public sealed record OpeValidationOptions(int Repetitions = 100, int Lines = 500, SyntheticBanditOptions? World = null)
{
    /// <summary>The world, defaulted.</summary>
    public SyntheticBanditOptions WorldOptions => World ?? new SyntheticBanditOptions();

    /// <summary>Throw <see cref="ArgumentOutOfRangeException"/> naming the parameter when a value is out of range.</summary>
    public void Validate()
    {
        if (Repetitions is < 2 or > 10_000) throw new ArgumentOutOfRangeException(nameof(Repetitions), Repetitions, "The repetitions must lie in 2..10000.");
        if (Lines is < 10 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(Lines), Lines, "The lines per log must lie in 10..1000000.");
        WorldOptions.Validate();
    }
}

/// <summary>One estimator on one target over the repetitions.</summary>
/// <param name="Policy">The target.</param>
/// <param name="Estimator">The estimator's id.</param>
/// <param name="Exact">The target's population value, in closed form from the world (not estimated).</param>
/// <param name="Mean">The mean estimate over repetitions where the estimator applied.</param>
/// <param name="Bias">Mean − exact.</param>
/// <param name="Rmse">√(mean (estimate − exact)²).</param>
/// <param name="Coverage">The share of repetitions whose interval held the exact value (NaN without intervals).</param>
/// <param name="Repetitions">Repetitions where the estimator gave a finite value.</param>
public sealed record EstimatorCheck(string Policy, string Estimator, double Exact, double Mean, double Bias, double Rmse, double Coverage, int Repetitions);

/// <summary>What <c>tandem ope --validate</c> found (its <c>--json</c> contract).</summary>
public sealed record OpeValidationSummary
{
    /// <summary>The command ("ope --validate").</summary>
    public string Command { get; init; } = "ope --validate";

    /// <summary>Repetitions (independent logs).</summary>
    public int Repetitions { get; init; }

    /// <summary>Decisions per log.</summary>
    public int Lines { get; init; }

    /// <summary>The world's settings.</summary>
    public required SyntheticBanditOptions World { get; init; }

    /// <summary>The estimators' settings.</summary>
    public required OpeSettings Options { get; init; }

    /// <summary>One row per target and estimator.</summary>
    public required IReadOnlyList<EstimatorCheck> Checks { get; init; }
}

/// <summary>
/// Checks the estimators against the truth (issue 17 item 4): a <see cref="SyntheticBandit"/> whose expected rewards
/// are known logs under its exploring softmax-ε logger; every repetition draws a new log, evaluates the targets
/// <c>uniform</c> and <c>arm:0</c>..<c>arm:K−1</c> (their population values have closed forms) and compares each
/// estimate and interval with the exact value. The estimators never see the world; only the score does.
/// </summary>
public static class OpeValidation
{
    /// <summary>Run the check. Repetition r uses the log seed and the estimator seed derived from
    /// <paramref name="options"/>.Seed and r, so the same seed gives the same numbers.</summary>
    public static OpeValidationSummary Run(OpeValidationOptions validation, OpeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        validation.Validate();
        options.Validate();
        SyntheticBanditOptions worldOptions = validation.WorldOptions;
        var world = new SyntheticBandit(worldOptions, Seeds.Derive(options.Seed, "world"));
        TargetSpec[] targets = [new("uniform"), .. Enumerable.Range(0, worldOptions.Arms).Select(a => new TargetSpec("arm", a))];
        double[] exact = [.. targets.Select(world.Value)];
        int e = options.Estimators.Count;
        var sum = new double[targets.Length * e];
        var squares = new double[targets.Length * e];
        var covered = new int[targets.Length * e];
        var finite = new int[targets.Length * e];
        var withInterval = new int[targets.Length * e];
        for (int r = 0; r < validation.Repetitions; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var log = new DecisionList(world.Log(validation.Lines, Seeds.Derive(Seeds.Derive(options.Seed, "logs"), r)));
            OpeSummary s = OffPolicyEvaluator.Evaluate(log, targets, options with { Seed = Seeds.Derive(Seeds.Derive(options.Seed, "estimators"), r) }, cancellationToken);
            for (int t = 0; t < targets.Length; t++)
            {
                for (int i = 0; i < e; i++)
                {
                    OpeEstimate estimate = s.Policies[t].Estimates[i];
                    int at = t * e + i;
                    if (!double.IsFinite(estimate.Value)) continue;
                    finite[at]++;
                    double error = estimate.Value - exact[t];
                    sum[at] += estimate.Value;
                    squares[at] += error * error;
                    if (double.IsFinite(estimate.Lower) && double.IsFinite(estimate.Upper))
                    {
                        withInterval[at]++;
                        if (estimate.Lower <= exact[t] && exact[t] <= estimate.Upper) covered[at]++;
                    }
                }
            }
        }
        var checks = new List<EstimatorCheck>();
        for (int t = 0; t < targets.Length; t++)
        {
            for (int i = 0; i < e; i++)
            {
                int at = t * e + i;
                int n = finite[at];
                double mean = n > 0 ? sum[at] / n : double.NaN;
                checks.Add(new EstimatorCheck(targets[t].ToString(), OpeEstimators.Id(options.Estimators[i]), exact[t], mean, mean - exact[t],
                    n > 0 ? Math.Sqrt(squares[at] / n) : double.NaN, withInterval[at] > 0 ? covered[at] / (double)withInterval[at] : double.NaN, n));
            }
        }
        return new OpeValidationSummary
        {
            Repetitions = validation.Repetitions,
            Lines = validation.Lines,
            World = worldOptions,
            Options = OpeSettings.From(options),
            Checks = checks,
        };
    }
}

/// <summary>The report of <see cref="OpeValidation"/>: <c>validation.csv</c>, the figure <c>rmse</c> and the HTML body.</summary>
public sealed class OpeValidationResult(OpeValidationSummary summary) : IReportable
{
    /// <inheritdoc />
    public object Summary => summary;

    /// <inheritdoc />
    public Report ToReport()
    {
        var s = summary;
        var csv = new RowTable("validation.csv", ["policy", "estimator", "exact", "mean", "bias", "rmse", "coverage", "repetitions"],
            [.. s.Checks.Select(c => (IReadOnlyList<object?>)[c.Policy, c.Estimator, c.Exact, c.Mean, c.Bias, c.Rmse, Finite(c.Coverage), c.Repetitions])]);
        string[] policies = [.. s.Checks.Select(c => c.Policy).Distinct()];
        string[] estimators = [.. s.Checks.Select(c => c.Estimator).Distinct()];
        var figure = new BarFigure("rmse", "RMSE against the exact value per target", "RMSE", policies,
            [.. estimators.Select(id => new BarGroup(id, [.. policies.Select(p => s.Checks.Single(c => c.Policy == p && c.Estimator == id).Rmse)]))],
            new FigureLayout(Legend: "upper-left"));
        var body = new List<ReportBlock>
        {
            new ParagraphBlock(Inv($"{s.Repetitions} logs of {s.Lines} decisions from one simulated linear bandit (K = {s.World.Arms}, d = {s.World.Dimension}, noise {s.World.Noise}, offset {s.World.Offset}), logged by a softmax policy mixed with ε = {s.World.Epsilon} uniform exploration. The exact value is the target's population value from the world's own parameters; the estimators see only the logs.")),
            new TableBlock(["policy", "estimator", "exact", "mean", "bias", "RMSE", Inv($"{s.Options.Confidence:P0} coverage"), "repetitions"],
                [.. s.Checks.Select(c => (IReadOnlyList<string>)[c.Policy, c.Estimator, ReportText.Number(c.Exact), ReportText.Number(c.Mean), ReportText.Number(c.Bias),
                    ReportText.Number(c.Rmse), ReportText.Number(c.Coverage), c.Repetitions.ToString(CultureInfo.InvariantCulture)])],
                Inv($"Poisson-bootstrap percentile intervals, {s.Options.BootstrapReplicates} replicates. Replay is biased here by design: the logger is not uniform.")),
            new FigureBlock("rmse.png", "RMSE of each estimator per target policy."),
        };
        return new Report("Off-policy evaluation checked against the truth", s, [csv, figure], body);
    }

    private static object? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
