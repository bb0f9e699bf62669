using System.Globalization;
using Tandem.Core.Randomness;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Core.State;
using Tandem.Rmab.Model;
using Tandem.Rmab.Simulation;
using Tandem.Core.Ports;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Rewards;

namespace Tandem.Rmab.Programme;

/// <summary>`tandem rmab whittle` as data: a JSON arms file and the discount.</summary>
public sealed record RmabWhittleOptions
{
    /// <summary>The JSON arms file (<see cref="ArmFiles.ReadWhittleJson"/>).</summary>
    public string ArmsFile { get; init; } = "";

    /// <summary>Discount γ. Range: [0, 1). Default 0.9.</summary>
    public double Discount { get; init; } = 0.9;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ArmsFile)) throw new ArgumentException("Give the arms file.", nameof(ArmsFile));
        if (!(Discount >= 0 && Discount < 1)) throw new ArgumentOutOfRangeException(nameof(Discount), Discount, "The discount must lie in [0, 1).");
    }
}

/// <summary>One arm in `tandem rmab whittle --json`.</summary>
public sealed record WhittleArmSummary(string Id, IReadOnlyList<double> Index, bool Indexable);

/// <summary>The object `tandem rmab whittle --json` prints.</summary>
public sealed record WhittleSummary(double Discount, IReadOnlyList<WhittleArmSummary> Arms);

/// <summary>Whittle indices of the arms of a file, reported (<see cref="IReportable"/>).</summary>
/// <param name="Summary">The `--json` object.</param>
public sealed record RmabWhittleResult(WhittleSummary Summary) : IReportable
{
    object IReportable.Summary => Summary;

    /// <summary>Arms whose indices are bisection roots of a non-indexable arm.</summary>
    public int NonIndexable => Summary.Arms.Count(a => !a.Indexable);

    /// <inheritdoc />
    public Report ToReport() => new("Tandem — Whittle indices", Summary,
        [new RowTable("whittle.csv", ["id", "index_state0", "index_state1", "indexable"],
            Summary.Arms.Select(a => (IReadOnlyList<object?>)[a.Id, a.Index[0], a.Index[1], a.Indexable ? 1 : 0]).ToArray())],
        [new HeadingBlock($"Whittle indices, discount {Summary.Discount.ToString(CultureInfo.InvariantCulture)}"),
         new TableBlock(["id", "index (state 0)", "index (state 1)", "indexable"],
            Summary.Arms.Select(a => (IReadOnlyList<string>)[a.Id, ReportText.Number(a.Index[0]), ReportText.Number(a.Index[1]), a.Indexable ? "yes" : "no"]).ToArray())]);
}

/// <summary>
/// `tandem rmab plan` as data: who to call this week. Immutable; <see cref="Validate"/> names the first bad field
/// (the host maps field names to its option names).
/// </summary>
public sealed record RmabPlanOptions
{
    /// <summary>The beneficiary CSV (<see cref="ArmFiles.ReadBeneficiaryCsv"/>).</summary>
    public string ArmsFile { get; init; } = "";

    /// <summary>Calls this week B. Range: 0 ≤ B ≤ the beneficiaries in the file (at most <see cref="ArmFiles.MaxArms"/>).</summary>
    public int Budget { get; init; }

    /// <summary>A reward expression over state and feats (the sandbox's language); exactly one of this and <see cref="Task"/>.</summary>
    public string? Expression { get; init; }

    /// <summary>Use the Base reward of this task (seed 001 Table 3, 0-15); exactly one of this and <see cref="Expression"/>.</summary>
    public int? Task { get; init; }

    /// <summary>Discount γ. Range: [0, 1). Default 0.9.</summary>
    public double Discount { get; init; } = 0.9;

    /// <summary>Random seed of the tie-break among equal indices (and of PPO training). Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>"whittle" (default; the index policy ARMMAN deploys) or "ppo" (the seed's Lagrangian PPO, Appendix F).</summary>
    public string Planner { get; init; } = RmabPlanners.Whittle;

    /// <summary>PPO training epochs; null: <see cref="PpoOptions.EpochsFor"/> the number of beneficiaries.
    /// Range: 1..<see cref="PpoOptions.MaxEpochs"/>.</summary>
    public int? PpoEpochs { get; init; }

    /// <summary>PPO actor and critic learning rate; null: the authors' 2e-3. Range: see <see cref="PpoOptions.MaxLearningRate"/>.</summary>
    public double? PpoLearningRate { get; init; }

