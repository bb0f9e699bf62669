using Tandem.Core.Randomness;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests;

/// <summary>Small banks and worlds shared by the tests (built once; immutable).</summary>
internal static class TestWorlds
{
    private static readonly Lazy<ResponseBank> SmallBankLazy = new(() => SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 60 }));

    /// <summary>The synthetic bank with 60 responses per cell.</summary>
    public static ResponseBank SmallBank => SmallBankLazy.Value;

    /// <summary>A space that is not the paper's: three contexts with one term each.</summary>
    public static ContextSpace ThreeContexts { get; } = new(["morning", "noon", "evening"], ["hour"], [[8], [12], [19]]);

    private static readonly Lazy<ResponseBank> ThreeContextBankLazy =
        new(() => SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 30, Contexts = ThreeContexts }));

    /// <summary>The synthetic bank over <see cref="ThreeContexts"/>, 30 responses per cell.</summary>
    public static ResponseBank ThreeContextBank => ThreeContextBankLazy.Value;

    /// <summary>The illustrative world (1-D optimism outcome, 5 prompts) on the small bank.</summary>
    public static GambitWorld Illustrative() => GambitWorld.Create(SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 5);

    /// <summary>The 3-D outcome with context, 5 prompts.</summary>
    public static GambitWorld ThreeD(int k = 5) => GambitWorld.Create(SmallBank, LinearOutcomeModel.ThreeDWithContext(),
        [StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity], k);

    /// <summary>A hand-made bank: one dimension "optimism", two prompts, every cell given explicitly.</summary>
    public static ResponseBank HandMade(Func<int, int, double[]> cell)
    {
        var cells = new double[2 * GambitContext.Count][];
        for (int p = 0; p < 2; p++) for (int c = 0; c < GambitContext.Count; c++) cells[p * GambitContext.Count + c] = cell(p, c);
        return new ResponseBank(["a", "b"], [StyleDimensions.Optimism], cells);
    }

    public static Random Rng(ulong seed) => Seeds.CreateRandom(seed);

    /// <summary>A decision for arm <paramref name="arm"/> made by no policy (to drive the environment directly).</summary>
    public static GambitDecision Bare(int arm, int armCount = 2) => new()
    {
        Id = new Tandem.Core.Decisions.DecisionId(1), Time = DateTimeOffset.UnixEpoch, Arm = arm,
        Probabilities = Tandem.Core.Decisions.ProbabilityVectors.Unknown(Math.Max(armCount, arm + 1)),
    };
}
