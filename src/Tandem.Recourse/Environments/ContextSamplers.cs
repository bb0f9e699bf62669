using Tandem.Core.Randomness;

namespace Tandem.Recourse.Environments;

/// <summary>Draws patient contexts.</summary>
public interface IContextSampler
{
    /// <summary>d.</summary>
    int Dimension { get; }

    /// <summary>Write one context into <paramref name="destination"/>.</summary>
    void Sample(Random random, Span<double> destination);
}

/// <summary>x ~ N(0, I_d) (seed 000 §6.1).</summary>
public sealed class GaussianContextSampler(int dimension) : IContextSampler
{
    /// <inheritdoc />
    public int Dimension { get; } = dimension > 0 ? dimension : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "d must be ≥ 1.");

    /// <inheritdoc />
    public void Sample(Random random, Span<double> destination) => random.FillGaussian(destination);
}

/// <summary>Bootstraps a patient uniformly from a fixed cohort each step (seed 000 §5.3, App. D).</summary>
public sealed class CohortSampler : IContextSampler
{
    private readonly double[][] _cohort;

    /// <summary>Create a sampler over <paramref name="cohort"/> (rows of equal length, finite).</summary>
    public CohortSampler(double[][] cohort)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        if (cohort.Length == 0) throw new ArgumentException("The cohort is empty.", nameof(cohort));
        int d = cohort[0].Length;
        if (cohort.Any(r => r.Length != d || r.Any(v => !double.IsFinite(v))))
            throw new ArgumentException($"Every cohort row must have {d} finite values.", nameof(cohort));
        _cohort = cohort;
        Dimension = d;
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>The cohort rows.</summary>
    public IReadOnlyList<double[]> Rows => _cohort;

    /// <inheritdoc />
    public void Sample(Random random, Span<double> destination) => _cohort[random.Next(_cohort.Length)].CopyTo(destination);
}
