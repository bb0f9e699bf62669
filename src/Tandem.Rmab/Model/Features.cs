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