    /// <summary>A beneficiary × week history to estimate the transitions from (<see cref="History.HistoryFile"/>), instead
    /// of <see cref="ArmsFile"/>; null: read the arms file.</summary>
    public string? HistoryFile { get; init; }

    /// <summary>How the history is estimated (<see cref="History.HistoryEstimateOptions"/>); null: its defaults.</summary>
    public History.HistoryEstimateOptions? Estimate { get; init; }

    /// <summary>The file the beneficiaries come from: <see cref="HistoryFile"/> or <see cref="ArmsFile"/>.</summary>
    public string BeneficiaryFile => HistoryFile ?? ArmsFile;

    /// <summary>A goal in plain language that a designer turns into the reward (<see cref="RmabProgramme.PlanAsync"/>);
    /// exactly one of this, <see cref="Expression"/> and <see cref="Task"/>.</summary>
    public string? Goal { get; init; }

    /// <summary>Who turns <see cref="Goal"/> into a reward; null: the simulated designer. Needs a goal.</summary>
    public DesignerSpec? Designer { get; init; }

    /// <summary>The DLM loop that designs the goal's reward (stages, candidates, retries); null: the seed's 5 × 3.</summary>
    public DlmLoopOptions? GoalLoop { get; init; }

    /// <summary>Call B beneficiaries even when some of them have a negative Whittle index (a call is worth less to them
    /// than no call, even at no cost). Default false: nobody with a negative index is called, and the budgeted calls
    /// left over are reported (<see cref="PlanSummary.Unused"/>). Whittle only: a PPO index is a log-odds of P(call),
    /// whose sign is not the value of a call, and a PPO plan always fills the budget.</summary>
    public bool FillBudget { get; init; }

    /// <summary>Folder holding tasks.json; null: data/dlm beside the application.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The folder the task file is read from.</summary>
    public string ResolvedDataDirectory => DataDirectory ?? Path.Combine(AppContext.BaseDirectory, "data", "dlm");

    /// <summary>Throws <see cref="ArgumentException"/> (or its out-of-range kind) naming the first bad field; the budget
    /// and task are checked against the files when the plan is made.</summary>
    public void Validate()
    {
        if (HistoryFile is null && string.IsNullOrWhiteSpace(ArmsFile)) throw new ArgumentException("Give the beneficiary file.", nameof(ArmsFile));
        if (HistoryFile is not null && !string.IsNullOrWhiteSpace(ArmsFile)) throw new ArgumentException("Give the beneficiary file or the history file, not both.", nameof(HistoryFile));
        if (HistoryFile is not null && string.IsNullOrWhiteSpace(HistoryFile)) throw new ArgumentException("Give the history file.", nameof(HistoryFile));
        if (HistoryFile is null && Estimate is not null) throw new ArgumentException("Estimation settings need a history file.", nameof(Estimate));
        Estimate?.Validate();
        if ((Expression is null ? 0 : 1) + (Task is null ? 0 : 1) + (Goal is null ? 0 : 1) != 1)
            throw new ArgumentException("Give exactly one reward source: an expression or a task (or a goal in plain language).", nameof(Expression));
        if (Goal is not null && string.IsNullOrWhiteSpace(Goal)) throw new ArgumentException("The goal is empty; say what the programme should favour.", nameof(Goal));
        if (Goal is not null && Goal.Length > MaxGoalLength) throw new ArgumentOutOfRangeException(nameof(Goal), Goal.Length, $"The goal is longer than {MaxGoalLength} characters.");
        if (Goal is null && Designer is not null) throw new ArgumentException("A designer needs a goal.", nameof(Designer));
        if (Goal is null && GoalLoop is not null) throw new ArgumentException("Design stages and candidates need a goal.", nameof(GoalLoop));
        Designer?.Validate();
        GoalLoop?.Validated();
        if (Budget < 0 || Budget > ArmFiles.MaxArms)
            throw new ArgumentOutOfRangeException(nameof(Budget), Budget, $"The budget must lie in [0, {ArmFiles.MaxArms}] (and not exceed the beneficiaries).");
        if (Task is < 0) throw new ArgumentOutOfRangeException(nameof(Task), Task, "Task indices start at 0.");
        if (!(Discount >= 0 && Discount < 1)) throw new ArgumentOutOfRangeException(nameof(Discount), Discount, "The discount must lie in [0, 1).");
        if (Planner is not (RmabPlanners.Whittle or RmabPlanners.Ppo))
            throw new ArgumentException($"The planner '{Planner}' is unknown; allowed: {RmabPlanners.Whittle}, {RmabPlanners.Ppo}.", nameof(Planner));
        PpoFor(48)?.Validate();
        if (Planner == RmabPlanners.Ppo && FillBudget)
            throw new ArgumentException("Filling the budget is a Whittle setting: a PPO plan always calls B beneficiaries (its index is a log-odds of P(call), not the value of a call).", nameof(FillBudget));
        if (Planner == RmabPlanners.Whittle && (PpoEpochs is not null || PpoLearningRate is not null))
            throw new ArgumentException("PPO settings need the ppo planner.", PpoEpochs is not null ? nameof(PpoEpochs) : nameof(PpoLearningRate));
    }

