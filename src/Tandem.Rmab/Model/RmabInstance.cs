namespace Tandem.Rmab.Model;

/// <summary>
/// A restless-bandit instance (seed 001 §3): N two-state arms with transitions and features, a budget B of
/// calls per step, and each arm's probability of starting engaged.
/// </summary>
public sealed class RmabInstance
{
    /// <summary>Create an instance; validates shapes and ranges.</summary>
    /// <param name="dynamics">Per-arm transitions (N ≥ 1).</param>
    /// <param name="features">Per-arm feature vectors of length <see cref="Features.Count"/>.</param>
    /// <param name="initialEngaged">Per-arm probability of state 1 at step 0, in [0, 1].</param>
    /// <param name="budget">Calls per step, 0 ≤ B ≤ N.</param>
    public RmabInstance(IReadOnlyList<ArmDynamics> dynamics, IReadOnlyList<double[]> features, IReadOnlyList<double> initialEngaged, int budget)
    {
        ArgumentNullException.ThrowIfNull(dynamics);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(initialEngaged);
        if (dynamics.Count < 1) throw new ArgumentException("An instance needs at least one arm.", nameof(dynamics));
        if (features.Count != dynamics.Count) throw new ArgumentException($"features has {features.Count} rows for {dynamics.Count} arms.", nameof(features));
        if (initialEngaged.Count != dynamics.Count) throw new ArgumentException($"initialEngaged has {initialEngaged.Count} values for {dynamics.Count} arms.", nameof(initialEngaged));
        ArgumentOutOfRangeException.ThrowIfNegative(budget);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(budget, dynamics.Count);
        for (int n = 0; n < dynamics.Count; n++)
        {
            if (!dynamics[n].IsValid) throw new ArgumentException($"Arm {n} has a transition probability outside [0, 1].", nameof(dynamics));
            if (features[n].Length != Features.Count) throw new ArgumentException($"Arm {n} has {features[n].Length} features, not {Features.Count}.", nameof(features));
            if (!(initialEngaged[n] >= 0 && initialEngaged[n] <= 1)) throw new ArgumentException($"Arm {n} has a start probability outside [0, 1].", nameof(initialEngaged));
        }
        Dynamics = dynamics.ToArray();
        FeatureRows = features.Select(f => (double[])f.Clone()).ToArray();
        InitialEngaged = initialEngaged.ToArray();
        Budget = budget;
    }

    /// <summary>Number of arms N.</summary>
    public int ArmCount => Dynamics.Length;

    /// <summary>Calls per step B.</summary>
    public int Budget { get; }

    /// <summary>True per-arm transitions.</summary>
    public ArmDynamics[] Dynamics { get; }

    /// <summary>Per-arm 43-feature vectors.</summary>
    public double[][] FeatureRows { get; }

    /// <summary>Per-arm probability of starting engaged.</summary>
    public double[] InitialEngaged { get; }
}
