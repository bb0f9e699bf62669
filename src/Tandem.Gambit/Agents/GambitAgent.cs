using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>
/// A Thompson-sampling agent over prompts: each decision draws one posterior sample, scores every prompt under
/// it and takes the best (Algorithms 1–2, step "select A_t"). P(A_t = a | history) for all a is estimated by
/// Monte Carlo over <see cref="AgentOptions.PropensityDraws"/> posterior draws independent of the decision's own
/// draw (§4.1), so the logged propensity of the chosen arm is unbiased given the choice (it may be 0 when the chosen
/// arm is rare: a consumer floors it, as off-policy evaluation does). Decisions are owned (a copied probability vector) and issued by a <see cref="DecisionIssuer"/>;
/// Learn reads only its arguments and refuses decisions it did not issue or has already learned.
/// </summary>
/// <remarks>State (<see cref="IStateful"/>): the kind, K, the context space (its names, term names and terms), the working
/// embedding's dimension d_z (0 for StdTS), the options, the issuer, the random generator and the model (posteriors,
/// networks, buffers, offline treatment draws) of the concrete agent. Import validates all of it before changing anything.
/// The state is self-sufficient: <see cref="Restore"/> rebuilds the agent from it alone (no bank or generator).</remarks>
public abstract class GambitAgent : IPolicy<GambitContext, GambitDecision, GambitOutcome>, IStateful
{
    private const int StateVersion = 3; // 2: records the context space; 3: also its terms and d_z, so a snapshot rebuilds its agent (Restore)
    private readonly double[] _scores;
    private readonly double[] _propensities;

    /// <summary>Set up the buffers.</summary>
    /// <param name="name">Display name ("poGAMBITTS", ...).</param>
    /// <param name="kind">The state kind ("gambit-po", ...).</param>
    /// <param name="contexts">The context space X the agent decides in (sizes its per-context models).</param>
    /// <param name="armCount">K ≥ 1.</param>
    /// <param name="options">Validated here.</param>
    /// <param name="random">The agent's own source (posterior draws); a <see cref="Core.Randomness.Seeds.CreateRandom"/> source to be saved.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    protected GambitAgent(string name, string kind, ContextSpace contexts, int armCount, AgentOptions options, Random random, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(armCount, 1);
        Contexts = contexts ?? throw new ArgumentNullException(nameof(contexts));
        Name = name;
        Kind = kind;
        ArmCount = armCount;
        Options = options;
        Random = random ?? throw new ArgumentNullException(nameof(random));
        Issuer = new DecisionIssuer(timeProvider);
        _scores = new double[armCount];
        _propensities = new double[armCount];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The kind written into this agent's <see cref="PolicyState"/>.</summary>
    public string Kind { get; }

    /// <summary>K.</summary>
    public int ArmCount { get; }

    /// <summary>The context space X.</summary>
    public ContextSpace Contexts { get; }

    /// <summary>The settings.</summary>
    public AgentOptions Options { get; }

    /// <summary>The agent's random source.</summary>
    protected Random Random { get; }

    /// <summary>d_z, the length of the working embeddings the agent reads (0 for an agent that reads none, StdTS); recorded in the state.</summary>
    protected virtual int EmbeddingDimension => 0;

    /// <summary>Issues the agent's decision ids.</summary>
    protected DecisionIssuer Issuer { get; }

    /// <summary>Write the K prompt scores under one fresh posterior draw (e.g. β̃ᵀφ(z̄_{x,a}, x)).</summary>
    protected abstract void SampleScores(GambitContext context, Span<double> scores);

    /// <inheritdoc />
    public ValueTask<GambitDecision> DecideAsync(GambitContext context, CancellationToken cancellationToken = default) => new(Decide(context));

    /// <summary>Synchronous <see cref="DecideAsync"/>; refuses a context of another space.</summary>
    public GambitDecision Decide(GambitContext context)
    {
        Contexts.Require(context, nameof(context));
        return DecideCore(context);
    }

