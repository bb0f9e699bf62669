using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Experiments;

/// <summary>The traces of one setting of an experiment.</summary>
/// <param name="Setting">The setting.</param>
/// <param name="Result">Per-agent traces (exact regret) from the runner.</param>
public sealed record SettingResult(ExperimentSetting Setting, StudyResult Result);

/// <summary>Everything an experiment produced.</summary>
/// <param name="Experiment">The definition.</param>
/// <param name="Agents">The agents run, in order.</param>
/// <param name="Settings">One result per setting.</param>
public sealed record ExperimentResult(ExperimentDefinition Experiment, IReadOnlyList<AgentSpec> Agents, IReadOnlyList<SettingResult> Settings)
{
    /// <summary>Simulation wall time summed over settings.</summary>
    public TimeSpan SimulationWallTime => TimeSpan.FromTicks(Settings.Sum(s => s.Result.SimulationWallTime.Ticks));
}

/// <summary>Runs an experiment's settings one after another on the shared <see cref="StudyRunner"/>.</summary>
public static class GambittsStudy
{
    /// <summary>The study of one setting: a <see cref="GambitEnvironment"/> per run and policy, the agents built per run.</summary>
    public static Study<GambitContext, GambitDecision, GambitOutcome> CreateStudy(ExperimentSetting setting, IReadOnlyList<AgentSpec> agents)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(agents);
        setting.Options.Validate();
        var factories = agents.Select(a => new PolicyFactory<GambitContext, GambitDecision, GambitOutcome>(a.Name,
            (run, env) => a.Create(((GambitEnvironment)env).World, run, setting.Options))).ToArray();
        return new Study<GambitContext, GambitDecision, GambitOutcome>(run => new GambitEnvironment(setting.World, run), factories);
    }

    /// <summary>Run every setting of <paramref name="experiment"/> on <paramref name="bank"/>.</summary>
    /// <param name="experiment">Which experiment.</param>
    /// <param name="bank">The response bank (synthetic or loaded).</param>
    /// <param name="agents">The agents, in order.</param>
    /// <param name="runner">Runs, horizon, seed, parallelism.</param>
    /// <param name="progress">Receives (setting index, progress within it).</param>
    /// <param name="cancellationToken">Stops the study.</param>
    public static async Task<ExperimentResult> RunAsync(
        ExperimentDefinition experiment,
        ResponseBank bank,
        IReadOnlyList<AgentSpec> agents,
        RunnerOptions runner,
        Action<int, int, StudyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(bank);
        return await RunAsync(experiment, experiment.Settings(bank), agents, runner, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Run the given settings of <paramref name="experiment"/> (from <see cref="ExperimentDefinition.Settings"/>).</summary>
    public static async Task<ExperimentResult> RunAsync(
        ExperimentDefinition experiment,
        IReadOnlyList<ExperimentSetting> settings,
        IReadOnlyList<AgentSpec> agents,
        RunnerOptions runner,
        Action<int, int, StudyProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        await RunAsync(experiment, settings, agents, runner, null, progress, cancellationToken).ConfigureAwait(false);

    /// <summary>Run the given settings of <paramref name="experiment"/> with step <paramref name="observers"/> (logging, early stop).</summary>
    public static async Task<ExperimentResult> RunAsync(
        ExperimentDefinition experiment,
        IReadOnlyList<ExperimentSetting> settings,
        IReadOnlyList<AgentSpec> agents,
        RunnerOptions runner,
        IReadOnlyList<IStepObserver<GambitContext, GambitDecision, GambitOutcome>>? observers,
        Action<int, int, StudyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentNullException.ThrowIfNull(runner);
        if (agents.Count == 0) throw new ArgumentException("At least one agent is needed.", nameof(agents));
        runner.Validate();
        var results = new List<SettingResult>(settings.Count);
        for (int i = 0; i < settings.Count; i++)
        {
            int index = i;
            var study = CreateStudy(settings[i], agents);
            var reporter = progress is null ? null : new SyncProgress(p => progress(index, settings.Count, p));
            StudyResult result = await StudyRunner.RunAsync(study, runner, observers, reporter, cancellationToken: cancellationToken).ConfigureAwait(false);
            results.Add(new SettingResult(settings[i], result));
        }
        return new ExperimentResult(experiment, agents, results);
    }

    private sealed class SyncProgress(Action<StudyProgress> handler) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => handler(value);
    }
}
