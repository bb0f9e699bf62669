using System.Globalization;
using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;
using Tandem.Rmab.Rewards;
using Tandem.Reporting;

namespace Tandem.Cli.Dlm;

/// <summary>The object `tandem dlm check-reward --json` prints.</summary>
/// <param name="Accepted">Whether the sandbox accepted the expression.</param>
/// <param name="Expression">The expression as given.</param>
/// <param name="Reason">Why it was refused (null when accepted).</param>
/// <param name="FeaturesUsed">Feature indices read (empty when refused).</param>
/// <param name="FeatureNames">Their names.</param>
/// <param name="SampleArm">The sample arm's one-hot features that are set (names).</param>
/// <param name="Values">R(sample arm, state 0) and R(sample arm, state 1) (empty when refused).</param>
/// <param name="Cohort">The reward over every beneficiary of the shipped cohort (null when refused before evaluation).</param>
public sealed record CheckRewardSummary(bool Accepted, string Expression, string? Reason, IReadOnlyList<int> FeaturesUsed, IReadOnlyList<string> FeatureNames,
    IReadOnlyList<string> SampleArm, IReadOnlyList<double> Values, CohortRewardRange? Cohort = null);

/// <summary>A reward evaluated on every beneficiary of the shipped cohort: a formula can be fine on one arm and
/// fail (divide by zero, overflow) or be constant on the rest.</summary>
/// <param name="Beneficiaries">How many were evaluated.</param>
/// <param name="State0">Minimum, mean and maximum of R(arm, state 0).</param>
/// <param name="State1">Minimum, mean and maximum of R(arm, state 1).</param>
/// <param name="DistinctValues">How many different values R takes over all arms and both states.</param>
public sealed record CohortRewardRange(int Beneficiaries, IReadOnlyList<double> State0, IReadOnlyList<double> State1, int DistinctValues);

/// <summary>`tandem dlm check-reward`.</summary>
public static class CheckReward
{
    /// <summary>Exit code of a refused expression.</summary>
    public const int Refused = 3;

    /// <summary>Check and report; a refused expression is never compiled or run.</summary>
    public static int Run(string text, bool json, CliIo io, System.CommandLine.ParseResult parse)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        void Print(CheckRewardSummary s) => Tandem.Cli.Hosting.StudyOutput.Print(io, Tandem.Cli.Hosting.StudyOutput.Envelope(parse, null, started, s));
        if (!RewardSandbox.TryParse(text, out RewardExpression? expression, out string? refusal))
        {
            if (json) Print(new CheckRewardSummary(false, text, refusal, [], [], [], []));
            io.Error.WriteLine("refused: " + refusal);
            return Refused;
        }
        Beneficiary sample = DlmData.Sample();
        Beneficiary[] cohort = DlmData.Cohort();
        if (!expression.TryTabulate([sample.Features, .. cohort.Select(b => b.Features)], out var table, out string? error))
        {
            if (json) Print(new CheckRewardSummary(false, text, error, expression.FeaturesUsed, [], [], []));
            io.Error.WriteLine("refused: " + Cohortwise(error));
            return Refused;
        }
        var range = new CohortRewardRange(cohort.Length, Range(table.State0.Skip(1)), Range(table.State1.Skip(1)),
            table.State0.Skip(1).Concat(table.State1.Skip(1)).Distinct().Count());
        string[] names = expression.FeaturesUsed.Select(i => Features.Names[i]).ToArray();
        string[] set = Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature)
            .Where(i => sample.Features[i] > 0).Select(i => Features.Names[i]).ToArray();
        var summary = new CheckRewardSummary(true, text, null, expression.FeaturesUsed, names, set, [table.State0[0], table.State1[0]], range);
        if (json)
        {
            Print(summary);
            return CliApp.Ok;
        }
        io.Output.WriteLine("accepted: " + text);
        io.Output.WriteLine("features used: " + (names.Length == 0 ? "none" : string.Join(", ", expression.FeaturesUsed.Select((i, k) => $"feats[{i}] {names[k]}"))));
        io.Output.WriteLine("sample arm: " + string.Join(", ", set));
        io.Output.WriteLine($"R(state 0) = {F(table.State0[0])}, R(state 1) = {F(table.State1[0])}");
        io.Output.WriteLine($"over the cohort's {range.Beneficiaries:N0} beneficiaries: R(state 0) from {F(range.State0[0])} to {F(range.State0[2])} (mean {F(range.State0[1])}), " +
            $"R(state 1) from {F(range.State1[0])} to {F(range.State1[2])} (mean {F(range.State1[1])}); {range.DistinctValues} distinct values");
        return CliApp.Ok;
    }

    private static double[] Range(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        return [v.Min(), v.Average(), v.Max()];
    }

    // Tabulation numbers arms from 0 with the sample first; name cohort beneficiaries from 1 as a reader counts them.
    private static string Cohortwise(string error) =>
        System.Text.RegularExpressions.Regex.Replace(error, @"^evaluation failed for arm (\d+)|^the reward is (\S+) for arm (\d+)", m =>
            m.Groups[1].Success ? $"evaluation failed for {Arm(m.Groups[1].Value)}" : $"the reward is {m.Groups[2].Value} for {Arm(m.Groups[3].Value)}");

    private static string Arm(string index) => index == "0" ? "the sample arm" : $"cohort beneficiary {index}";

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
