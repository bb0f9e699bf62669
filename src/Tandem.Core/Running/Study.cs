using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;

namespace Tandem.Core.Running;

/// <summary>How long and how often a study runs. Validated by <see cref="Validate"/> at the runner's edge.</summary>
public sealed record RunnerOptions
{
    /// <summary>Steps per run, T. Range: T ≥ 1. Default 1000.</summary>
    public int Horizon { get; init; } = 1000;

    /// <summary>Independent runs, R. Range: R ≥ 1. Default 10.</summary>
    public int Runs { get; init; } = 10;

    /// <summary>Study seed; run i uses <c>Seeds.Derive(Seed, i)</c>. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Runs in parallel at most. Range: ≥ 1. Default: the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>The longest horizon a study may ask for (10⁷ steps).</summary>
    public const int MaxHorizon = 10_000_000;

    /// <summary>The most runs a study may ask for (10⁵).</summary>
    public const int MaxRuns = 100_000;

    /// <summary>The most (run, step, policy) cells of one study: the runner keeps about 29 bytes of trace per cell,
    /// so 2·10⁷ cells are about 0.6 GB (issue 15, defect 19: `--horizon 2147483647` ran out of memory).</summary>
    public const long MaxCells = 20_000_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Horizon is < 1 or > MaxHorizon) throw new ArgumentOutOfRangeException(nameof(Horizon), Horizon, $"The horizon must lie in 1..{MaxHorizon:N0} steps.");
        if (Runs is < 1 or > MaxRuns) throw new ArgumentOutOfRangeException(nameof(Runs), Runs, $"The number of runs must lie in 1..{MaxRuns:N0}.");
        if (MaxDegreeOfParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "Parallelism must be at least 1.");
    }

    /// <summary>Throws naming <see cref="Horizon"/> when horizon × runs × <paramref name="policies"/> × <paramref name="settings"/>
    /// exceeds <see cref="MaxCells"/>.</summary>
    public void CheckCells(int policies, int settings = 1)
    {
        long cells = (long)Horizon * Runs * Math.Max(policies, 1) * Math.Max(settings, 1);
        if (cells > MaxCells)
            throw new ArgumentOutOfRangeException(nameof(Horizon), Horizon,
                $"horizon × runs × policies{(settings > 1 ? " × settings" : "")} = {cells:N0} cells; at most {MaxCells:N0} (about {MaxCells * 29 / 1e9:F1} GB of traces). Use fewer runs or a shorter horizon.");
    }
}

/// <summary>Which run this is and its seed, from which every random source of the run is derived.</summary>
/// <param name="Run">Run index, 0-based.</param>
/// <param name="Seed">The run's seed, <c>Seeds.Derive(studySeed, Run)</c>.</param>
public readonly record struct RunContext(int Run, ulong Seed)
{
    /// <summary>A seed for a named purpose in this run ("environment", "advisor", ...).</summary>
    public ulong DeriveSeed(string purpose) => Seeds.Derive(Seed, purpose);

    /// <summary>A fresh random source for a named purpose in this run.</summary>
    public Random CreateRandom(string purpose) => Seeds.CreateRandom(DeriveSeed(purpose));
}

/// <summary>Builds one policy for one run, given that run's own environment (simulated advisors read
/// its ground truth).</summary>
public sealed record PolicyFactory<TContext, TDecision, TOutcome>(
    string Name,
    Func<RunContext, IEnvironment<TContext, TDecision, TOutcome>, IPolicy<TContext, TDecision, TOutcome>> Create)
    where TDecision : Decision
    where TOutcome : IOutcome;

/// <summary>
/// A study: environment × policies. For each run every policy meets its own environment instance built
/// from the same run seed, so all policies see the same patients and the same ground truth (common
/// random numbers) and differ only in what they decide.
/// </summary>
public sealed record Study<TContext, TDecision, TOutcome>(
    Func<RunContext, IEnvironment<TContext, TDecision, TOutcome>> CreateEnvironment,
    IReadOnlyList<PolicyFactory<TContext, TDecision, TOutcome>> Policies)
    where TDecision : Decision
    where TOutcome : IOutcome;

/// <summary>One step as the runner saw it; passed to observers. <see cref="Environment"/> is the run's own
/// environment, so an observer can ask it for the expected reward of other decisions (it draws nothing).</summary>
public readonly record struct StepRecord<TContext, TDecision, TOutcome>(
    IEnvironment<TContext, TDecision, TOutcome> Environment,
    int Run,
    int PolicyIndex,
    string Policy,
    int Step,
    TContext Context,
    TDecision Decision,
    TOutcome Outcome,
    double OptimalReward,
    double Regret)
    where TDecision : Decision
    where TOutcome : IOutcome;

/// <summary>Sees every step of every run (concurrently from several runs: implementations must be
/// thread-safe). Returning false stops that policy's run early (stable-baselines3 callback style).</summary>
public interface IStepObserver<TContext, TDecision, TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <summary>Called after the policy learned from the step.</summary>
    bool OnStep(in StepRecord<TContext, TDecision, TOutcome> step);
}

/// <summary>Progress of a study in decide+learn rounds.</summary>
public readonly record struct StudyProgress(long CompletedSteps, long TotalSteps);