    /// <summary>The longest goal accepted, in characters.</summary>
    public const int MaxGoalLength = 2000;

    /// <summary>The PPO settings for <paramref name="arms"/> beneficiaries (null for Whittle): the epoch rule
    /// <see cref="PpoOptions.EpochsFor"/> unless <see cref="PpoEpochs"/> is given.</summary>
    public PpoOptions? PpoFor(int arms)
    {
        if (Planner != RmabPlanners.Ppo) return null;
        var options = new PpoOptions().WithEpochs(PpoEpochs ?? PpoOptions.EpochsFor(arms));
        return PpoLearningRate is double lr ? options with { PolicyLearningRate = lr, ValueLearningRate = lr } : options;
    }
}

/// <summary>One beneficiary in `tandem rmab plan` output.</summary>
/// <param name="Rank">1-based rank: called beneficiaries first, then by index, largest first (ties as the planner broke them).</param>
/// <param name="Id">The beneficiary's id.</param>
/// <param name="State">Current state (1 engaged).</param>
/// <param name="Index">Index in the current state (Whittle, or PPO's log-odds of P(call)).</param>
/// <param name="Indexable">Whether the arm is indexable.</param>
/// <param name="Call">Whether to call this week.</param>
/// <param name="ExpectedGain">Expected engagement gain of a call: P(engaged next week | state, call) − P(engaged next
/// week | state, no call), from the row's transitions (<see cref="RmabProgramme.ExpectedGain"/>).</param>
/// <param name="Extra">The texts of the file's extra columns (plan.csv only; not in the JSON summary).</param>
public sealed record PlanEntry(int Rank, string Id, int State, double Index, bool Indexable, bool Call, double ExpectedGain,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyList<string>? Extra = null);

/// <summary>The object `tandem rmab plan --json` prints and summary.json holds.</summary>
/// <param name="Command">"rmab plan".</param>
/// <param name="File">The beneficiary (or history) file's name.</param>
/// <param name="Beneficiaries">Rows of the file.</param>
/// <param name="Budget">Calls budgeted B.</param>
/// <param name="Discount">Discount γ.</param>
/// <param name="Reward">The reward expression planned with.</param>
/// <param name="Task">The task whose Base reward it is, if any.</param>
/// <param name="TaskLabel">That task's label.</param>
/// <param name="Calls">The beneficiaries to call, by rank.</param>
/// <param name="NonIndexable">Ids of arms that are not indexable.</param>
/// <param name="All">Every beneficiary, by rank.</param>
/// <param name="Planner">"whittle" or "ppo".</param>
/// <param name="Goal">What a goal in plain language became (null without one).</param>
/// <param name="Unused">Budgeted calls not made because only that many beneficiaries have a non-negative Whittle index
/// (0 with <see cref="FillBudget"/> and for PPO).</param>
/// <param name="FillBudget">Whether the budget was filled regardless of the sign of the index.</param>
/// <param name="ExtraColumns">Names of the file's extra columns, in file order, carried into plan.csv after the plan's own.</param>
public sealed record PlanSummary(string Command, string File, int Beneficiaries, int Budget, double Discount, string Reward, int? Task, string? TaskLabel,
    IReadOnlyList<PlanEntry> Calls, IReadOnlyList<string> NonIndexable, IReadOnlyList<PlanEntry> All, string Planner = "whittle",
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] GoalOutcome? Goal = null,
    int Unused = 0, bool FillBudget = false, IReadOnlyList<string>? ExtraColumns = null);

