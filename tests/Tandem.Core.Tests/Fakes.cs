using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Core.Tests;

/// <summary>A plain K-armed decision with a payload (the context it was made in), for Core's tests.</summary>
internal sealed record ArmChoice : Decision
{
    public int SeenContext { get; init; }

    public override void WritePayload(Utf8JsonWriter writer) => writer.WriteNumber("seenContext", SeenContext);
}

internal readonly record struct ArmOutcome(double Reward, double ExpectedReward) : IOutcome;

/// <summary>Gaussian arms with known means; contexts are 0, 1, 2, ... and arm a's mean is Means[a] + 0.01·context.</summary>
internal sealed class GaussianBandit(double[] means, Random random) : IEnvironment<int, ArmChoice, ArmOutcome>
{
    private int _step;

    public int ArmCount => means.Length;

    public int NextContext() => _step++;

    public ArmOutcome Respond(int context, ArmChoice decision)
    {
        double mean = ExpectedReward(context, decision);
        return new ArmOutcome(mean + random.NextGaussian(), mean);
    }

    public double OptimalExpectedReward(int context) => means.Max() + 0.01 * context;

    public double ExpectedReward(int context, ArmChoice decision) => means[decision.Arm] + 0.01 * context;
}

/// <summary>Greedy on empirical means (ties to the lower arm), deterministic, with saveable state.</summary>
internal sealed class GreedyMeans(int armCount, TimeProvider? time = null) : IPolicy<int, ArmChoice, ArmOutcome>, IStateful
{
    private readonly DecisionIssuer _issuer = new(time);
    private double[] _sums = new double[armCount];
    private int[] _counts = new int[armCount];

    public string Name => "greedy";

    public ValueTask<ArmChoice> DecideAsync(int context, CancellationToken cancellationToken = default)
    {
        int best = 0;
        double bestValue = double.NegativeInfinity;
        for (int a = 0; a < armCount; a++)
        {
            double value = _counts[a] == 0 ? double.PositiveInfinity : _sums[a] / _counts[a];
            if (value > bestValue)
            {
                bestValue = value;
                best = a;
            }
        }
        DecisionStamp stamp = _issuer.Issue();
        return new(new ArmChoice
        {
            Id = stamp.Id, Time = stamp.Time, Arm = best, Probabilities = ProbabilityVectors.OneHot(armCount, best),
            Notes = DecisionNotes.Deterministic, SeenContext = context,
        });
    }

    public ValueTask LearnAsync(int context, ArmChoice decision, ArmOutcome outcome, CancellationToken cancellationToken = default)
    {
        _issuer.EnsurePending(decision.Id);
        _sums[decision.Arm] += outcome.Reward;
        _counts[decision.Arm]++;
        _issuer.Settle(decision.Id);
        return ValueTask.CompletedTask;
    }

    public PolicyState ExportState() => PolicyStates.Pack("greedy", 1, new GreedyState([.. _sums], [.. _counts], _issuer.Export()));

    public void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<GreedyState>(state, "greedy", 1);
        PolicyStates.RequireLength(data.Sums, armCount, "sums");
        PolicyStates.RequireLength(data.Counts, armCount, "counts");
        DecisionIssuer.Validate(data.Issuer);
        _sums = [.. data.Sums];
        _counts = [.. data.Counts];
        _issuer.Import(data.Issuer);
    }

    private sealed record GreedyState(double[] Sums, int[] Counts, DecisionIssuerState Issuer);
}

/// <summary>Uniformly random arms with stated probabilities 1/K.</summary>
internal sealed class UniformArms(int armCount, ulong seed) : IPolicy<int, ArmChoice, ArmOutcome>
{
    private readonly DecisionIssuer _issuer = new();
    private readonly Random _random = Seeds.CreateRandom(seed);

    public string Name => "uniform";

    public ValueTask<ArmChoice> DecideAsync(int context, CancellationToken cancellationToken = default)
    {
        DecisionStamp stamp = _issuer.Issue();
        return new(new ArmChoice { Id = stamp.Id, Time = stamp.Time, Arm = _random.Next(armCount), Probabilities = ProbabilityVectors.Uniform(armCount), SeenContext = context });
    }

    public ValueTask LearnAsync(int context, ArmChoice decision, ArmOutcome outcome, CancellationToken cancellationToken = default)
    {
        _issuer.EnsurePending(decision.Id);
        _issuer.Settle(decision.Id);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A fixed clock.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
