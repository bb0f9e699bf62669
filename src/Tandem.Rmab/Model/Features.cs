namespace Tandem.Rmab.Model;

/// <summary>One one-hot (or bucketed) feature group of Algorithm 2's state-feature distribution.</summary>
/// <param name="Name">Group name as shown to the reflector, e.g. "Age".</param>
/// <param name="Indices">Feature indices of the group's members, in display order.</param>
public sealed record FeatureGroup(string Name, IReadOnlyList<int> Indices);

/// <summary>The 43 arm features of the ARMMAN setting (seed 001 Appendix J, Figure 4).</summary>
public static class Features
{
    /// <summary>Number of features per arm.</summary>
    public const int Count = 43;

    /// <summary>First feature index shown to a designer; 0-6 are sensitive and left out of prompts.</summary>
    public const int FirstPromptFeature = 7;

    /// <summary>Human-readable name of each feature, index-aligned.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "Gestational age at enrollment (weeks)", "Delivery status", "Gravidity", "Parity", "Stillbirths", "Live births", "Days to first call",
        "Ages 10-20", "Ages 21-30", "Ages 31-40", "Ages 41-50", "Ages 51-60",
        "Speaks Hindi", "Speaks Marathi", "Speaks Gujarati", "Speaks Kannada",
        "Education 1/7 (illiterate)", "Education 2/7 (1-5th grade)", "Education 3/7 (6-9th grade)", "Education 4/7 (10th passed)",
        "Education 5/7 (12th passed)", "Education 6/7 (graduate)", "Education 7/7 (post graduate)",
        "Phone owner: woman", "Phone owner: husband", "Phone owner: family",
        "Call slot 8:30-10:30", "Call slot 10:30-12:30", "Call slot 12:30-15:30", "Call slot 15:30-17:30", "Call slot 17:30-19:30", "Call slot 19:30-21:30",
        "Registered at NGO", "Registered at ARMMAN", "Registered at PHC",
        "Income -1 (none)", "Income 1 (0-5000)", "Income 2 (5001-10000)", "Income 3 (10001-15000)", "Income 4 (15001-20000)",
        "Income 5 (20001-25000)", "Income 6 (25001-30000)", "Income 7 (30000+)",
    ];

    /// <summary>Column names of the features in beneficiary files (`tandem rmab plan`), index-aligned.</summary>
    public static IReadOnlyList<string> ColumnNames { get; } =
    [
        "gestational_age", "delivery_status", "gravidity", "parity", "stillbirths", "live_births", "days_to_first_call",
        "age_10_20", "age_21_30", "age_31_40", "age_41_50", "age_51_60",
        "lang_hindi", "lang_marathi", "lang_gujarati", "lang_kannada",
        "education_1", "education_2", "education_3", "education_4", "education_5", "education_6", "education_7",
        "phone_owner_woman", "phone_owner_husband", "phone_owner_family",
        "slot_0830_1030", "slot_1030_1230", "slot_1230_1530", "slot_1530_1730", "slot_1730_1930", "slot_1930_2130",
        "org_ngo", "org_armman", "org_phc",
        "income_none", "income_1", "income_2", "income_3", "income_4", "income_5", "income_6", "income_7",
    ];

    /// <summary>Feature index of a column name: a name of <see cref="ColumnNames"/>, or <c>feats[i]</c> / <c>f{i}</c>; −1 when unknown.</summary>
    public static int IndexOfColumn(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().ToLowerInvariant();
        for (int i = 0; i < Count; i++) if (ColumnNames[i] == n) return i;
        string digits = n.StartsWith("feats[", StringComparison.Ordinal) && n.EndsWith(']') ? n[6..^1] : n.StartsWith('f') ? n[1..] : "";
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k) && k < Count ? k : -1;
    }

    /// <summary>The one-hot groups of Algorithm 2 (seed 001 Appendix D): age, language, education, phone owner,
    /// call slot, organisation, income.</summary>
    public static IReadOnlyList<FeatureGroup> Groups { get; } =
    [
        new("Age", Range(7, 5)),
        new("Language", Range(12, 4)),
        new("Education", Range(16, 7)),
        new("Phone owner", Range(23, 3)),
        new("Call slot", Range(26, 6)),
        new("Organisation", Range(32, 3)),
        new("Income", Range(35, 8)),
    ];

    /// <summary>The group that holds feature <paramref name="index"/>, or null for the integer features 0-6.</summary>
    public static FeatureGroup? GroupOf(int index) => Groups.FirstOrDefault(g => g.Indices.Contains(index));

    private static int[] Range(int start, int count) => Enumerable.Range(start, count).ToArray();
}
