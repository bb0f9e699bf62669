using Tandem.Core.Randomness;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Cohort;

/// <summary>What counts as an engagement drop in a simulated field study.</summary>
public enum DropDefinition
{
    /// <summary>Every week-to-week transition from engaged to not engaged, counted over all beneficiaries and weeks.</summary>
    EngagedToNotEngaged,

    /// <summary>A beneficiary engaged in the first week and not engaged after the last (one drop at most per beneficiary).</summary>
    EngagedAtStartNotAtEnd,

    /// <summary>The cumulative form of <see cref="EngagedAtStartNotAtEnd"/>: for every week t = 1 … T, the beneficiaries
    /// engaged in the first week and not engaged after week t, summed over the weeks.</summary>
    CumulativeEngagedAtStartNotEngaged,
}

/// <summary>
/// A field study of live calls simulated on the generated cohort (docs/dlm-cohort.md, "Calibration"): one group of the
/// cohort's whole population is called for <see cref="Weeks"/> weeks with <see cref="WeeklyBudget"/> Whittle calls a week
/// (indices of the shipped, estimated transitions, reward = engagement), the comparison group is never called, and both
/// evolve under the true transitions. Both groups are the same mothers with the same uniforms (common random numbers), so
/// the difference in drops is the calls' effect alone.
/// </summary>
public sealed record FieldStudyDesign
{
    /// <summary>Weeks the study runs (≥ 1).</summary>
    public int Weeks { get; init; } = 7;

    /// <summary>Live calls a week in the called group (≥ 1 and at most the population size).</summary>
    public int WeeklyBudget { get; init; } = 219;

    /// <summary>What counts as an engagement drop.</summary>
    public DropDefinition Drop { get; init; } = DropDefinition.EngagedToNotEngaged;

    /// <summary>False (the deployed design): the indices are computed on the shipped, estimated transitions, as ARMMAN's
    /// RMAB plans on estimates; true: on the true transitions (an upper bound on what Whittle calls can do).</summary>
    public bool PlanOnTruth { get; init; }

    /// <summary>Discount γ ∈ [0, 1) of the Whittle indices (the `tandem dlm` evaluation's 0.9).</summary>
    public double Discount { get; init; } = 0.9;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate(int populationSize)
    {
        if (Weeks < 1) throw new ArgumentException($"field study: weeks must be at least 1 (got {Weeks}).");
        if (WeeklyBudget < 1 || WeeklyBudget > populationSize)
            throw new ArgumentException($"field study: weeklyBudget must lie in [1, {populationSize}] (the population size); got {WeeklyBudget}.");
        if (!(Discount >= 0 && Discount < 1)) throw new ArgumentException($"field study: discount must lie in [0, 1) (got {Discount}).");
    }
}

/// <summary>Options of <see cref="EffectCalibration.Calibrate"/>.</summary>
public sealed record EffectCalibrationOptions
{
    /// <summary>The simulated study.</summary>
    public FieldStudyDesign Design { get; init; } = new();

    /// <summary>The reported relative reduction in drops to reproduce, in (0, 1) (e.g. 0.3 for "30% fewer drops").</summary>
    public double TargetReduction { get; init; } = 0.3;

    /// <summary>Lower end of the bisection bracket of the call-effect intercept c.</summary>
    public double InterceptLow { get; init; } = -4;

    /// <summary>Upper end of the bracket (greater than <see cref="InterceptLow"/>).</summary>
    public double InterceptHigh { get; init; } = 3;

    /// <summary>Bisection steps per seed (≥ 1; the bracket shrinks by 2^-steps).</summary>
    public int Steps { get; init; } = 24;

    /// <summary>Population seeds; each gives its own calibrated intercept (at least one).</summary>
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3, 4, 5];

    /// <summary>Intercepts at which the reduction curve is reported (may be empty).</summary>
    public IReadOnlyList<double> Curve { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate(int populationSize)
    {
        ArgumentNullException.ThrowIfNull(Design);
        Design.Validate(populationSize);
        if (!(TargetReduction > 0 && TargetReduction < 1)) throw new ArgumentException($"calibration: targetReduction must lie in (0, 1) (got {TargetReduction}).");
        if (!(double.IsFinite(InterceptLow) && double.IsFinite(InterceptHigh) && InterceptLow < InterceptHigh))
            throw new ArgumentException($"calibration: interceptLow ({InterceptLow}) must be finite and below interceptHigh ({InterceptHigh}).");
        if (Steps < 1) throw new ArgumentException($"calibration: steps must be at least 1 (got {Steps}).");
        if (Seeds is null || Seeds.Count == 0) throw new ArgumentException("calibration: seeds must name at least one seed.");
        if (Curve is null || Curve.Any(c => !double.IsFinite(c))) throw new ArgumentException("calibration: every curve intercept must be finite.");
    }
}

