using System.Collections.Immutable;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>The primary agent of optional prompting (seed 002 Appendix A): decides whether to act at all.</summary>
public interface IPrimaryAgent
{
    /// <summary>Decide whether to send in <paramref name="context"/>.</summary>
    SendDecision Decide(GambitContext context);

    /// <summary>Learn from the reward that followed <paramref name="decision"/>; depends only on the arguments.</summary>
    void Learn(GambitContext context, SendDecision decision, double reward);
}

/// <summary>
/// A primary agent by Thompson sampling on two Normal-Inverse-Gamma reward models per context (send, do not
/// send); P(send) is estimated by Monte Carlo over <see cref="PropensityDraws"/> posterior draws besides the one that
/// decides (so it is unbiased given the decision).
/// </summary>
public sealed class ThompsonSendGate : IPrimaryAgent, IStateful
{
    private const string Kind = "gambit-send-gate";
    private const int Version = 2; // 2: records the context space's size
    private readonly NormalInverseGamma[] _models;
    private readonly Random _random;

    /// <summary>Create the gate.</summary>
    /// <param name="contexts">The context space X (two models per context).</param>
    /// <param name="prior">The prior of every model.</param>
    /// <param name="propensityDraws">Posterior draws per decision estimating P(send). Range: ≥ 1.</param>
    /// <param name="random">The gate's own source (a <see cref="Core.Randomness.Seeds.CreateRandom"/> source, to be saved).</param>
    public ThompsonSendGate(ContextSpace contexts, NormalInverseGamma prior, int propensityDraws, Random random)
    {
        Contexts = contexts ?? throw new ArgumentNullException(nameof(contexts));
        prior.Validate();
        PropensityDraws = propensityDraws >= 1 ? propensityDraws : throw new ArgumentOutOfRangeException(nameof(propensityDraws), propensityDraws, "Must be ≥ 1.");
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _models = Enumerable.Repeat(prior, 2 * contexts.Count).ToArray();
    }

    /// <summary>The context space X.</summary>
    public ContextSpace Contexts { get; }

    /// <summary>Posterior draws per decision.</summary>
    public int PropensityDraws { get; }

    /// <inheritdoc />
    public SendDecision Decide(GambitContext context)
    {
        Contexts.Require(context, nameof(context));
        bool send = Draw(context);
        int sends = 0; // the deciding draw is not counted: P(send) is estimated independently of the choice
        for (int m = 0; m < PropensityDraws; m++) if (Draw(context)) sends++;
        return new SendDecision(send, (double)sends / PropensityDraws);
    }

    private bool Draw(GambitContext context) =>
        _models[2 * context.Index + 1].SampleMean(_random) > _models[2 * context.Index].SampleMean(_random);

    /// <inheritdoc />
    public void Learn(GambitContext context, SendDecision decision, double reward)
    {
        Contexts.Require(context, nameof(context));
        int i = 2 * context.Index + (decision.Send ? 1 : 0);
        _models[i] = _models[i].Update(reward);
    }

    /// <inheritdoc />
    public PolicyState ExportState() => PolicyStates.Pack(Kind, Version, new GateState(PropensityDraws, Contexts.Count, _models.ToArray(), PolicyStates.ExportRandom(_random)));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        GateState data = PolicyStates.Unpack<GateState>(state, Kind, Version);
        PolicyStates.Require(data.PropensityDraws == PropensityDraws, $"The state was saved with {data.PropensityDraws} propensity draws; this gate has {PropensityDraws}.");
        PolicyStates.Require(data.Contexts == Contexts.Count, $"The state is of a gate over a space of {data.Contexts} context(s); this gate's space has {Contexts.Count}.");
        PolicyStates.RequireLength(data.Models, _models.Length, "send/no-send posteriors");
        for (int i = 0; i < data.Models.Length; i++)
        {
            try
            {
                data.Models[i].Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new PolicyStateException($"The state's send/no-send posterior {i} is invalid: {ex.Message}", ex);
            }
        }
        PolicyStates.ValidateRandom(data.Random);
        data.Models.CopyTo(_models, 0);
        PolicyStates.ImportRandom(_random, data.Random);
    }

    private sealed record GateState(int PropensityDraws, int Contexts, NormalInverseGamma[] Models, ulong[] Random);
}

/// <summary>
/// GAMBITTS with optional prompting (seed 002 Appendix A, Algorithm 3): the primary agent decides whether to send;
/// only when it sends is the prompt agent asked (and taught). The decision's arms are the K prompts plus
/// "no message" (arm K). Propensities: P(no message) = 1 − P(send); P(prompt a) = P(send)·P_prompt(a) when a
/// message is sent; when nothing is sent the prompt probabilities are NaN, because computing them would require
/// consulting the prompt agent, which Algorithm 3 does not do (STYLE 3: say it cannot be known).
/// Learn reads the send decision and the inner prompt decision from the decision's payload.
/// </summary>
public sealed class OptionalPrompting : IPolicy<GambitContext, GambitDecision, GambitOutcome>, IStateful
{
    private const string Kind = "gambit-optional-prompting";
    private const int Version = 1;
    private readonly IPrimaryAgent _primary;
    private readonly IPolicy<GambitContext, GambitDecision, GambitOutcome> _prompts;
    private readonly DecisionIssuer _issuer;

