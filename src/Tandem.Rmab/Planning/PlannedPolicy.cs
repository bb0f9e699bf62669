using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Rmab.Planning;

/// <summary>
/// A planned policy as a programme runs it week after week: the policy (Whittle indices or PPO's trained actor) and
/// its own random stream, which breaks ties among equal indices at the budget boundary. Its whole state (kind
/// <see cref="StateKind"/>) is the policy's state and the stream's, so a programme can stop after any week and a
/// restored copy calls exactly the same arms in every later week.
/// </summary>
public sealed class PlannedPolicy : IStateful
{
    /// <summary>The <see cref="PolicyState.Kind"/> of a planned policy's state.</summary>
    public const string StateKind = "rmab-planned";

    /// <summary>The format version of <see cref="StateKind"/>.</summary>
    public const int StateVersion = 1;

    // How a stored inner policy of each kind is rebuilt (a catalog: a new stateful policy registers here).
    private static readonly Dictionary<string, Func<PolicyState, IRmabPolicy>> Restorers = new(StringComparer.Ordinal)
    {
        [IndexPolicy.StateKind] = IndexPolicy.Restore,
        [PpoPolicy.StateKind] = PpoPolicy.Restore,
    };

    private readonly Xoshiro256 _random;

    /// <summary>Run <paramref name="policy"/> with a tie-break stream seeded by <paramref name="seed"/>.</summary>
    /// <param name="policy">A planned policy whose state can be saved (<see cref="IndexPolicy"/>, <see cref="PpoPolicy"/>).</param>
    /// <param name="seed">Seed of the tie-break stream.</param>
    public PlannedPolicy(IRmabPolicy policy, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy is not IStateful) throw new ArgumentException($"A {policy.GetType().Name} cannot be saved; plan with an index or PPO planner.", nameof(policy));
        Policy = policy;
        _random = new Xoshiro256(seed);
    }

    /// <summary>The planned policy.</summary>
    public IRmabPolicy Policy { get; }

    /// <summary>This week's calls: <c>actions[n] = 1</c> for the arms to call, from the arms' current states.</summary>
    public void Act(ReadOnlySpan<byte> states, Span<byte> actions) => Policy.Act(states, actions, _random);

    /// <inheritdoc />
    public PolicyState ExportState() =>
        PolicyStates.Pack(StateKind, StateVersion, new PlannedPolicyState(((IStateful)Policy).ExportState(), _random.GetState()));

    /// <inheritdoc />
    /// <remarks>The stored policy must be of this policy's kind, arms and budget.</remarks>
    public void ImportState(PolicyState state)
    {
        PlannedPolicyState data = Unpack(state);
        // The inner policy refuses a state of another kind, arms or budget before it changes anything.
        ((IStateful)Policy).ImportState(data.Policy!);
        _random.SetState(data.Random!);
    }

    /// <summary>A new planned policy from a state exported by <see cref="ExportState"/>.</summary>
    /// <exception cref="PolicyStateException">The state or its policy is of another kind or version, inconsistent or not finite.</exception>
    public static PlannedPolicy Restore(PolicyState state)
    {
        PlannedPolicyState data = Unpack(state);
        if (!Restorers.TryGetValue(data.Policy!.Kind, out var restore))
            throw new PolicyStateException($"The '{StateKind}' state holds a '{data.Policy.Kind}' policy; known kinds: {string.Join(", ", Restorers.Keys)}.");
        var planned = new PlannedPolicy(restore(data.Policy), 1);
        planned._random.SetState(data.Random!);
        return planned;
    }

    private static PlannedPolicyState Unpack(PolicyState state)
    {
        var data = PolicyStates.Unpack<PlannedPolicyState>(state, StateKind, StateVersion);
        PolicyStates.Require(data.Policy is not null, $"The '{StateKind}' state has no policy.");
        PolicyStates.ValidateRandom(data.Random, "tie-break stream");
        return data;
    }

    private sealed record PlannedPolicyState(PolicyState? Policy, ulong[]? Random);
}
