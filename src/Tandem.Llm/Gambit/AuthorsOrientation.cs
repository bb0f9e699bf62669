using Tandem.Gambit.Bank;

namespace Tandem.Llm.Gambit;

/// <summary>
/// The sign convention that joins a model-rated bank to the outcome models (docs/gambitts-llm-bank.md). The outcome
/// models carry the authors' coefficients, fitted on the authors' style embedding, in which "a high optimism score
/// reflects greater pessimism" (seed 002 App. F.3.3); every other primary dimension reads the named way (a high
/// encouragement score is an encouraging tone). The rater scores 0–10 with 10 = "extremely" the named style, so a
/// rated optimism of 10 is the most optimistic message. A bank built here therefore stores each reversed dimension as
/// <see cref="RatingParser.MaxRating"/> − rating, the authors' orientation, so the 1-D outcome
/// (82.7949 − 0.1396·optimism) rewards optimistic messages on a model's bank as it does in the paper.
/// </summary>
public static class AuthorsOrientation
{
    /// <summary>Dimensions whose authors' axis runs opposite to the rater's: optimism (high = pessimistic).</summary>
    public static IReadOnlyList<string> Reversed { get; } = [StyleDimensions.Optimism];

    /// <summary>Whether <paramref name="dimension"/> is stored reversed (case-insensitive).</summary>
    public static bool IsReversed(string dimension) => Reversed.Contains(dimension, StringComparer.OrdinalIgnoreCase);

    /// <summary>A rater's scores (0 = none, 10 = extremely, in the order of <paramref name="dimensions"/>) on the authors'
    /// axes: reversed dimensions become 10 − score, the others stay. Returns a new array.</summary>
    public static double[] ToAuthors(IReadOnlyList<string> dimensions, ReadOnlySpan<double> ratings)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (ratings.Length != dimensions.Count) throw new ArgumentException($"Expected {dimensions.Count} scores; got {ratings.Length}.", nameof(ratings));
        var result = ratings.ToArray();
        for (int j = 0; j < result.Length; j++) if (IsReversed(dimensions[j])) result[j] = RatingParser.MaxRating - result[j];
        return result;
    }
}