    /// <summary>Wrap <paramref name="promptAgent"/> (over <paramref name="promptCount"/> prompts) behind <paramref name="primary"/>.</summary>
    /// <param name="primary">Decides whether to send.</param>
    /// <param name="promptAgent">Chooses the prompt when a message is sent.</param>
    /// <param name="promptCount">K ≥ 1.</param>
    /// <param name="timeProvider">Stamps decisions; <see cref="TimeProvider.System"/> when null.</param>
    public OptionalPrompting(IPrimaryAgent primary, IPolicy<GambitContext, GambitDecision, GambitOutcome> promptAgent, int promptCount, TimeProvider? timeProvider = null)
    {
        _primary = primary ?? throw new ArgumentNullException(nameof(primary));
        _prompts = promptAgent ?? throw new ArgumentNullException(nameof(promptAgent));
        ArgumentOutOfRangeException.ThrowIfLessThan(promptCount, 1);
        PromptCount = promptCount;
        _issuer = new DecisionIssuer(timeProvider);
    }

    /// <inheritdoc />
    public string Name => _prompts.Name + "+optional";

    /// <summary>K; arm K means "no message".</summary>
    public int PromptCount { get; }

    /// <inheritdoc />
    public async ValueTask<GambitDecision> DecideAsync(GambitContext context, CancellationToken cancellationToken = default)
    {
        SendDecision send = _primary.Decide(context);
        double pSend = send.SendProbability;
        var probabilities = new double[PromptCount + 1];
        probabilities[PromptCount] = 1 - pSend;
        if (!send.Send)
        {
            probabilities.AsSpan(0, PromptCount).Fill(double.NaN);
            DecisionStamp none = _issuer.Issue();
            return new GambitDecision
            {
                Id = none.Id, Time = none.Time, Arm = PromptCount, Probabilities = ImmutableArray.Create(probabilities),
                Notes = GambitNotes.PromptAgentNotConsulted, Send = send,
            };
        }
        GambitDecision inner = await _prompts.DecideAsync(context, cancellationToken).ConfigureAwait(false);
        for (int a = 0; a < PromptCount; a++) probabilities[a] = a < inner.Probabilities.Length ? pSend * inner.Probabilities[a] : double.NaN;
        DecisionStamp stamp = _issuer.Issue();
        return new GambitDecision
        {
            Id = stamp.Id, Time = stamp.Time, Arm = inner.Arm, Probabilities = ImmutableArray.Create(probabilities),
            Notes = inner.Notes, Send = send, PromptDecision = inner,
        };
    }

    /// <inheritdoc />
    public async ValueTask LearnAsync(GambitContext context, GambitDecision decision, GambitOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        _issuer.EnsurePending(decision.Id, nameof(decision));
        if (decision.Send is not { } send)
            throw new ArgumentException("The decision carries no send decision; it was not made by optional prompting.", nameof(decision));
        if (send.Send)
        {
            if (decision.PromptDecision is null) throw new ArgumentException("The decision sent a message but carries no prompt decision.", nameof(decision));
            // The prompt agent refuses an id it does not know before changing anything, so nothing has changed if it throws.
            await _prompts.LearnAsync(context, decision.PromptDecision, outcome, cancellationToken).ConfigureAwait(false);
        }
        _primary.Learn(context, send, outcome.Reward);
        _issuer.Settle(decision.Id);
    }

    /// <summary>Synchronous <see cref="LearnAsync"/> for synchronous prompt agents.</summary>
    public void Learn(GambitContext context, GambitDecision decision, GambitOutcome outcome)
    {
        ValueTask task = LearnAsync(context, decision, outcome);
        if (!task.IsCompleted) throw new InvalidOperationException("The prompt agent learns asynchronously; use LearnAsync.");
        task.GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public PolicyState ExportState() =>
        PolicyStates.Pack(Kind, Version, new OptionalState(PromptCount, _issuer.Export(), PrimaryStateful.ExportState(), PromptsStateful.ExportState()));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        OptionalState data = PolicyStates.Unpack<OptionalState>(state, Kind, Version);
        PolicyStates.Require(data.PromptCount == PromptCount, $"The state is of optional prompting over {data.PromptCount} prompts; this one has K = {PromptCount}.");
        DecisionIssuer.Validate(data.Issuer);
        PolicyStates.Require(data.Primary is not null && data.Prompts is not null, "The state lacks the primary agent's or the prompt agent's state.");
        // Both inner imports validate fully before changing anything; keep the prompt agent's state to roll back
        // should the primary's import fail after it.
        PolicyState before = PromptsStateful.ExportState();
        PromptsStateful.ImportState(data.Prompts!);
        try
        {
            PrimaryStateful.ImportState(data.Primary!);
        }
        catch (PolicyStateException)
        {
            PromptsStateful.ImportState(before);
            throw;
        }
        _issuer.Import(data.Issuer);
    }

    private IStateful PrimaryStateful => _primary as IStateful
        ?? throw new NotSupportedException($"The primary agent ({_primary.GetType().Name}) cannot save its state.");

    private IStateful PromptsStateful => _prompts as IStateful
        ?? throw new NotSupportedException($"Policy '{_prompts.Name}' ({_prompts.GetType().Name}) cannot save its state.");

    private sealed record OptionalState(int PromptCount, DecisionIssuerState Issuer, PolicyState Primary, PolicyState Prompts);
}
