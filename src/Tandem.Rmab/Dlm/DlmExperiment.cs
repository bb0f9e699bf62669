using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Metrics;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Rewards;
using Tandem.Rmab.Simulation;

namespace Tandem.Rmab.Dlm;

/// <summary>The compared methods, in Table 4's order (keys of the `tandem dlm` JSON).</summary>
public static class DlmMethods
{
    /// <summary>B arms uniformly at random (MNR 0 by definition).</summary>
    public const string Random = "Random";

    /// <summary>No calls.</summary>
    public const string NoAction = "NoAction";

    /// <summary>The planner (Whittle by default) on the Default reward <c>state</c>.</summary>
    public const string Default = "Default";

    /// <summary>The planner on the task's Base reward (MNR 1 by definition).</summary>
    public const string Base = "Base";

    /// <summary>DLM with one stage of one candidate.</summary>
    public const string NoReflection = "DLM (No Reflection)";

    /// <summary>DLM with reflection (R stages of K candidates).</summary>
    public const string Reflection = "DLM (Reflection)";

    /// <summary>All methods in display order.</summary>
    public static IReadOnlyList<string> All { get; } = [Random, NoAction, Default, Base, NoReflection, Reflection];
}

/// <summary>Settings of a Table 4 reproduction (seed 001 §5; defaults are the authors').</summary>
public sealed record DlmExperimentOptions
{
    /// <summary>Independent seeds (≥ 1; authors: 200).</summary>
    public int Seeds { get; init; } = 200;

    /// <summary>Study seed; seed i uses a stream derived from it and i.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Arms N per seed (≥ 1; authors: 48).</summary>
    public int Arms { get; init; } = 48;

    /// <summary>Calls per step B (0 ≤ B ≤ N; authors: 16).</summary>
    public int Budget { get; init; } = 16;

    /// <summary>Reflection stages R (≥ 1; authors: 5).</summary>
    public int Stages { get; init; } = 5;

    /// <summary>Candidates K per stage (≥ 1; authors: 3).</summary>
    public int Candidates { get; init; } = 3;

    /// <summary>Retries after a refusal (seed: 10).</summary>
    public int MaxRetries { get; init; } = 10;

    /// <summary>Evaluation trials per seed (≥ 1; authors: 50).</summary>
    public int Trials { get; init; } = 50;

    /// <summary>Steps per trial (≥ 1; authors: 10).</summary>
    public int Steps { get; init; } = 10;

    /// <summary>Discount γ ∈ [0, 1) of planning and returns (authors: 0.9).</summary>
    public double Discount { get; init; } = 0.9;

    /// <summary>The planner, as data (catalog name and settings; <see cref="RmabPlanners"/>). Each (task, seed) cell builds
    /// its planner from a seed derived for that cell; every plan of the cell (Default, Base, each DLM candidate) uses
    /// that one planner, so planners that learn (PPO) give the same policy for the same reward and candidates see common
    /// random numbers. Planners that do not draw (Whittle) ignore the seed. Default: Whittle on the true transitions.</summary>
    public PlannerSpec Planner { get; init; } = PlannerSpec.Default;

    /// <summary>Task indices to run (null: all).</summary>
    public IReadOnlyList<int>? Tasks { get; init; }

