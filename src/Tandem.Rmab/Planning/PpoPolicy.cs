using Tandem.Core.Neural;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Rmab.Planning;

/// <summary>
/// The test-time policy of the Lagrangian PPO planner (seed 001 Appendix F): the trained actor network, evaluated on
/// the 2N (arm, state) inputs at the final action charge λ, ranks arms by the log-odds of P(act) and calls the B
/// largest (<see cref="IndexPolicy"/>). Its state (kind <see cref="StateKind"/>) is the actor (layer sizes,
/// activation and parameters), the network inputs with their normalisation (λ and the rewards divided by max |R|),
/// λ, max |R| and the budget, so a restored policy ranks arms bit for bit as the trained one.
/// </summary>
public sealed class PpoPolicy : IIndexRmabPolicy, IStateful
{
    /// <summary>The <see cref="PolicyState.Kind"/> of a PPO policy's state.</summary>
    public const string StateKind = "rmab-ppo";

    /// <summary>The format version of <see cref="StateKind"/>.</summary>
    public const int StateVersion = 1;

    /// <summary>Network input width: one-hot state (2), λ, four transition probabilities, the arm's two rewards.</summary>
    internal const int InputWidth = 9;

    private readonly Mlp _actor;
    private readonly double[] _inputs;
    private readonly double[] _logits;
    private readonly int _budget;
    private IndexPolicy _ranking;

    /// <summary>Take over a trained actor and its inputs (rows g = 2n + s of <see cref="InputWidth"/> values, λ column set).</summary>
    internal PpoPolicy(Mlp actor, double[] inputs, int budget, double lambda, double rewardScale)
    {
        _actor = actor;
        _inputs = inputs;
        _budget = budget;
        Lambda = lambda;
        RewardScale = rewardScale;
        _logits = new double[2 * ArmCount * 2];
        _ranking = Rank();
    }

    /// <summary>Number of arms N.</summary>
    public int ArmCount => _inputs.Length / (2 * InputWidth);

    /// <summary>The final action charge λ the actor was evaluated at.</summary>
    public double Lambda { get; private set; }

    /// <summary>max |R| over arms and states: rewards and λ enter the network divided by it.</summary>
    public double RewardScale { get; private set; }

    /// <inheritdoc />
    public IReadOnlyList<double> Index0 => _ranking.Index0;

    /// <inheritdoc />
    public IReadOnlyList<double> Index1 => _ranking.Index1;

    /// <inheritdoc />
    public IReadOnlyList<bool> Indexable => _ranking.Indexable;

    /// <inheritdoc />
    public void Act(ReadOnlySpan<byte> states, Span<byte> actions, Xoshiro256 random) => _ranking.Act(states, actions, random);

    // The index of (arm n, state s) is the log-odds logit[act] − logit[passive] of the actor on row 2n + s.
    private IndexPolicy Rank()
    {
        int n = ArmCount;
        _actor.ForwardBatch(_inputs, _logits, 2 * n);
        var index0 = new double[n];
        var index1 = new double[n];
        for (int i = 0; i < n; i++)
        {
            index0[i] = _logits[4 * i + 1] - _logits[4 * i];
            index1[i] = _logits[4 * i + 3] - _logits[4 * i + 2];
        }
        return new IndexPolicy(index0, index1, Enumerable.Repeat(true, n).ToArray(), _budget);
    }

    /// <inheritdoc />
    public PolicyState ExportState()
    {
        var sizes = new int[_actor.LayerCount + 1];
        for (int l = 0; l < sizes.Length; l++) sizes[l] = _actor.Width(l);
        return PolicyStates.Pack(StateKind, StateVersion, new PpoPolicyState(ArmCount, _budget, Lambda, RewardScale, sizes,
            _actor.HiddenActivation.ToString(), _actor.Parameters.ToArray(), [.. _inputs]));
    }

