using System.Globalization;
using System.Text.RegularExpressions;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>
/// What a task's sentence says, as read by the fixed word-to-feature mapping of docs/dlm-simulated-designer.md §1:
/// the grounded target features, the groups the sentence names without choosing a member (ambiguous), and whether it
/// asks for a slight emphasis. It reads only the sentence, never a Base reward.
/// </summary>
/// <param name="Targets">Grounded feature indices, ascending.</param>
/// <param name="AmbiguousGroups">Groups named with no member selected, in <see cref="Features.Groups"/> order.</param>
/// <param name="Slight">The sentence says "slight", "slightly" or "a little".</param>
public sealed record TaskGrounding(IReadOnlyList<int> Targets, IReadOnlyList<FeatureGroup> AmbiguousGroups, bool Slight)
{
    private const RegexOptions Rx = RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;
    private static readonly FeatureGroup Age = Features.Groups[0], Language = Features.Groups[1], Education = Features.Groups[2],
        Phone = Features.Groups[3], Slot = Features.Groups[4], Organisation = Features.Groups[5], Income = Features.Groups[6];

    // Member rules of the doc's table, in its order: (phrase, features).
    private static readonly (Regex Phrase, int[] Features)[] AgeRules =
    [
        (W("oldest|eldest"), [11]), (W("older|elderly|old"), [10, 11]), (W("youngest"), [7]),
        (W("younger|young|teenage|adolescent"), [7, 8]), (W("middle[- ]aged"), [9, 10]),
    ];

    private static readonly (Regex Phrase, int[] Features)[] OtherRules =
    [
        (W("hindi"), [12]), (W("marathi"), [13]), (W("gujarati"), [14]), (W("kannada"), [15]),
        (W("illiterate|illiteracy"), [16]),
        (W("ngo|ngos"), [32]), (W("armman"), [33]), (W("phc|primary health"), [34]),
        (W("husband's phone"), [24]), (W("family phone"), [25]),
    ];

    private static readonly Regex NotOwnPhone = W(@"(?:not|don't|doesn't) own|without (?:a|their|her)(?: own)? phone|shared phone");
    private static readonly Regex OwnPhone = W(@"own (?:their|her) (?:own )?phone|own phone|phone owners?");
    private static readonly Regex EarlyMorning = W("early morning|early in the morning");
    private static readonly Regex Morning = W("morning|mornings");
    private static readonly (Regex Phrase, int[] Features)[] DayPartRules =
    [
        (W("midday|noon|lunch"), [27, 28]), (W("afternoon|afternoons"), [28, 29]), (W("evening|evenings"), [30, 31]), (W("night|nights"), [31]),
    ];

    private static readonly Regex Time = new(@"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", Rx);
    private const string T = @"\d{1,2}(?::\d{2})?\s*(?:am|pm)?";
    private static readonly Regex Range = new(@"(?:between\s+)?(" + T + @")\s*(?:-|–|\bto\b|\band\b)\s*(" + T + ")", Rx);
    private static readonly Regex Before = new(@"\bbefore\s+(" + T + ")", Rx);
    private static readonly Regex After = new(@"\bafter\s+(" + T + ")", Rx);

    private static readonly Regex EducationNamed = W("education|educated|literacy|schooling");
    private static readonly Regex IncomeNamed = W("income|income_bracket|earner|earners|earning|earnings|wealth|salary");
    private static readonly Regex LowWord = W("low|lower|lowest|bottom|least|poor|poorest|impoverished|at-risk|vulnerable|disadvantaged|deprived");
    private static readonly Regex SocioLowWord = W("poor|poorest|impoverished|at-risk|vulnerable|disadvantaged|deprived");
    private static readonly Regex HighWord = W("high|higher|highest|top|rich|richest|wealthy|affluent");
    private static readonly Regex MiddleWord = W("middle|median|mid");
    private static readonly Regex Superlative = W("lowest|bottom|least|poorest|highest|top|richest|absolute");
    private static readonly Regex Percent = new(@"(\d+(?:\.\d+)?)\s*%", Rx);
    private static readonly Regex SlightWord = W("slight|slightly|a little");

    private static readonly (FeatureGroup Group, Regex Name)[] GroupNames =
    [
        (Age, W("age|ages")), (Language, W("language|languages|speak|speaks|speakers")), (Phone, W("phone|phones")),
        (Slot, W("slot|slots|call time|call times")), (Organisation, W("organisation|organization|registered")),
    ];

