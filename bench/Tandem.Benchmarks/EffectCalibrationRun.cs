using System.Globalization;
using Tandem.Rmab.Cohort;

namespace Tandem.Benchmarks;

/// <summary>
/// `-- effect-calibration [weeklyBudget] [seeds]`: the call-effect intercept of data/dlm/cohort.json calibrated against a
/// field study's reduction in engagement drops (docs/dlm-cohort.md, "Calibration"). For every drop definition prints, with
/// the Whittle indices on the shipped and on the true transitions, the mean reduction (± sd over seeds) at intercepts −3 … 3 and the intercept at which the simulated reduction is 30%
/// (Mate et al., AAAI 2022, abstract), per seed and summarised. Defaults: 219 calls a week (seed 001 App. B: 20% of
/// 7,668 called at least once in 7 weeks, one call each), seeds 1-5.
/// </summary>
public static class EffectCalibrationRun
{
    /// <summary>Print the curve and the calibrated intercepts.</summary>
    public static void Print(int weeklyBudget, int seeds)
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data", "dlm");
        CohortParameters parameters = CohortParameters.Load(Path.Combine(data, "cohort.json"));
        var seedList = Enumerable.Range(1, seeds).Select(s => (ulong)s).ToArray();
        double[] grid = [-3, -2, -1, -0.5, 0, 0.3, 0.5, 1, 1.5, 2, 3];
        Console.WriteLine($"population {parameters.PopulationSize}, shipped intercept {parameters.Effect.Intercept.ToString(CultureInfo.InvariantCulture)}, weekly budget {weeklyBudget}, 7 weeks, seeds 1-{seeds}, target reduction 0.30");
        foreach (bool planOnTruth in new[] { false, true })
        foreach (DropDefinition drop in Enum.GetValues<DropDefinition>())
        {
            var options = new EffectCalibrationOptions
            {
                Design = new FieldStudyDesign { WeeklyBudget = weeklyBudget, Drop = drop, PlanOnTruth = planOnTruth },
                TargetReduction = 0.3,
                Seeds = seedList,
                Curve = grid,
            };
            EffectCalibrationResult result = EffectCalibration.Calibrate(parameters, options);
            Console.WriteLine($"drop = {drop}, Whittle indices on the {(planOnTruth ? "true" : "shipped (estimated)")} transitions");
            foreach (ReductionPoint p in result.Curve)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  c = {p.Intercept,5:0.0#}  reduction {p.Mean,7:0.000} ± {p.Sd:0.000}  [{string.Join(", ", p.PerSeed.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}]"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  calibrated c: mean {result.Mean:0.000}, sd {result.Sd:0.000}, range [{result.Min:0.000}, {result.Max:0.000}], bracketed {result.Bracketed}/{seeds}; per seed [{string.Join(", ", result.PerSeed.Select(c => c.ToString("0.000", CultureInfo.InvariantCulture)))}]"));
        }
    }
}
