using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Tandem.Core.Decisions;

/// <summary>
/// Shared, immutable probability vectors for the common cases, so a deterministic policy's owned decision
/// costs no allocation for its vector. Thread-safe.
/// </summary>
public static class ProbabilityVectors
{
    private const int CacheLimit = 64;
    private static readonly ConcurrentDictionary<(int K, int Arm), ImmutableArray<double>> OneHots = new();
    private static readonly ConcurrentDictionary<int, ImmutableArray<double>> Uniforms = new();
    private static readonly ConcurrentDictionary<int, ImmutableArray<double>> Unknowns = new();

    /// <summary>P = 1 on <paramref name="arm"/>, 0 elsewhere (a deterministic choice). Range: 0 ≤ arm &lt; K.</summary>
    public static ImmutableArray<double> OneHot(int armCount, int arm)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(armCount, 1);
        if ((uint)arm >= (uint)armCount) throw new ArgumentOutOfRangeException(nameof(arm), arm, $"The arm must lie in 0..{armCount - 1}.");
        if (armCount > CacheLimit) return Create(armCount, a => a == arm ? 1.0 : 0.0);
        return OneHots.GetOrAdd((armCount, arm), static key => Create(key.K, a => a == key.Arm ? 1.0 : 0.0));
    }

    /// <summary>P = 1/K for every arm.</summary>
    public static ImmutableArray<double> Uniform(int armCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(armCount, 1);
        if (armCount > CacheLimit) return Create(armCount, _ => 1.0 / armCount);
        return Uniforms.GetOrAdd(armCount, static k => Create(k, _ => 1.0 / k));
    }

    /// <summary>NaN for every arm: the probabilities cannot be stated (say why in the decision's notes).</summary>
    public static ImmutableArray<double> Unknown(int armCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(armCount, 1);
        if (armCount > CacheLimit) return Create(armCount, _ => double.NaN);
        return Unknowns.GetOrAdd(armCount, static k => Create(k, _ => double.NaN));
    }

    private static ImmutableArray<double> Create(int k, Func<int, double> value)
    {
        var builder = ImmutableArray.CreateBuilder<double>(k);
        for (int a = 0; a < k; a++) builder.Add(value(a));
        return builder.MoveToImmutable();
    }
}
