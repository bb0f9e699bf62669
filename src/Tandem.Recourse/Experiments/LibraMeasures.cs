using System.Globalization;
using Tandem.Core.Decisions;
using Tandem.Core.Ports;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Experiments;

/// <summary>
/// Watches a LIBRA study for what the runner's traces do not hold: the regret against the seed's robust
/// benchmark under non-compliance (Appendix C.1 random, C.4 adversarial), and the advice each safe gate declined.
/// Each (policy, run) cell is written by one thread only.
/// </summary>
public sealed class LibraMeter : IStepObserver<double[], RecourseDecision, RecourseOutcome>
{
    private readonly double[][][]? _robust; // [policy][run][step]
    private readonly int[][] _declined;     // [policy][run]

    /// <summary>Meter <paramref name="policies"/> policies over <paramref name="runs"/> runs of <paramref name="horizon"/>
    /// steps; <paramref name="robust"/> keeps the robust regret (only under non-compliance).</summary>
    public LibraMeter(int policies, int runs, int horizon, bool robust)
    {
        _declined = Enumerable.Range(0, policies).Select(_ => new int[runs]).ToArray();
        if (robust)
            _robust = Enumerable.Range(0, policies).Select(_ => Enumerable.Range(0, runs).Select(_ => new double[horizon]).ToArray()).ToArray();
    }

    /// <inheritdoc />
    public bool OnStep(in StepRecord<double[], RecourseDecision, RecourseOutcome> step)
    {
        if (step.Decision.Notes.Contains(AdvisorGateStage.SafeGateDeclined)) _declined[step.PolicyIndex][step.Run]++;
        if (_robust is not null && step.Environment is RecourseEnvironment { NonCompliance: { } model } environment)
        {
            double best = model.RobustOptimum(environment.Truth, step.Context);
            double value = model.RobustValue(environment.Truth, step.Context, step.Decision.Recourse.AsSpan(), step.Decision.Arm);
            _robust[step.PolicyIndex][step.Run][step.Step] = best - value;
        }
        return true;
    }

    /// <summary>Per-step robust regret of policy <paramref name="policy"/> ([run][step]); null without non-compliance.</summary>
    public double[][]? RobustRegret(int policy) => _robust?[policy];

    /// <summary>Advice declined by the safe gate of <paramref name="policy"/>, per run.</summary>
    public double[] Declined(int policy) => _declined[policy].Select(v => (double)v).ToArray();
}

/// <summary>The measured suboptimality η of one advisor (Theorem 3: r(x̃^L, a^L) ≥ r(x̃*, a*) − η).</summary>
/// <param name="Advisor">The advisor spec.</param>
/// <param name="MeanEta">Mean over a run's patients of r*(x) − r(advice), mean ± sd over runs.</param>
/// <param name="MaxEta">The largest single-patient η seen (the η Theorem 3 needs at every round).</param>
/// <param name="Abstained">Patients on which it gave no usable advice, over all runs.</param>
/// <param name="Method">How η was measured.</param>
public sealed record AdvisorQuality(string Advisor, Stat MeanEta, double MaxEta, int Abstained, string Method);

/// <summary>One claim of seed 000 checked run by run.</summary>
/// <param name="Claim">The claim, in words, with its threshold.</param>
/// <param name="Source">Where the seed makes it.</param>
/// <param name="Holds">Runs in which it holds.</param>
/// <param name="Runs">Runs checked.</param>
/// <param name="Measure">The measured numbers (medians over runs).</param>
public sealed record ClaimCheck(string Claim, string Source, int Holds, int Runs, string Measure);

/// <summary>Measures advisors and checks the seed's claims on a finished LIBRA study.</summary>
public static class LibraMeasures
{
    /// <summary>Patients audited per run for a simulated advisor's η.</summary>
    public const int AuditPatients = 500;