/// <summary>A planned policy saved for next week (`--save-plan`): the beneficiaries' ids in the policy's arm order, what
/// was planned, and the <see cref="PlannedPolicy"/> state (indices or the PPO actor, and the tie-break stream after this
/// week's call).</summary>
/// <param name="Ids">Beneficiary ids; arm n of the policy is <c>Ids[n]</c>.</param>
/// <param name="Reward">The reward text the plan optimises.</param>
/// <param name="Planner">"whittle" or "ppo".</param>
/// <param name="Discount">Discount γ of the plan.</param>
/// <param name="Policy">The planned policy's state (kind <see cref="PlannedPolicy.StateKind"/>).</param>
public sealed record RmabSavedPlan(IReadOnlyList<string> Ids, string Reward, string Planner, double Discount, PolicyState Policy)
{
    /// <summary>This plan as a JSON document (camelCase; <see cref="PolicyStates.JsonOptions"/>).</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, PolicyStates.JsonOptions);

    /// <summary>Read a saved plan and restore its policy; a malformed document or state throws <see cref="PolicyStateException"/>
    /// naming the problem.</summary>
    public static (RmabSavedPlan Plan, PlannedPolicy Policy) FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        RmabSavedPlan? plan;
        try { plan = System.Text.Json.JsonSerializer.Deserialize<RmabSavedPlan>(json, PolicyStates.JsonOptions); }
        catch (System.Text.Json.JsonException ex) { throw new PolicyStateException("The saved plan cannot be read: " + ex.Message, ex); }
        if (plan?.Ids is null || plan.Policy is null) throw new PolicyStateException("The saved plan has no ids or no policy.");
        PlannedPolicy policy = PlannedPolicy.Restore(plan.Policy);
        if (policy.Policy is not IIndexRmabPolicy ranked || ranked.Index0.Count != plan.Ids.Count)
            throw new PolicyStateException($"The saved plan lists {plan.Ids.Count} ids but its policy ranks another number of arms.");
        return (plan, policy);
    }
}

/// <summary>This week's call list, reported (<see cref="IReportable"/>), with the plan to save.</summary>
public sealed record RmabPlanResult : IReportable
{
    private readonly Lazy<RmabSavedPlan> _saved;

    /// <summary>A result with its saved plan.</summary>
    /// <param name="summary">The `--json` object.</param>
    /// <param name="saved">The planned policy after this week's call, for next week.</param>
    public RmabPlanResult(PlanSummary summary, RmabSavedPlan saved)
    {
        Summary = summary;
        _saved = new Lazy<RmabSavedPlan>(saved);
    }

