using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>Assumptions of the calibrated hypertension cohort that the seed does not publish.</summary>
public sealed record HypertensionOptions
{
    /// <summary>Intercept of the next-visit SBP model of both arms, mmHg: the next-visit SBP of a patient at the
    /// cohort's mean of every feature. Not published. Derived from what seed 000 §5 states about the cohort, never
    /// from its results: the patients have high blood pressure with 170 mmHg as their baseline SBP (the reference
    /// of the reward), the current SBP is standardised (its mean is that baseline), and no treatment effect beyond
    /// Table 1's coefficients is published, so the average patient's next visit is assumed at the baseline: 170
    /// (docs/libra-hypertension.md). Range: finite.</summary>
    public double Intercept { get; init; } = 170;

    /// <summary>Residual standard deviation of next-visit SBP, mmHg. Not published and the seed's text gives no value;
    /// assumed 5. Range: σ ≥ 0, finite.</summary>
    public double NoiseSd { get; init; } = 5.0;

    /// <summary>The simulated clinician's lifestyle change, (DietScore, PhyActHours) in standard deviations, the same
    /// for every patient: the seed's Fig 4a averages for GPT-3.5 (an input, not a fit). Default (0.8, 1.1).</summary>
    public IReadOnlyList<double> ClinicianChange { get; init; } = [0.8, 1.1];

    /// <summary>The simulated clinician prescribes the combination therapy when this visit's standardised SBP
    /// exceeds this value, else a beta-blocker (an input). Default 0 (the cohort mean).</summary>
    public double ClinicianSbpThreshold { get; init; }

    /// <summary>Patients per run (114 beta-blocker + 63 ACE+CCB+Diur in the seed).</summary>
    public int CohortSize { get; init; } = 177;

    /// <summary>Baseline SBP from which the reward counts the drop, mmHg (seed: 170).</summary>
    public double Baseline { get; init; } = 170;
}

/// <summary>
/// The hypertension case study (seed 000 §5, ACCORD). The data are not public, so each run draws a
/// calibrated synthetic cohort: standardized features in the seed's order (Female p = 0.48, age, CVD
/// history p = 0.27, non-white race p = 0.38, cigarette, DietScore and PhyActHours (mutable), current SBP);
/// binary features standardized as (b − p)/√(p(1−p)) (so CVD history 1 reads 1.64, like the seed's prompt
/// example 1.63). Next-visit SBP = intercept + Table 1 coefficients · x + N(0, σ²); reward = 170 − SBP.
/// Arms: 0 beta-blocker, 1 ACE inhibitor + calcium-channel blocker + diuretic. γ = 3 (L2), Δ = 1, T = 500.
/// </summary>
public sealed class HypertensionScenario(HypertensionOptions? options = null) : IRecourseScenario
{
    /// <summary>Table 1 of the seed: SBP coefficients per standardized feature (rows) for the two treatments.</summary>
    public static readonly IReadOnlyList<(string Feature, double BetaBlocker, double AceCcbDiuretic)> Table1 =
    [
        ("Female", -0.51, 2.73),
        ("BaselineAge", 1.91, -1.51),
        ("CvdHistory", 0.29, 1.09),
        ("RaceNonWhite", -0.00, -0.00),
        ("Cigarette", 1.43, -1.78),
        ("DietScore", -2.12, -2.18),
        ("PhyActHours", -0.48, -1.02),
        ("CurrentSBP", 8.79, 10.82),
    ];

    private const double PFemale = 0.48, PCvd = 0.27, PNonWhite = 0.38;

    /// <summary>The assumptions in force.</summary>
    public HypertensionOptions Options { get; } = options ?? new HypertensionOptions();

    /// <inheritdoc />
    public string Name => "hypertension";

    /// <inheritdoc />
    public ScenarioDefaults Defaults => new(Horizon: 500, Runs: 10, Gamma: 3, Delta: 1, Advisor: "clinician", Rho: 1, Lambda: 1, NoiseScale: Options.NoiseSd);

    /// <inheritdoc />
    public string RewardLabel => "SBP drop from 170 mmHg";

