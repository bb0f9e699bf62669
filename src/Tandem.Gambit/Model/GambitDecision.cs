using System.Collections.Immutable;
using System.Text.Json;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;

namespace Tandem.Gambit.Model;

/// <summary>
/// A GAMBITTS decision, owned by the caller: the prompt A_t and the selection probabilities
/// P(A_t = a | history) of every arm (seed 002 §4.1, "well-defined randomization probabilities"), so logs
/// support causal analysis later. Monte Carlo estimates carry <see cref="DecisionNotes.PropensityEstimated"/>.
/// </summary>
/// <remarks>Arms: a prompt 0 ≤ Arm &lt; K, or K (= <see cref="NoMessageArm"/>) when optional prompting sends
/// nothing; <see cref="Decision.Probabilities"/> then has K + 1 entries. The optional-prompting payload
/// (<see cref="Send"/>, <see cref="PromptDecision"/>) is what its Learn reads, so a decision learned days
/// later is learned correctly.</remarks>
public sealed record GambitDecision : Decision
{
    /// <summary>Under optional prompting (seed 002 Appendix A): whether the primary agent sent a message and
    /// P(send | history). Null for a prompt agent on its own.</summary>
    public SendDecision? Send { get; init; }

    /// <summary>Under optional prompting, the prompt agent's own decision when a message was sent (its id,
    /// arm and probabilities over the K prompts); null otherwise.</summary>
    public GambitDecision? PromptDecision { get; init; }

    /// <summary>How many posterior draws estimated <see cref="Decision.Probabilities"/> (the decision's own included);
    /// 0 when they were not estimated by Monte Carlo. Off-policy evaluation reports the variance these draws add.</summary>
    public int PropensityDraws { get; init; }

    /// <summary>The arm index meaning "send nothing" when there are <paramref name="promptCount"/> prompts (Appendix A).</summary>
    public static int NoMessageArm(int promptCount) => promptCount;

    /// <summary>Writes <c>propensityDraws</c> when the probabilities are Monte Carlo estimates, and under optional
    /// prompting <c>send</c>, <c>sendProbability</c> and the inner <c>prompt</c> decision (id, arm, probabilities).</summary>
    public override void WritePayload(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int draws = PropensityDraws > 0 ? PropensityDraws : PromptDecision?.PropensityDraws ?? 0;
        if (draws > 0) writer.WriteNumber("propensityDraws", draws);
        if (Send is not { } send) return;
        writer.WriteBoolean("send", send.Send);
        WriteNumber(writer, "sendProbability", send.SendProbability);
        if (PromptDecision is not { } inner) return;
        writer.WriteStartObject("prompt");
        writer.WriteNumber("id", inner.Id.Value);
        writer.WriteNumber("arm", inner.Arm);
        writer.WriteStartArray("probabilities");
        foreach (double p in inner.Probabilities)
        {
            if (double.IsFinite(p)) writer.WriteNumberValue(p);
            else writer.WriteNullValue();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }
}

/// <summary>Notes GAMBITTS adds to the open vocabulary of <see cref="DecisionNotes"/>.</summary>
public static class GambitNotes
{
    /// <summary>The agent was built with no propensity draws (<c>PropensityDraws = 0</c>), so it states no probabilities.</summary>
    public static DecisionNotes PropensityNotEstimated { get; } = DecisionNotes.Of("propensity-unknown:no-draws");

    /// <summary>Optional prompting sent nothing, so the prompt agent was not consulted and the prompt probabilities
    /// are unknown (Algorithm 3 does not ask it).</summary>
    public static DecisionNotes PromptAgentNotConsulted { get; } = DecisionNotes.Of("propensity-unknown:prompt-agent-not-consulted");

    /// <summary>An ensemble agent's burn-in: a uniformly random prompt (exact probabilities 1/K).</summary>
    public static DecisionNotes BurnIn { get; } = DecisionNotes.Of("burn-in");
}

/// <summary>Whether to send a message now, and the probability with which the primary agent decided to.</summary>
/// <param name="Send">True to send.</param>
/// <param name="SendProbability">P(send | history). Range: [0, 1], or NaN when unknown.</param>
public readonly record struct SendDecision(bool Send, double SendProbability);

/// <summary>What the participant's day returns: the reward and the treatment actually delivered. Owned: the
/// embedding is a copy, not the environment's buffer.</summary>
/// <param name="Reward">Y_t, the observed reward (square root of next-day steps).</param>
/// <param name="ExpectedReward">μ(x, a) of the chosen prompt, exact from the response bank.</param>
/// <param name="Embedding">Z_t = φ(G_t): the working embedding of the delivered response (empty when nothing was sent).</param>
/// <param name="Response">Index of the response drawn from the bank cell, or −1 when nothing was sent.</param>
public readonly record struct GambitOutcome(double Reward, double ExpectedReward, ImmutableArray<double> Embedding, int Response) : IOutcome;