    // The saved plan is exported only when asked for (--save-plan): for 10^5 beneficiaries the export costs about as
    // much as the plan. The planned policy is not used again, so a later export is the state after this week's call.
    internal RmabPlanResult(PlanSummary summary, Func<RmabSavedPlan> saved)
    {
        Summary = summary;
        _saved = new Lazy<RmabSavedPlan>(saved, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The `--json` object.</summary>
    public PlanSummary Summary { get; init; }

    /// <summary>The planned policy after this week's call, for next week.</summary>
    public RmabSavedPlan Saved => _saved.Value;

    object IReportable.Summary => Summary;

    /// <summary>The index column's name in plan.csv.</summary>
    public string IndexColumn => Summary.Planner == RmabPlanners.Ppo ? "ppo_index" : "whittle_index";

    /// <inheritdoc />
    public Report ToReport()
    {
        PlanSummary s = Summary;
        var inv = CultureInfo.InvariantCulture;
        var files = new List<ReportFile>
        {
            new RowTable("plan.csv", [.. PlanColumns, .. s.ExtraColumns ?? []], PlanRows(s)),
        };
        var body = new List<ReportBlock>
        {
            new HeadingBlock($"Call {s.Calls.Count} of {s.Beneficiaries} beneficiaries this week"),
            new ParagraphBlock($"Budget {s.Budget}, discount {s.Discount.ToString(inv)}, planner {s.Planner}" +
                (s.Planner == RmabPlanners.Ppo ? " (index = log-odds of P(call) of the trained policy)" : " (Whittle index)") +
                $". Reward {ReportText.Code(s.Reward)}" + (s.TaskLabel is null ? "." : $" (task {s.Task}: {ReportText.Code(s.TaskLabel)}).")),
            new ParagraphBlock(BudgetNote(s)),
        };
        if (s.Goal is GoalOutcome g)
        {
            var rows = GoalRows(g).ToArray();
            files.Add(new RowTable("distribution.csv", ["group", "feature", "column", "percent_goal", "percent_default"],
                rows.Select(r => (IReadOnlyList<object?>)[r.Group, r.Label, Features.ColumnNames[r.Feature], r.Goal, r.Default]).ToArray()));
            body.Add(new HeadingBlock("The goal and the reward designed for it"));
            body.Add(new ParagraphBlock($"Goal: \"{g.Goal}\". The {g.Designer} designer ran {g.Stages} reflection stages ({g.Refusals} proposals refused on the way) " +
                $"and chose {ReportText.Code(s.Reward)}. The table is the state-feature distribution of seed 001 Algorithm 2 on these beneficiaries' " +
                "transitions: the share of all engaged weeks accrued by beneficiaries with each feature, under the plan and under the Default reward (engagement only)."));
            body.Add(new TableBlock(["group", "feature", "% of engaged weeks (goal)", "% (Default reward)"],
                rows.Select(r => (IReadOnlyList<string>)[r.Group, r.Label, r.Goal.ToString("0.00", inv), r.Default.ToString("0.00", inv)]).ToArray()));
        }
        int shown = Math.Min(s.All.Count, ReportRows);
        string caption = (shown < s.All.Count ? $"The first {shown} of {s.All.Count} by rank; plan.csv lists every beneficiary. " : "") +
            (s.NonIndexable.Count > 0 ? $"Not indexable: {string.Join(", ", s.NonIndexable.Take(ReportRows))}{(s.NonIndexable.Count > ReportRows ? $" and {s.NonIndexable.Count - ReportRows} more" : "")}." : "");
        body.Add(new TableBlock(["rank", "id", "state", "index", "expected gain", "call"],
            s.All.Take(shown).Select(e => (IReadOnlyList<string>)[e.Rank.ToString(inv), e.Id, e.State == 1 ? "engaged" : "not engaged", ReportText.Number(e.Index),
                ReportText.Number(e.ExpectedGain), e.Call ? "yes" : ""]).ToArray(),
            caption.Length > 0 ? caption.TrimEnd() : null));
        return new Report("Tandem — call list", s, files, body);
    }

    /// <summary>Rows (by rank) the report's table shows; plan.csv always has every beneficiary.</summary>
    public const int ReportRows = 200;

    /// <summary>The plan's own columns of plan.csv, in order; the file's extra columns follow them in file order.</summary>
    public IReadOnlyList<string> PlanColumns => ["id", "rank", "call", IndexColumn, "expected_gain", "state", "indexable"];

    private static IReadOnlyList<object?>[] PlanRows(PlanSummary s)
    {
        int extras = s.ExtraColumns?.Count ?? 0;
        var rows = new IReadOnlyList<object?>[s.All.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            PlanEntry e = s.All[i];
            var row = new object?[7 + extras];
            row[0] = e.Id; row[1] = e.Rank; row[2] = e.Call ? 1 : 0; row[3] = e.Index; row[4] = e.ExpectedGain; row[5] = e.State; row[6] = e.Indexable ? 1 : 0;
            for (int k = 0; k < extras; k++) row[7 + k] = e.Extra![k];
            rows[i] = row;
        }
        return rows;
    }

    /// <summary>One sentence on how the budget was used: calls left unused because of negative indices (and why), or
    /// negative-index beneficiaries called because the budget was filled.</summary>
    public static string BudgetNote(PlanSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        int negative = summary.Calls.Count(e => e.Index < 0);
        if (summary.Unused > 0)
            return $"{summary.Unused} of the {summary.Budget} budgeted calls were left unused: only {summary.Calls.Count} beneficiaries have a non-negative Whittle index, " +
                "and for the others a call is worth less than no call under this reward even at no cost (most often because it lowers their chance of engaging). " +
                "--fill-budget calls them anyway.";
        if (negative > 0)
            return summary.Planner == RmabPlanners.Ppo
                ? $"{negative} of the calls have a negative PPO index (log-odds of P(call) below 0): a PPO plan always fills the budget."
                : $"The budget was filled (--fill-budget): {negative} of the calls go to beneficiaries with a negative Whittle index, for whom a call is worth less than no call under this reward.";
        return summary.Calls.Count == 0 ? "The budget is 0: nobody is called." : $"All {summary.Calls.Count} calls go to beneficiaries with a non-negative index.";
    }

    /// <summary>The goal's distribution beside the Default reward's, one row per feature of the file.</summary>
    public static IEnumerable<(string Group, int Feature, string Label, double Goal, double Default)> GoalRows(GoalOutcome goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        foreach (GroupShares group in goal.Distribution.Groups)
            foreach (FeatureShare share in group.Shares)
                yield return (group.Group, share.Feature, share.Label, share.Percent, goal.DefaultDistribution.PercentOf(share.Feature));
    }
}

/// <summary>
/// The library entry points of `tandem rmab`: Whittle indices of a file of arms, and a programme's call list for this
/// week (rank every beneficiary by its index in its current state under a reward, call the B largest; seed 001 §3 and
/// Appendix F). The host parses options, maps names and renders.
/// </summary>
public static class RmabProgramme
{
    /// <summary>Whittle indices of every arm of <see cref="RmabWhittleOptions.ArmsFile"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid, or an arm's index overflows (names the arm).</exception>
    /// <exception cref="FormatException">The file is malformed (one line naming the file, arm and field).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static RmabWhittleResult Whittle(RmabWhittleOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IReadOnlyList<WhittleArm> arms = ArmFiles.ReadWhittleJson(options.ArmsFile);
        var rows = new WhittleArmSummary[arms.Count];
        for (int i = 0; i < arms.Count; i++)
        {
            if (i % 256 == 0) cancellationToken.ThrowIfCancellationRequested();
            WhittleArm a = arms[i];
            WhittleResult w;
            try { w = WhittleIndex.Compute(a.Dynamics, a.Reward0, a.Reward1, options.Discount); }
            catch (ArgumentOutOfRangeException ex) when (ex.ParamName is "reward0" or "reward1")
            {
                throw new FormatException($"{options.ArmsFile}: arm {i} (id '{a.Id}'), field reward: {FirstLine(ex.Message)}");
            }
            rows[i] = new WhittleArmSummary(a.Id, [w.State0, w.State1], w.Indexable);
        }
        return new RmabWhittleResult(new WhittleSummary(options.Discount, rows));
    }

    /// <summary>This week's call list for the beneficiaries of <see cref="RmabPlanOptions.ArmsFile"/>.</summary>
    /// <param name="options">The plan as data; validated here.</param>
    /// <param name="progress">PPO epochs done of all (none for Whittle).</param>
    /// <param name="cancellationToken">Observed during index computation and PPO training (every few milliseconds).</param>
    /// <exception cref="ArgumentException">An option is invalid against the files (names the field), the reward is refused
    /// by the sandbox or cannot be planned with.</exception>
    /// <exception cref="FormatException">The beneficiary or task file is malformed (one line naming file, row and field).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static RmabPlanResult Plan(RmabPlanOptions options, IProgress<StudyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Goal is not null) throw new ArgumentException("A goal is turned into a reward by a designer: call PlanAsync.", nameof(RmabPlanOptions.Goal));
        string rewardText;
        string? label = null;
        if (options.Task is int t)
        {
            DlmTaskSet tasks = DlmTaskSet.Load(Path.Combine(options.ResolvedDataDirectory, "tasks.json"));
            if (t >= tasks.Tasks.Count) throw new ArgumentOutOfRangeException(nameof(RmabPlanOptions.Task), t, $"Unknown task; tasks are 0-{tasks.Tasks.Count - 1}.");
            rewardText = tasks.Tasks[t].Base;
            label = tasks.Tasks[t].Label;
        }
        else rewardText = options.Expression!;
        if (!RewardSandbox.TryParse(rewardText, out RewardExpression? reward, out string? refusal))
            throw new ArgumentException($"Refused: {refusal}.", nameof(RmabPlanOptions.Expression));
        BeneficiaryFile data = Load(options, cancellationToken);
        return PlanWith(options, reward, label, data.Rows, data.Extras, progress, cancellationToken).Result;
    }