    /// <summary>Decide in a context of <see cref="Contexts"/> (checked): one posterior draw picks the arm, and
    /// <see cref="AgentOptions.PropensityDraws"/> further, independent draws estimate the probabilities. The decision's
    /// own draw is not one of them: counting it would bias the chosen arm's logged propensity upward, to
    /// (1 + (M − 1) p)/M given the choice, where the independent draws give p on average whatever was chosen.</summary>
    protected virtual GambitDecision DecideCore(GambitContext context)
    {
        SampleScores(context, _scores);
        int arm = Sampling.ArgMax(_scores);
        int draws = Options.PropensityDraws;
        if (draws == 0) return Issue(arm, ProbabilityVectors.Unknown(ArmCount), GambitNotes.PropensityNotEstimated);
        Array.Clear(_propensities);
        for (int m = 0; m < draws; m++)
        {
            SampleScores(context, _scores);
            _propensities[Sampling.ArgMax(_scores)] += 1;
        }
        for (int a = 0; a < ArmCount; a++) _propensities[a] /= draws;
        return Issue(arm, ImmutableArray.Create(_propensities), DecisionNotes.PropensityEstimated) with { PropensityDraws = draws };
    }

    /// <inheritdoc />
    public ValueTask LearnAsync(GambitContext context, GambitDecision decision, GambitOutcome outcome, CancellationToken cancellationToken = default)
    {
        Learn(context, decision, outcome);
        return ValueTask.CompletedTask;
    }

    /// <summary>Synchronous <see cref="LearnAsync"/>: refuses a decision not issued here or already learned
    /// (<see cref="UnknownDecisionException"/>, nothing changed), then updates the model from the arguments alone.</summary>
    public void Learn(GambitContext context, GambitDecision decision, GambitOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(decision);
        Contexts.Require(context, nameof(context));
        Issuer.EnsurePending(decision.Id, nameof(decision));
        if ((uint)decision.Arm >= (uint)ArmCount)
            throw new ArgumentOutOfRangeException(nameof(decision), decision.Arm, $"The decision's arm must lie in 0..{ArmCount - 1}.");
        Update(context, decision.Arm, outcome);
        Issuer.Settle(decision.Id);
    }

    /// <summary>Update the model from the outcome of <paramref name="arm"/> in <paramref name="context"/>.</summary>
    protected abstract void Update(GambitContext context, int arm, GambitOutcome outcome);

    /// <summary>Issue an owned decision.</summary>
    protected GambitDecision Issue(int arm, ImmutableArray<double> probabilities, DecisionNotes notes)
    {
        DecisionStamp stamp = Issuer.Issue();
        return new GambitDecision { Id = stamp.Id, Time = stamp.Time, Arm = arm, Probabilities = probabilities, Notes = notes };
    }

