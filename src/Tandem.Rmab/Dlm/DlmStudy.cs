using System.Globalization;
using System.Text;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Metrics;

namespace Tandem.Rmab.Dlm;

/// <summary>One-sided Welch p-values over seeds (seed 001 Table 5).</summary>
public sealed record DlmPValues(double ReflectionVsDefault, double NoReflectionVsDefault, double ReflectionVsNoReflection);

/// <summary>One row of Table 4.</summary>
/// <param name="Index">Task index.</param>
/// <param name="Label">Task label.</param>
/// <param name="Returns">Mean return per method over seeds.</param>
/// <param name="Mnr">Per method, the IQM ± SE of the per-seed MNRs (Tandem's statistic).</param>
/// <param name="PValues">One-sided Welch p-values (Table 5).</param>
/// <param name="Precision">Zero-shot precision of the features used (Table 1).</param>
/// <param name="Recall">Zero-shot recall.</param>
/// <param name="LogicRecall">Zero-shot arm-level logic recall (Appendix H).</param>
/// <param name="ExampleReward">The first seed's selected reward.</param>
/// <param name="NoTargetShare">Share of seeds whose sample has no target beneficiary (<see cref="DlmTaskResult.NoTargetShare"/>).</param>
/// <param name="PrecisionReflection">Precision of the candidates of reflection stages 2-R (Table 1, reflection).</param>
/// <param name="RecallReflection">Recall of those candidates.</param>
/// <param name="PaperMnr">Per method, the MNR as the authors' analysis computes Table 4 (<see cref="DlmTaskResult.PaperMnrOf"/>).</param>
public sealed record DlmTaskSummary(
    int Index,
    string Label,
    IReadOnlyDictionary<string, double> Returns,
    IReadOnlyDictionary<string, Aggregate> Mnr,
    DlmPValues PValues,
    double Precision,
    double Recall,
    double LogicRecall,
    string? ExampleReward,
    double NoTargetShare = double.NaN,
    double PrecisionReflection = double.NaN,
    double RecallReflection = double.NaN,
    IReadOnlyDictionary<string, Aggregate>? PaperMnr = null);

/// <summary>The Average row.</summary>
/// <param name="Mnr">Per method, the IQM ± SE of the per-seed MNRs pooled over every task and seed.</param>
/// <param name="Row">Per method, the Average row as the paper forms it from the task rows <see cref="DlmTaskSummary.Mnr"/>
/// (<see cref="RobustStats.AverageRow"/>: mean of the task values, mean SE over √tasks).</param>
/// <param name="PaperMnr">Per method, the same average of the task rows <see cref="DlmTaskSummary.PaperMnr"/>.</param>
public sealed record DlmAverage(IReadOnlyDictionary<string, Aggregate> Mnr, IReadOnlyDictionary<string, Aggregate>? Row = null, IReadOnlyDictionary<string, Aggregate>? PaperMnr = null);

/// <summary>What the embedding model of the <see cref="EmbeddingDesigner"/> cost over a study.</summary>
/// <param name="Model">The embedding model's name, e.g. "minilm".</param>
/// <param name="Texts">Texts embedded (each once: the phrases of every sentence and the 36 feature descriptions).</param>
/// <param name="Seconds">Wall seconds spent inside the model.</param>
public sealed record EmbeddingUse(string Model, int Texts, double Seconds);

/// <summary>The object `tandem dlm --json` prints and summary.json holds (issue 3 contract; field names and order are
/// the CLI's).</summary>
public sealed record DlmSummary(
    string Command,
    int Seeds,
    ulong Seed,
    int Arms,
    int Budget,
    string Planner,
    string Designer,
    double WallSeconds,
    int Stages,
    int Candidates,
    int Trials,
    int Steps,
    double Discount,
    long NonIndexableArms,
    long Refusals,
    IReadOnlyList<DlmTaskSummary> Tasks,
    DlmAverage Average,
    ModelUse? Llm = null,
    EmbeddingUse? Embedding = null);