    /// <summary><see cref="Plan"/>, or for a <see cref="RmabPlanOptions.Goal"/>: check that the file has the features the goal
    /// names, design the reward with the DLM loop (seed 001 Algorithm 1; candidates planned with Whittle on these
    /// beneficiaries' transitions and reflected on their state-feature distributions), plan with it, and report the
    /// state-feature distribution (Algorithm 2) of the plan beside the Default reward's.</summary>
    /// <param name="options">The plan as data; validated here.</param>
    /// <param name="designers">Designers the library does not own (language models); null: only simulated.</param>
    /// <param name="progress">PPO epochs done of all (none for Whittle).</param>
    /// <param name="cancellationToken">Observed during design, planning and simulation.</param>
    /// <exception cref="ArgumentException">As <see cref="Plan"/>; also a goal naming features the file lacks, a designer
    /// that needs a ground truth, or a design that never gave a valid reward.</exception>
    /// <exception cref="FormatException">A file is malformed.</exception>
    /// <exception cref="StudyStopException">A language-model designer stopped the design (cost guard, missing key).</exception>
    public static async Task<RmabPlanResult> PlanAsync(RmabPlanOptions options, IRewardDesignerFactory? designers = null, IProgress<StudyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Goal is null) return Plan(options, progress, cancellationToken);
        DesignerSpec spec = options.Designer ?? new DesignerSpec();
        string file = options.BeneficiaryFile;
        BeneficiaryFile data = Load(options, cancellationToken);
        IReadOnlyList<BeneficiaryRow> rows = data.Rows;
        IRewardDesigner inner = RewardDesigners.Create(spec, designers);
        IReadOnlyList<int> grounded = inner is EmbeddingDesigner embedding
            ? RmabGoal.Check(await embedding.GroundAsync(options.Goal, cancellationToken).ConfigureAwait(false), data, file)
            : RmabGoal.Check(options.Goal, spec.Name, data, file).Targets;
        if (options.Budget > rows.Count)
            throw new ArgumentOutOfRangeException(nameof(RmabPlanOptions.Budget), options.Budget, $"The budget exceeds the {rows.Count} beneficiaries in {file}.");
        IRewardDesigner designer = new RmabGoal.AvailableFeatures(inner, data.FeatureColumns.ToHashSet(), Path.GetFileName(file));
        ArmDynamics[] dynamics = rows.Select(r => r.Dynamics).ToArray();
        double[][] features = rows.Select(r => r.Features).ToArray();
        var instance = new RmabInstance(dynamics, features, rows.Select(r => (double)r.State).ToArray(), options.Budget);
        DlmLoopOptions loop = options.GoalLoop ?? new DlmLoopOptions();
        var task = new DlmTask(-1, "goal", options.Goal, "state"); // Base is never read: the oracle and base designers are refused above.
        DlmRunResult design = await DlmLoop.RunAsync(task, instance, dynamics, new WhittlePlanner(), designer, loop, Seeds.Derive(options.Seed, "goal"),
            options.Discount, cancellationToken).ConfigureAwait(false);
        int refusals = design.Stages.Sum(st => st.Candidates.Sum(c => c.Refusals.Count));
        if (design.Selected is null)
        {
            string last = design.Stages.SelectMany(st => st.Candidates).SelectMany(c => c.Refusals).LastOrDefault()?.Refusal ?? "no proposal";
            throw new ArgumentException($"The {designer.Name} designer gave no valid reward for the goal in {loop.Stages} × {loop.Candidates} candidates ({refusals} refusals; the last: {last}).", nameof(RmabPlanOptions.Goal));
        }
        var (result, policy, table) = PlanWith(options, design.Selected, null, rows, data.Extras, progress, cancellationToken);

