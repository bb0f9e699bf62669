using System.Globalization;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Core.Statistics;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Experiments;

/// <summary>The mean recommended change of each mutable feature per arm of one policy ([arm][feature]; NaN
/// where the arm was never chosen in the window) and how often each arm was chosen.</summary>
public sealed record RecourseTable(string Policy, double[][] Mean, int[] Count);

/// <summary>
/// A LIBRA study's result (seed 000 Figs 3, 4, 5, 8, 10, 11): its summary, per-step curves, the recourse
/// tables, figures and the report body, as the Core report model.
/// </summary>
public sealed class LibraResult : IReportable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly StudyResult _study;
    private readonly RecourseProblem _problem;
    private readonly IReadOnlyList<string> _policyNames;

    /// <summary>Assemble a result; <see cref="LibraExperiment.RunAsync"/> builds it.</summary>
    public LibraResult(LibraSummary summary, StudyResult study, RecourseProblem problem, IReadOnlyList<string> policyNames,
        IReadOnlyList<RecourseTable> recourses, int recourseFromStep)
    {
        LibraSummary = summary ?? throw new ArgumentNullException(nameof(summary));
        _study = study ?? throw new ArgumentNullException(nameof(study));
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        _policyNames = policyNames ?? throw new ArgumentNullException(nameof(policyNames));
        Recourses = recourses ?? throw new ArgumentNullException(nameof(recourses));
        RecourseFromStep = recourseFromStep;
    }

    /// <summary>The summary (the <c>--json</c> object).</summary>
    public LibraSummary LibraSummary { get; }

    /// <inheritdoc />
    public object Summary => LibraSummary;

    /// <summary>The runner's traces.</summary>
    public StudyResult Study => _study;

    /// <summary>Recourse tables of GLRB, LLM-only and LIBRA, in study order.</summary>
    public IReadOnlyList<RecourseTable> Recourses { get; }

    /// <summary>The first step (0-based) of the recourse tables.</summary>
    public int RecourseFromStep { get; }

    /// <summary>This result with the host's model use attached (the summary's <c>llm</c> and <c>llmByAdvisor</c>).</summary>
    public LibraResult WithModelUse(ModelUse? all, IReadOnlyDictionary<string, ModelUse>? byAdvisor = null) =>
        new(LibraSummary with { Llm = all, LlmByAdvisor = byAdvisor }, _study, _problem, _policyNames, Recourses, RecourseFromStep);

    /// <summary>Policies whose recommended recourses are tabulated and drawn (seed Figs 4 and 11): LLM-only,
    /// LIBRA (one per advisor) and GLRB, in the study's order.</summary>
    public static IReadOnlyList<string> RecourseFigurePolicies(IReadOnlyList<string> policyNames)
    {
        ArgumentNullException.ThrowIfNull(policyNames);
        return policyNames.Where(n => n == "GLRB" || (n.StartsWith("LIBRA", StringComparison.Ordinal) && n != RecoursePolicies.ControlDisplay)
            || n.StartsWith("LLM-only", StringComparison.Ordinal)).ToArray();
    }

    /// <inheritdoc />
    public Report ToReport()
    {
        LibraSummary summary = LibraSummary;
        var files = new List<ReportFile>();

        // Each curve once: the summary's regret curve is the mean; sds and query curves are computed here.
        var curves = _study.Policies.Zip(summary.Policies, (trace, policy) =>
        {
            double[][] queries = trace.AdvisorQueries.Select(r => r.Select(q => q ? 1.0 : 0.0).ToArray()).ToArray();
            return (trace.Name, RegretMean: policy.RegretCurve, RegretSd: Curves.SdOfCumulative(trace.Regret),
                QueriesMean: Curves.MeanOfCumulative(queries), QueriesSd: Curves.SdOfCumulative(queries), Asked: queries.Any(r => r.Any(q => q > 0)));
        }).ToArray();

        var curveTable = new List<Curve>();
        foreach (var c in curves)
        {
            curveTable.Add(new Curve(c.Name, "regret_mean", c.RegretMean));
            curveTable.Add(new Curve(c.Name, "regret_sd", c.RegretSd));
            curveTable.Add(new Curve(c.Name, "queries_mean", c.QueriesMean));
        }
        bool robust = summary.Policies.Any(p => p.RobustRegretCurve is not null);
        foreach (PolicySummary p in summary.Policies.Where(p => p.RobustRegretCurve is not null))
            curveTable.Add(new Curve(p.Name, "robust_regret_mean", p.RobustRegretCurve!));
        files.Add(new CurveTable("curves.csv", curveTable));

        string where = summary.Noncompliance == "none" ? summary.Env : $"{summary.Env}, non-compliance {summary.Noncompliance}";
        string fullAxis = summary.Noncompliance == "none" ? "cumulative recourse regret" : "cumulative regret vs full-compliance optimum";
        files.Add(new LineFigure("regret", $"Cumulative recourse regret — {where}", "step t", fullAxis,
            curves.Select(c => new LineSeries(c.Name, c.RegretMean, c.RegretSd)).ToArray()));
        string benchmark = summary.Noncompliance.StartsWith("random", StringComparison.Ordinal) ? "C.1 robust benchmark" : "C.4 max-min benchmark";
        if (robust)
        {
            files.Add(new LineFigure("regret-robust", $"Cumulative regret against the seed's {benchmark} — {where}", "step t",
                $"cumulative regret vs {benchmark}",
                summary.Policies.Where(p => p.RobustRegretCurve is not null).Select(p => new LineSeries(p.Name, p.RobustRegretCurve!)).ToArray()));
        }
        var asking = curves.Where(c => c.Asked).ToArray();
        if (asking.Length > 0)
        {
            files.Add(new LineFigure("queries", $"Cumulative LLM queries — {where}", "step t", "cumulative LLM queries",
                asking.Select(c => new LineSeries(c.Name, c.QueriesMean, c.QueriesSd)).ToArray()));
        }

        string[] mutableNames = _problem.MutableIndices.Select(i => _problem.Features[i].Name).ToArray();
        var recourseRows = new List<IReadOnlyList<object?>>();
        var recourseFigures = new List<(string File, string Caption)>();
        foreach (RecourseTable table in Recourses)
        {
            for (int a = 0; a < _problem.ArmCount; a++)
            {
                var row = new List<object?> { table.Policy, _problem.Treatments[a].Name, table.Count[a] };
                row.AddRange(table.Mean[a].Select(v => (object?)v));
                recourseRows.Add(row);
            }
            if (mutableNames.Length <= 6 && table.Policy != "GLRB")
            {
                string file = "recourse-" + ReportText.Slug(table.Policy);
                string after = RecourseFromStep > 0 ? $", steps {RecourseFromStep + 1}-{summary.Horizon}" : "";
                files.Add(new BarFigure(file, $"Mean recommended recourse by treatment — {table.Policy}{after}",
                    summary.Env == "hypertension" || summary.FittedMutableCoefficients is not null ? "mean change (standard deviations)" : "mean change (feature units)",
                    _problem.Treatments.Select((t, a) => $"{t.Name} (n={table.Count[a]})").ToArray(),
                    mutableNames.Select((name, j) => new BarGroup(name, Enumerable.Range(0, _problem.ArmCount).Select(a => table.Mean[a][j]).ToArray())).ToArray()));
                recourseFigures.Add((file + ".png", $"Mean change of each mutable feature recommended by {table.Policy}{after}, per treatment{(summary.Env switch { "fertility" => " (seed Fig 11)", "hypertension" or "synthetic" => " (seed Fig 4)", _ => "" })}."));
            }
        }
        if (recourseRows.Count > 0)
            files.Add(new RowTable("recourses.csv", ["policy", "treatment", "count", .. mutableNames.Select(n => "mean change " + n)], recourseRows));

        return new Report($"LIBRA / GLRB study — {summary.Env}", summary, files, Body(summary, recourseFigures, asking.Length > 0, recourseRows, mutableNames, robust ? benchmark : null));
    }

    private static List<ReportBlock> Body(LibraSummary summary, List<(string File, string Caption)> recourseFigures, bool hasQueries,
        List<IReadOnlyList<object?>> recourseRows, string[] mutableNames, string? benchmark)
    {
        var body = new List<ReportBlock>
        {
            new ParagraphBlock(
                $"Seed 000 (LIBRA). {summary.Runs} independent runs of {summary.Horizon} steps, seed {summary.Seed}. " +
                $"Recourse budget γ = {F(summary.Gamma)} ({summary.Norm} norm), LIBRA threshold Δ = {F(summary.Delta)}{(summary.SafeGate ? " with the safe gate" : "")}, confidence radius {ReportText.Code(summary.Radius)} (Δ and a constant ρ are in units of the noise scale σ = {F(summary.Sigma)}), " +
                $"ridge λ = {F(summary.Lambda)}, advisor {ReportText.Code(summary.Advisor)}, non-compliance {ReportText.Code(summary.Noncompliance)}, (ORO-Arm) solver {ReportText.Code(summary.Solver)}. " +
                $"Simulation wall time {summary.WallSeconds.ToString("F2", Inv)} s ({summary.StepsPerSecond.ToString("N0", Inv)} decide+learn rounds/s)."),
        };
        string[] advisors = summary.Advisor.Split(", ");
        static bool Simulated(string a) => a == "clinician" || a.StartsWith("simulated", StringComparison.Ordinal);
        if (advisors.All(Simulated))
            body.Add(new ParagraphBlock("The advisor is a **simulation** of a language model (no model was called): " + AdvisorNote(advisors) + "."));
        else if (summary.Llm is not null && advisors.Any(Simulated))
            body.Add(new ParagraphBlock("Beside the language models, simulated advisors: " + AdvisorNote(advisors.Where(Simulated)) + "."));
        if (summary.Llm is { } llm)
        {
            body.Add(new ParagraphBlock($"{(advisors.Length > 1 ? "The advisors are" : "The advisor is")} {ReportText.Code(summary.Advisor)}, asked with the seed's Figure 2 prompt generalized to this environment; every prompt and answer is in the audit log (`audit*.jsonl`). Answers that could not be used fell back to the bandit's own pair (LIBRA) or a random treatment without recourse (LLM-only)."));
            IEnumerable<(string Name, ModelUse Use)> rows = summary.LlmByAdvisor is { } per ? per.Select(kv => (kv.Key, kv.Value)).Append(("all", llm)) : [("all", llm)];
            body.Add(new TableBlock(["model", "calls", "prompt tokens", "completion tokens", "cassette hits", "mean latency (ms)", "fallbacks by reason"],
                rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Use.Calls.ToString(Inv), r.Use.PromptTokens.ToString(Inv), r.Use.CompletionTokens.ToString(Inv), r.Use.CacheHits.ToString(Inv), F(r.Use.MeanLatencyMs),
                  r.Use.Fallbacks.Count == 0 ? "none" : string.Join(", ", r.Use.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"))]).ToArray(),
                "Model use over the whole study (all runs and every advisor-using policy)."));
        }

        body.Add(new HeadingBlock("Summary"));
        bool robust = benchmark is not null;
        bool declines = summary.Policies.Any(p => p.SafeGateDeclines is not null);
        var summaryHeaders = new List<string> { "policy", robust ? "cumulative regret vs full-compliance optimum (mean ± sd)" : "cumulative regret (mean ± sd)" };
        if (robust) summaryHeaders.Add($"cumulative regret vs {benchmark} (mean ± sd)");
        summaryHeaders.Add("LLM queries (mean ± sd)");
        if (declines) summaryHeaders.Add("declined by the safe gate (mean ± sd)");
        summaryHeaders.Add($"mean {summary.RewardLabel} (mean ± sd)");
        body.Add(new TableBlock(summaryHeaders,
            summary.Policies.Select(p =>
            {
                var row = new List<string> { p.Name, Pm(p.CumulativeRegret) };
                if (robust) row.Add(p.RobustCumulativeRegret is { } r ? Pm(r) : "");
                row.Add(Pm(p.LlmQueries));
                if (declines) row.Add(p.SafeGateDeclines is { } d ? Pm(d) : "");
                row.Add(Pm(p.MeanReward));
                return (IReadOnlyList<string>)row;
            }).ToArray(),
            summary.Env == "hypertension"
                ? "The last column is the seed's Table 2 measure, the average SBP drop from 170 mmHg; the seed reports LLM 45.84 ± 0.37, LinUCB 44.45 ± 0.28, GLRB 48.28 ± 2.45, LIBRA 51.14 ± 0.50 on ACCORD data. Ours is a synthetic cohort whose unpublished intercept is derived from the seed's description of the cohort (baseline SBP 170 mmHg), not from Table 2, so its level is not comparable: only differences between policies are (docs/libra-hypertension.md)."
                : null));
        if (robust)
            body.Add(new ParagraphBlock($"Under non-compliance the regret against the full-compliance optimum grows linearly for every policy by construction (no policy can reach that optimum when patients deviate); the second column measures against the benchmark the seed's proofs use ({benchmark}, Appendix C), which a learning policy can approach."));
        if (summary.Advisors is { Count: > 0 } quality)
        {
            body.Add(new HeadingBlock("The advice, measured"));
            body.Add(new TableBlock(["advisor", "mean η per patient (mean ± sd over runs)", "largest η", "no usable advice", "measured by"],
                quality.Select(q => (IReadOnlyList<string>)[q.Advisor, Pm(q.MeanEta), F(q.MaxEta), q.Abstained.ToString(Inv), q.Method]).ToArray(),
                "η = r*(x) − r(advice): how far the advised treatment–recourse pair falls short of the best one (Theorem 3 asks for r(advice) ≥ r* − η at every round)."));
            body.Add(new ParagraphBlock($"What follows from η by construction: LLM-only implements the advice at every step, so its regret is about T × mean η; " +
                $"LIBRA implements it while its confidence width exceeds Δσ = {F(summary.Delta * summary.Sigma)} (reward units), so its early regret is about mean η per query; Theorem 3's guarantee needs Δσ ≥ η at every round, " +
                "which no user can check in advance. LIBRA (q=0) asks a random advisor under the same gate: the gap between LIBRA and it is what the advice itself is worth."));
        }
        if (summary.Claims is { Count: > 0 } claims)
        {
            body.Add(new HeadingBlock("The seed's claims, checked run by run"));
            body.Add(new TableBlock(["claim", "seed", "holds in", "measured"],
                claims.Select(c => (IReadOnlyList<string>)[c.Claim, c.Source, $"{c.Holds} of {c.Runs} runs", c.Measure]).ToArray(),
                "A claim that holds in fewer than 8 of 10 runs does not hold with these defaults; nothing was tuned to make it hold (docs/libra-claims.md)."));
        }

        body.Add(new HeadingBlock("Cumulative recourse regret"));
        body.Add(new FigureBlock("regret.png", $"Mean cumulative recourse regret over {summary.Runs} runs, band ± 1 sd{(robust ? " (seed Fig 5a)" : FigureNumber(summary.Env, "a"))}{(robust ? ", against the full-compliance optimum" : "")}."));
        if (robust)
            body.Add(new FigureBlock("regret-robust.png", $"Mean cumulative regret against the seed's {benchmark} (Appendix C)."));
        if (hasQueries)
        {
            body.Add(new HeadingBlock("LLM queries"));
            body.Add(new FigureBlock("queries.png", $"Mean cumulative number of advisor queries{FigureNumber(summary.Env, "b")}. LIBRA asks only while its confidence width exceeds Δ."));
        }
        if (recourseFigures.Count > 0 || recourseRows.Count > 0)
        {
            body.Add(new HeadingBlock("Recommended recourses"));
            foreach (var (file, caption) in recourseFigures) body.Add(new FigureBlock(file, caption));
            body.Add(new TableBlock(["policy", "treatment", "times chosen", .. mutableNames.Select(n => "mean change " + n)],
                recourseRows.Select(r => (IReadOnlyList<string>)r.Select(v => v switch { double d => F(d), null => "", _ => Convert.ToString(v, Inv) ?? "" }).ToArray()).ToArray()));
        }
        if (summary.FittedMutableCoefficients is { } fitted)
        {
            body.Add(new HeadingBlock("Fitted outcome model (seed Appendix D)"));
            bool seed = fitted.Any(c => c.Seed is not null);
            body.Add(new TableBlock(["treatment", "feature", "coefficient", "standard error", .. seed ? new[] { "seed" } : []],
                fitted.SelectMany(c => c.Features.Select((f, j) => (IReadOnlyList<string>)[c.Treatment, f, F(c.Ours[j]), F(c.StandardErrors[j]),
                    .. seed ? new[] { c.Seed is { } s && s.TryGetValue(f, out double v) ? F(v) : "" } : []])).ToArray(),
                "Per-treatment regression of the outcome on standardised features (intercept first), mean over runs; each run draws its own outcomes when the study simulates them, so ours differ from the seed's single draw."));
        }
        body.Add(new HeadingBlock("Files"));
        body.Add(new ParagraphBlock("`summary.json` (the `--json` object), `curves.csv` (per-step means and sds, one row per policy, step and statistic), `recourses.csv`, figures as PNG and SVG, `manifest.json` (command, seed, versions, commit, wall time)."));
        return body;
    }

    private static string FigureNumber(string env, string panel) => env switch { "hypertension" => " (seed Fig 3" + panel + ")", "synthetic" => " (seed Fig 8" + panel + ")", "fertility" => " (seed Fig 10" + panel + ")", _ => "" };

    private static string AdvisorNote(IEnumerable<string> advisors) => string.Join("; ", advisors.Select(advisor => advisor == "clinician"
        ? "the simulated clinician is a stated model, an input of the study (docs/libra-hypertension.md): by default it raises DietScore by 0.8 and PhyActHours by 1.1 for everyone (the seed's Fig 4a averages) and picks the combination therapy when this visit's SBP is above average, else a beta-blocker; it never reads the truth"
        : $"{ReportText.Code(advisor)} returns with probability q the optimal treatment–recourse pair from the environment's truth, otherwise a random treatment and a random feasible recourse (seed §6)"));

    internal static string F(double v) => ReportText.Number(v);

    internal static string Pm(Stat s) => ReportText.MeanSd(s.Mean, s.Sd);
}

