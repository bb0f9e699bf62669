using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tandem.Core.Ports;
using Tandem.Llm.Middleware;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;

namespace Tandem.Llm.Libra;

/// <summary>
/// Reads a model's answer as advice: <c>treatment=2, DietScore=1.3, PhyActHours=0.2</c> (the seed's
/// Figure 2 format) or a JSON object with the same keys, possibly in a code fence. The answer is
/// untrusted: too long, badly encoded, empty, an unknown treatment, a missing, non-numeric, non-finite or
/// huge value, or a change to an immutable feature all give an abstention with a "category: detail"
/// reason (<see cref="FallbackReasons"/>). Keys it does not know are ignored, so prose around the answer
/// cannot add instructions. A finite recourse outside the feasible set is returned as given; the policy's
/// gate projects it and flags the projection.
/// </summary>
public static partial class AdviceParser
{
    /// <summary>Answers longer than this are refused unread. Default 4,000 characters.</summary>
    public const int MaxAnswerLength = 4000;

    /// <summary>Values beyond ±this are treated as nonsense (1e308 and the like).</summary>
    public const double MaxMagnitude = 1e6;

    // Non-backtracking (linear in the line): the backtracking form of this pattern spent 7-25 s of CPU on a long run
    // of letters followed by a long run of spaces (issue 15, defect 1). The timeout is a second guard.
    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_ \-]*?)\s*[=:]\s*(?<value>""[^""]*""|[^,;\n\r}]+)",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    internal static partial Regex PairPattern();

    /// <summary>Parse <paramref name="answer"/> for <paramref name="context"/> under <paramref name="problem"/>.</summary>
    public static PortAnswer<Advice> Parse(string? answer, RecourseProblem problem, ReadOnlySpan<double> context)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (string.IsNullOrWhiteSpace(answer)) return Advice.Abstain(FallbackReasons.Refused + ": empty answer");
        if (answer.Length > MaxAnswerLength) return Advice.Abstain($"{FallbackReasons.Parse}: answer too long ({answer.Length} characters)");
        if (answer.Contains('\uFFFD') || answer.Any(c => char.IsSurrogate(c) && !char.IsHighSurrogate(c) && !char.IsLowSurrogate(c)))
            return Advice.Abstain(FallbackReasons.Parse + ": invalid text encoding");

        Dictionary<string, string>? pairs = TryJson(answer) ?? TryPairs(answer);
        if (pairs is null || !pairs.TryGetValue("treatment", out string? treatmentText))
            return Advice.Abstain(FallbackReasons.Parse + ": no 'treatment=' in the answer");

        int arm = ParseTreatment(treatmentText, problem);
        if (arm < 0) return Advice.Abstain($"{FallbackReasons.Infeasible}: unknown treatment '{Shorten(treatmentText)}'");

        var values = new double[problem.MutableIndices.Length];
        for (int j = 0; j < values.Length; j++)
        {
            string name = Normalize(problem.Features[problem.MutableIndices[j]].Name);
            if (!pairs.TryGetValue(name, out string? text)) return Advice.Abstain($"{FallbackReasons.Parse}: no value for '{problem.Features[problem.MutableIndices[j]].Name}'");
            if (!TryNumber(text, out values[j])) return Advice.Abstain($"{FallbackReasons.Parse}: '{Shorten(text)}' for '{problem.Features[problem.MutableIndices[j]].Name}' is not a usable number");
        }
        foreach (int i in problem.ImmutableIndices)
        {
            if (problem.Features[i].Constant) continue;
            if (pairs.TryGetValue(Normalize(problem.Features[i].Name), out string? text) && (!TryNumber(text, out double v) || Math.Abs(v - context[i]) > 1e-6 * Math.Max(1, Math.Abs(context[i])) + 0.005))
                return Advice.Abstain($"{FallbackReasons.Infeasible}: changes immutable feature '{problem.Features[i].Name}'");
        }
        return Advice.Give(arm, values);
    }

    private static Dictionary<string, string>? TryJson(string answer)
    {
        int open = answer.IndexOf('{'), close = answer.LastIndexOf('}');
        if (open < 0 || close <= open) return null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(answer.AsMemory(open, close - open + 1), new JsonDocumentOptions { MaxDepth = 4 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                string value = p.Value.ValueKind switch
                {
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.String => p.Value.GetString() ?? "",
                    _ => "",
                };
                pairs.TryAdd(Normalize(p.Name), value);
            }
            return pairs;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Dictionary<string, string>? TryPairs(string answer)
    {
        foreach (string line in answer.Split('\n'))
        {
            if (line.IndexOf("treatment", StringComparison.OrdinalIgnoreCase) < 0) continue;
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            try
            {
                foreach (Match m in PairPattern().Matches(line))
                    pairs.TryAdd(Normalize(m.Groups["key"].Value), m.Groups["value"].Value.Trim().Trim('"', '*', '`', '.').Trim());
            }
            catch (RegexMatchTimeoutException)
            {
                return null;
            }
            if (pairs.ContainsKey("treatment")) return pairs;
        }
        return null;
    }

    private static int ParseTreatment(string text, RecourseProblem problem)
    {
        string t = text.Trim().Trim('"', '*', '`', '.').Trim();
        if (t.StartsWith("treatment", StringComparison.OrdinalIgnoreCase)) t = t["treatment".Length..].Trim();
        if (int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k)) return k >= 1 && k <= problem.ArmCount ? k - 1 : -1;
        for (int a = 0; a < problem.ArmCount; a++)
            if (string.Equals(Normalize(problem.Treatments[a].Name), Normalize(t), StringComparison.Ordinal)) return a;
        return -1;
    }

    private static bool TryNumber(string text, out double value)
    {
        string t = text.Trim().Trim('"', '*', '`').Trim();
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return false;
        return double.IsFinite(value) && Math.Abs(value) <= MaxMagnitude;
    }

    private static string Normalize(string key) =>
        new string(key.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
