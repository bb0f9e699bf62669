using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Tandem.Core.Abstractions;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Environment;

/// <summary>
/// The generator's port (seed 002 §4.2, "simulation access"): given a prompt and a context it returns the
/// working embedding of one freshly generated response, without sending anything to a participant.
/// In this toolkit the simulated implementation draws from the response bank; a language-model
/// implementation would generate text and embed it.
/// </summary>
public interface ITreatmentGenerator
{
    /// <summary>K, the prompts it accepts.</summary>
    int PromptCount { get; }

    /// <summary>The contexts it accepts.</summary>
    ContextSpace Contexts { get; }

    /// <summary>d_z, the length of the embeddings it writes.</summary>
    int EmbeddingDimension { get; }

    /// <summary>Generate one response for (<paramref name="prompt"/>, <paramref name="context"/>) and write its working embedding.</summary>
    void Generate(int prompt, GambitContext context, Random random, Span<double> embedding);
}

/// <summary>
/// A generator whose responses are a finite pool per cell, generated before the study (a response database, as in
/// the seed's experiments, App. F). Offline draws (Algorithm 2's M) are taken from the pool without replacement, as
/// the authors' code does (<c>groupby(prompt, context).sample(M)</c>, pandas' default <c>replace=False</c>), so M may
/// not exceed a cell's size.
/// </summary>
public interface ITreatmentPool : ITreatmentGenerator
{
    /// <summary>How many responses the cell holds (≥ 1).</summary>
    int CellSize(int prompt, GambitContext context);

    /// <summary>Write the working embedding of response <paramref name="index"/> (in [0, <see cref="CellSize"/>)) of the cell.</summary>
    void Response(int prompt, GambitContext context, int index, Span<double> embedding);
}

/// <summary>Simulator access to the bank: a uniformly drawn response of the cell, its working dimensions; as a
/// <see cref="ITreatmentPool"/>, any response of the cell by index.</summary>
public sealed class BankTreatmentGenerator(GambitWorld world) : ITreatmentPool
{
    /// <inheritdoc />
    public int PromptCount => world.PromptCount;

    /// <inheritdoc />
    public int EmbeddingDimension => world.EmbeddingDimension;

    /// <inheritdoc />
    public ContextSpace Contexts => world.Contexts;

    /// <inheritdoc />
    public void Generate(int prompt, GambitContext context, Random random, Span<double> embedding)
    {
        _ = world.Bank.Cell(prompt, context, out int n);
        Response(prompt, context, random.Next(n), embedding);
    }

    /// <inheritdoc />
    public int CellSize(int prompt, GambitContext context)
    {
        _ = world.Bank.Cell(prompt, context, out int n);
        return n;
    }

    /// <inheritdoc />
    public void Response(int prompt, GambitContext context, int index, Span<double> embedding)
    {
        ReadOnlySpan<double> cell = world.Bank.Cell(prompt, context, out int n);
        if ((uint)index >= (uint)n) throw new ArgumentOutOfRangeException(nameof(index), index, $"The cell holds {n} responses.");
        int d = world.Bank.DimensionCount;
        for (int j = 0; j < world.WorkingDimensions.Count; j++) embedding[j] = cell[index * d + world.WorkingDimensions[j]];
    }
}

/// <summary>
/// One run's environment (seed 002 App. F, Algorithm 6): contexts uniform and independent over the world's
/// context space (the paper's 12 cells by default);
/// the chosen prompt's response is drawn uniformly from its bank cell; the reward is f(z, x) + N(0, sd²);
/// the agent sees the working embedding of the delivered response. Regret is exact: μ(x, a) comes from the bank.
/// Each random stream is derived from the run's seed, so every policy of a run meets the same contexts.
/// </summary>
public sealed class GambitEnvironment : IEnvironment<GambitContext, GambitDecision, GambitOutcome>
{
    private readonly Random _contexts;
    private readonly Random _responses;
    private readonly Random _noise;

    /// <summary>The environment of run <paramref name="run"/> in <paramref name="world"/>.</summary>
    public GambitEnvironment(GambitWorld world, RunContext run)
    {
        World = world ?? throw new ArgumentNullException(nameof(world));
        _contexts = run.CreateRandom("gambit-contexts");
        _responses = run.CreateRandom("gambit-responses");
        _noise = run.CreateRandom("gambit-noise");
    }

    /// <summary>The shared truth.</summary>
    public GambitWorld World { get; }

    /// <inheritdoc />
    public int ArmCount => World.ArmCount;

    /// <inheritdoc />
    public GambitContext NextContext() => World.Contexts[_contexts.Next(World.Contexts.Count)];

    /// <inheritdoc />
    public GambitOutcome Respond(GambitContext context, GambitDecision decision)
    {
        World.Contexts.Require(context, nameof(context));
        ArgumentNullException.ThrowIfNull(decision);
        int arm = decision.Arm;
        double noise = World.Outcome.NoiseSd * _noise.NextGaussian();
        if (World.AllowNoMessage && arm == World.PromptCount)
        {
            double m = World.NoMessageReward(context);
            return new GambitOutcome(m + noise, m, ImmutableArray<double>.Empty, -1);
        }
        ReadOnlySpan<double> cell = World.Bank.Cell(arm, context, out int n);
        int i = _responses.Next(n);
        int d = World.Bank.DimensionCount;
        var embedding = new double[World.EmbeddingDimension];
        for (int j = 0; j < embedding.Length; j++) embedding[j] = cell[i * d + World.WorkingDimensions[j]];
        return new GambitOutcome(World.ResponseMean(arm, context, i) + noise, World.ExpectedReward(arm, context), ImmutableCollectionsMarshal.AsImmutableArray(embedding), i);
    }

    /// <summary>μ(x, a) of the decision's prompt, exact from the bank (the mean of f over the cell's responses);
    /// for "no message" (arm K under optional prompting) the no-message mean. Draws nothing.</summary>
    public double ExpectedReward(GambitContext context, GambitDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if ((uint)decision.Arm >= (uint)ArmCount)
            throw new ArgumentOutOfRangeException(nameof(decision), decision.Arm, $"The decision's arm must lie in 0..{ArmCount - 1}.");
        return World.ExpectedReward(decision.Arm, context);
    }

    /// <inheritdoc />
    public double OptimalExpectedReward(GambitContext context) => World.OptimalReward(context);
}
