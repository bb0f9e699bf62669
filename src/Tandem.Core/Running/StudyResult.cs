using Tandem.Core.Statistics;

namespace Tandem.Core.Running;

/// <summary>Per-step traces of one policy over all runs. Arrays are [run][step]; a run stopped early by
/// an observer has a shorter row.</summary>
public sealed class PolicyTrace
{
    /// <summary>Create a trace for <paramref name="runs"/> runs.</summary>
    public PolicyTrace(string name, int runs)
    {
        Name = name;
        Regret = new double[runs][];
        Reward = new double[runs][];
        ExpectedReward = new double[runs][];
        AdvisorQueries = new bool[runs][];
        Arms = new int[runs][];
    }

    /// <summary>The policy's display name.</summary>
    public string Name { get; }

    /// <summary>Instant recourse regret r*(x_t) − E[r | implemented], exact from the environment's truth.</summary>
    public double[][] Regret { get; }

    /// <summary>Observed (noisy) reward.</summary>
    public double[][] Reward { get; }

    /// <summary>Expected reward of what was implemented.</summary>
    public double[][] ExpectedReward { get; }

    /// <summary>Whether the advisor (LLM) was consulted at the step.</summary>
    public bool[][] AdvisorQueries { get; }

    /// <summary>The arm chosen at each step.</summary>
    public int[][] Arms { get; }

    /// <summary>Cumulative regret at the end of each run.</summary>
    public double[] FinalCumulativeRegret() => Regret.Select(r => r.Sum()).ToArray();

    /// <summary>Number of advisor queries in each run.</summary>
    public double[] QueriesPerRun() => AdvisorQueries.Select(q => (double)q.Count(b => b)).ToArray();

    /// <summary>Mean observed reward in each run.</summary>
    public double[] MeanRewardPerRun() => Reward.Select(r => r.Length == 0 ? double.NaN : r.Average()).ToArray();

    /// <summary>Mean over runs of the cumulative regret after each step (runs stopped early are
    /// averaged over the runs that reached the step).</summary>
    public double[] MeanCumulativeRegretCurve() => Curves.MeanOfCumulative(Regret);

    /// <summary>Mean over runs of the cumulative number of advisor queries after each step.</summary>
    public double[] MeanCumulativeQueriesCurve() =>
        Curves.MeanOfCumulative(AdvisorQueries.Select(q => q.Select(b => b ? 1.0 : 0.0).ToArray()).ToArray());
}

/// <summary>Everything a study produced, plus how long the simulation itself took.</summary>
public sealed record StudyResult(
    RunnerOptions Options,
    IReadOnlyList<PolicyTrace> Policies,
    TimeSpan SimulationWallTime,
    long Rounds)
{
    /// <summary>Decide+learn rounds of all policies and runs per second of simulation wall time.</summary>
    public double StepsPerSecond => SimulationWallTime.TotalSeconds > 0 ? Rounds / SimulationWallTime.TotalSeconds : double.PositiveInfinity;
}
