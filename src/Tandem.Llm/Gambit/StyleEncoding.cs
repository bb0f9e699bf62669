namespace Tandem.Llm.Gambit;

/// <summary>Style scores of one message on an encoder's dimensions, or an abstention with a "category: detail" reason.</summary>
/// <param name="Scores">One finite score per dimension, in the encoder's order, or null.</param>
/// <param name="Reason">Why there are no scores, or null.</param>
public sealed record StyleScores(double[]? Scores, string? Reason)
{
    /// <summary>True when there are scores.</summary>
    public bool HasScores => Scores is not null;

    /// <summary>Scores.</summary>
    public static StyleScores Of(double[] scores) => new(scores ?? throw new ArgumentNullException(nameof(scores)), null);

    /// <summary>An abstention.</summary>
    public static StyleScores Abstain(string reason) => new(null, reason);
}

/// <summary>
/// The working embedding φ of seed 002 §3: text in, a score per style dimension out. Implementations never throw
/// for a bad model answer; they abstain with a reason and count it (a setup problem throws
/// <see cref="BankSetupException"/>).
/// </summary>
public interface IStyleEncoder
{
    /// <summary>The dimensions scored, in order.</summary>
    IReadOnlyList<string> Dimensions { get; }

    /// <summary>Score <paramref name="message"/>. <paramref name="variant"/> ≥ 0 distinguishes repeated requests for
    /// the same text (a retry after an unusable answer asks again rather than replaying the recorded answer).</summary>
    Task<StyleScores> EncodeAsync(string message, int variant, CancellationToken cancellationToken = default);
}
