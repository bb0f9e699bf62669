using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>One row of the UCI Fertility file.</summary>
/// <param name="Features">season, age, childish diseases, accident, high fevers, alcohol, smoking, hours sitting (file coding).</param>
/// <param name="Surgery">Column 5, surgical intervention, as coded in the file (0 or 1).</param>
/// <param name="Normal">Diagnosis N (normal) rather than O (altered).</param>
public sealed record FertilityRecord(double[] Features, int Surgery, bool Normal);

/// <summary>
/// The semi-synthetic fertility study (seed 000 Appendix D) on the UCI Fertility data (Gil and Girela
/// 2012, CC BY 4.0; see data/fertility/README.md). Arm = surgical intervention; mutable = alcohol,
/// smoking, hours sitting; immutable = season, age, childhood disease, accident, high fevers. Each run
/// draws an outcome per row, N(5, 1) if the diagnosis is normal else N(0, 1), and fits a linear
/// regression (with intercept) per arm on that arm's rows; those fits are the run's ground truth and
/// their pooled residual sd its noise. Patients are bootstrapped from the 100 rows. γ = 1 (the seed does
/// not say), q = 0.4.
/// </summary>
/// <remarks>The UCI text maps "1) yes, 2) no" to (0, 1), so file value 0 is read as "had surgery"; other
/// redistributions state the opposite. Arm 0 is "Surgery" (file 0), arm 1 "No surgery" (file 1).</remarks>
public sealed class FertilityScenario : IRecourseScenario
{
    /// <summary>Mutable-feature coefficients the seed reports (alcohol, smoking, hours sitting) for surgery and no surgery.</summary>
    public static readonly IReadOnlyList<double[]> SeedMutableCoefficients = [[-0.31, -0.03, -0.15], [-0.03, -0.17, -0.12]];

    private static readonly string[] FeatureNames = ["Season", "Age", "ChildhoodDisease", "AccidentTrauma", "HighFevers", "Alcohol", "Smoking", "HoursSitting"];

    private FertilityScenario(IReadOnlyList<FertilityRecord> records, string path)
    {
        Records = records;
        SourcePath = path;
    }

    /// <summary>The rows.</summary>
    public IReadOnlyList<FertilityRecord> Records { get; }

    /// <summary>Where they were read from.</summary>
    public string SourcePath { get; }

    /// <inheritdoc />
    public string Name => "fertility";

    /// <inheritdoc />
    public ScenarioDefaults Defaults { get; } = new(Horizon: 500, Runs: 10, Gamma: 1, Delta: 1, Advisor: "simulated:q=0.4", Rho: 1, Lambda: 1);

    /// <inheritdoc />
    public string RewardLabel => "simulated seminal-quality score";

    /// <summary>The file shipped under data/fertility, beside the application or under <paramref name="dataDirectory"/>.</summary>
    public static string DefaultPath(string? dataDirectory) =>
        Path.Combine(dataDirectory ?? Path.Combine(AppContext.BaseDirectory, "data"), "fertility", "fertility_Diagnosis.txt");