/// <summary>A LIBRA ablation's result (seed 000 Fig 9) as the Core report model.</summary>
public sealed class LibraAblationResult : IReportable
{
    private readonly IReadOnlyList<(string Setting, PolicyTrace Trace)> _traces;

    /// <summary>Assemble a result; <see cref="LibraExperiment.RunAblationAsync"/> builds it.</summary>
    public LibraAblationResult(AblationSummary summary, IReadOnlyList<(string Setting, PolicyTrace Trace)> traces)
    {
        AblationSummary = summary ?? throw new ArgumentNullException(nameof(summary));
        _traces = traces ?? throw new ArgumentNullException(nameof(traces));
    }

    /// <summary>The summary (the <c>--json</c> object).</summary>
    public AblationSummary AblationSummary { get; }

    /// <inheritdoc />
    public object Summary => AblationSummary;

    /// <summary>LIBRA's trace for each setting.</summary>
    public IReadOnlyList<(string Setting, PolicyTrace Trace)> Traces => _traces;

    /// <summary>This result with the host's model use attached.</summary>
    public LibraAblationResult WithModelUse(ModelUse? all) => new(AblationSummary with { Llm = all }, _traces);

    /// <inheritdoc />
    public Report ToReport()
    {
        AblationSummary summary = AblationSummary;
        var table = new List<Curve>();
        foreach (var (setting, trace) in _traces)
        {
            table.Add(new Curve($"LIBRA {setting}", "regret_mean", trace.MeanCumulativeRegretCurve()));
            table.Add(new Curve($"LIBRA {setting}", "queries_mean", trace.MeanCumulativeQueriesCurve()));
        }
        string what = summary.Vary == "delta" ? "threshold Δ" : "advisor quality q";
        ReportFile[] files =
        [
            new CurveTable("curves.csv", table),
            new LineFigure("regret", $"LIBRA cumulative regret by {what} — {summary.Env}", "step t", "cumulative recourse regret",
                // No ± sd bands here: one per setting, they overlapped into one blur (issue 11); the table has the sds.
                _traces.Select(x => new LineSeries("LIBRA " + x.Setting, x.Trace.MeanCumulativeRegretCurve())).ToArray()),
            new LineFigure("queries", $"LIBRA cumulative LLM queries by {what} — {summary.Env}", "step t", "cumulative LLM queries",
                _traces.Select(x => new LineSeries("LIBRA " + x.Setting, x.Trace.MeanCumulativeQueriesCurve())).ToArray()),
        ];
        ReportBlock[] body =
        [
            new ParagraphBlock($"Seed 000 Fig 9. {summary.Runs} runs of {summary.Horizon} steps per setting, seed {summary.Seed}; simulation wall time {summary.WallSeconds.ToString("F2", CultureInfo.InvariantCulture)} s."),
            new TableBlock([summary.Vary == "delta" ? "Δ" : "q", "cumulative regret (mean ± sd)", "LLM queries (mean ± sd)"],
                summary.Series.Select(s => (IReadOnlyList<string>)[LibraResult.F(s.Value), LibraResult.Pm(s.CumulativeRegret), LibraResult.Pm(s.LlmQueries)]).ToArray()),
            new FigureBlock("regret.png", $"LIBRA's mean cumulative recourse regret for each {what} (the table gives the sd over runs)."),
            new FigureBlock("queries.png", $"LIBRA's mean cumulative LLM queries for each {what}."),
        ];
        return new Report($"LIBRA ablation over the {what} — {summary.Env}", summary, files, body);
    }
}