    /// <summary>η of every simulated advisor of the study (and of the q = 0 control): each run's world is redrawn from
    /// its seed and the advisor is asked about <see cref="AuditPatients"/> patients drawn from that world on streams of
    /// their own (the study's numbers do not move). A language model is measured by LLM-only's regret instead, which
    /// is its η on the study's own patients, when LLM-only ran.</summary>
    public static IReadOnlyList<AdvisorQuality> MeasureAdvisors(LibraStudyPlan plan, RunnerOptions runner, StudyResult result, bool control)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(result);
        var list = new List<AdvisorQuality>();
        IEnumerable<AdvisorSpec> specs = plan.Advisors;
        if (control) specs = specs.Append(new AdvisorSpec("simulated", 0)).DistinctBy(s => s.ToString());
        foreach (AdvisorSpec spec in specs)
        {
            if (spec.IsSimulated)
            {
                list.Add(Audit(plan, runner, spec));
                continue;
            }
            string llmOnly = plan.Advisors.Count == 1 ? "LLM-only" : $"LLM-only ({spec})";
            PolicyTrace? trace = result.Policies.FirstOrDefault(p => p.Name == llmOnly);
            if (trace is null) continue;
            list.Add(new AdvisorQuality(spec.ToString(), Stat.Of(trace.Regret.Select(r => r.Average()).ToArray()),
                trace.Regret.Max(r => r.Max()), 0, "LLM-only's per-step regret on the study's patients (its fallbacks included)"));
        }
        return list;
    }

    private static AdvisorQuality Audit(LibraStudyPlan plan, RunnerOptions runner, AdvisorSpec spec)
    {
        var means = new double[runner.Runs];
        double max = double.NegativeInfinity;
        int abstained = 0;
        for (int run = 0; run < runner.Runs; run++)
        {
            var context = new RunContext(run, Seeds.Derive(runner.Seed, run));
            RecourseProblem problem = plan.Scenario.CreateProblem(plan.Problem.Set.Norm, plan.Gamma);
            RecourseWorld world = plan.Scenario.CreateWorld(problem, context);
            IRecourseAdvisor advisor = spec.Kind == "clinician"
                ? plan.Scenario.CreateClinician(problem)!
                : new SimulatedQualityAdvisor(world.Truth, spec.Quality, context.CreateRandom("advisor-audit"));
            Random patients = context.CreateRandom("advisor-audit-patients");
            var gate = new AdviceGate(problem);
            var x = new double[problem.Dimension];
            var applied = new double[problem.Dimension];
            double sum = 0;
            int n = 0;
            for (int i = 0; i < AuditPatients; i++)
            {
                world.Sampler.Sample(patients, x);
                // The built-in advisors answer synchronously.
                PortAnswer<Advice> answer = advisor.AdviseAsync(new AdviceRequest(problem, (double[])x.Clone())).AsTask().GetAwaiter().GetResult();
                if (!gate.TryApply(answer, x, applied, out int arm, out _, out _))
                {
                    abstained++;
                    continue;
                }
                double eta = world.Truth.OptimalValue(x) - world.Truth.ExpectedReward(arm, applied);
                sum += eta;
                n++;
                max = Math.Max(max, eta);
            }
            means[run] = n > 0 ? sum / n : double.NaN;
        }
        return new AdvisorQuality(spec.ToString(), Stat.Of(means), max, abstained,
            string.Create(CultureInfo.InvariantCulture, $"audit of {AuditPatients} patients per run from the run's own world"));
    }

    /// <summary>The seed's claims, run by run (issue 11 item 3): GLRB sublinear (Theorem 2, per-step regret over the
    /// last fifth at most half of that over steps 51-150); for each LIBRA, a warm start (Theorem 3: lower regret than
    /// GLRB at step 50), flattening queries (Theorem 4: query rate over the last fifth at most half of the first
    /// fifth's), lower final regret than GLRB (Theorem 5, Figs 3/8/10), and lower final regret than the q = 0 control
    /// (the advice is worth something). Claims whose policies did not run, or that need more steps, are left out.</summary>
    /// <param name="result">The study's traces.</param>
    /// <param name="arms">K, the number of arms.</param>
    /// <param name="robust">Under non-compliance, each policy's per-step regret against the seed's robust benchmark
    /// (by name); the regret claims then use it, since regret against the full-compliance optimum is linear by
    /// construction. Null: the traces' regret.</param>
    public static IReadOnlyList<ClaimCheck> CheckClaims(StudyResult result, int arms, IReadOnlyDictionary<string, double[][]>? robust = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var checks = new List<ClaimCheck>();
        double[][] Regret(PolicyTrace p) => robust is not null && robust.TryGetValue(p.Name, out double[][]? r) ? r : p.Regret;
        string against = robust is null ? "" : " (regret vs the robust benchmark)";
        PolicyTrace? glrb = result.Policies.FirstOrDefault(p => p.Name == "GLRB");
        PolicyTrace? control = result.Policies.FirstOrDefault(p => p.Name == RecoursePolicies.ControlDisplay);
        int horizon = result.Policies.Count > 0 ? result.Policies[0].Regret.Min(r => r.Length) : 0;
        int fifth = horizon / 5;
        if (glrb is not null && horizon >= 250)
        {
            double[] ratios = Regret(glrb).Select(r => Rate(r, horizon - fifth, horizon) / Rate(r, 50, 150)).ToArray();
            checks.Add(new ClaimCheck("GLRB's regret is sublinear: per-step regret over the last fifth ≤ ½ × over steps 51-150" + against,
                "Theorem 2; Figs 3a, 8a", ratios.Count(v => v <= 0.5), ratios.Length, "median ratio " + F(Median(ratios))));
        }
        if (glrb is not null)
        {
            double[] least = glrb.Arms.Select(r => (double)Enumerable.Range(0, arms).Min(a => r.Count(x => x == a))).ToArray();
            checks.Add(new ClaimCheck($"GLRB explores every arm: each of the {arms} arms implemented at least 5 times", "Algorithm 1 (optimism)",
                least.Count(v => v >= 5), least.Length, "median fewest pulls of an arm " + F(Median(least))));
        }
        foreach (PolicyTrace libra in result.Policies.Where(p => p.Name.StartsWith("LIBRA", StringComparison.Ordinal) && p.Name != RecoursePolicies.ControlDisplay))
        {
            string who = libra.Name;
            if (glrb is not null && horizon >= 50)
            {
                double[] l = Regret(libra).Select(r => r.Take(50).Sum()).ToArray(), g = Regret(glrb).Select(r => r.Take(50).Sum()).ToArray();
                checks.Add(new ClaimCheck($"{who} has lower cumulative regret than GLRB at step 50 (warm start){against}", "Theorem 3; Fig 3a",
                    l.Zip(g).Count(p => p.First < p.Second), l.Length, $"median {F(Median(l))} vs {F(Median(g))}"));
            }
            if (horizon >= 10 && libra.AdvisorQueries.Any(q => q.Any(b => b)))
            {
                double[] ratios = libra.AdvisorQueries.Select(q =>
                {
                    double first = q.Take(fifth).Count(b => b), last = q.Skip(horizon - fifth).Take(fifth).Count(b => b);
                    return first > 0 ? last / first : (last > 0 ? double.PositiveInfinity : 0);
                }).ToArray();
                checks.Add(new ClaimCheck($"{who}'s queries flatten: queries over the last fifth ≤ ½ × over the first fifth", "Theorem 4; Fig 3b",
                    ratios.Count(v => v <= 0.5), ratios.Length, "median ratio " + F(Median(ratios))));
            }
            if (glrb is not null)
                checks.Add(Final($"{who} ends with lower cumulative regret than GLRB{against}", "Theorem 5; Figs 3a, 8a, 10a", Regret(libra), Regret(glrb)));
            if (control is not null)
                checks.Add(Final($"{who} ends with lower cumulative regret than {RecoursePolicies.ControlDisplay} (the advice is worth something){against}", "§3.2 (i)", Regret(libra), Regret(control)));
        }
        return checks;
    }

    private static ClaimCheck Final(string claim, string source, double[][] a, double[][] b)
    {
        double[] x = a.Select(r => r.Sum()).ToArray(), y = b.Select(r => r.Sum()).ToArray();
        return new ClaimCheck(claim, source, x.Zip(y).Count(p => p.First < p.Second), x.Length, $"median {F(Median(x))} vs {F(Median(y))}");
    }

    // Mean per-step regret over steps [from, to) (0-based).
    private static double Rate(double[] r, int from, int to) => r.Skip(from).Take(to - from).Average();

    private static double Median(double[] values)
    {
        double[] s = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string F(double v) => Tandem.Core.Reports.ReportText.Number(v);
}
