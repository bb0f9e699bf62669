namespace Tandem.Gambit.Bank;

/// <summary>The twenty style dimensions of seed 002 App. E.4 (the first five are the primary ones of §6).</summary>
public static class StyleDimensions
{
    /// <summary>Optimism (in the authors' embedding a high score reads as pessimism, App. F.3.3; the outcome coefficients follow their sign).</summary>
    public const string Optimism = "optimism";

    /// <summary>Formality.</summary>
    public const string Formality = "formality";

    /// <summary>Encouragement.</summary>
    public const string Encouragement = "encouragement";

    /// <summary>Severity.</summary>
    public const string Severity = "severity";

    /// <summary>Clarity.</summary>
    public const string Clarity = "clarity";

    /// <summary>All twenty, in the seed's order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        Optimism, Formality, Encouragement, Severity, Clarity, "humor", "complexity", "vision", "detail", "threat",
        "urgency", "politeness", "personalization", "conciseness", "actionability", "emotiveness", "authoritativeness",
        "authenticity", "supportiveness", "gender-codedness",
    ];

    /// <summary>The five primary dimensions in the order of seed 002 App. F Table 1.</summary>
    public static IReadOnlyList<string> Table1Order { get; } = [Optimism, Formality, Severity, Clarity, Encouragement];

    /// <summary>Seed 002 App. F Table 1: correlations among the five primary embeddings in response_db, in <see cref="Table1Order"/>.</summary>
    public static double[,] Table1 { get; } = new double[,]
    {
        { 1.000, -0.095, 0.787, 0.184, -0.960 },
        { -0.095, 1.000, -0.568, -0.248, -0.121 },
        { 0.787, -0.568, 1.000, 0.066, -0.644 },
        { 0.184, -0.248, 0.066, 1.000, -0.201 },
        { -0.960, -0.121, -0.644, -0.201, 1.000 },
    };
}