    /// <inheritdoc />
    public RecourseProblem CreateProblem(RecourseNorm norm, double gamma) => new(
        Name,
        [
            new Feature("Intercept", "constant 1", Mutable: false, Constant: true),
            new Feature("Female", "standardized; 1.04 = female, -0.96 = male", Mutable: false),
            new Feature("BaselineAge", "age at baseline, standardized (mean 0, sd 1)", Mutable: false),
            new Feature("CvdHistory", "history of cardiovascular events; standardized, 1.64 = yes, -0.61 = no", Mutable: false),
            new Feature("RaceNonWhite", "race non-white; standardized, 1.27 = non-white, -0.78 = white", Mutable: false),
            new Feature("Cigarette", "smoking at baseline, standardized", Mutable: false),
            new Feature("DietScore", "diet quality, standardized; larger is healthier (low-fat, lean meat, no fried food)", Mutable: true),
            new Feature("PhyActHours", "hours of physical activity per week, standardized", Mutable: true),
            new Feature("CurrentSBP", "systolic blood pressure at this visit, standardized", Mutable: false),
        ],
        [
            new Treatment("Beta-blocker", "Prescribing Beta-blocker."),
            new Treatment("ACE+CCB+Diuretics", "ACE Inhibitor + Calcium channel blockers + Diuretics."),
        ],
        norm,
        gamma,
        goal: "minimize the systolic blood pressure at the NEXT visit");

    /// <summary>θ* of both arms in reward units (baseline − SBP): intercept baseline − <see cref="HypertensionOptions.Intercept"/>,
    /// coefficients negated.</summary>
    public double[][] TrueTheta() =>
    [
        [Options.Baseline - Options.Intercept, .. Table1.Select(r => -r.BetaBlocker)],
        [Options.Baseline - Options.Intercept, .. Table1.Select(r => -r.AceCcbDiuretic)],
    ];

    /// <inheritdoc />
    public RecourseWorld CreateWorld(RecourseProblem problem, RunContext run)
    {
        Random random = run.CreateRandom("hypertension-cohort");
        var cohort = new double[Options.CohortSize][];
        for (int i = 0; i < cohort.Length; i++)
        {
            cohort[i] =
            [
                1.0,
                Binary(random, PFemale),
                random.NextGaussian(),
                Binary(random, PCvd),
                Binary(random, PNonWhite),
                random.NextGaussian(),
                random.NextGaussian(),
                random.NextGaussian(),
                random.NextGaussian(),
            ];
        }
        return new RecourseWorld(new RecourseTruth(problem, TrueTheta()), new CohortSampler(cohort), Options.NoiseSd);
    }

    /// <summary>The simulated clinician, a stated model (docs/libra-hypertension.md): the same lifestyle change for
    /// everyone (<see cref="HypertensionOptions.ClinicianChange"/>, by default the seed's Fig 4a) and combination
    /// therapy when this visit's SBP is above <see cref="HypertensionOptions.ClinicianSbpThreshold"/>, else a
    /// beta-blocker. It never reads θ*.</summary>
    public IRecourseAdvisor CreateClinician(RecourseProblem problem)
    {
        double threshold = Options.ClinicianSbpThreshold;
        double[] change = [.. Options.ClinicianChange];
        return new SimulatedClinicianAdvisor(
            problem,
            change,
            x => x[8] > threshold ? 1 : 0,
            FormattableString.Invariant($"simulated clinician (a stated model after seed Fig 4a): DietScore {change[0]:+0.##;-0.##}, PhyActHours {change[1]:+0.##;-0.##} for everyone; ACE+CCB+Diuretics when this visit's standardised SBP is above {threshold}, else Beta-blocker"));
    }

    IRecourseAdvisor? IRecourseScenario.CreateClinician(RecourseProblem problem) => CreateClinician(problem);

    private static double Binary(Random random, double p)
    {
        double b = random.NextDouble() < p ? 1.0 : 0.0;
        return (b - p) / Math.Sqrt(p * (1 - p));
    }
}
