namespace Tandem.Evaluation.Logs;

/// <summary>
/// One line of a decision log (<c>docs/decision-log.md</c>), as off-policy evaluation needs it: the context,
/// the logged arm and its propensity, the logging policy's probability vector, the observed reward, and, in
/// logs written by a simulation, the true expected reward of every arm.
/// </summary>
/// <param name="Line">1-based line number in the log file.</param>
/// <param name="Run">The study's run index (0 when the line has none).</param>
/// <param name="Step">The step within the run (0 when the line has none).</param>
/// <param name="Features">A numeric context (LIBRA's feature vector), or null when the context is a <paramref name="Cell"/>.</param>
/// <param name="Cell">A categorical context (GAMBITTS's context cell), or null when the context is numeric.</param>
/// <param name="Arm">The logged arm. Range: 0 ≤ arm &lt; <see cref="ArmCount"/>.</param>
/// <param name="Propensity">P(arm | context, history) under the logging policy. Range: (0, 1], or NaN when the log states none.</param>
/// <param name="Probabilities">The logging policy's probability of every arm; NaN entries where it cannot be stated.</param>
/// <param name="Reward">The observed reward (finite).</param>
/// <param name="ExpectedRewards">The environment's expected reward of every arm (simulated logs only), or null when the
/// line has none or any entry is unknown.</param>
public sealed record LoggedDecision(
    long Line, int Run, long Step, double[]? Features, string? Cell, int Arm, double Propensity,
    double[] Probabilities, double Reward, double[]? ExpectedRewards)
{
    /// <summary>The number of arms, the length of the probability vector.</summary>
    public int ArmCount => Probabilities.Length;

    /// <summary>Whether the propensity is stated, so the line can be re-weighted.</summary>
    public bool HasPropensity => !double.IsNaN(Propensity);

    /// <summary>What the line's notes say about its propensity (LIBRA's advisor, GAMBITTS's Monte Carlo estimate).</summary>
    public LineFlags Flags { get; init; }

    /// <summary>The recourse the decision recommended (the payload's <c>recourse</c>, LIBRA), or null when the line has
    /// none. The logged context is what the policy saw before the recourse; the reward followed the recourse, so these
    /// are the reward model's features when present.</summary>
    public double[]? Recourse { get; init; }

    /// <summary>The posterior draws the propensity was estimated from (<c>propensityDraws</c>, top level or in the
    /// payload), or 0 when the log does not say.</summary>
    public int PropensityDraws { get; init; }

    /// <summary>The features a reward model reads: the recourse when the line has one (the reward followed it), else
    /// the numeric context; null for a categorical context.</summary>
    public double[]? RewardFeatures => Recourse ?? Features;
}

/// <summary>What a line's notes say about its propensity.</summary>
[Flags]
public enum LineFlags
{
    /// <summary>Nothing special.</summary>
    None = 0,

    /// <summary>An advisor (language model) chose (<c>advisor-followed</c> or <c>propensity-unknown:advice</c>): the
    /// probability of its choice cannot be stated.</summary>
    AdvisorFollowed = 1,

    /// <summary>The probabilities are Monte Carlo estimates over posterior draws (<c>propensity-estimated</c>, GAMBITTS).</summary>
    PropensityEstimated = 2,
}

/// <summary>A decision log line that cannot be used: it names the line and the field.</summary>
public sealed class DecisionLogException : FormatException
{
    /// <summary>Create for <paramref name="line"/> and <paramref name="field"/> (null when the whole line is at fault).</summary>
    public DecisionLogException(long line, string? field, string problem)
        : base(field is null ? $"decision log line {line}: {problem}" : $"decision log line {line}, field '{field}': {problem}")
    {
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The 1-based line number.</summary>
    public long Line { get; }

    /// <summary>The field at fault, or null when the line is not a JSON object.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the line and field.</summary>
    public string Problem { get; }
}
