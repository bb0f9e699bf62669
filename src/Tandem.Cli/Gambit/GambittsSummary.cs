namespace Tandem.Cli.Gambit;

/// <summary>Mean, sd over runs and the 95% half-width of the mean.</summary>
public sealed record RegretStat(double Mean, double Sd, double Ci95);

/// <summary>One agent in one setting (contract of issue 4).</summary>
public sealed record GambittsSeries(string Agent, string? Setting, RegretStat CumulativeRegret, double[] RegretCurve);

/// <summary>The `tandem gambitts --json` object. The contract's fields come first; the rest describe the run. <c>Llm</c> is the
/// model use of `--generator` (null when no language model was used, as in the LIBRA summary).</summary>
public sealed record GambittsSummary(
    string Command,
    string Experiment,
    int Runs,
    int Horizon,
    ulong Seed,
    double WallSeconds,
    IReadOnlyList<GambittsSeries> Series,
    string Section,
    string Bank,
    string? Varied,
    double SimulationSeconds,
    Tandem.Cli.Llm.LlmSummary? Llm = null);
