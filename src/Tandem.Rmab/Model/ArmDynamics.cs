namespace Tandem.Rmab.Model;

/// <summary>
/// The transitions of one two-state arm (seed 001 §3): state 1 = engaged, 0 = not engaged; action 1 =
/// a live call, 0 = passive. Because there are two states, <c>P[s, a, ·]</c> is fixed by the probability of
/// moving to the engaged state, <c>P[s, a, 1]</c>, stored here for the four (s, a) pairs.
/// </summary>
/// <param name="Passive0">P[0, 0, 1]: not engaged, no call → engaged. Range [0, 1].</param>
/// <param name="Passive1">P[1, 0, 1]: engaged, no call → engaged. Range [0, 1].</param>
/// <param name="Active0">P[0, 1, 1]: not engaged, called → engaged. Range [0, 1].</param>
/// <param name="Active1">P[1, 1, 1]: engaged, called → engaged. Range [0, 1].</param>
public readonly record struct ArmDynamics(double Passive0, double Passive1, double Active0, double Active1)
{
    /// <summary>P[s, a, 1] for state <paramref name="state"/> ∈ {0, 1} and action <paramref name="action"/> ∈ {0, 1}.</summary>
    public double ToEngaged(int state, int action) => (state, action) switch
    {
        (0, 0) => Passive0,
        (1, 0) => Passive1,
        (0, _) => Active0,
        _ => Active1,
    };

    /// <summary>True when all four probabilities lie in [0, 1].</summary>
    public bool IsValid => InUnit(Passive0) && InUnit(Passive1) && InUnit(Active0) && InUnit(Active1);

    /// <summary>"Acting never hurts": P[s, 1, 1] ≥ P[s, 0, 1] for both states.</summary>
    public bool ActingNeverHurts => Active0 >= Passive0 && Active1 >= Passive1;

    /// <summary>"Engaged is sticky": P[1, a, 1] ≥ P[0, a, 1] for both actions.</summary>
    public bool EngagedIsSticky => Passive1 >= Passive0 && Active1 >= Active0;

    /// <summary>Build from the nested layout of <c>tandem rmab whittle</c> files,
    /// <c>transitions[action][state][next]</c>; the probability of reaching state 1 is kept.</summary>
    public static ArmDynamics FromNested(double[][][] transitions)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        return new ArmDynamics(transitions[0][0][1], transitions[0][1][1], transitions[1][0][1], transitions[1][1][1]);
    }

    private static bool InUnit(double p) => p >= 0 && p <= 1;
}