/// <summary>Drops in the two groups of one simulated study.</summary>
/// <param name="DropsWithoutCalls">Drops in the never-called group.</param>
/// <param name="DropsWithCalls">Drops in the Whittle-called group.</param>
public readonly record struct FieldStudyOutcome(int DropsWithoutCalls, int DropsWithCalls)
{
    /// <summary>1 − drops with calls / drops without (NaN when the never-called group has no drop).</summary>
    public double Reduction => DropsWithoutCalls == 0 ? double.NaN : 1 - (double)DropsWithCalls / DropsWithoutCalls;
}

/// <summary>The simulated reduction at one intercept, per seed.</summary>
/// <param name="Intercept">The call-effect intercept c.</param>
/// <param name="PerSeed">The reduction for each seed of the options, in order.</param>
public sealed record ReductionPoint(double Intercept, IReadOnlyList<double> PerSeed)
{
    /// <summary>Mean reduction over the seeds.</summary>
    public double Mean => PerSeed.Average();

    /// <summary>Sample standard deviation over the seeds (0 for one seed).</summary>
    public double Sd => EffectCalibration.SampleSd(PerSeed);
}

/// <summary>The calibrated intercepts.</summary>
/// <param name="PerSeed">Intercept at which each seed's simulated reduction equals the target (NaN when the target lies
/// outside the reductions at the bracket's ends for that seed).</param>
/// <param name="Curve">The reduction at each requested curve intercept.</param>
public sealed record EffectCalibrationResult(IReadOnlyList<double> PerSeed, IReadOnlyList<ReductionPoint> Curve)
{
    private IEnumerable<double> Found => PerSeed.Where(double.IsFinite);

    /// <summary>Seeds whose target was bracketed.</summary>
    public int Bracketed => Found.Count();

    /// <summary>Mean calibrated intercept over the bracketed seeds (NaN when none).</summary>
    public double Mean => Bracketed == 0 ? double.NaN : Found.Average();

    /// <summary>Sample sd of the calibrated intercepts over the bracketed seeds.</summary>
    public double Sd => EffectCalibration.SampleSd(Found.ToArray());

    /// <summary>Smallest calibrated intercept (NaN when none).</summary>
    public double Min => Bracketed == 0 ? double.NaN : Found.Min();

    /// <summary>Largest calibrated intercept (NaN when none).</summary>
    public double Max => Bracketed == 0 ? double.NaN : Found.Max();
}