/// <summary>A finished DLM study: the experiment's result, summarised and reported (<see cref="IReportable"/>).</summary>
/// <param name="Result">The Table 4 result.</param>
/// <param name="Options">The study as data.</param>
public sealed record DlmStudyResult(DlmExperimentResult Result, DlmStudyOptions Options) : IReportable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Methods shown in Table 4 (Random is 0 and Base is 1 by construction).</summary>
    public static IReadOnlyList<string> TableMethods { get; } = [DlmMethods.Base, DlmMethods.NoAction, DlmMethods.Default, DlmMethods.NoReflection, DlmMethods.Reflection];

    /// <summary>Model use, filled by the host from its ledgers when the designer is a language model.</summary>
    public ModelUse? ModelUse { get; init; }

    /// <summary>The embedding model's use, filled by the host when the designer is the <see cref="EmbeddingDesigner"/>.</summary>
    public EmbeddingUse? Embedding { get; init; }

    /// <summary>Another run's summary (e.g. the other planner on the same seeds) to set beside this one in the report.</summary>
    public DlmSummary? Compare { get; init; }

    /// <inheritdoc />
    object IReportable.Summary => Summary;

    /// <summary>The summary object (the CLI's DlmSummary, field for field).</summary>
    public DlmSummary Summary
    {
        get
        {
            DlmExperimentResult r = Result;
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
                t.Selected.Count > 0 ? t.Selected[0] : null,
                t.NoTargetShare,
                t.PrecisionReflection,
                t.RecallReflection,
                DlmMethods.All.ToDictionary(m => m, t.PaperMnrOf))).ToArray();
            var row = DlmMethods.All.ToDictionary(m => m, m => RobustStats.AverageRow(r.Tasks.Select(t => t.MnrOf(m)).ToArray()));
            return new DlmSummary("dlm", o.Seeds, o.Seed, o.Arms, o.Budget, o.Planner.Name.ToLowerInvariant(), r.Designer, r.Wall.TotalSeconds, o.Stages, o.Candidates,
                o.Trials, o.Steps, o.Discount, r.NonIndexableArms, r.Refusals, tasks,
                new DlmAverage(DlmMethods.All.ToDictionary(m => m, r.AverageMnr), row, DlmMethods.All.ToDictionary(m => m, r.PaperAverageMnr)), ModelUse, Embedding);
        }
    }

    /// <inheritdoc />
    public Report ToReport()
    {
        DlmSummary s = Summary;
        var files = new List<ReportFile>
        {
            new RowTable("table4.csv",
                ["index", "label", .. TableMethods.SelectMany(m => new[] { m + " iqm", m + " se", m + " mean" }), "p reflection>default", "p no-reflection>default", "p reflection>no-reflection", "precision", "recall", "logic recall"],
                s.Tasks.Select(t => (IReadOnlyList<object?>)[t.Index, t.Label, .. TableMethods.SelectMany(m => new object?[] { t.Mnr[m].Iqm, t.Mnr[m].Se, t.Mnr[m].Mean }),
                    t.PValues.ReflectionVsDefault, t.PValues.NoReflectionVsDefault, t.PValues.ReflectionVsNoReflection, t.Precision, t.Recall, t.LogicRecall])
                .Append(["avg", "Average", .. TableMethods.SelectMany(m => new object?[] { AverageRow(s, m).Iqm, AverageRow(s, m).Se, AverageRow(s, m).Mean }), null, null, null, null, null, null])
                .ToArray()),
            new RowTable("returns.csv", ["task", "seed", "method", "return", "mnr"],
                Result.Tasks.SelectMany(t => DlmMethods.All.SelectMany(m => t.Returns[m].Select((v, i) => (IReadOnlyList<object?>)[t.Task.Index, i, m, v, t.Mnr[m][i]]))).ToArray()),
        };
        string[] shown = [DlmMethods.NoAction, DlmMethods.Default, DlmMethods.NoReflection, DlmMethods.Reflection];
        files.Add(new BarFigure("mnr", $"Mean normalized reward by task ({s.Seeds} seeds, IQM ± SE)", "MNR (Random = 0, Base = 1)",
            [.. s.Tasks.Select(t => t.Index.ToString(Inv)), "avg"],
            shown.Select(m => new BarGroup(Display(m),
                [.. s.Tasks.Select(t => t.Mnr[m].Iqm), AverageRow(s, m).Iqm],
                [.. s.Tasks.Select(t => t.Mnr[m].Se), AverageRow(s, m).Se])).ToArray(),
            new FigureLayout(Width: 1400, Height: 600, Legend: "lower-right")));
        return new Report("Tandem — DLM: language-designed rewards for restless bandits", s, files, Body(s));
    }

    private List<ReportBlock> Body(DlmSummary s)
    {
        var body = new List<ReportBlock>
        {
            new HeadingBlock("DLM: language-designed rewards (seed 001)", 2),
            new ParagraphBlock($"{s.Tasks.Count} tasks × {s.Seeds} seeds (seed {s.Seed}); {s.Arms} arms, budget {s.Budget}; planner {s.Planner}; " +
                $"designer {ReportText.Code(s.Designer)}; {s.Stages} stages × {s.Candidates} candidates; evaluation {s.Trials} trials × {s.Steps} steps, discount {F(s.Discount)}. " +
                $"Wall time {s.WallSeconds.ToString("F1", Inv)} s. Non-indexable arms over all plans: {s.NonIndexableArms}. Refused proposals: {s.Refusals}."),
        };
        if (s.Designer == RewardDesigners.Simulated)
            body.Add(new ParagraphBlock("The designer is a **simulation** of a language model (no model was called). It is given what a model is given: each task's sentence, the feature names and its own candidates' state-feature distributions. It grounds the sentence in features with a fixed word-to-feature mapping written before its results were seen, proposes weighted expressions with seeded noise, and its reflector picks the candidate whose distribution puts the largest share of positive states on the features the sentence names (docs/dlm-simulated-designer.md). It never reads the Base reward. The cohort is Tandem's ARMMAN-like generator (docs/dlm-cohort.md), not ARMMAN's data."));
        if (s.Designer == RewardDesigners.MiniLm)
            body.Add(new ParagraphBlock("The designer is the sentence-embedding model all-MiniLM-L6-v2, run in this process (no chat model was called). It is given what a language model is given: each task's sentence, the feature names and its own candidates' state-feature distributions. It cuts the sentence into phrases, names the feature groups whose descriptions are outliers in similarity to a phrase (modified z-score ≥ 3.5), reads clock times against the call slots' printed ranges, proposes weighted expressions over the named groups' features with seeded diversity, edits the last winner in later stages, and its reflector picks the candidate whose distribution puts the largest similarity-weighted share of positive states on the named groups (docs/dlm-designer.md). It never reads the Base reward." +
                (s.Embedding is { } e ? $" The model embedded {e.Texts} texts in {e.Seconds.ToString("F1", Inv)} s ({(s.WallSeconds > 0 ? e.Seconds / s.WallSeconds : 0).ToString("0.0%", Inv)} of the wall time)." : "") +
                " The cohort is Tandem's ARMMAN-like generator (docs/dlm-cohort.md), not ARMMAN's data."));
        if (s.Designer == RewardDesigners.Oracle)
            body.Add(new ParagraphBlock("**Oracle ablation — an upper bound, not a result about designing rewards from language.** The designer reads each task's true feature set from the Base reward and corrupts it (each true feature kept with probability 0.75, later stages edit toward the true features with probability 0.5), and its reflector favours the candidate whose state-feature distribution gives the *true* features the largest share with probability 0.8. The cohort is Tandem's ARMMAN-like generator (docs/dlm-cohort.md), not ARMMAN's data."));
        if (s.Llm is { } llm)
        {
            body.Add(new ParagraphBlock($"The designer and reflector are the language model {ReportText.Code(s.Designer)}, asked with Tandem's prompts after the authors' (docs/dlm-llm.md); every prompt and answer is in `audit.jsonl`. Unusable answers were retried with their reason (up to 10 times per candidate); an unusable selection kept candidate 0."));
            body.Add(new TableBlock(["calls", "prompt tokens", "completion tokens", "cassette hits", "mean latency (ms)", "fallbacks by reason"],
                [[llm.Calls.ToString(Inv), llm.PromptTokens.ToString(Inv), llm.CompletionTokens.ToString(Inv), llm.CacheHits.ToString(Inv), F(llm.MeanLatencyMs),
                  llm.Fallbacks.Count == 0 ? "none" : string.Join(", ", llm.Fallbacks.Select(kv => $"{kv.Key} {kv.Value}"))]],
                "Model use over the whole study."));
        }
        body.Add(new HeadingBlock("Mean normalized reward (Table 4)", 2));
        body.Add(new TableBlock(["idx", "label", .. TableMethods.Select(Display)],
            s.Tasks.Select(t => (IReadOnlyList<string>)[t.Index.ToString(Inv), t.Label, .. TableMethods.Select(m => Pm(t.Mnr[m]))])
                .Append(["avg", "Average MNR", .. TableMethods.Select(m => Pm(AverageRow(s, m)))]).ToArray(),
            "Interquartile mean ± standard error of the per-seed MNRs. Average: the mean of the task rows with SE = mean task SE / √tasks, as the paper forms its Average row (the IQM pooled over every task and seed is `average.mnr` in summary.json). The seed reports averages Base 1.00, No Action −0.06, Default 0.57, DLM (No Reflection) 0.85, DLM (Reflection) 0.92 (Gemini Pro on ARMMAN data)."));
        body.Add(new FigureBlock("mnr.png", "IQM of the MNR per task with ± 1 SE error bars; Random is 0 and Base is 1 by definition."));
        if (Compare is not null) AddSideBySide(body, s, Compare);
        // The paper's numbers are about its Table 3 sentences with N = 48 and B = 16.
        if (Options.TasksFile is null && s.Arms == 48 && s.Budget == 16) AddPaperComparison(body, s);
        body.Add(new HeadingBlock("Statistical tests (Table 5) and feature extraction (Table 1)", 2));
        body.Add(new TableBlock(["idx", "label", "p: Refl > Default", "p: No Refl > Default", "p: Refl > No Refl", "precision", "recall", "logic recall", "no target"],
            s.Tasks.Select(t => (IReadOnlyList<string>)[t.Index.ToString(Inv), t.Label, P(t.PValues.ReflectionVsDefault), P(t.PValues.NoReflectionVsDefault),
                P(t.PValues.ReflectionVsNoReflection), F(t.Precision), F(t.Recall), F(t.LogicRecall), Percent(t.NoTargetShare)]).ToArray(),
            "One-sided Welch t-tests on the per-seed MNRs. Precision and recall of the features used by zero-shot candidates against the Base reward's features (seed Table 1: about 0.6 and 0.75). Logic recall (Appendix H, our arm-level reading): the share of the arms the Base reward favours that a zero-shot candidate ranks in its top places; undefined (—) when no arm of a seed is in the target group. No target: the share of seeds whose 48-arm sample has nobody in the task's target group (there Base, Default and every engagement-ranking reward plan alike)."));
        body.Add(new HeadingBlock("Chosen rewards (Appendix L)", 2));
        foreach (DlmTaskResult t in Result.Tasks)
        {
            StageRecord? last = t.Example.Stages.LastOrDefault(st => st.Selected >= 0);
            if (last is null) continue;
            CandidateRecord c = last.Candidates[last.Selected];
            body.Add(new ParagraphBlock($"**Task {t.Task.Index} — {t.Task.Label}.** Base {ReportText.Code(t.Task.Base)}; selected (first seed) {ReportText.Code(c.Expression!)}:"));
            body.Add(new CodeBlock(c.Distribution!.ToText()));
        }
        body.Add(new ParagraphBlock("Every stage's candidates, refusals and distributions are in `rewards.md`."));
        body.Add(new HeadingBlock("Files", 2));
        body.Add(new ParagraphBlock("`summary.json` (the `--json` object), `table4.csv`, `returns.csv` (per task, seed and method), `mnr.png`/`mnr.svg`, `rewards.md`, `manifest.json`."));
        return body;
    }

    // Table 4 of this run and of another (typically the other planner with the same seeds), column by column.
    private static void AddSideBySide(List<ReportBlock> body, DlmSummary s, DlmSummary other)
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
        body.Add(new HeadingBlock($"Table 4 side by side: planner {s.Planner} and planner {other.Planner}", 2));
        body.Add(new TableBlock(["idx", "label", .. methods.SelectMany(m => new[] { $"{Display(m)} ({s.Planner})", $"{Display(m)} ({other.Planner})" })], rows,
            $"MNR interquartile mean ± SE; this run: {s.Tasks.Count} tasks × {s.Seeds} seeds (seed {s.Seed}), designer {s.Designer}; compared run: {other.Tasks.Count} tasks × {other.Seeds} seeds (seed {other.Seed}), designer {other.Designer}. Each planner normalizes by its own Base policy (MNR 1) and the common Random policy (MNR 0)."));
    }

    // The Average row as the paper forms it from the task rows; the pooled IQM for summaries written before it existed.
    private static Aggregate AverageRow(DlmSummary s, string method) =>
        s.Average.Row is { } row && row.TryGetValue(method, out Aggregate a) ? a : s.Average.Mnr[method];

    // Seed 001's Table 4 and Table 1 beside this run's, computed the way the authors' analysis computes them (only for the
    // shipped Table 3 tasks: the paper's numbers are about those sentences and Base rewards).
    private static void AddPaperComparison(List<ReportBlock> body, DlmSummary s)
    {
        DlmTaskSummary[] rows = s.Tasks.Where(t => t.Index >= 0 && t.Index < DlmPaper.Table4.Count && t.PaperMnr is not null).ToArray();
        if (rows.Length == 0) return;
        IReadOnlyList<string> methods = DlmPaper.Methods;
        body.Add(new HeadingBlock("Beside the paper: Table 4", 2));
        body.Add(new ParagraphBlock("Each cell: the paper's value ± SE | Tandem's, computed as the authors' analysis computes Table 4 (No Action and the DLM columns: IQM of the returns normalised by the IQMs of Random's and Base's returns, SE = the IQM's SE over the denominator; Default: IQM of the per-seed MNRs; IQMs keep the values between the 25th and 75th percentiles). " +
            "Differences common to every task: Tandem's cohort is a generated population, not ARMMAN's 7,668 mothers (docs/dlm-cohort.md); " +
            $"the planner is {ReportText.Code(s.Planner)}, the paper trains PPO; the designer is {ReportText.Code(s.Designer)}{(s.Designer == RewardDesigners.Oracle ? " (an oracle ablation that reads the Base reward's features: an upper bound, not a language result)" : "")}, the paper's is Gemini Pro; the authors pool single-trial returns over seeds where Tandem uses each seed's mean over its trials. The last column names what this run measured that explains the task's largest difference."));
        var table = new List<IReadOnlyList<string>>();
        foreach (DlmTaskSummary t in rows)
        {
            IReadOnlyDictionary<string, PaperValue> paper = DlmPaper.Table4[t.Index];
            table.Add([t.Index.ToString(Inv), t.Label, .. methods.Select(m => $"{Pv(paper[m])} | {Pm(t.PaperMnr![m])}"), Explain(t, paper)]);
        }
        if (rows.Length == DlmPaper.Table4.Count && s.Average.PaperMnr is { } avg)
            table.Add(["avg", "Average MNR", .. methods.Select(m => $"{Pv(DlmPaper.Table4Average[m])} | {Pm(avg[m])}"), "mean of the task rows; SE = mean task SE / √16 (reproduces the paper's Average row from its task rows)"]);
        body.Add(new TableBlock(["idx", "label", .. methods.Select(m => $"{Display(m)}: paper | Tandem"), "main difference measured"], table,
            "Paper: seed 001 Table 4 (Gemini Pro, PPO, ARMMAN data, 200 seeds). Base is 1.00 in both by definition."));

        body.Add(new HeadingBlock("Beside the paper: Table 1 (feature precision and recall)", 2));
        body.Add(new TableBlock(["idx", "label", "prec. zero-shot: paper | Tandem", "prec. reflection: paper | Tandem", "rec. zero-shot: paper | Tandem", "rec. reflection: paper | Tandem"],
            rows.Select(t =>
            {
                PaperFeatureRow p = DlmPaper.Table1[t.Index];
                return (IReadOnlyList<string>)[t.Index.ToString(Inv), t.Label, $"{Pv(p.PrecisionZeroShot)} | {F(t.Precision)}", $"{Pv(p.PrecisionReflection)} | {F(t.PrecisionReflection)}",
                    $"{Pv(p.RecallZeroShot)} | {F(t.Recall)}", $"{Pv(p.RecallReflection)} | {F(t.RecallReflection)}"];
            }).ToArray(),
            "Features a candidate's expression reads (from its syntax tree) against the Base reward's. Zero-shot: the first stage's candidates; reflection: the candidates of stages 2-R."));
    }

    // The measured fact behind a task's largest difference from the paper, in a few words.
    private static string Explain(DlmTaskSummary t, IReadOnlyDictionary<string, PaperValue> paper)
    {
        var notes = new List<string>();
        if (t.NoTargetShare >= 0.05)
            notes.Add($"no target beneficiary in {Percent(t.NoTargetShare)} of samples (there Default plans as Base does)");
        double recallGap = t.Recall - DlmPaper.Table1[t.Index].RecallZeroShot.Value;
        double dlmGap = Gap(t, paper, DlmMethods.NoReflection);
        double reflectionGap = Gap(t, paper, DlmMethods.Reflection);
        if ((Math.Abs(dlmGap) >= 0.1 || Math.Abs(reflectionGap) >= 0.1) && Math.Abs(recallGap) >= 0.15)
            notes.Add($"designer recall {F(t.Recall)} vs paper {F(DlmPaper.Table1[t.Index].RecallZeroShot.Value)}");
        else if (Math.Abs(dlmGap) >= 0.1 || Math.Abs(reflectionGap) >= 0.1)
            notes.Add($"DLM {(dlmGap + reflectionGap < 0 ? "lower" : "higher")} with recall close to the paper's ({F(t.Recall)} vs {F(DlmPaper.Table1[t.Index].RecallZeroShot.Value)}): the weights the designer gives the features and the cohort differ (not measured apart)");
        double defaultGap = Gap(t, paper, DlmMethods.Default);
        if (Math.Abs(defaultGap) >= 0.15)
            notes.Add($"Default {(defaultGap > 0 ? "higher" : "lower")} by {F(Math.Abs(defaultGap))}: in the generated cohort the calls that raise engagement most {(defaultGap > 0 ? "already reach" : "miss")} this group more than in ARMMAN's");
        double noActionGap = Gap(t, paper, DlmMethods.NoAction);
        if (Math.Abs(noActionGap) >= 0.15)
            notes.Add($"No Action {(noActionGap < 0 ? "lower" : "higher")} by {F(Math.Abs(noActionGap))}: random calls gain {(noActionGap < 0 ? "more" : "less")}, relative to Base, in the generated cohort than in ARMMAN's");
        return notes.Count == 0 ? "within 0.15 on every column" : string.Join("; ", notes);
    }

    private static double Gap(DlmTaskSummary t, IReadOnlyDictionary<string, PaperValue> paper, string method) =>
        t.PaperMnr is { } m && m.TryGetValue(method, out Aggregate a) && double.IsFinite(a.Iqm) ? a.Iqm - paper[method].Value : 0;

    private static string Pv(PaperValue v) => $"{v.Value.ToString("0.00", Inv)} ± {v.Se.ToString("0.000", Inv)}";

    private static string Percent(double share) => double.IsFinite(share) ? share.ToString("0.0%", Inv) : "—";

    /// <summary>Chosen rewards and distribution strings of each task's first seed (Appendix L): the rewards.md file.</summary>
    public string RewardsMarkdown()
    {
        var sb = new StringBuilder("# Chosen rewards and state-feature distributions (first seed)\n\n");
        foreach (DlmTaskResult t in Result.Tasks)
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

    /// <summary>A method's column title ("No Action" for the do-nothing policy).</summary>
    public static string Display(string method) => method == DlmMethods.NoAction ? "No Action" : method;

    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.00", Inv) : "—";

    /// <summary>A p-value with three decimals, "&lt;0.001" below.</summary>
    public static string P(double p) => !double.IsFinite(p) ? "—" : p < 0.001 ? "<0.001" : p.ToString("0.000", Inv);

    /// <summary>"IQM ± SE" of an aggregate, "—" when undefined.</summary>
    public static string Pm(Aggregate a) => double.IsFinite(a.Iqm) ? $"{a.Iqm.ToString("0.00", Inv)} ± {a.Se.ToString("0.000", Inv)}" : "—";
}

/// <summary>
/// The library entry point of a DLM study (seed 001 Table 4), which the CLI calls: read the task and cohort files, build
/// the designer (built-in by name, or a language model from the host's <see cref="IRewardDesignerFactory"/>), run
/// <see cref="DlmExperiment"/>, and return a result that reports itself.
/// </summary>
public static class DlmStudy
{
    /// <summary>Check <paramref name="options"/> against the data it names (task indices, the population size) without
    /// running anything, so a host can refuse bad input before it starts work.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    /// <exception cref="FormatException">A data file is malformed.</exception>
    public static void Check(DlmStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string data = options.ResolvedDataDirectory;
        DlmTaskSet tasks = DlmTaskSet.Load(options.ResolvedTasksFile);
        options.Experiment.Validated(tasks.Tasks.Count);
        var parameters = CohortParameters.Load(Path.Combine(data, "cohort.json"));
        if (options.Experiment.Arms > parameters.PopulationSize)
            throw new ArgumentOutOfRangeException(nameof(DlmExperimentOptions.Arms), options.Experiment.Arms, $"At most {parameters.PopulationSize} arms (the population size).");
    }

    /// <summary>Run the study described by <paramref name="options"/>.</summary>
    /// <param name="options">The study as data; validated here.</param>
    /// <param name="designers">The host's designers (language models); null: only the built-in ones.</param>
    /// <param name="progress">Cells done of all cells, at most every 1%.</param>
    /// <param name="timeProvider">Clock of the wall time; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="log">The decision log (`--log`), streamed; null: none.</param>
    /// <param name="cancellationToken">Stops the study.</param>
    /// <exception cref="FormatException">A data file is malformed (names the file and field).</exception>
    /// <exception cref="Core.Ports.StudyStopException">The designer stopped the study.</exception>
    public static async Task<DlmStudyResult> RunAsync(DlmStudyOptions options, IRewardDesignerFactory? designers = null, IProgress<StudyProgress>? progress = null,
        TimeProvider? timeProvider = null, DlmDecisionLog? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string data = options.ResolvedDataDirectory;
        DlmTaskSet tasks = DlmTaskSet.Load(options.ResolvedTasksFile);
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(data, "cohort.json")));
        IRewardDesigner designer = RewardDesigners.Create(options.Designer, designers);
        DlmExperimentResult result = await DlmExperiment.RunAsync(tasks, generator, designer, options.Experiment, progress, timeProvider, log, cancellationToken).ConfigureAwait(false);
        return new DlmStudyResult(result, options);
    }
}
