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
public sealed record CheckRewardSummary(bool Accepted, string Expression, string? Reason, IReadOnlyList<int> FeaturesUsed, IReadOnlyList<string> FeatureNames,
    IReadOnlyList<string> SampleArm, IReadOnlyList<double> Values);

/// <summary>`tandem dlm check-reward`.</summary>
public static class CheckReward
{
    /// <summary>Exit code of a refused expression.</summary>
    public const int Refused = 3;

    /// <summary>Check and report; a refused expression is never compiled or run.</summary>
    public static int Run(string text, bool json, CliIo io)
    {
        if (!RewardSandbox.TryParse(text, out RewardExpression? expression, out string? refusal))
        {
            if (json) io.Output.WriteLine(JsonOutput.Serialize(new CheckRewardSummary(false, text, refusal, [], [], [], []), indented: false));
            io.Error.WriteLine("refused: " + refusal);
            return Refused;
        }
        Beneficiary sample = DlmData.Sample();
        if (!expression.TryTabulate([sample.Features], out var table, out string? error))
        {
            if (json) io.Output.WriteLine(JsonOutput.Serialize(new CheckRewardSummary(false, text, error, expression.FeaturesUsed, [], [], []), indented: false));
            io.Error.WriteLine("refused: " + error);
            return Refused;
        }
        string[] names = expression.FeaturesUsed.Select(i => Features.Names[i]).ToArray();
        string[] set = Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature)
            .Where(i => sample.Features[i] > 0).Select(i => Features.Names[i]).ToArray();
        var summary = new CheckRewardSummary(true, text, null, expression.FeaturesUsed, names, set, [table.State0[0], table.State1[0]]);
        if (json)
        {
            io.Output.WriteLine(JsonOutput.Serialize(summary, indented: false));
            return CliApp.Ok;
        }
        io.Output.WriteLine("accepted: " + text);
        io.Output.WriteLine("features used: " + (names.Length == 0 ? "none" : string.Join(", ", expression.FeaturesUsed.Select((i, k) => $"feats[{i}] {names[k]}"))));
        io.Output.WriteLine("sample arm: " + string.Join(", ", set));
        io.Output.WriteLine($"R(state 0) = {F(table.State0[0])}, R(state 1) = {F(table.State1[0])}");
        return CliApp.Ok;
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