    /// <summary>Read the UCI file (10 comma-separated columns, no header). Throws
    /// <see cref="FileNotFoundException"/> or <see cref="FormatException"/> naming the file and line.</summary>
    public static FertilityScenario Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Fertility data not found at '{path}'.", path);
        var records = new List<FertilityRecord>();
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0) continue;
            string[] cells = line.Split(',');
            if (cells.Length != 10) throw new FormatException($"{path}:{lineNumber}: expected 10 comma-separated values, found {cells.Length}.");
            var values = new double[9];
            for (int c = 0; c < 9; c++)
            {
                if (!double.TryParse(cells[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]) || !double.IsFinite(values[c]))
                    throw new FormatException($"{path}:{lineNumber}: column {c + 1} ('{cells[c].Trim()}') is not a number.");
            }
            string diagnosis = cells[9].Trim();
            if (diagnosis is not ("N" or "O")) throw new FormatException($"{path}:{lineNumber}: diagnosis '{diagnosis}' is neither N nor O.");
            if (values[4] is not (0 or 1)) throw new FormatException($"{path}:{lineNumber}: surgical intervention '{cells[4].Trim()}' is neither 0 nor 1.");
            records.Add(new FertilityRecord([values[0], values[1], values[2], values[3], values[5], values[6], values[7], values[8]], (int)values[4], diagnosis == "N"));
        }
        if (records.Count == 0) throw new FormatException($"{path}: no rows.");
        foreach (int arm in new[] { 0, 1 })
        {
            int n = records.Count(r => r.Surgery == arm);
            if (n < FeatureNames.Length + 2) throw new FormatException($"{path}: only {n} rows with surgical intervention = {arm}; a per-arm regression needs at least {FeatureNames.Length + 2}.");
        }
        return new FertilityScenario(records, path);
    }

    /// <inheritdoc />
    public RecourseProblem CreateProblem(RecourseNorm norm, double gamma) => new(
        Name,
        [
            new Feature("Intercept", "constant 1", Mutable: false, Constant: true),
            new Feature("Season", "season of the analysis: winter -1, spring -0.33, summer 0.33, fall 1", Mutable: false),
            new Feature("Age", "age at analysis, 18-36 scaled to (0, 1)", Mutable: false),
            new Feature("ChildhoodDisease", "childhood disease (chicken pox, measles, mumps, polio): 0 yes, 1 no", Mutable: false),
            new Feature("AccidentTrauma", "accident or serious trauma: 0 yes, 1 no", Mutable: false),
            new Feature("HighFevers", "high fevers in the last year: -1 under three months ago, 0 more than three months ago, 1 none", Mutable: false),
            new Feature("Alcohol", "frequency of alcohol consumption, 0.2 several times a day ... 1.0 hardly ever or never", Mutable: true),
            new Feature("Smoking", "smoking habit: -1 never, 0 occasional, 1 daily", Mutable: true),
            new Feature("HoursSitting", "hours spent sitting per day, 1-16 scaled to (0, 1)", Mutable: true),
        ],
        [
            new Treatment("Surgery", "Surgical intervention."),
            new Treatment("No surgery", "No surgical intervention."),
        ],
        norm,
        gamma,
        goal: "maximize the seminal-quality score (normal diagnosis)");

    /// <summary>Fit the per-arm regressions for one run; returns θ* per arm (intercept first) and the pooled residual sd.</summary>
    public (double[][] Theta, double ResidualSd) Fit(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var outcome = Records.Select(r => (r.Normal ? 5.0 : 0.0) + random.NextGaussian()).ToArray();
        var theta = new double[2][];
        double sse = 0;
        int dof = 0;
        for (int arm = 0; arm < 2; arm++)
        {
            int[] rows = Enumerable.Range(0, Records.Count).Where(i => Records[i].Surgery == arm).ToArray();
            var x = Matrix<double>.Build.Dense(rows.Length, FeatureNames.Length + 1, (i, j) => j == 0 ? 1.0 : Records[rows[i]].Features[j - 1]);
            var y = Vector<double>.Build.Dense(rows.Length, i => outcome[rows[i]]);
            // Ordinary least squares by QR; a tiny ridge only if the arm's design is rank deficient.
            Vector<double> beta = x.Rank() == x.ColumnCount
                ? x.QR().Solve(y)
                : (x.TransposeThisAndMultiply(x) + Matrix<double>.Build.DenseIdentity(x.ColumnCount) * 1e-6).Solve(x.TransposeThisAndMultiply(y));
            theta[arm] = beta.ToArray();
            sse += (y - x * beta).DotProduct(y - x * beta);
            dof += rows.Length - x.ColumnCount;
        }
        return (theta, Math.Sqrt(sse / Math.Max(1, dof)));
    }

    /// <inheritdoc />
    public RecourseWorld CreateWorld(RecourseProblem problem, RunContext run)
    {
        (double[][] theta, double sd) = Fit(run.CreateRandom("fertility-outcomes"));
        double[][] cohort = Records.Select(r => (double[])[1.0, .. r.Features]).ToArray();
        return new RecourseWorld(new RecourseTruth(problem, theta), new CohortSampler(cohort), sd);
    }

    /// <inheritdoc />
    public IRecourseAdvisor? CreateClinician(RecourseProblem problem) => null;
}
