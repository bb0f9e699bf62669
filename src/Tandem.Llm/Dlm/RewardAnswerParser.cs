using Tandem.Core.Ports;
using System.Globalization;
using System.Text.RegularExpressions;
using Tandem.Llm.Middleware;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Rewards;

namespace Tandem.Llm.Dlm;

/// <summary>
/// Reads the DLM designer's and reflector's answers. Answers are untrusted: an empty answer is
/// <c>refused</c>; a too-long, badly encoded or marker-less answer is <c>parse</c>; an index outside the
/// candidates is <c>infeasible</c> (reasons as in <see cref="FallbackReasons"/>). A proposed expression is
/// only extracted here; whether it is allowed is the sandbox's call (<see cref="RewardSandbox"/>), and the DLM
/// loop returns its refusal to the model on retry.
/// </summary>
public static partial class RewardAnswerParser
{
    // Every pattern is non-backtracking (linear in the answer) and has a timeout besides (issue 15, defect 1).

    /// <summary>Answers longer than this are refused unread (20,000 characters).</summary>
    public const int MaxAnswerLength = 20_000;

    [GeneratedRegex(@"<reward>(?<expr>.*?)</reward>", RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex MarkedReward();

    [GeneratedRegex(@"```[a-zA-Z#]*[ \t]*\r?\n(?<body>.*?)```", RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Fence();

    [GeneratedRegex(@"best\s+reward\s+function\s+is\s+at\s+index\s*[:=]?\s*\**\s*(?<n>[0-9]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SelectionPattern();

    /// <summary>The proposal in <paramref name="answer"/>: the last expression between <c>&lt;reward&gt;</c> markers
    /// (or, failing that, a code fence holding one line), made single-line and stripped of a trailing semicolon.</summary>
    public static PortAnswer<RewardProposal> ParseProposal(string? answer)
    {
        if (Unusable(answer) is { } reason) return RewardProposal.Abstain(reason);
        string text = answer!;
        string? expression = null;
        int end = 0;
        try
        {
            MatchCollection marked = MarkedReward().Matches(text);
            if (marked.Count > 0)
            {
                Match last = marked[^1];
                expression = last.Groups["expr"].Value;
                end = last.Index;
            }
            else
            {
                Match fence = Fence().Match(text);
                if (fence.Success)
                {
                    string[] lines = fence.Groups["body"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (lines.Length == 1)
                    {
                        expression = lines[0];
                        end = fence.Index;
                    }
                }
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return RewardProposal.Abstain(FallbackReasons.Parse + ": answer too complex to read");
        }
        if (expression is null) return RewardProposal.Abstain($"{FallbackReasons.Parse}: no {RewardPrompt.Open}…{RewardPrompt.Close} in the answer");
        expression = string.Join(' ', expression.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Trim().TrimEnd(';').Trim();
        if (expression.Length == 0) return RewardProposal.Abstain(FallbackReasons.Parse + ": the reward between the markers is empty");
        if (expression.Length > RewardSandbox.MaxLength)
            return RewardProposal.Abstain($"{FallbackReasons.Parse}: the reward is {expression.Length} characters long (at most {RewardSandbox.MaxLength})");
        string explanation = text[..end].Trim();
        return RewardProposal.Proposed(expression, explanation.Length == 0 ? null : explanation.Length <= 500 ? explanation : explanation[..500] + "…");
    }

    /// <summary>The reflector's choice among <paramref name="candidates"/> candidates: "The best reward function is at
    /// index: N" (the last such sentence; a bare number is accepted too). Several different indices are ambiguous.</summary>
    public static PortAnswer<int> ParseSelection(string? answer, int candidates)
    {
        if (Unusable(answer) is { } reason) return PortAnswer<int>.Abstain(reason);
        string text = answer!;
        var indices = new List<long>();
        try
        {
            foreach (Match m in SelectionPattern().Matches(text))
            {
                if (!long.TryParse(m.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                    return PortAnswer<int>.Abstain($"{FallbackReasons.Parse}: index '{m.Groups["n"].Value[..Math.Min(20, m.Groups["n"].Length)]}' is not a usable number");
                indices.Add(n);
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return PortAnswer<int>.Abstain(FallbackReasons.Parse + ": answer too complex to read");
        }
        if (indices.Count == 0 && long.TryParse(text.Trim().TrimEnd('.'), NumberStyles.None, CultureInfo.InvariantCulture, out long bare)) indices.Add(bare);
        if (indices.Count == 0) return PortAnswer<int>.Abstain($"{FallbackReasons.Parse}: no '{RewardPrompt.SelectionPhrase} N' in the answer");
        if (indices.Distinct().Count() > 1) return PortAnswer<int>.Abstain($"{FallbackReasons.Parse}: the answer names several indices ({string.Join(", ", indices.Distinct())})");
        long index = indices[0];
        if (index >= candidates) return PortAnswer<int>.Abstain($"{FallbackReasons.Infeasible}: index {index} is not a candidate (0 to {candidates - 1})");
        return PortAnswer<int>.Given((int)index);
    }

    private static string? Unusable(string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer)) return FallbackReasons.Refused + ": empty answer";
        if (answer.Length > MaxAnswerLength) return $"{FallbackReasons.Parse}: answer too long ({answer.Length} characters)";
        if (answer.Contains('\uFFFD') || answer.Contains('\0')) return FallbackReasons.Parse + ": invalid text encoding";
        return null;
    }
}
