using Tandem.Cli.Llm;
using Tandem.Core.Running;
using Tandem.Core.Statistics;

namespace Tandem.Cli.Libra;

/// <summary>Settings of one `tandem libra` invocation, validated.</summary>
public sealed record LibraSettings(
    string Command,
    string Env,
    string[] Policies,
    int? Horizon,
    int? Runs,
    ulong Seed,
    Tandem.Recourse.Experiments.LibraStudyOptions Study,
    string Out,
    bool Json,
    int Parallel,
    IReadOnlyList<AdvisorArgument> Advisors,
    LlmCallSettings LlmCall);

/// <summary>One `--advisor`: a built-in simulation, or a language model (<see cref="Llm"/> set).</summary>
public sealed record AdvisorArgument(Tandem.Recourse.Experiments.AdvisorSpec Spec, Tandem.Llm.Providers.LlmSpec? Llm);

/// <summary>Mean and sd over runs, as the JSON contract writes them.</summary>
public sealed record Stat(double Mean, double Sd)
{
    /// <summary>From per-run values.</summary>
    public static Stat Of(double[] values)
    {
        MeanSd s = MeanSd.Of(values);
        return new Stat(s.Mean, s.Sd);
    }
}

/// <summary>One policy in the summary (contract of issue 2).</summary>
public sealed record PolicySummary(string Name, Stat CumulativeRegret, Stat LlmQueries, Stat MeanReward, double[] RegretCurve)
{
    /// <summary>Summarise a trace.</summary>
    public static PolicySummary From(PolicyTrace trace) => new(
        trace.Name,
        Stat.Of(trace.FinalCumulativeRegret()),
        Stat.Of(trace.QueriesPerRun()),
        Stat.Of(trace.MeanRewardPerRun()),
        trace.MeanCumulativeRegretCurve());
}

/// <summary>The `tandem libra --json` object. The contract's fields come first; the rest describe the
/// resolved settings so a summary can be read on its own.</summary>
public sealed record LibraSummary(
    string Command,
    string Env,
    int Horizon,
    int Runs,
    ulong Seed,
    double WallSeconds,
    double StepsPerSecond,
    IReadOnlyList<PolicySummary> Policies,
    string Advisor,
    string Norm,
    double Gamma,
    double Delta,
    double Rho,
    double Lambda,
    string Noncompliance,
    string Solver,
    string RewardLabel,
    IReadOnlyList<FittedCoefficients>? FittedMutableCoefficients,
    LlmSummary? Llm,
    IReadOnlyDictionary<string, LlmSummary>? LlmByAdvisor = null);

/// <summary>Fertility: the mean fitted mutable coefficients of one arm beside the seed's.</summary>
public sealed record FittedCoefficients(string Treatment, IReadOnlyList<string> Features, double[] Ours, double[] Seed);

/// <summary>One setting of an ablation.</summary>
public sealed record AblationSeries(double Value, string Setting, Stat CumulativeRegret, Stat LlmQueries, Stat MeanReward, double[] RegretCurve);

/// <summary>The `tandem libra ablation --json` object.</summary>
public sealed record AblationSummary(
    string Command,
    string Env,
    string Vary,
    int Horizon,
    int Runs,
    ulong Seed,
    double WallSeconds,
    double StepsPerSecond,
    string Policy,
    IReadOnlyList<AblationSeries> Series,
    LlmSummary? Llm);
