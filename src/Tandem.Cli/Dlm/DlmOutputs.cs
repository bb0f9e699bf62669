using System.Globalization;
using System.Text;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Metrics;
using Tandem.Reporting;

namespace Tandem.Cli.Dlm;

/// <summary>Writes a DLM study's files: summary.json, table4.csv, returns.csv, mnr.png/.svg (per-task MNR bars with
/// error bars), rewards.md (chosen rewards with their distribution strings, Appendix L style), report.html.</summary>
public static class DlmOutputs
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Methods shown in Table 4 (Random is 0 and Base is 1 by construction).</summary>
    public static IReadOnlyList<string> TableMethods { get; } = [DlmMethods.Base, DlmMethods.NoAction, DlmMethods.Default, DlmMethods.NoReflection, DlmMethods.Reflection];

    /// <summary>The JSON summary of a result.</summary>
    public static DlmSummary Summarize(DlmExperimentResult r, string planner)
    {
        DlmExperimentOptions o = r.Options;
        var tasks = r.Tasks.Select(t => new DlmTaskSummary(
            t.Task.Index,
            t.Task.Label,
            DlmMethods.All.ToDictionary(m => m, m => t.Returns[m].Average()),
            DlmMethods.All.ToDictionary(m => m, t.MnrOf),
            new DlmPValues(
                t.PValue(DlmMethods.Reflection, DlmMethods.Default),
                t.PValue(DlmMethods.NoReflection, DlmMethods.Default),
                t.PValue(DlmMethods.Reflection, DlmMethods.NoReflection)),
            t.Precision,
            t.Recall,
            t.LogicRecall,
            t.Selected.Count > 0 ? t.Selected[0] : null)).ToArray();
        return new DlmSummary("dlm", o.Seeds, o.Seed, o.Arms, o.Budget, planner, r.Designer, r.Wall.TotalSeconds, o.Stages, o.Candidates, o.Trials, o.Steps, o.Discount,
            r.NonIndexableArms, r.Refusals, tasks, new DlmAverage(DlmMethods.All.ToDictionary(m => m, r.AverageMnr)));
    }

    /// <summary>Read the summary.json of another `tandem dlm` output folder (for <c>--compare</c>); a missing or
    /// unreadable file is bad input.</summary>
    public static DlmSummary LoadSummary(string folder)
    {
        string path = Path.Combine(folder, "summary.json");
        try
        {
            return JsonOutput.Deserialize<DlmSummary>(File.ReadAllText(path)) ?? throw new UsageException($"--compare '{folder}': summary.json is empty.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or NotSupportedException)
        {
            throw new UsageException($"--compare '{folder}' has no readable summary.json of tandem dlm: {ex.Message}");
        }
    }

    /// <summary>Write every file into <paramref name="outDir"/>; with <paramref name="compare"/> (another run, e.g. the
    /// other planner on the same seeds) the report also sets the two Table 4s side by side.</summary>
    public static void Write(string outDir, DlmSummary summary, DlmExperimentResult result, DlmSummary? compare = null)
    {
        JsonOutput.Write(Path.Combine(outDir, "summary.json"), summary);
        CsvTables.WriteRows(Path.Combine(outDir, "table4.csv"),
            ["index", "label", .. TableMethods.SelectMany(m => new[] { m + " iqm", m + " se", m + " mean" }), "p reflection>default", "p no-reflection>default", "p reflection>no-reflection", "precision", "recall", "logic recall"],
            summary.Tasks.Select(t => (IReadOnlyList<object?>)[t.Index, t.Label, .. TableMethods.SelectMany(m => new object?[] { t.Mnr[m].Iqm, t.Mnr[m].Se, t.Mnr[m].Mean }),
                t.PValues.ReflectionVsDefault, t.PValues.NoReflectionVsDefault, t.PValues.ReflectionVsNoReflection, t.Precision, t.Recall, t.LogicRecall])
            .Append(["avg", "Average", .. TableMethods.SelectMany(m => new object?[] { summary.Average.Mnr[m].Iqm, summary.Average.Mnr[m].Se, summary.Average.Mnr[m].Mean }), null, null, null, null, null, null]));
        CsvTables.WriteRows(Path.Combine(outDir, "returns.csv"), ["task", "seed", "method", "return", "mnr"],
            result.Tasks.SelectMany(t => DlmMethods.All.SelectMany(m => t.Returns[m].Select((v, s) => (IReadOnlyList<object?>)[t.Task.Index, s, m, v, t.Mnr[m][s]]))));

        string[] shown = [DlmMethods.NoAction, DlmMethods.Default, DlmMethods.NoReflection, DlmMethods.Reflection];
        Figures.Bars(Path.Combine(outDir, "mnr"), $"Mean normalized reward by task ({summary.Seeds} seeds, IQM ± SE)", "MNR (Random = 0, Base = 1)",
            [.. summary.Tasks.Select(t => t.Index.ToString(Inv)), "avg"],
            shown.Select(m => new BarSeries(Display(m),
                [.. summary.Tasks.Select(t => t.Mnr[m].Iqm), summary.Average.Mnr[m].Iqm],
                [.. summary.Tasks.Select(t => t.Mnr[m].Se), summary.Average.Mnr[m].Se])).ToArray(),
            new FigureOptions(Width: 1400, Height: 600, XLabel: "task index (seed 001 Table 3)", Legend: LegendPosition.LowerRight));

        string rewards = RewardsMarkdown(result);
        File.WriteAllText(Path.Combine(outDir, "rewards.md"), rewards);
        WriteReport(outDir, summary, result, compare);
    }

    private static string Display(string method) => method == DlmMethods.NoAction ? "No Action" : method;

    /// <summary>Chosen rewards and distribution strings of each task's first seed (Appendix L).</summary>
    public static string RewardsMarkdown(DlmExperimentResult result)
    {
        var sb = new StringBuilder("# Chosen rewards and state-feature distributions (first seed)\n\n");
        foreach (DlmTaskResult t in result.Tasks)
        {
            sb.Append($"## Task {t.Task.Index}: {t.Task.Label}\n\nPrompt: {t.Task.Prompt}\n\nBase: `{t.Task.Base}`\n\n");
            foreach (StageRecord st in t.Example.Stages)
            {
                sb.Append($"### Stage {st.Stage + 1}\n\n");
                for (int k = 0; k < st.Candidates.Count; k++)
                {
                    CandidateRecord c = st.Candidates[k];
                    foreach (RefusedAttempt a in c.Refusals) sb.Append($"- refused `{a.Expression}`: {a.Refusal}\n");
                    if (c.Expression is null) { sb.Append($"- candidate {k}: no valid expression\n"); continue; }
                    sb.Append($"- candidate {k}{(k == st.Selected ? " (selected)" : "")}: `{c.Expression}`\n\n```\n{c.Distribution!.ToText()}\n```\n");
                }
                if (st.Note is not null) sb.Append($"\nNote: {st.Note}\n");
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    private static void WriteReport(string outDir, DlmSummary s, DlmExperimentResult result, DlmSummary? compare)
    {
        var report = new HtmlReport("Tandem — DLM: language-designed rewards for restless bandits");
        report.AddHeading("DLM: language-designed rewards (seed 001)", 1);
        report.AddParagraph($"{s.Tasks.Count} tasks × {s.Seeds} seeds (seed {s.Seed}); {s.Arms} arms, budget {s.Budget}; planner {s.Planner}; " +
            $"designer `{s.Designer}`; {s.Stages} stages × {s.Candidates} candidates; evaluation {s.Trials} trials × {s.Steps} steps, discount {F(s.Discount)}. " +
            $"Wall time {s.WallSeconds:F1} s. Non-indexable arms over all plans: {s.NonIndexableArms}. Refused proposals: {s.Refusals}.");
        if (s.Designer == "simulated")
            report.AddParagraph("The designer is a **simulation** of a language model (no model was called): it reads each task's true feature set and corrupts it to about the seed's zero-shot precision 0.6 and recall 0.75 (Table 1), and its reflector favours the candidate whose state-feature distribution gives the target features the largest share with probability 0.8. The cohort is Tandem's ARMMAN-like generator (docs/dlm-cohort.md), not ARMMAN's data.");
        if (s.Llm is { } llm)
        {
            report.AddParagraph($"The designer and reflector are the language model `{s.Designer}`, asked with Tandem's prompts after the authors' (docs/dlm-llm.md); every prompt and answer is in `audit.jsonl`. Unusable answers were retried with their reason (up to 10 times per candidate); an unusable selection kept candidate 0.");
            report.AddTable(["calls", "prompt tokens", "completion tokens", "cassette hits", "mean latency (ms)", "fallbacks by reason"],
                [[llm.Calls.ToString(Inv), llm.PromptTokens.ToString(Inv), llm.CompletionTokens.ToString(Inv), llm.CacheHits.ToString(Inv), F(llm.MeanLatencyMs),
                  llm.Fallbacks.Count == 0 ? "none" : string.Join(", ", llm.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"))]],
                "Model use over the whole study.");
        }
        report.AddHeading("Mean normalized reward (Table 4)", 2);
        report.AddTable(["idx", "label", .. TableMethods.Select(Display)],
            s.Tasks.Select(t => (IReadOnlyList<string>)[t.Index.ToString(Inv), t.Label, .. TableMethods.Select(m => Pm(t.Mnr[m]))])
                .Append(["avg", "Average MNR", .. TableMethods.Select(m => Pm(s.Average.Mnr[m]))]),
            "Interquartile mean ± standard error over seeds (Average: pooled over tasks and seeds). The seed reports averages Base 1.00, No Action −0.06, Default 0.57, DLM (No Reflection) 0.85, DLM (Reflection) 0.92 (Gemini Pro on ARMMAN data).");
        report.AddFigure("mnr.png", "IQM of the MNR per task with ± 1 SE error bars; Random is 0 and Base is 1 by definition.");
        if (compare is not null) AddSideBySide(report, s, compare);
        report.AddHeading("Statistical tests (Table 5) and feature extraction (Table 1)", 2);
        report.AddTable(["idx", "label", "p: Refl > Default", "p: No Refl > Default", "p: Refl > No Refl", "precision", "recall", "logic recall"],
            s.Tasks.Select(t => (IReadOnlyList<string>)[t.Index.ToString(Inv), t.Label, P(t.PValues.ReflectionVsDefault), P(t.PValues.NoReflectionVsDefault),
                P(t.PValues.ReflectionVsNoReflection), F(t.Precision), F(t.Recall), F(t.LogicRecall)]),
            "One-sided Welch t-tests on the per-seed MNRs. Precision and recall of the features used by zero-shot candidates against the Base reward's features (seed Table 1: about 0.6 and 0.75). Logic recall (Appendix H, our arm-level reading): the share of the arms the Base reward favours that a zero-shot candidate ranks in its top places; undefined (—) when no arm of a seed is in the target group.");
        report.AddHeading("Chosen rewards (Appendix L)", 2);
        foreach (DlmTaskResult t in result.Tasks)
        {
            StageRecord? last = t.Example.Stages.LastOrDefault(st => st.Selected >= 0);
            if (last is null) continue;
            CandidateRecord c = last.Candidates[last.Selected];
            report.AddParagraph($"**Task {t.Task.Index} — {t.Task.Label}.** Base `{t.Task.Base}`; selected (first seed) `{c.Expression}`:");
            report.AddCode(c.Distribution!.ToText());
        }
        report.AddParagraph("Every stage's candidates, refusals and distributions are in `rewards.md`.");
        report.AddHeading("Files", 2);
        report.AddParagraph("`summary.json` (the `--json` object), `table4.csv`, `returns.csv` (per task, seed and method), `mnr.png`/`mnr.svg`, `rewards.md`, `manifest.json`.");
        report.Save(Path.Combine(outDir, "report.html"));
    }

    // Table 4 of this run and of another (typically the other planner with the same seeds), column by column.
    private static void AddSideBySide(HtmlReport report, DlmSummary s, DlmSummary other)
    {
        string[] methods = [DlmMethods.NoAction, DlmMethods.Default, DlmMethods.NoReflection, DlmMethods.Reflection];
        var rows = new List<IReadOnlyList<string>>();
        foreach (DlmTaskSummary t in s.Tasks)
        {
            DlmTaskSummary? o = other.Tasks.FirstOrDefault(x => x.Index == t.Index);
            if (o is null) continue;
            rows.Add([t.Index.ToString(Inv), t.Label, .. methods.SelectMany(m => new[] { Pm(t.Mnr[m]), o.Mnr.TryGetValue(m, out Aggregate a) ? Pm(a) : "—" })]);
        }
        rows.Add(["avg", "Average MNR", .. methods.SelectMany(m => new[] { Pm(s.Average.Mnr[m]), other.Average.Mnr.TryGetValue(m, out Aggregate a) ? Pm(a) : "—" })]);
        report.AddHeading($"Table 4 side by side: planner {s.Planner} and planner {other.Planner}", 2);
        report.AddTable(["idx", "label", .. methods.SelectMany(m => new[] { $"{Display(m)} ({s.Planner})", $"{Display(m)} ({other.Planner})" })], rows,
            $"MNR interquartile mean ± SE; this run: {s.Tasks.Count} tasks × {s.Seeds} seeds (seed {s.Seed}), designer `{s.Designer}`; compared run: {other.Tasks.Count} tasks × {other.Seeds} seeds (seed {other.Seed}), designer `{other.Designer}`. Each planner normalizes by its own Base policy (MNR 1) and the common Random policy (MNR 0).");
    }

    internal static string F(double v) => double.IsFinite(v) ? v.ToString("0.00", Inv) : "—";

    internal static string P(double p) => !double.IsFinite(p) ? "—" : p < 0.001 ? "<0.001" : p.ToString("0.000", Inv);

    internal static string Pm(Aggregate a) => double.IsFinite(a.Iqm) ? $"{a.Iqm.ToString("0.00", Inv)} ± {a.Se.ToString("0.000", Inv)}" : "—";
}