    /// <summary>Work items in parallel at most (≥ 1).</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>The most seeds a study runs (the authors ran 200).</summary>
    public const int MaxSeeds = 10_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first field out of range (sizes have upper
    /// bounds: <see cref="MaxSeeds"/>, <see cref="Programme.ArmFiles.MaxArms"/>, <see cref="DlmLoopOptions.MaxStages"/>,
    /// <see cref="DlmLoopOptions.MaxCandidates"/>, <see cref="EvaluationOptions.MaxTrials"/>, <see cref="EvaluationOptions.MaxSteps"/>);
    /// returns this.</summary>
    public DlmExperimentOptions Validated(int taskCount)
    {
        if (Seeds < 1) throw new ArgumentOutOfRangeException(nameof(Seeds), Seeds, "At least one seed.");
        if (Seeds > MaxSeeds) throw new ArgumentOutOfRangeException(nameof(Seeds), Seeds, $"At most {MaxSeeds} seeds.");
        if (Arms < 1) throw new ArgumentOutOfRangeException(nameof(Arms), Arms, "At least one arm.");
        if (Arms > Programme.ArmFiles.MaxArms) throw new ArgumentOutOfRangeException(nameof(Arms), Arms, $"At most {Programme.ArmFiles.MaxArms} arms.");
        if (Budget < 0 || Budget > Arms) throw new ArgumentOutOfRangeException(nameof(Budget), Budget, $"The budget must lie in [0, {Arms}] (the number of arms).");
        if (!(Discount >= 0 && Discount < 1)) throw new ArgumentOutOfRangeException(nameof(Discount), Discount, "The discount must lie in [0, 1).");
        if (MaxDegreeOfParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "At least 1.");
        ArgumentNullException.ThrowIfNull(Planner);
        Planner.Validate();
        new DlmLoopOptions(Stages, Candidates, MaxRetries, Evaluation).Validated();
        foreach (int t in Tasks ?? [])
            if (t < 0 || t >= taskCount) throw new ArgumentOutOfRangeException(nameof(Tasks), t, $"Task indices lie in [0, {taskCount - 1}].");
        return this;
    }

    /// <summary>The evaluation settings.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public EvaluationOptions Evaluation => new(Trials, Steps, Discount);
}

/// <summary>One task's results over seeds.</summary>
/// <param name="Task">The task.</param>
/// <param name="Returns">Per method, the return of each seed.</param>
/// <param name="Mnr">Per method, the MNR of each seed.</param>
/// <param name="Precision">Mean zero-shot precision of the features used against the Base reward's (Table 1).</param>
/// <param name="Recall">Mean zero-shot recall.</param>
/// <param name="LogicRecall">Mean zero-shot arm-level logic recall (<see cref="RobustStats.LogicRecall"/>, Appendix H).</param>
/// <param name="Example">The reflection run of the first seed (Appendix L).</param>
/// <param name="Selected">The selected reward of each seed's reflection run (null when none was valid).</param>
/// <param name="NoTargetShare">Share of seeds whose sample has no target beneficiary: the Base reward singles out no
/// arm (every arm's engaged lift R(n,1) − R(n,0) equals the smallest), so Base, Default and any reward that ranks by
/// engagement plan alike there.</param>
/// <param name="PrecisionReflection">Mean precision of the candidates of the reflection stages after the first
/// (Table 1 "Prec. (reflection)"); NaN with one stage.</param>
/// <param name="RecallReflection">Mean recall of those candidates.</param>
public sealed record DlmTaskResult(DlmTask Task, IReadOnlyDictionary<string, double[]> Returns, IReadOnlyDictionary<string, double[]> Mnr,
    double Precision, double Recall, double LogicRecall, DlmRunResult Example, IReadOnlyList<string?> Selected,
    double NoTargetShare = double.NaN, double PrecisionReflection = double.NaN, double RecallReflection = double.NaN)
{
    /// <summary>IQM ± SE and mean of a method's MNR over seeds.</summary>
    public Aggregate MnrOf(string method) => RobustStats.Summarize(Mnr[method]);

    /// <summary>A method's MNR computed as the authors' analysis computes Table 4: Default as the IQM of the per-seed MNRs
    /// (<see cref="RobustStats.AuthorsIqm"/>), the other methods as the normalised IQMs of the returns
    /// (<see cref="RobustStats.PaperMnr"/>).</summary>
    public Aggregate PaperMnrOf(string method) => method == DlmMethods.Default
        ? RobustStats.AuthorsIqm(Mnr[method])
        : RobustStats.PaperMnr(Returns[method], Returns[DlmMethods.Random], Returns[DlmMethods.Base]);

    /// <summary>One-sided Welch p-value of MNR(a) &gt; MNR(b) over seeds (Table 5).</summary>
    public double PValue(string a, string b) => RobustStats.WelchGreater(Mnr[a], Mnr[b]);
}

/// <summary>The whole table.</summary>
/// <param name="Options">Settings used.</param>
/// <param name="Designer">Designer name.</param>
/// <param name="Tasks">Per-task results in index order.</param>
/// <param name="NonIndexableArms">Arms found not indexable under any planned reward (summed over plans).</param>
/// <param name="Refusals">Proposals refused by the sandbox or validation over the whole run.</param>
/// <param name="Wall">Wall time of the computation.</param>
public sealed record DlmExperimentResult(DlmExperimentOptions Options, string Designer, IReadOnlyList<DlmTaskResult> Tasks, long NonIndexableArms, long Refusals, TimeSpan Wall)
{
    /// <summary>A method's MNR pooled over every task and seed.</summary>
    public Aggregate AverageMnr(string method) => RobustStats.Summarize(Tasks.SelectMany(t => t.Mnr[method]));

