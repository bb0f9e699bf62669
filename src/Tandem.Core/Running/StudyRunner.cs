using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;

namespace Tandem.Core.Running;

/// <summary>
/// Loops environment × policy for T steps over R independent runs. Runs execute in parallel, each with
/// its own seed derived from the study seed and its index, so the same seed gives the same numbers
/// whatever the scheduling. The loop is separate from the learner (STYLE 11).
/// </summary>
public static class StudyRunner
{
    /// <summary>Run <paramref name="study"/>.</summary>
    /// <param name="study">Environment and policy factories.</param>
    /// <param name="options">Horizon, runs, seed, parallelism.</param>
    /// <param name="observers">Step observers (thread-safe); any may stop a run early.</param>
    /// <param name="progress">Receives completed/total rounds, at most every 1% of the study.</param>
    /// <param name="timeProvider">Clock for the wall time; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="cancellationToken">Stops the study; throws <see cref="OperationCanceledException"/>.</param>
    public static async Task<StudyResult> RunAsync<TContext, TDecision, TOutcome>(
        Study<TContext, TDecision, TOutcome> study,
        RunnerOptions options,
        IReadOnlyList<IStepObserver<TContext, TDecision, TOutcome>>? observers = null,
        IProgress<StudyProgress>? progress = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
        where TDecision : Decision
        where TOutcome : IOutcome
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (study.Policies.Count == 0) throw new ArgumentException("A study needs at least one policy.", nameof(study));
        options.CheckCells(study.Policies.Count);
        observers ??= [];

        var traces = study.Policies.Select(p => new PolicyTrace(p.Name, options.Runs)).ToArray();
        long total = (long)options.Runs * options.Horizon * study.Policies.Count;
        long rounds = 0;

        TimeSpan wall = await ParallelCells.RunAsync(options.Runs, options.Seed, options.MaxDegreeOfParallelism, total, async (cell, work, ct) =>
        {
            var runContext = new RunContext(cell.Index, cell.Seed);
            for (int p = 0; p < study.Policies.Count; p++)
            {
                var environment = study.CreateEnvironment(runContext);
                var policy = study.Policies[p].Create(runContext, environment);
                int steps = await RunOneAsync(cell.Index, p, environment, policy, options.Horizon, traces[p], observers, ct, onStep: () => work.Advance()).ConfigureAwait(false);
                Interlocked.Add(ref rounds, steps);
            }
        }, progress, timeProvider, cancellationToken).ConfigureAwait(false);

        return new StudyResult(options, traces, wall, rounds);
    }

    private static async ValueTask<int> RunOneAsync<TContext, TDecision, TOutcome>(
        int run,
        int policyIndex,
        IEnvironment<TContext, TDecision, TOutcome> environment,
        IPolicy<TContext, TDecision, TOutcome> policy,
        int horizon,
        PolicyTrace trace,
        IReadOnlyList<IStepObserver<TContext, TDecision, TOutcome>> observers,
        CancellationToken cancellationToken,
        Action onStep)
        where TDecision : Decision
        where TOutcome : IOutcome
    {
        var regret = new double[horizon];
        var reward = new double[horizon];
        var expected = new double[horizon];
        var queries = new bool[horizon];
        var arms = new int[horizon];
        int t = 0;
        for (; t < horizon; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TContext context = environment.NextContext();
            double optimal = environment.OptimalExpectedReward(context);
            TDecision decision = await policy.DecideAsync(context, cancellationToken).ConfigureAwait(false);
            if ((uint)decision.Arm >= (uint)environment.ArmCount)
                throw new InvalidOperationException($"Policy '{policy.Name}' chose arm {decision.Arm}; the environment has arms 0..{environment.ArmCount - 1}.");
            TOutcome outcome = environment.Respond(context, decision);
            await policy.LearnAsync(context, decision, outcome, cancellationToken).ConfigureAwait(false);

            regret[t] = optimal - outcome.ExpectedReward;
            reward[t] = outcome.Reward;
            expected[t] = outcome.ExpectedReward;
            queries[t] = decision.Notes.Contains(DecisionNotes.AdvisorConsulted);
            arms[t] = decision.Arm;
            onStep();

            bool keepGoing = true;
            if (observers.Count > 0)
            {
                var record = new StepRecord<TContext, TDecision, TOutcome>(environment, run, policyIndex, trace.Name, t, context, decision, outcome, optimal, regret[t]);
                foreach (var observer in observers) keepGoing &= observer.OnStep(record);
            }
            if (!keepGoing)
            {
                t++;
                break;
            }
        }
        trace.Regret[run] = t == horizon ? regret : regret[..t];
        trace.Reward[run] = t == horizon ? reward : reward[..t];
        trace.ExpectedReward[run] = t == horizon ? expected : expected[..t];
        trace.AdvisorQueries[run] = t == horizon ? queries : queries[..t];
        trace.Arms[run] = t == horizon ? arms : arms[..t];
        return t;
    }
}
