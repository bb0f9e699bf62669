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
        return policyNames.Where(n => n == "GLRB" || n.StartsWith("LIBRA", StringComparison.Ordinal) || n.StartsWith("LLM-only", StringComparison.Ordinal)).ToArray();
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

        var headers = new List<string> { "step" };
        var columns = new List<IReadOnlyList<double>> { Enumerable.Range(1, summary.Horizon).Select(t => (double)t).ToArray() };
        foreach (var c in curves)
        {
            headers.Add($"{c.Name} regret mean");
            columns.Add(c.RegretMean);
            headers.Add($"{c.Name} regret sd");
            columns.Add(c.RegretSd);
            headers.Add($"{c.Name} queries mean");
            columns.Add(c.QueriesMean);
        }
        files.Add(new ColumnTable("curves.csv", headers, columns));

        string where = summary.Noncompliance == "none" ? summary.Env : $"{summary.Env}, non-compliance {summary.Noncompliance}";
        files.Add(new LineFigure("regret", $"Cumulative recourse regret — {where}", "step t", "cumulative recourse regret",
            curves.Select(c => new LineSeries(c.Name, c.RegretMean, c.RegretSd)).ToArray()));
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
                    summary.Env == "hypertension" ? "mean change (standard deviations)" : "mean change (feature units)",
                    _problem.Treatments.Select((t, a) => $"{t.Name} (n={table.Count[a]})").ToArray(),
                    mutableNames.Select((name, j) => new BarGroup(name, Enumerable.Range(0, _problem.ArmCount).Select(a => table.Mean[a][j]).ToArray())).ToArray()));
                recourseFigures.Add((file + ".png", $"Mean change of each mutable feature recommended by {table.Policy}{after}, per treatment (seed Fig {(summary.Env == "fertility" ? "11" : "4")})."));
            }
        }
        if (recourseRows.Count > 0)
            files.Add(new RowTable("recourses.csv", ["policy", "treatment", "count", .. mutableNames.Select(n => "mean change " + n)], recourseRows));

        return new Report($"LIBRA / GLRB study — {summary.Env}", summary, files, Body(summary, recourseFigures, asking.Length > 0, recourseRows, mutableNames));
    }

    private static List<ReportBlock> Body(LibraSummary summary, List<(string File, string Caption)> recourseFigures, bool hasQueries,
        List<IReadOnlyList<object?>> recourseRows, string[] mutableNames)
    {
        var body = new List<ReportBlock>
        {
            new ParagraphBlock(
                $"Seed 000 (LIBRA). {summary.Runs} independent runs of {summary.Horizon} steps, seed {summary.Seed}. " +
                $"Recourse budget γ = {F(summary.Gamma)} ({summary.Norm} norm), LIBRA threshold Δ = {F(summary.Delta)}, confidence radius ρ = {F(summary.Rho)}, " +
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
        body.Add(new TableBlock(
            ["policy", "cumulative regret (mean ± sd)", "LLM queries (mean ± sd)", $"mean {summary.RewardLabel} (mean ± sd)"],
            summary.Policies.Select(p => (IReadOnlyList<string>)[p.Name, Pm(p.CumulativeRegret), Pm(p.LlmQueries), Pm(p.MeanReward)]).ToArray(),
            summary.Env == "hypertension" ? "The last column is the seed's Table 2 measure, the average SBP drop from 170 mmHg; the seed reports LLM 45.84 ± 0.37, LinUCB 44.45 ± 0.28, GLRB 48.28 ± 2.45, LIBRA 51.14 ± 0.50 on ACCORD data (ours: a calibrated synthetic cohort, not tuned toward these numbers)." : null));

        body.Add(new HeadingBlock("Cumulative recourse regret"));
        body.Add(new FigureBlock("regret.png", $"Mean cumulative recourse regret over {summary.Runs} runs, band ± 1 sd (seed Fig {FigureNumber(summary.Env)}a)."));
        if (hasQueries)
        {
            body.Add(new HeadingBlock("LLM queries"));
            body.Add(new FigureBlock("queries.png", $"Mean cumulative number of advisor queries (seed Fig {FigureNumber(summary.Env)}b). LIBRA asks only while its confidence width exceeds Δ."));
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
            body.Add(new HeadingBlock("Fitted mutable coefficients (fertility)"));
            body.Add(new TableBlock(["treatment", .. fitted[0].Features.Select(f => f + " (ours)"), .. fitted[0].Features.Select(f => f + " (seed)")],
                fitted.Select(c => (IReadOnlyList<string>)[c.Treatment, .. c.Ours.Select(F), .. c.Seed.Select(F)]).ToArray(),
                "Mean over runs of the per-arm regression coefficients of the mutable features; each run draws its own outcomes, so ours differ from the seed's single draw."));
        }
        body.Add(new HeadingBlock("Files"));
        body.Add(new ParagraphBlock("`summary.json` (the `--json` object), `curves.csv` (per-step means and sds), `recourses.csv`, figures as PNG and SVG, `manifest.json` (command, seed, versions, commit, wall time)."));
        return body;
    }

    private static string FigureNumber(string env) => env switch { "hypertension" => "3", "synthetic" => "8", "fertility" => "10", _ => "?" };

    private static string AdvisorNote(IEnumerable<string> advisors) => string.Join("; ", advisors.Select(advisor => advisor == "clinician"
        ? "the simulated clinician of seed Fig 4a raises DietScore by 0.8 and PhyActHours by 1.1 for everyone and picks the combination therapy when this visit's SBP is above average, else a beta-blocker"
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
        var headers = new List<string> { "step" };
        var columns = new List<IReadOnlyList<double>> { Enumerable.Range(1, summary.Horizon).Select(t => (double)t).ToArray() };
        foreach (var (setting, trace) in _traces)
        {
            headers.Add($"LIBRA {setting} regret mean");
            columns.Add(trace.MeanCumulativeRegretCurve());
            headers.Add($"LIBRA {setting} queries mean");
            columns.Add(trace.MeanCumulativeQueriesCurve());
        }
        string what = summary.Vary == "delta" ? "threshold Δ" : "advisor quality q";
        ReportFile[] files =
        [
            new ColumnTable("curves.csv", headers, columns),
            new LineFigure("regret", $"LIBRA cumulative regret by {what} — {summary.Env}", "step t", "cumulative recourse regret",
                _traces.Select(x => new LineSeries("LIBRA " + x.Setting, x.Trace.MeanCumulativeRegretCurve(), Curves.SdOfCumulative(x.Trace.Regret))).ToArray()),
            new LineFigure("queries", $"LIBRA cumulative LLM queries by {what} — {summary.Env}", "step t", "cumulative LLM queries",
                _traces.Select(x => new LineSeries("LIBRA " + x.Setting, x.Trace.MeanCumulativeQueriesCurve())).ToArray()),
        ];
        ReportBlock[] body =
        [
            new ParagraphBlock($"Seed 000 Fig 9. {summary.Runs} runs of {summary.Horizon} steps per setting, seed {summary.Seed}; simulation wall time {summary.WallSeconds.ToString("F2", CultureInfo.InvariantCulture)} s."),
            new TableBlock([summary.Vary == "delta" ? "Δ" : "q", "cumulative regret (mean ± sd)", "LLM queries (mean ± sd)"],
                summary.Series.Select(s => (IReadOnlyList<string>)[LibraResult.F(s.Value), LibraResult.Pm(s.CumulativeRegret), LibraResult.Pm(s.LlmQueries)]).ToArray()),
            new FigureBlock("regret.png", $"LIBRA's mean cumulative recourse regret for each {what} (band ± 1 sd)."),
            new FigureBlock("queries.png", $"LIBRA's mean cumulative LLM queries for each {what}."),
        ];
        return new Report($"LIBRA ablation over the {what} — {summary.Env}", summary, files, body);
    }
}