    /// <summary>The Average row as the seed's Table 4 computes it from its task rows (<see cref="RobustStats.AverageRow"/>)
    /// over <see cref="DlmTaskResult.PaperMnrOf"/>.</summary>
    public Aggregate PaperAverageMnr(string method) => RobustStats.AverageRow(Tasks.Select(t => t.PaperMnrOf(method)).ToArray());
}

/// <summary>
/// Reproduces seed 001 Table 4 (and Tables 1 and 5): for each seed, sample N arms from the generated population;
/// for each task, plan with the options' planner (the Whittle index by default, or Lagrangian PPO) under Random, No Action, Default, Base, DLM (No Reflection) and
/// DLM (Reflection) rewards, and evaluate every policy by its discounted Base reward under common random numbers.
/// </summary>
public static class DlmExperiment
{
    /// <summary>Run the table on the <see cref="ParallelCells"/> scaffold, one cell per (task, seed). Deterministic for a
    /// seed regardless of parallelism.</summary>
    /// <param name="tasks">The task list.</param>
    /// <param name="generator">The cohort generator.</param>
    /// <param name="designer">Designer and reflector; a <see cref="Core.Ports.StudyStopException"/> from it stops the study.</param>
    /// <param name="options">The settings.</param>
    /// <param name="progress">Cells done of all cells, at most every 1%.</param>
    /// <param name="timeProvider">Clock of the wall time; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="log">Receives every evaluated step of every method (null: none); logging changes no number.</param>
    /// <param name="cancellationToken">Stops the study.</param>
    public static async Task<DlmExperimentResult> RunAsync(DlmTaskSet tasks, CohortGenerator generator, IRewardDesigner designer, DlmExperimentOptions options,
        IProgress<StudyProgress>? progress = null, TimeProvider? timeProvider = null, DlmDecisionLog? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(designer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validated(tasks.Tasks.Count);
        RmabPlannerEntry plannerEntry = RmabPlanners.Find(options.Planner.Name);
        if (options.Arms > generator.Parameters.PopulationSize)
            throw new ArgumentOutOfRangeException(nameof(options), options.Arms, $"At most {generator.Parameters.PopulationSize} arms (the population size).");
        timeProvider ??= TimeProvider.System;
        long start = timeProvider.GetTimestamp();
        DlmTask[] selected = (options.Tasks ?? Enumerable.Range(0, tasks.Tasks.Count).ToArray()).Select(i => tasks.Tasks[i]).ToArray();
        Beneficiary[] population = generator.Population(options.Seed);
        RewardExpression defaultReward = RewardSandbox.Parse(tasks.Default);
        var loop = new DlmLoopOptions(options.Stages, options.Candidates, options.MaxRetries, options.Evaluation);
        var zeroShot = new DlmLoopOptions(1, 1, options.MaxRetries, options.Evaluation);

        int cells = selected.Length * options.Seeds;
        var outcome = new CellOutcome[cells];
        long nonIndexable = 0, refusals = 0;
        // Cell (t, s) derives its seeds from the study seed and the seed index s (not the cell index), so every task of
        // seed s sees the same arms.
        await ParallelCells.RunAsync(cells, options.Seed, options.MaxDegreeOfParallelism, cells,
            async (context, work, ct) =>
            {
                int cell = context.Index, t = cell / options.Seeds, s = cell % options.Seeds;
                DlmTask task = selected[t];
                ulong seed = Seeds.Derive(options.Seed, s);
                RmabInstance instance = CohortGenerator.Sample(population, options.Arms, options.Budget, seed);
                IReadOnlyList<ArmDynamics> planning = plannerEntry.EstimatedTransitions
                    ? TransitionEstimator.Estimate(instance, Seeds.Derive(seed, "estimate"))
                    : instance.Dynamics;
                ulong evalSeed = Seeds.Derive(seed, "evaluation");
                RewardTable baseTable = task.BaseExpression.Tabulate(instance.FeatureRows);
                RewardTable defaultTable = defaultReward.Tabulate(instance.FeatureRows);
                var planner = new CellPlanner(plannerEntry.Create(options.Planner, Seeds.Derive(Seeds.Derive(seed, "planner"), task.Index)));
                long badArms = 0;
                double Evaluate(string method, IRmabPolicy policy) =>
                    RmabSimulator.Run(instance, policy, baseTable, options.Evaluation, evalSeed, log?.For(method, task.Index, s)).MeanReturn;
                IRmabPolicy PlanFor(RewardTable table)
                {
                    IRmabPolicy p = planner.Plan(new PlanningProblem(planning, table, options.Budget, options.Discount), ct);
                    if (p is IIndexRmabPolicy ip) badArms += ip.Indexable.Count(x => !x);
                    return p;
                }

                var returns = new Dictionary<string, double>
                {
                    [DlmMethods.Random] = Evaluate(DlmMethods.Random, new RandomPlanner().Plan(new PlanningProblem(planning, baseTable, options.Budget, options.Discount))),
                    [DlmMethods.NoAction] = Evaluate(DlmMethods.NoAction, new NoActionPlanner().Plan(new PlanningProblem(planning, baseTable, options.Budget, options.Discount))),
                    [DlmMethods.Default] = Evaluate(DlmMethods.Default, PlanFor(defaultTable)),
                    [DlmMethods.Base] = Evaluate(DlmMethods.Base, PlanFor(baseTable)),
                };
                ulong dlmSeed = Seeds.Derive(Seeds.Derive(seed, "dlm"), task.Index);
                DlmRunResult single = await DlmLoop.RunAsync(task, instance, planning, planner, designer, zeroShot, Seeds.Derive(dlmSeed, "no-reflection"), options.Discount, ct).ConfigureAwait(false);
                DlmRunResult full = await DlmLoop.RunAsync(task, instance, planning, planner, designer, loop, Seeds.Derive(dlmSeed, "reflection"), options.Discount, ct).ConfigureAwait(false);
                // A run with no valid candidate falls back to the Default reward (what the programme ran before).
                returns[DlmMethods.NoReflection] = Evaluate(DlmMethods.NoReflection, PlanFor(single.SelectedTable ?? defaultTable));
                returns[DlmMethods.Reflection] = Evaluate(DlmMethods.Reflection, PlanFor(full.SelectedTable ?? defaultTable));

                var zero = single.Stages[0].Candidates.Concat(full.Stages[0].Candidates).Where(c => c.Expression is not null).ToArray();
                var pr = zero.Select(c => RobustStats.PrecisionRecall(c.FeaturesUsed.ToArray(), task.TrueFeatures.ToArray())).ToArray();
                var prLater = full.Stages.Skip(1).SelectMany(st => st.Candidates).Where(c => c.Expression is not null)
                    .Select(c => RobustStats.PrecisionRecall(c.FeaturesUsed.ToArray(), task.TrueFeatures.ToArray())).ToArray();
                double[] baseLift = Enumerable.Range(0, instance.ArmCount).Select(n => baseTable.State1[n] - baseTable.State0[n]).ToArray();
                bool noTarget = baseLift.All(v => v <= baseLift.Min() + 1e-12);
                double[] logic = zero.Select(c =>
                {
                    RewardTable t = RewardSandbox.Parse(c.Expression!).Tabulate(instance.FeatureRows);
                    return RobustStats.LogicRecall(Enumerable.Range(0, instance.ArmCount).Select(n => t.State1[n] - t.State0[n]).ToArray(), baseLift);
                }).ToArray();
                long refused = single.Stages.Concat(full.Stages).SelectMany(st => st.Candidates).Sum(c => (long)c.Refusals.Count);
                outcome[cell] = new CellOutcome(returns, pr, logic, s == 0 ? full : null, full.Selected?.Text, noTarget, prLater);
                Interlocked.Add(ref nonIndexable, badArms);
                Interlocked.Add(ref refusals, refused);
                work.Advance();
            }, progress, timeProvider, cancellationToken).ConfigureAwait(false);

        var results = new List<DlmTaskResult>();
        for (int t = 0; t < selected.Length; t++)
        {
            var cellsOfTask = Enumerable.Range(0, options.Seeds).Select(s => outcome[t * options.Seeds + s]).ToArray();
            var returns = DlmMethods.All.ToDictionary(m => m, m => cellsOfTask.Select(c => c.Returns[m]).ToArray());
            var mnr = DlmMethods.All.ToDictionary(m => m, m => cellsOfTask.Select(c =>
                RobustStats.MeanNormalizedReward(c.Returns[m], c.Returns[DlmMethods.Random], c.Returns[DlmMethods.Base])).ToArray());
            var pr = cellsOfTask.SelectMany(c => c.PrecisionRecall).ToArray();
            double precision = pr.Select(x => x.Precision).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            double recall = pr.Select(x => x.Recall).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            double logicRecall = cellsOfTask.SelectMany(c => c.LogicRecall).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            var later = cellsOfTask.SelectMany(c => c.PrecisionRecallLater).ToArray();
            double precisionLater = later.Select(x => x.Precision).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            double recallLater = later.Select(x => x.Recall).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            double noTargetShare = cellsOfTask.Count(c => c.NoTarget) / (double)cellsOfTask.Length;
            results.Add(new DlmTaskResult(selected[t], returns, mnr, precision, recall, logicRecall, cellsOfTask[0].Example!, cellsOfTask.Select(c => c.Selected).ToArray(),
                noTargetShare, precisionLater, recallLater));
        }
        return new DlmExperimentResult(options, designer.Name, results, nonIndexable, refusals, timeProvider.GetElapsedTime(start));
    }

    // Within one cell the dynamics, budget and discount are fixed and the planner is a function of the reward, so a
    // table planned once (a DLM run's selected candidate) is not planned again for its evaluation.
    private sealed class CellPlanner(IRmabPlanner inner) : IRmabPlanner
    {
        private readonly Dictionary<RewardTable, IRmabPolicy> _planned = new(ReferenceEqualityComparer.Instance);

        public string Name => inner.Name;

        public IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default)
        {
            if (_planned.TryGetValue(problem.Rewards, out IRmabPolicy? known)) return known;
            IRmabPolicy policy = inner.Plan(problem, cancellationToken);
            _planned[problem.Rewards] = policy;
            return policy;
        }
    }

    private sealed record CellOutcome(Dictionary<string, double> Returns, (double Precision, double Recall)[] PrecisionRecall, double[] LogicRecall, DlmRunResult? Example, string? Selected,
        bool NoTarget, (double Precision, double Recall)[] PrecisionRecallLater);
}
