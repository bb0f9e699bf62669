using Tandem.Rmab.Metrics;

namespace Tandem.Cli.Dlm;

/// <summary>One-sided Welch p-values over seeds (seed 001 Table 5).</summary>
public sealed record DlmPValues(double ReflectionVsDefault, double NoReflectionVsDefault, double ReflectionVsNoReflection);

/// <summary>One row of Table 4.</summary>
public sealed record DlmTaskSummary(
    int Index,
    string Label,
    IReadOnlyDictionary<string, double> Returns,
    IReadOnlyDictionary<string, Aggregate> Mnr,
    DlmPValues PValues,
    double Precision,
    double Recall,
    double LogicRecall,
    string? ExampleReward);

/// <summary>The Average row.</summary>
public sealed record DlmAverage(IReadOnlyDictionary<string, Aggregate> Mnr);

/// <summary>The object `tandem dlm --json` prints and summary.json holds (issue 3 contract).</summary>
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
    Tandem.Cli.Llm.LlmSummary? Llm = null);
