using System.Globalization;
using Tandem.Core.Running;
using Tandem.Core.Statistics;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;
using Tandem.Reporting;

using Tandem.Cli.Llm;

namespace Tandem.Cli.Libra;

/// <summary>Writes a LIBRA study's files: summary.json, curves.csv, recourses.csv, figures (PNG + SVG)
/// in the style of the seed's Fig 3, 4, 5, 8, 9, 10, 11, and report.html.</summary>
public static class LibraOutputs
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Write every file of a study into <paramref name="outDir"/>.</summary>
    public static void WriteStudy(string outDir, LibraSummary summary, StudyResult result, LibraStudyPlan plan, RecourseRecorder recorder, int recourseFromStep)
    {
        JsonOutput.Write(Path.Combine(outDir, "summary.json"), summary);

        // Each curve once: the summary's regret curve is the mean; sds and query curves are computed here.
        var curves = result.Policies.Zip(summary.Policies, (trace, policy) =>
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
        CsvTables.WriteColumns(Path.Combine(outDir, "curves.csv"), headers, columns);

        string where = Describe(summary);
        Figures.Line(Path.Combine(outDir, "regret"), $"Cumulative recourse regret — {where}", "step t", "cumulative recourse regret",
            curves.Select(c => new Series(c.Name, c.RegretMean, c.RegretSd)).ToArray());
        var asking = curves.Where(c => c.Asked).ToArray();
        if (asking.Length > 0)
        {
            Figures.Line(Path.Combine(outDir, "queries"), $"Cumulative LLM queries — {where}", "step t", "cumulative LLM queries",
                asking.Select(c => new Series(c.Name, c.QueriesMean, c.QueriesSd)).ToArray());
        }

        RecourseProblem problem = plan.Problem;
        string[] mutableNames = problem.MutableIndices.Select(i => problem.Features[i].Name).ToArray();
        var recourseRows = new List<IReadOnlyList<object?>>();
        var recourseFigures = new List<(string File, string Caption)>();
        foreach (string policy in RecourseFigurePolicies(plan.PolicyNames))
        {
            if (!summary.Policies.Any(p => p.Name == policy)) continue;
            (double[][] mean, int[] count) = recorder.MeanChangeByArm(policy);
            for (int a = 0; a < problem.ArmCount; a++)
            {
                var row = new List<object?> { policy, problem.Treatments[a].Name, count[a] };
                row.AddRange(mean[a].Select(v => (object?)v));
                recourseRows.Add(row);
            }
            if (mutableNames.Length <= 6 && policy != "GLRB")
            {
                string file = "recourse-" + Slug(policy);
                string after = recourseFromStep > 0 ? $", steps {recourseFromStep + 1}-{summary.Horizon}" : "";
                Figures.Bars(Path.Combine(outDir, file), $"Mean recommended recourse by treatment — {policy}{after}", summary.Env == "hypertension" ? "mean change (standard deviations)" : "mean change (feature units)",
                    problem.Treatments.Select((t, a) => $"{t.Name} (n={count[a]})").ToArray(),
                    mutableNames.Select((name, j) => new BarSeries(name, Enumerable.Range(0, problem.ArmCount).Select(a => mean[a][j]).ToArray())).ToArray());
                recourseFigures.Add((file + ".png", $"Mean change of each mutable feature recommended by {policy}{after}, per treatment (seed Fig {(summary.Env == "fertility" ? "11" : "4")})."));
            }
        }
        if (recourseRows.Count > 0)
            CsvTables.WriteRows(Path.Combine(outDir, "recourses.csv"), ["policy", "treatment", "count", .. mutableNames.Select(n => "mean change " + n)], recourseRows);

        WriteReport(outDir, summary, plan, recourseFigures, asking.Length > 0, recourseRows, mutableNames);
    }

    private static void WriteReport(string outDir, LibraSummary summary, LibraStudyPlan plan, List<(string File, string Caption)> recourseFigures,
        bool hasQueries, List<IReadOnlyList<object?>> recourseRows, string[] mutableNames)
    {
        var report = new HtmlReport($"LIBRA / GLRB study — {summary.Env}");
        report.AddParagraph(
            $"Seed 000 (LIBRA). {summary.Runs} independent runs of {summary.Horizon} steps, seed {summary.Seed}. " +
            $"Recourse budget γ = {F(summary.Gamma)} ({summary.Norm} norm), LIBRA threshold Δ = {F(summary.Delta)}, confidence radius ρ = {F(summary.Rho)}, " +
            $"ridge λ = {F(summary.Lambda)}, advisor `{summary.Advisor}`, non-compliance `{summary.Noncompliance}`, (ORO-Arm) solver `{summary.Solver}`. " +
            $"Simulation wall time {summary.WallSeconds:F2} s ({summary.StepsPerSecond:N0} decide+learn rounds/s).");
        bool simulatedOnly = summary.Advisor.Split(", ").All(a => a == "clinician" || a.StartsWith("simulated", StringComparison.Ordinal));
        if (simulatedOnly)
            report.AddParagraph("The advisor is a **simulation** of a language model (no model was called): " + AdvisorNote(summary.Advisor) + ".");
        else if (summary.Llm is not null && summary.Advisor.Split(", ").Any(a => a == "clinician" || a.StartsWith("simulated", StringComparison.Ordinal)))
            report.AddParagraph("Beside the language models, simulated advisors: " + AdvisorNote(string.Join(", ", summary.Advisor.Split(", ").Where(a => a == "clinician" || a.StartsWith("simulated", StringComparison.Ordinal)))) + ".");
        if (summary.Llm is { } llm)
        {
            report.AddParagraph($"{(summary.Advisor.Contains(", ", StringComparison.Ordinal) ? "The advisors are" : "The advisor is")} `{summary.Advisor}`, asked with the seed's Figure 2 prompt generalized to this environment; every prompt and answer is in the audit log (`audit*.jsonl`). Answers that could not be used fell back to the bandit's own pair (LIBRA) or a random treatment without recourse (LLM-only).");
            IEnumerable<(string Name, LlmSummary Use)> rows = summary.LlmByAdvisor is { } per ? per.Select(kv => (kv.Key, kv.Value)).Append(("all", llm)) : [("all", llm)];
            report.AddTable(["model", "calls", "prompt tokens", "completion tokens", "cassette hits", "mean latency (ms)", "fallbacks by reason"],
                rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Use.Calls.ToString(Inv), r.Use.PromptTokens.ToString(Inv), r.Use.CompletionTokens.ToString(Inv), r.Use.CacheHits.ToString(Inv), F(r.Use.MeanLatencyMs),
                  r.Use.Fallbacks.Count == 0 ? "none" : string.Join(", ", r.Use.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"))]),
                "Model use over the whole study (all runs and every advisor-using policy).");
        }

        report.AddHeading("Summary", 2);
        report.AddTable(
            ["policy", "cumulative regret (mean ± sd)", "LLM queries (mean ± sd)", $"mean {summary.RewardLabel} (mean ± sd)"],
            summary.Policies.Select(p => (IReadOnlyList<string>)[p.Name, Pm(p.CumulativeRegret), Pm(p.LlmQueries), Pm(p.MeanReward)]),
            summary.Env == "hypertension" ? "The last column is the seed's Table 2 measure, the average SBP drop from 170 mmHg; the seed reports LLM 45.84 ± 0.37, LinUCB 44.45 ± 0.28, GLRB 48.28 ± 2.45, LIBRA 51.14 ± 0.50 on ACCORD data (ours: a calibrated synthetic cohort, not tuned toward these numbers)." : null);

        report.AddHeading("Cumulative recourse regret", 2);
        report.AddFigure("regret.png", $"Mean cumulative recourse regret over {summary.Runs} runs, band ± 1 sd (seed Fig {FigureNumber(summary.Env)}a).");
        if (hasQueries)
        {
            report.AddHeading("LLM queries", 2);
            report.AddFigure("queries.png", $"Mean cumulative number of advisor queries (seed Fig {FigureNumber(summary.Env)}b). LIBRA asks only while its confidence width exceeds Δ.");
        }
        if (recourseFigures.Count > 0 || recourseRows.Count > 0)
        {
            report.AddHeading("Recommended recourses", 2);
            foreach (var (file, caption) in recourseFigures) report.AddFigure(file, caption);
            report.AddTable(["policy", "treatment", "times chosen", .. mutableNames.Select(n => "mean change " + n)],
                recourseRows.Select(r => (IReadOnlyList<string>)r.Select(v => v switch { double d => F(d), null => "", _ => v.ToString() ?? "" }).ToArray()));
        }
        if (summary.FittedMutableCoefficients is { } fitted)
        {
            report.AddHeading("Fitted mutable coefficients (fertility)", 2);
            report.AddTable(["treatment", .. fitted[0].Features.Select(f => f + " (ours)"), .. fitted[0].Features.Select(f => f + " (seed)")],
                fitted.Select(c => (IReadOnlyList<string>)[c.Treatment, .. c.Ours.Select(F), .. c.Seed.Select(F)]),
                "Mean over runs of the per-arm regression coefficients of the mutable features; each run draws its own outcomes, so ours differ from the seed's single draw.");
        }
        report.AddHeading("Files", 2);
        report.AddParagraph("`summary.json` (the `--json` object), `curves.csv` (per-step means and sds), `recourses.csv`, figures as PNG and SVG, `manifest.json` (command, seed, versions, commit, wall time).");
        report.Save(Path.Combine(outDir, "report.html"));
    }

    /// <summary>Write the files of an ablation.</summary>
    public static void WriteAblation(string outDir, AblationSummary summary, IReadOnlyList<(string Setting, PolicyTrace Trace)> traces)
    {
        JsonOutput.Write(Path.Combine(outDir, "summary.json"), summary);
        var headers = new List<string> { "step" };
        var columns = new List<IReadOnlyList<double>> { Enumerable.Range(1, summary.Horizon).Select(t => (double)t).ToArray() };
        foreach (var (setting, trace) in traces)
        {
            headers.Add($"LIBRA {setting} regret mean");
            columns.Add(trace.MeanCumulativeRegretCurve());
            headers.Add($"LIBRA {setting} queries mean");
            columns.Add(trace.MeanCumulativeQueriesCurve());
        }
        CsvTables.WriteColumns(Path.Combine(outDir, "curves.csv"), headers, columns);
        string what = summary.Vary == "delta" ? "threshold Δ" : "advisor quality q";
        Figures.Line(Path.Combine(outDir, "regret"), $"LIBRA cumulative regret by {what} — {summary.Env}", "step t", "cumulative recourse regret",
            traces.Select(x => new Series("LIBRA " + x.Setting, x.Trace.MeanCumulativeRegretCurve(), Curves.SdOfCumulative(x.Trace.Regret))).ToArray());
        Figures.Line(Path.Combine(outDir, "queries"), $"LIBRA cumulative LLM queries by {what} — {summary.Env}", "step t", "cumulative LLM queries",
            traces.Select(x => new Series("LIBRA " + x.Setting, x.Trace.MeanCumulativeQueriesCurve())).ToArray());

        var report = new HtmlReport($"LIBRA ablation over the {what} — {summary.Env}");
        report.AddParagraph($"Seed 000 Fig 9. {summary.Runs} runs of {summary.Horizon} steps per setting, seed {summary.Seed}; simulation wall time {summary.WallSeconds:F2} s.");
        report.AddTable([summary.Vary == "delta" ? "Δ" : "q", "cumulative regret (mean ± sd)", "LLM queries (mean ± sd)"],
            summary.Series.Select(s => (IReadOnlyList<string>)[F(s.Value), Pm(s.CumulativeRegret), Pm(s.LlmQueries)]));
        report.AddFigure("regret.png", $"LIBRA's mean cumulative recourse regret for each {what} (band ± 1 sd).");
        report.AddFigure("queries.png", $"LIBRA's mean cumulative LLM queries for each {what}.");
        report.Save(Path.Combine(outDir, "report.html"));
    }

    private static string Describe(LibraSummary s) =>
        s.Noncompliance == "none" ? s.Env : $"{s.Env}, non-compliance {s.Noncompliance}";

    private static string FigureNumber(string env) => env switch { "hypertension" => "3", "synthetic" => "8", "fertility" => "10", _ => "?" };

    private static string AdvisorNote(string advisors) => string.Join("; ", advisors.Split(", ").Select(advisor => advisor == "clinician"
        ? "the simulated clinician of seed Fig 4a raises DietScore by 0.8 and PhyActHours by 1.1 for everyone and picks the combination therapy when this visit's SBP is above average, else a beta-blocker"
        : $"`{advisor}` returns with probability q the optimal treatment–recourse pair from the environment's truth, otherwise a random treatment and a random feasible recourse (seed §6)"));

    /// <summary>Policies whose recommended recourses are tabulated and drawn (seed Figs 4 and 11): LLM-only,
    /// LIBRA (one per advisor) and GLRB, in the study's order.</summary>
    public static IReadOnlyList<string> RecourseFigurePolicies(IReadOnlyList<string> policyNames) =>
        policyNames.Where(n => n == "GLRB" || n.StartsWith("LIBRA", StringComparison.Ordinal) || n.StartsWith("LLM-only", StringComparison.Ordinal)).ToArray();

    /// <summary>A file-name-safe slug of a policy name, e.g. "libra-openai-gpt-4o-mini".</summary>
    internal static string Slug(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '-').ToArray();
        return string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }

    internal static string F(double v) => double.IsFinite(v) ? v.ToString("0.###", Inv) : "—";

    internal static string Pm(Stat s) => $"{s.Mean.ToString("0.00", Inv)} ± {s.Sd.ToString("0.00", Inv)}";
}