/// <summary>
/// Calibrates the call-effect intercept c of the cohort (δ_n = exp(c + γ·f + v_n), docs/dlm-cohort.md) against a field
/// study's reported reduction in engagement drops instead of against Table 4: for each seed, bisection over c of the
/// simulated reduction (<see cref="FieldStudyDesign"/>) until it equals the target. The simulated reduction is a
/// deterministic function of (parameters, c, seed); it is non-decreasing in c in expectation but, being one random
/// draw per seed, not necessarily for every seed; the bisection then returns one crossing of the target inside the
/// bracket (a c whose final bisection interval straddles it).
/// </summary>
public static class EffectCalibration
{
    /// <summary>The parameters with the call-effect intercept replaced by <paramref name="intercept"/>.</summary>
    public static CohortParameters WithIntercept(CohortParameters parameters, double intercept)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters with { Effect = parameters.Effect with { Intercept = intercept } };
    }

    /// <summary>Simulate the study on the population of <paramref name="seed"/> generated from <paramref name="parameters"/>.</summary>
    public static FieldStudyOutcome Simulate(CohortParameters parameters, FieldStudyDesign design, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(design);
        design.Validate(parameters.PopulationSize);
        var (truth, shipped) = new CohortGenerator(parameters).PopulationAndTruth(seed);
        int n = truth.Length;
        var dynamics = (design.PlanOnTruth ? truth : shipped).Select(b => b.Dynamics).ToArray();
        var i0 = new double[n];
        var i1 = new double[n];
        var indexable = new bool[n];
        var zero = new double[n];
        var one = new double[n];
        Array.Fill(one, 1.0);
        WhittleIndex.Compute(dynamics, zero, one, design.Discount, i0, i1, indexable);

        // Common random numbers: the initial state, every week's uniform per mother and the tie-break keys are drawn once.
        var rng = new Xoshiro256(Seeds.Derive(seed, "field-study"));
        var start = new int[n];
        for (int i = 0; i < n; i++) start[i] = rng.NextDouble() < truth[i].InitialEngaged ? 1 : 0;
        var uniform = new double[design.Weeks * n];
        for (int k = 0; k < uniform.Length; k++) uniform[k] = rng.NextDouble();
        var tieBreak = new double[design.Weeks * n];
        for (int k = 0; k < tieBreak.Length; k++) tieBreak[k] = rng.NextDouble();

        int without = Run(truth, start, uniform, design, null, null, null);
        int with = Run(truth, start, uniform, design, i0, i1, tieBreak);
        return new FieldStudyOutcome(without, with);
    }

    /// <summary>The simulated reduction at intercept <paramref name="intercept"/> for one seed.</summary>
    public static double Reduction(CohortParameters parameters, FieldStudyDesign design, double intercept, ulong seed) =>
        Simulate(WithIntercept(parameters, intercept), design, seed).Reduction;

    /// <summary>Calibrate c per seed by bisection and report the requested curve.</summary>
    /// <exception cref="ArgumentException">Invalid options (the message names the field).</exception>
    public static EffectCalibrationResult Calibrate(CohortParameters parameters, EffectCalibrationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(parameters.PopulationSize);
        var perSeed = new double[options.Seeds.Count];
        for (int s = 0; s < perSeed.Length; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ulong seed = options.Seeds[s];
            double lo = options.InterceptLow, hi = options.InterceptHigh;
            double rLo = Reduction(parameters, options.Design, lo, seed), rHi = Reduction(parameters, options.Design, hi, seed);
            if (!(rLo <= options.TargetReduction && rHi >= options.TargetReduction)) { perSeed[s] = double.NaN; continue; }
            for (int step = 0; step < options.Steps; step++)
            {
                double mid = 0.5 * (lo + hi);
                if (Reduction(parameters, options.Design, mid, seed) < options.TargetReduction) lo = mid; else hi = mid;
            }
            perSeed[s] = 0.5 * (lo + hi);
        }
        var curve = options.Curve
            .Select(c => new ReductionPoint(c, options.Seeds.Select(seed => Reduction(parameters, options.Design, c, seed)).ToArray()))
            .ToArray();
        return new EffectCalibrationResult(perSeed, curve);
    }

    internal static double SampleSd(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    // One group over the study's weeks; no indices = never called. Each week the WeeklyBudget mothers with the largest
    // index for their current (observed) state are called, ties broken by the week's keys.
    private static int Run(Beneficiary[] truth, int[] start, double[] uniform, FieldStudyDesign design, double[]? i0, double[]? i1, double[]? tieBreak)
    {
        int n = truth.Length;
        var state = (int[])start.Clone();
        var act = new int[n];
        var order = new int[n];
        var key = new double[n];
        int drops = 0;
        for (int t = 0; t < design.Weeks; t++)
        {
            Array.Clear(act);
            if (i0 is not null && i1 is not null && tieBreak is not null)
            {
                for (int i = 0; i < n; i++) { order[i] = i; key[i] = state[i] == 0 ? i0[i] : i1[i]; }
                int week = t;
                Array.Sort(order, (a, b) =>
                {
                    int c = key[b].CompareTo(key[a]);
                    return c != 0 ? c : tieBreak[week * n + a].CompareTo(tieBreak[week * n + b]);
                });
                for (int k = 0; k < design.WeeklyBudget; k++) act[order[k]] = 1;
            }
            for (int i = 0; i < n; i++)
            {
                int next = uniform[t * n + i] < truth[i].Dynamics.ToEngaged(state[i], act[i]) ? 1 : 0;
                if (design.Drop == DropDefinition.EngagedToNotEngaged && state[i] == 1 && next == 0) drops++;
                if (design.Drop == DropDefinition.CumulativeEngagedAtStartNotEngaged && start[i] == 1 && next == 0) drops++;
                state[i] = next;
            }
        }
        if (design.Drop == DropDefinition.EngagedAtStartNotAtEnd)
            for (int i = 0; i < n; i++)
                if (start[i] == 1 && state[i] == 0) drops++;
        return drops;
    }
}