    /// <inheritdoc />
    public PolicyState ExportState() =>
        PolicyStates.Pack(Kind, StateVersion, new AgentState(ArmCount, Contexts.Count, Contexts.Names.ToArray(), Contexts.TermNames.ToArray(),
            Enumerable.Range(0, Contexts.Count).Select(c => Contexts.Terms(c).ToArray()).ToArray(), EmbeddingDimension, Options, Issuer.Export(),
            PolicyStates.ExportRandom(Random), JsonSerializer.SerializeToElement(ExportModel(), PolicyStates.JsonOptions)));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        AgentState data = PolicyStates.Unpack<AgentState>(state, Kind, StateVersion);
        PolicyStates.Require(data.Arms == ArmCount, $"The state is of an agent over {data.Arms} prompts; this agent has K = {ArmCount}.");
        PolicyStates.Require(data.Contexts == Contexts.Count, $"The state is of an agent over a space of {data.Contexts} context(s); this agent's space has {Contexts.Count}.");
        PolicyStates.Require(data.ContextNames is not null && data.ContextNames.AsSpan().SequenceEqual(Contexts.Names.ToArray()),
            $"The state's contexts ({string.Join(", ", data.ContextNames ?? [])}) are not this agent's ({string.Join(", ", Contexts.Names)}).");
        PolicyStates.Require(data.ContextTermNames is not null && data.ContextTermNames.AsSpan().SequenceEqual(Contexts.TermNames.ToArray())
            && data.ContextTerms is not null && data.ContextTerms.Length == Contexts.Count
            && Enumerable.Range(0, Contexts.Count).All(c => data.ContextTerms[c] is not null && data.ContextTerms[c].AsSpan().SequenceEqual(Contexts.Terms(c))),
            $"The state's context terms [{string.Join(", ", data.ContextTermNames ?? [])}] or their values are not this agent's ({Contexts.Describe()}).");
        PolicyStates.Require(data.Options is not null, "The state has no options.");
        PolicyStates.Require(data.Options == Options, $"The state was saved with options {data.Options}; this agent has {Options}.");
        DecisionIssuer.Validate(data.Issuer);
        PolicyStates.ValidateRandom(data.Random);
        Action apply = PrepareImport(data.Model);
        PolicyStates.Require(data.EmbeddingDimension == EmbeddingDimension, $"The state is of an agent over d_z = {data.EmbeddingDimension}; this agent has d_z = {EmbeddingDimension}.");
        apply();
        Issuer.Import(data.Issuer);
        PolicyStates.ImportRandom(Random, data.Random);
    }

    /// <summary>The model part of the state (a record serialisable with <see cref="PolicyStates.JsonOptions"/>; copies only).</summary>
    protected abstract object ExportModel();

    /// <summary>Read and validate the model part of a state (dimensions, finiteness) without changing anything;
    /// return the action that applies it. Throws <see cref="PolicyStateException"/> naming the mismatch.</summary>
    protected abstract Action PrepareImport(JsonElement model);

    /// <summary>Deserialize the model part as <typeparamref name="T"/>, throwing <see cref="PolicyStateException"/>.</summary>
    protected T ReadModel<T>(JsonElement model)
        where T : class
    {
        try
        {
            return model.Deserialize<T>(PolicyStates.JsonOptions) ?? throw new PolicyStateException($"The '{Kind}' state has no model.");
        }
        catch (JsonException ex)
        {
            throw new PolicyStateException($"The '{Kind}' state's model cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>The kinds <see cref="Restore"/> rebuilds.</summary>
    public static IReadOnlyList<string> RestorableKinds { get; } =
        ["gambit-stdts", "gambit-stdts-contextual", "gambit-po", "gambit-fo", "gambit-blended", "gambit-ens-po", "gambit-ens-fo"];

    /// <summary>
    /// Rebuild the agent a state was exported from, from the state alone: its kind picks the agent (StdTS,
    /// StdTS:Contextual, poGAMBITTS, foGAMBITTS, blended, ens-poGAMBITTS, ens-foGAMBITTS), and K, the context space,
    /// d_z and the options come from the state. Agents with an offline treatment model (po, blended, ens-po) take their
    /// draws from the state too, so no bank or generator is needed; the rebuilt agent is then restored with
    /// <see cref="ImportState"/>, random state included, and decides exactly as the saved one would.
    /// </summary>
    /// <param name="state">A state written by <see cref="ExportState"/> of this build (version 3).</param>
    /// <param name="timeProvider">Stamps the rebuilt agent's decisions; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="PolicyStateException">The kind is not one of <see cref="RestorableKinds"/>, the version is not
    /// this build's (older versions do not record the context terms and d_z), or the state does not validate.</exception>
    public static GambitAgent Restore(PolicyState state, TimeProvider? timeProvider = null)
    {
        if (state is null) throw new PolicyStateException("No state was given (expected a GAMBITTS agent's state).");
        if (!RestorableKinds.Contains(state.Kind))
            throw new PolicyStateException($"A '{state.Kind}' state is not a GAMBITTS agent's; restorable kinds: {string.Join(", ", RestorableKinds)}.");
        if (state.Version != StateVersion)
            throw new PolicyStateException($"This '{state.Kind}' state has format version {state.Version}; this build restores version {StateVersion} (older versions do not record the context terms and embedding size needed to rebuild the agent: save it again with this build).");
        AgentState data = PolicyStates.Unpack<AgentState>(state, state.Kind, StateVersion);
        PolicyStates.Require(data.Arms >= 1, $"The state's K = {data.Arms}; it must be ≥ 1.");
        PolicyStates.Require(data.Options is not null, "The state has no options.");
        PolicyStates.Require(data.ContextNames is not null && data.ContextTermNames is not null && data.ContextTerms is not null, "The state has no context space (names, term names and terms).");
        ContextSpace space;
        try { space = new ContextSpace(data.ContextNames!, data.ContextTermNames!, data.ContextTerms!.Select(t => (IReadOnlyList<double>)(t ?? [])).ToArray()); }
        catch (ArgumentException ex) { throw new PolicyStateException($"The state's context space cannot be rebuilt: {ex.Message}", ex); }
        int d = data.EmbeddingDimension;
        bool needsEmbedding = state.Kind is not ("gambit-stdts" or "gambit-stdts-contextual");
        PolicyStates.Require(needsEmbedding ? d >= 1 : d == 0, $"The '{state.Kind}' state has d_z = {d}; {(needsEmbedding ? "it must be ≥ 1" : "StdTS reads no embedding (0)")}.");
        AgentOptions options = data.Options!;
        try { options.Validate(); }
        catch (ArgumentException ex) { throw new PolicyStateException($"The state's options are invalid: {ex.Message}", ex); }
        Random random = Core.Randomness.Seeds.CreateRandom(0); // replaced by the state's random state on import
        // A placeholder pool of the right shape (K × |X| cells of M zero responses): the offline draws it gives are
        // overwritten by the state's own on import, so no generator is read.
        ITreatmentPool Pool() => new PlaceholderPool(data.Arms, space, d, options.OfflineDraws);
        GambitAgent agent = state.Kind switch
        {
            "gambit-stdts" => new StandardThompson(space, data.Arms, contextual: false, options, random, timeProvider),
            "gambit-stdts-contextual" => new StandardThompson(space, data.Arms, contextual: true, options, random, timeProvider),
            "gambit-po" => new PartiallyOnlineGambitts(Pool(), options, random, Core.Randomness.Seeds.CreateRandom(0), timeProvider),
            "gambit-fo" => new FullyOnlineGambitts(space, data.Arms, d, options, random, timeProvider),
            "gambit-blended" => FullyOnlineGambitts.Blended(Pool(), options, random, Core.Randomness.Seeds.CreateRandom(0), timeProvider),
            "gambit-ens-po" => EnsembleGambitts.PartiallyOnline(Pool(), options, random, Core.Randomness.Seeds.CreateRandom(0), timeProvider),
            _ => EnsembleGambitts.FullyOnline(space, data.Arms, d, options, random, timeProvider),
        };
        agent.ImportState(state);
        return agent;
    }

    private sealed record AgentState(int Arms, int Contexts, string[] ContextNames, string[] ContextTermNames, double[][] ContextTerms, int EmbeddingDimension,
        AgentOptions Options, DecisionIssuerState Issuer, ulong[] Random, JsonElement Model);

    /// <summary>K × |X| cells of <c>size</c> zero embeddings of length d: the shape of an offline treatment model whose draws a state then supplies.</summary>
    private sealed class PlaceholderPool(int prompts, ContextSpace contexts, int dimension, int size) : ITreatmentPool
    {
        public int PromptCount => prompts;

        public ContextSpace Contexts => contexts;

        public int EmbeddingDimension => dimension;

        public int CellSize(int prompt, GambitContext context) => size;

        public void Response(int prompt, GambitContext context, int index, Span<double> embedding) => embedding.Clear();

        public void Generate(int prompt, GambitContext context, Random random, Span<double> embedding) => embedding.Clear();
    }
}
