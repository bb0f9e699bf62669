using System.Globalization;

namespace Tandem.Recourse.Environments;

/// <summary>One row of the UCI Fertility file.</summary>
/// <param name="Features">season, age, childish diseases, accident, high fevers, alcohol (1.0 = hardly ever), smoking, hours sitting (file coding).</param>
/// <param name="Surgery">Column 5, surgical intervention, as coded in the file (0 or 1; read as 1 = surgery, see data/fertility/README.md).</param>
/// <param name="Normal">Diagnosis N (normal) rather than O (altered).</param>
public sealed record FertilityRecord(double[] Features, int Surgery, bool Normal);

/// <summary>
/// The semi-synthetic fertility study (seed 000 Appendix D) on the UCI Fertility data (Gil and Girela
/// 2012, CC BY 4.0; see data/fertility/README.md), as one instance of the cohort path (<see cref="CohortScenario"/>):
/// arm = surgical intervention; mutable = alcohol consumption, smoking, hours sitting; immutable = season, age,
/// childhood disease, accident, high fevers. The outcome column is 5 for a normal diagnosis and 0 for an altered one,
/// and each run adds N(0, 1) and refits (Appendix D's N(5, 1)·1[normal] + N(0, 1)·1[altered]); features are
/// standardised over the 100 rows. Encoded as the paper reads the file: alcohol as consumption (1.2 − file value, so
/// higher means drinking more), file surgery value 1 = surgery. Recourse bounds keep alcohol in 0.2..1.0, smoking in
/// −1..1 and hours sitting in 0..1 (the UCI scale; the file rounds one hour to 0.06), the coded scales. q = 0.4 (Appendix D);
/// ρ = 2σ from the scan of docs/libra-fertility.md. See docs/libra-fertility.md.
/// </summary>
public static class FertilityScenario
{
    /// <summary>Mutable-feature coefficients the seed reports (alcohol, smoking, hours sitting) by treatment.</summary>
    public static IReadOnlyDictionary<string, double[]> SeedMutableCoefficients { get; } = new Dictionary<string, double[]>(StringComparer.Ordinal)
    {
        [SurgeryArm] = [-0.31, -0.03, -0.15],
        [NoSurgeryArm] = [-0.03, -0.17, -0.12],
    };

    /// <summary>The treatment label of file surgery value 1.</summary>
    public const string SurgeryArm = "Surgery";

    /// <summary>The treatment label of file surgery value 0.</summary>
    public const string NoSurgeryArm = "No surgery";

    /// <summary>Feature columns, in order (the names a CSV of the same cohort uses).</summary>
    public static IReadOnlyList<string> FeatureNames { get; } = ["Season", "Age", "ChildhoodDisease", "AccidentTrauma", "HighFevers", "AlcoholConsumption", "Smoking", "HoursSitting"];

    /// <summary>The columns, bounds, link and outcome noise of the study.</summary>
    public static CohortOptions Options { get; } = new()
    {
        Treatment = "Surgery",
        Outcome = "Score",
        Mutable = ["AlcoholConsumption", "Smoking", "HoursSitting"],
        Bounds = new Dictionary<string, CohortBounds>(StringComparer.Ordinal)
        {
            ["AlcoholConsumption"] = new(0.2, 1.0),
            ["Smoking"] = new(-1, 1),
            ["HoursSitting"] = new(0, 1),
        },
        OutcomeNoise = 1,
    };

    private static readonly string[] Descriptions =
    [
        "season of the analysis: winter -1, spring -0.33, summer 0.33, fall 1",
        "age at analysis, 18-36 scaled to (0, 1)",
        "childhood disease (chicken pox, measles, mumps, polio), file coding (0 or 1)",
        "accident or serious trauma, file coding (0 or 1)",
        "high fevers in the last year: -1 under three months ago, 0 more than three months ago, 1 none",
        "frequency of alcohol consumption, 1.2 minus the file value: 0.2 hardly ever or never ... 1.0 several times a day",
        "smoking habit: -1 never, 0 occasional, 1 daily",
        "hours spent sitting per day, 1-16 scaled to (0, 1)",
    ];

    /// <summary>The file shipped under data/fertility, beside the application or under <paramref name="dataDirectory"/>.</summary>
    public static string DefaultPath(string? dataDirectory) =>
        Path.Combine(dataDirectory ?? Path.Combine(AppContext.BaseDirectory, "data"), "fertility", "fertility_Diagnosis.txt");

    /// <summary>Read the UCI file (10 comma-separated columns, no header) as the file codes it. Throws
    /// <see cref="FileNotFoundException"/> or <see cref="FormatException"/> naming the file and line.</summary>
    public static IReadOnlyList<FertilityRecord> Read(string path)
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
        return records;
    }

    /// <summary>The cohort in the paper's encoding: alcohol as consumption (1.2 − file value), treatment
    /// <see cref="SurgeryArm"/> for file surgery value 1, outcome 5 for a normal diagnosis else 0.</summary>
    public static CohortData ToCohort(IReadOnlyList<FertilityRecord> records, string source)
    {
        ArgumentNullException.ThrowIfNull(records);
        double[][] rows = records.Select(r => r.Features.Select((v, j) => j == 5 ? 1.2 - v : v).ToArray()).ToArray();
        (IReadOnlyList<string> names, int[] arms) = CohortData.Levels(source, Options.Treatment, records.Select(r => r.Surgery == 1 ? SurgeryArm : NoSurgeryArm).ToArray());
        return new CohortData(source, FeatureNames, rows, names, arms, records.Select(r => r.Normal ? 5.0 : 0.0).ToArray());
    }

    /// <summary>Build the study from the UCI file at <paramref name="path"/>.</summary>
    public static CohortScenario Load(string path)
    {
        IReadOnlyList<FertilityRecord> records = Read(path);
        // ρ = 2σ: at ρ = 1σ GLRB's regret is sublinear in only 4/10 runs (seed 1), at 2σ in 9/10 (docs/libra-fertility.md).
        return new CohortScenario("fertility", ToCohort(records, path), Options, Descriptions, "simulated:q=0.4", "simulated seminal-quality score", rho: 2);
    }
}