    /// <inheritdoc />
    /// <remarks>The number of arms, the budget and the network's layer sizes and activation must match this policy's.</remarks>
    public void ImportState(PolicyState state)
    {
        PpoPolicyState data = Validate(state, ArmCount, _budget);
        for (int l = 0; l <= _actor.LayerCount; l++)
        {
            PolicyStates.Require(data.LayerSizes!.Length == _actor.LayerCount + 1 && data.LayerSizes[l] == _actor.Width(l),
                $"The '{StateKind}' state's actor has layer sizes [{string.Join(", ", data.LayerSizes!)}]; this policy's has [{string.Join(", ", Enumerable.Range(0, _actor.LayerCount + 1).Select(_actor.Width))}].");
        }
        PolicyStates.Require(data.Activation == _actor.HiddenActivation.ToString(),
            $"The '{StateKind}' state's actor uses {data.Activation}; this policy's uses {_actor.HiddenActivation}.");
        PolicyStates.RequireLength(data.Parameters, _actor.ParameterCount, "actor parameters");
        data.Parameters.CopyTo(_actor.Parameters);
        data.Inputs!.CopyTo(_inputs, 0);
        Lambda = data.Lambda;
        RewardScale = data.RewardScale;
        _ranking = Rank();
    }

    /// <summary>A new policy from a state exported by <see cref="ExportState"/>.</summary>
    /// <exception cref="PolicyStateException">The state is of another kind or version, inconsistent or not finite.</exception>
    public static PpoPolicy Restore(PolicyState state)
    {
        PpoPolicyState data = Validate(state, arms: null, budget: null);
        int[] sizes = data.LayerSizes!;
        PolicyStates.Require(sizes.Length >= 2 && sizes.All(s => s >= 1), $"The '{StateKind}' state's layer sizes [{string.Join(", ", sizes)}] are not a network.");
        PolicyStates.Require(Enum.TryParse(data.Activation, out Activation activation) && Enum.IsDefined(activation),
            $"The '{StateKind}' state's activation '{data.Activation}' is unknown.");
        var actor = new Mlp(sizes, activation, maxBatch: Math.Max(1, 2 * data.Arms));
        PolicyStates.RequireLength(data.Parameters, actor.ParameterCount, "actor parameters");
        data.Parameters.CopyTo(actor.Parameters);
        return new PpoPolicy(actor, [.. data.Inputs!], data.Budget, data.Lambda, data.RewardScale);
    }

    private static PpoPolicyState Validate(PolicyState state, int? arms, int? budget)
    {
        var data = PolicyStates.Unpack<PpoPolicyState>(state, StateKind, StateVersion);
        if (arms is int n) PolicyStates.Require(data.Arms == n, $"The '{StateKind}' state has {data.Arms} arms; this policy has {n}.");
        PolicyStates.Require(data.Arms >= 1, $"The '{StateKind}' state has {data.Arms} arms.");
        if (budget is int b) PolicyStates.Require(data.Budget == b, $"The '{StateKind}' state has budget {data.Budget}; this policy has budget {b}.");
        PolicyStates.Require(data.Budget >= 0 && data.Budget <= data.Arms, $"The '{StateKind}' state's budget {data.Budget} is outside [0, {data.Arms}].");
        PolicyStates.Require(double.IsFinite(data.Lambda) && data.Lambda >= 0, $"The '{StateKind}' state's λ is {data.Lambda}; it must be finite and ≥ 0.");
        PolicyStates.Require(double.IsFinite(data.RewardScale) && data.RewardScale > 0, $"The '{StateKind}' state's reward scale is {data.RewardScale}; it must be finite and > 0.");
        PolicyStates.Require(data.LayerSizes is { Length: >= 2 } s && s[0] == InputWidth && s[^1] == 2,
            $"The '{StateKind}' state's actor must map {InputWidth} inputs to 2 logits.");
        PolicyStates.RequireLength(data.Inputs, 2 * data.Arms * InputWidth, "network inputs");
        PolicyStates.RequireFinite(data.Inputs, "network inputs");
        PolicyStates.RequireFinite(data.Parameters ?? [], "actor parameters");
        double charge = data.Lambda / data.RewardScale;
        for (int g = 0; g < 2 * data.Arms; g++)
        {
            PolicyStates.Require(data.Inputs![g * InputWidth + 2] == charge,
                $"The '{StateKind}' state's input row {g} holds the charge {data.Inputs[g * InputWidth + 2]}, not λ / max|R| = {charge}.");
        }
        return data;
    }

    private sealed record PpoPolicyState(int Arms, int Budget, double Lambda, double RewardScale, int[]? LayerSizes, string? Activation, double[]? Parameters, double[]? Inputs);
}
