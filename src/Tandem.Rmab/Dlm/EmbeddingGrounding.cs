using System.Globalization;
using System.Text.RegularExpressions;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>
/// How the <see cref="EmbeddingDesigner"/> reads a task's sentence (docs/dlm-designer.md §1): the sentence is cut into
/// phrases, each phrase and each feature description (exactly the names a language model is shown, features 7-42) is
/// embedded, a feature's relevance is its largest cosine similarity to any phrase, and a feature is <i>named</i> when its
/// relevance is an outlier among the 36 features' relevances by the modified z-score rule of Iglewicz and Hoaglin
/// (0.6745·(r − median)/MAD ≥ 3.5), a rule fixed before any result was seen. Within a named group each member is used
/// with probability exp(−(best member's relevance − its relevance)/σ̂), σ̂ = 1.4826·MAD, the model's own spread of
/// relevance: a member within noise of the best is nearly as likely, one several σ̂ below is rarely used. Clock times in
/// the sentence go through one numeric step: the call slots whose printed time range lies inside the time interval the
/// sentence states are used with probability 1 and the other slots 0. Reads only the sentence, never a Base reward.
/// </summary>
/// <param name="Phrases">The phrases embedded, in order.</param>
/// <param name="Relevance">Per feature index (0-42), the largest cosine similarity to a phrase; NaN for 0-6 (never shown).</param>
/// <param name="Outlier">Per feature index, the modified z-score of its relevance; NaN for 0-6.</param>
/// <param name="NamedGroups">The groups the sentence names, in <see cref="Features.Groups"/> order (never empty).</param>
/// <param name="Inclusion">Per feature index, the probability that a zero-shot candidate uses the feature (0 outside the
/// named groups); also the weight of the feature in the reflector's score.</param>
/// <param name="ClockMatched">Call slots matched by the numeric step, ascending (empty when the sentence states no time).</param>
/// <param name="Scale">σ̂ = 1.4826·MAD of the relevances.</param>
public sealed record EmbeddingGrounding(
    IReadOnlyList<string> Phrases,
    IReadOnlyList<double> Relevance,
    IReadOnlyList<double> Outlier,
    IReadOnlyList<FeatureGroup> NamedGroups,
    IReadOnlyList<double> Inclusion,
    IReadOnlyList<int> ClockMatched,
    double Scale)
{
    /// <summary>The modified z-score at which a relevance is an outlier (Iglewicz and Hoaglin 1993).</summary>
    public const double OutlierThreshold = 3.5;

    /// <summary>The longest n-gram of words taken as a phrase.</summary>
    public const int MaxNGram = 3;

    /// <summary>The feature descriptions embedded, index-aligned with features 7-42: exactly <see cref="Features.Names"/>,
    /// as the language model's prompt lists them.</summary>
    public static IReadOnlyList<string> Descriptions { get; } =
        Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature).Select(f => Features.Names[f]).ToArray();

    /// <summary>Features with inclusion probability 1 (the best member of each named group, and clock-matched slots).</summary>
    public IReadOnlyList<int> Targets => Enumerable.Range(0, Features.Count).Where(f => Inclusion[f] >= 1).ToArray();

    private const RegexOptions Rx = RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;
    private static readonly Regex ClauseBreak = new(@"[,;:.!?()""'‘’“”]+(?=\s|$)|(?<=\s)['‘“""(]+|^['‘“""(]+", Rx);
    private static readonly Regex Word = new(@"[\p{L}\p{N}][\p{L}\p{N}%:._\-]*[\p{L}\p{N}%]|[\p{L}\p{N}]", Rx);

    /// <summary>The phrases of <paramref name="sentence"/>: it is cut into clauses at punctuation, and each clause gives
    /// every run of 1 to <see cref="MaxNGram"/> consecutive words, then the whole clause when it is longer; lower-cased
    /// (the model is uncased), duplicates dropped, in order of first appearance.</summary>
    public static IReadOnlyList<string> PhrasesOf(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var phrases = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string clause in ClauseBreak.Split(sentence.ToLowerInvariant()))
        {
            string[] words = Word.Matches(clause).Select(m => m.Value).ToArray();
            for (int n = 1; n <= Math.Min(MaxNGram, words.Length); n++)
                for (int i = 0; i + n <= words.Length; i++)
                {
                    string p = string.Join(' ', words, i, n);
                    if (seen.Add(p)) phrases.Add(p);
                }
            if (words.Length > MaxNGram)
            {
                string whole = string.Join(' ', words);
                if (seen.Add(whole)) phrases.Add(whole);
            }
        }
        return phrases;
    }

    /// <summary>Ground <paramref name="sentence"/>: its phrases and the feature descriptions are embedded through
    /// <paramref name="embed"/> (which may cache).</summary>
    public static async ValueTask<EmbeddingGrounding> ReadAsync(string sentence, Func<IReadOnlyList<string>, CancellationToken, ValueTask<IReadOnlyList<float[]>>> embed,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(embed);
        IReadOnlyList<string> phrases = PhrasesOf(sentence);
        if (phrases.Count == 0) phrases = [sentence.Trim().Length == 0 ? "(empty)" : sentence.Trim()];
        IReadOnlyList<float[]> descriptions = await embed(Descriptions, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<float[]> vectors = await embed(phrases, cancellationToken).ConfigureAwait(false);
        return From(sentence, phrases, vectors, descriptions);
    }

    /// <summary>Ground from vectors already computed: <paramref name="phraseVectors"/> aligned with
    /// <paramref name="phrases"/>, <paramref name="descriptionVectors"/> aligned with <see cref="Descriptions"/>.</summary>
    public static EmbeddingGrounding From(string sentence, IReadOnlyList<string> phrases, IReadOnlyList<float[]> phraseVectors, IReadOnlyList<float[]> descriptionVectors)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(phrases);
        ArgumentNullException.ThrowIfNull(phraseVectors);
        ArgumentNullException.ThrowIfNull(descriptionVectors);
        if (phraseVectors.Count != phrases.Count) throw new ArgumentException($"{phraseVectors.Count} vectors for {phrases.Count} phrases.", nameof(phraseVectors));
        if (descriptionVectors.Count != Descriptions.Count) throw new ArgumentException($"{descriptionVectors.Count} vectors for {Descriptions.Count} feature descriptions.", nameof(descriptionVectors));
        int first = Features.FirstPromptFeature, shown = Descriptions.Count;
        var relevance = Enumerable.Repeat(double.NaN, Features.Count).ToArray();
        for (int j = 0; j < shown; j++)
        {
            double best = double.NegativeInfinity;
            foreach (float[] p in phraseVectors) best = Math.Max(best, Dot(p, descriptionVectors[j]));
            relevance[first + j] = best;
        }
        double[] shownRelevance = relevance[first..];
        double median = Median(shownRelevance);
        double mad = Median(shownRelevance.Select(r => Math.Abs(r - median)).ToArray());
        double scale = 1.4826 * mad;
        var outlier = Enumerable.Repeat(double.NaN, Features.Count).ToArray();
        for (int f = first; f < Features.Count; f++)
            outlier[f] = mad > 0 ? 0.6745 * (relevance[f] - median) / mad : relevance[f] > median ? double.PositiveInfinity : 0;

        int[] clock = ClockMatches(sentence);
        FeatureGroup slots = Features.GroupOf(26)!;
        var named = Features.Groups.Where(g => g.Indices.Any(f => outlier[f] >= OutlierThreshold) || (g == slots && clock.Length > 0)).ToList();
        if (named.Count == 0)
        {
            // Nothing stands out: a model asked for a reward still writes one, about the feature closest to the sentence.
            int top = Enumerable.Range(first, shown).MaxBy(f => relevance[f]);
            named.Add(Features.GroupOf(top)!);
        }
        var inclusion = new double[Features.Count];
        foreach (FeatureGroup g in named)
        {
            if (g == slots && clock.Length > 0)
            {
                foreach (int f in clock) inclusion[f] = 1;
                continue;
            }
            double best = g.Indices.Max(f => relevance[f]);
            foreach (int f in g.Indices)
                inclusion[f] = relevance[f] >= best ? 1 : scale > 0 ? Math.Exp(-(best - relevance[f]) / scale) : 0;
        }
        return new EmbeddingGrounding(phrases.ToArray(), relevance, outlier, named, inclusion, clock, scale);
    }

    // ---- the numeric step: clock times ----

    private const string T = @"\d{1,2}(?::\d{2})?\s*(?:am|pm)?";
    private static readonly Regex Time = new(@"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", Rx);
    private static readonly Regex Range = new(@"(?<!\d)(" + T + @")\s*(?:-|–|\bto\b|\band\b)\s*(" + T + @")(?!\d)", Rx);
    private static readonly Regex Before = new(@"\bbefore\s+(" + T + @")(?!\d)", Rx);
    private static readonly Regex After = new(@"\bafter\s+(" + T + @")(?!\d)", Rx);
    private static readonly Regex Printed = new(@"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", Rx);

    /// <summary>The time intervals, in minutes of the day [start, end), that <paramref name="sentence"/> states: "A-B",
    /// "A to B" and "between A and B" (a bare end takes the other end's am/pm; at least one end needs am or pm),
    /// "before A" ([0, A)) and "after A" ([A, 24:00)).</summary>
    public static IReadOnlyList<(int Start, int End)> ClockIntervals(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var found = new List<(int, int)>();
        foreach (Match m in Range.Matches(sentence))
        {
            string? ma = Meridiem(m.Groups[1].Value), mb = Meridiem(m.Groups[2].Value);
            if (ma is null && mb is null) continue;
            if (TryMinutes(m.Groups[1].Value, mb, out int a) && TryMinutes(m.Groups[2].Value, ma, out int b) && b > a) found.Add((a, b));
        }
        foreach (Match m in Before.Matches(sentence))
            if (TryMinutes(m.Groups[1].Value, null, out int t)) found.Add((0, t));
        foreach (Match m in After.Matches(sentence))
            if (TryMinutes(m.Groups[1].Value, null, out int t)) found.Add((t, 24 * 60));
        return found;
    }

    /// <summary>The time range printed in a feature description ("Call slot 8:30-10:30", a 24-hour clock), or null.</summary>
    public static (int Start, int End)? PrintedRange(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        Match m = Printed.Match(description);
        if (!m.Success) return null;
        int P(int i) => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        return (P(1) * 60 + P(2), P(3) * 60 + P(4));
    }

    // Features whose printed range lies inside an interval the sentence states.
    private static int[] ClockMatches(string sentence)
    {
        IReadOnlyList<(int Start, int End)> intervals = ClockIntervals(sentence);
        if (intervals.Count == 0) return [];
        var matched = new SortedSet<int>();
        for (int f = Features.FirstPromptFeature; f < Features.Count; f++)
            if (PrintedRange(Features.Names[f]) is { } r && intervals.Any(i => r.Start >= i.Start && r.End <= i.End)) matched.Add(f);
        return matched.ToArray();
    }

    private static string? Meridiem(string text)
    {
        Match m = Time.Match(text.Trim());
        return m.Success && m.Groups[3].Success ? m.Groups[3].Value.ToLowerInvariant() : null;
    }

    private static bool TryMinutes(string text, string? defaultMeridiem, out int minutes)
    {
        minutes = 0;
        Match m = Time.Match(text.Trim());
        if (!m.Success) return false;
        string? mer = m.Groups[3].Success ? m.Groups[3].Value.ToLowerInvariant() : defaultMeridiem;
        int h = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), min = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        if (mer is null || h < 1 || h > 12 || min > 59) return false;
        minutes = (h % 12 + (mer == "pm" ? 12 : 0)) * 60 + min;
        return true;
    }

    private static double Dot(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Vectors of different lengths ({a.Length} and {b.Length}).");
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    private static double Median(double[] values)
    {
        double[] v = values.Order().ToArray();
        int n = v.Length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