    /// <summary>Ground <paramref name="sentence"/> (docs/dlm-simulated-designer.md §1).</summary>
    public static TaskGrounding Read(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        string s = sentence.ToLowerInvariant();
        var targets = new SortedSet<int>();
        foreach (var (phrase, features) in AgeRules.Concat(OtherRules).Concat(DayPartRules))
            if (phrase.IsMatch(s)) targets.UnionWith(features);
        if (NotOwnPhone.IsMatch(s)) targets.UnionWith([24, 25]);
        else if (OwnPhone.IsMatch(s)) targets.Add(23);
        if (EarlyMorning.IsMatch(s)) targets.Add(26);
        else if (Morning.IsMatch(s)) targets.UnionWith([26, 27]);
        targets.UnionWith(Slots(s));

        bool education = EducationNamed.IsMatch(s), income = IncomeNamed.IsMatch(s);
        if (!education && !income && SocioLowWord.IsMatch(s)) income = true;
        int? percentMembers(int members)
        {
            Match m = Percent.Match(s);
            if (!m.Success) return null;
            double p = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 100;
            return Math.Max(1, (int)Math.Round(p * members, MidpointRounding.AwayFromZero));
        }
        foreach (var (named, group) in new[] { (education, Education), (income, Income) })
        {
            if (!named) continue;
            int n = group.Indices.Count;
            int k = Math.Min(n, percentMembers(n) ?? (Superlative.IsMatch(s) ? 1 : 2));
            if (LowWord.IsMatch(s)) targets.UnionWith(group.Indices.Take(k));
            if (HighWord.IsMatch(s)) targets.UnionWith(group.Indices.Skip(n - k));
            if (MiddleWord.IsMatch(s)) targets.UnionWith(group.Indices.Skip((n - k) / 2).Take(k));
        }

        var ambiguous = new List<FeatureGroup>();
        foreach (FeatureGroup g in Features.Groups)
        {
            bool named = GroupNames.Any(x => x.Group == g && x.Name.IsMatch(s)) || (g == Education && education) || (g == Income && income);
            if (named && !g.Indices.Any(targets.Contains)) ambiguous.Add(g);
        }
        return new TaskGrounding(targets.ToArray(), ambiguous, SlightWord.IsMatch(s));
    }

    // Call slots 26-31 as [start, end) in minutes of the day.
    private static readonly (int Start, int End)[] SlotTimes = [(510, 630), (630, 750), (750, 930), (930, 1050), (1050, 1170), (1170, 1290)];

    private static IEnumerable<int> Slots(string s)
    {
        var found = new List<int>();
        foreach (Match m in Range.Matches(s))
        {
            if (!TryRange(m.Groups[1].Value, m.Groups[2].Value, out int a, out int b)) continue;
            for (int i = 0; i < SlotTimes.Length; i++) if (SlotTimes[i].Start >= a && SlotTimes[i].End <= b) found.Add(26 + i);
        }
        foreach (Match m in Before.Matches(s))
            if (TryTime(m.Groups[1].Value, null, out int t, out _))
                for (int i = 0; i < SlotTimes.Length; i++) if (SlotTimes[i].End <= t) found.Add(26 + i);
        foreach (Match m in After.Matches(s))
            if (TryTime(m.Groups[1].Value, null, out int t, out _))
                for (int i = 0; i < SlotTimes.Length; i++) if (SlotTimes[i].Start >= t) found.Add(26 + i);
        return found;
    }

    // A range's bare end takes the other end's am/pm; a range needs a meridiem on at least one end.
    private static bool TryRange(string first, string second, out int a, out int b)
    {
        a = b = 0;
        string? ma = Meridiem(first), mb = Meridiem(second);
        if (ma is null && mb is null) return false;
        return TryTime(first, mb, out a, out _) && TryTime(second, ma, out b, out _) && b > a;
    }

    private static string? Meridiem(string text)
    {
        Match m = Time.Match(text);
        return m.Success && m.Groups[3].Success ? m.Groups[3].Value.ToLowerInvariant() : null;
    }

    private static bool TryTime(string text, string? defaultMeridiem, out int minutes, out string? meridiem)
    {
        minutes = 0;
        Match m = Time.Match(text);
        meridiem = m.Groups[3].Success ? m.Groups[3].Value.ToLowerInvariant() : null;
        if (!m.Success) return false;
        int h = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), min = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        string? mer = meridiem ?? defaultMeridiem;
        if (mer is null || h < 1 || h > 12 || min > 59) return false;
        minutes = (h % 12 + (mer == "pm" ? 12 : 0)) * 60 + min;
        return true;
    }

    private static Regex W(string alternatives) => new(@"(?<!\w)(?:" + alternatives + @")(?!\w)", Rx);
}