        // Algorithm 2 on the programme's own transitions: the plan's policy, and the Default reward's for comparison.
        var evaluation = new EvaluationOptions(Discount: options.Discount);
        SimulationResult planned = RmabSimulator.Run(instance, policy, table, evaluation, Seeds.Derive(options.Seed, "goal-distribution"));
        RewardTable engagement = RewardTable.EngagementOnly(rows.Count);
        IRmabPolicy baseline = new WhittlePlanner().Plan(new PlanningProblem(dynamics, engagement, options.Budget, options.Discount), cancellationToken);
        SimulationResult standard = RmabSimulator.Run(instance, baseline, engagement, evaluation, Seeds.Derive(options.Seed, "goal-distribution"));
        var present = data.FeatureColumns.ToHashSet();
        var outcome = new GoalOutcome(options.Goal, designer.Name, grounded, design.Stages.Count, refusals,
            Available(StateFeatureDistribution.From(planned.EngagedCount, features), present), Available(StateFeatureDistribution.From(standard.EngagedCount, features), present));
        return result with { Summary = result.Summary with { Goal = outcome } };
    }

    // Only the groups the file has columns for, and in them only the members it has.
    private static StateFeatureDistribution Available(StateFeatureDistribution d, HashSet<int> present) =>
        new(d.Groups.Select(g => new GroupShares(g.Group, g.Shares.Where(x => present.Contains(x.Feature)).ToArray())).Where(g => g.Shares.Count > 0).ToArray());

    private static BeneficiaryFile Load(RmabPlanOptions options, CancellationToken cancellationToken)
    {
        if (options.HistoryFile is null) return ArmFiles.ReadBeneficiaries(options.ArmsFile);
        History.RmabEstimateResult estimate = History.RmabHistory.Estimate(
            new History.RmabEstimateOptions { HistoryFile = options.HistoryFile, Estimate = options.Estimate ?? new() }, cancellationToken);
        return new BeneficiaryFile(estimate.Rows(), estimate.Histories.FeatureColumns);
    }

    private static (RmabPlanResult Result, IRmabPolicy Policy, RewardTable Table) PlanWith(RmabPlanOptions options, RewardExpression reward, string? label,
        IReadOnlyList<BeneficiaryRow> rows, IReadOnlyList<string> extraColumns, IProgress<StudyProgress>? progress, CancellationToken cancellationToken)
    {
        string rewardText = reward.Text;
        string file = options.BeneficiaryFile;
        if (options.Budget > rows.Count)
            throw new ArgumentOutOfRangeException(nameof(RmabPlanOptions.Budget), options.Budget, $"The budget exceeds the {rows.Count} beneficiaries in {file}.");
        if (!reward.TryTabulate(rows.Select(r => r.Features).ToArray(), out RewardTable? table, out string? error))
            throw new ArgumentException($"Cannot be evaluated on {file}: {error}.", nameof(RmabPlanOptions.Expression));
        var problem = new PlanningProblem(rows.Select(r => r.Dynamics).ToArray(), table, options.Budget, options.Discount);
        PpoOptions? ppo = options.PpoFor(rows.Count);
        IRmabPlanner planner = ppo is null
            ? new WhittlePlanner()
            : new PpoPlanner(ppo, Seeds.Derive(options.Seed, "ppo"), progress is null ? null : new EpochProgress(e => progress.Report(new StudyProgress(e.Epoch + 1, ppo.Epochs))));
        IRmabPolicy policy;
        try { policy = planner.Plan(problem, cancellationToken); }
        catch (ArgumentOutOfRangeException ex) when (ex.ParamName is "reward0" or "reward1" or "problem")
        {
            throw new ArgumentException($"The planner cannot use this reward on {file}: {FirstLine(ex.Message)}", nameof(RmabPlanOptions.Expression));
        }
        // The same tie-break stream as CallList.Plan(problem, states, seed), so the list is unchanged; the stream's
        // state after this week's call is saved with the policy.
        var planned = new PlannedPolicy(policy, Seeds.Derive(options.Seed, "call-list"));
        IReadOnlyList<CallListEntry> plan = CallList.Plan(planned, rows.Select(r => r.State).ToArray());
        // Nobody is called whose Whittle index is negative unless the budget is to be filled. The planner's call set is
        // the B largest indices, so the negative ones are its last ranks and dropping them keeps the ranking; the
        // tie-break stream has advanced exactly as before.
        bool keepNegative = ppo is not null || options.FillBudget;
        var all = new PlanEntry[plan.Count];
        int unused = 0;
        for (int r = 0; r < all.Length; r++)
        {
            CallListEntry e = plan[r];
            BeneficiaryRow row = rows[e.Arm];
            bool call = e.Call && (keepNegative || !(e.Index < 0));
            if (e.Call && !call) unused++;
            all[r] = new PlanEntry(e.Rank, row.Id, e.State, e.Index, e.Indexable, call, ExpectedGain(row.Dynamics, e.State), row.Extra);
        }
        var summary = new PlanSummary("rmab plan", Path.GetFileName(file), rows.Count, options.Budget, options.Discount, rewardText, options.Task, label,
            all.Where(e => e.Call).ToArray(), all.Where(e => !e.Indexable).Select(e => e.Id).ToArray(), all, options.Planner, null, unused, options.FillBudget, extraColumns);
        string[] ids = rows.Select(r => r.Id).ToArray();
        return (new RmabPlanResult(summary, () => new RmabSavedPlan(ids, rewardText, options.Planner, options.Discount, planned.ExportState())), policy, table);
    }

    /// <summary>The expected engagement gain of calling a beneficiary in state <paramref name="state"/> this week: the
    /// one-step difference P(engaged next week | state, call) − P(engaged next week | state, no call), i.e.
    /// p01_active − p01_passive in state 0 and p11_active − p11_passive in state 1. Negative when a call lowers the chance
    /// of engaging. (Under the engagement reward r(s) = s, the Whittle index of the state has its sign whenever
    /// V*_1 &gt; V*_0 at zero subsidy: d_s(0) = −γ·gain·(V*_1 − V*_0); <see cref="WhittleIndex"/>.)</summary>
    public static double ExpectedGain(in ArmDynamics arm, int state) => arm.ToEngaged(state, 1) - arm.ToEngaged(state, 0);

    private static string FirstLine(string message)
    {
        int paren = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        string text = paren > 0 ? message[..paren] : message;
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (newline > 0 ? text[..newline] : text).Trim();
    }

    private sealed class EpochProgress(Action<PpoEpoch> report) : IProgress<PpoEpoch>
    {
        public void Report(PpoEpoch value) => report(value);
    }
}
