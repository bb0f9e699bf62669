using Tandem.Core.Abstractions;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>Whether to send a message now, and the probability with which the primary agent decided to.</summary>
/// <param name="Send">True to send.</param>
/// <param name="SendProbability">P(send | history). Range: [0, 1], or NaN when unknown.</param>
public readonly record struct SendDecision(bool Send, double SendProbability);

/// <summary>The primary agent of optional prompting (seed 002 Appendix A): decides whether to act at all.</summary>
public interface IPrimaryAgent
{
    /// <summary>Decide whether to send in <paramref name="context"/>.</summary>
    SendDecision Decide(GambitContext context);

    /// <summary>Learn from the reward that followed.</summary>
    void Learn(GambitContext context, SendDecision decision, double reward);
}

/// <summary>
/// A primary agent by Thompson sampling on two Normal-Inverse-Gamma reward models per context (send, do not
/// send); P(send) is estimated by Monte Carlo over <paramref name="propensityDraws"/> posterior draws.
/// </summary>
public sealed class ThompsonSendGate(NormalInverseGamma prior, int propensityDraws, Random random) : IPrimaryAgent
{
    private readonly NormalInverseGamma[] _models = Enumerable.Repeat(prior, 2 * GambitContext.Count).ToArray();
    private readonly int _draws = propensityDraws >= 1 ? propensityDraws : throw new ArgumentOutOfRangeException(nameof(propensityDraws), propensityDraws, "Must be ≥ 1.");

    /// <inheritdoc />
    public SendDecision Decide(GambitContext context)
    {
        bool send = Draw(context);
        int sends = send ? 1 : 0;
        for (int m = 1; m < _draws; m++) if (Draw(context)) sends++;
        return new SendDecision(send, (double)sends / _draws);
    }

    private bool Draw(GambitContext context) =>
        _models[2 * context.Index + 1].SampleMean(random) > _models[2 * context.Index].SampleMean(random);

    /// <inheritdoc />
    public void Learn(GambitContext context, SendDecision decision, double reward)
    {
        int i = 2 * context.Index + (decision.Send ? 1 : 0);
        _models[i] = _models[i].Update(reward);
    }
}

/// <summary>
/// GAMBITTS with optional prompting (seed 002 Appendix A, Algorithm 3): the primary agent decides whether to send;
/// only when it sends is the prompt agent asked (and taught). The decision's arms are the K prompts plus
/// "no message" (arm K). Propensities: P(no message) = 1 − P(send); P(prompt a) = P(send)·P_prompt(a) when a
/// message is sent; when nothing is sent the prompt probabilities are NaN, because computing them would require
/// consulting the prompt agent, which Algorithm 3 does not do (STYLE 3: say it cannot be known).
/// </summary>
public sealed class OptionalPrompting : IPolicy<GambitContext, GambitDecision, GambitOutcome>
{
    private readonly IPrimaryAgent _primary;
    private readonly IPolicy<GambitContext, GambitDecision, GambitOutcome> _prompts;
    private readonly double[] _propensities;
    private SendDecision _lastSend;
    private GambitDecision _lastPromptDecision;

    /// <summary>Wrap <paramref name="promptAgent"/> (over <paramref name="promptCount"/> prompts) behind <paramref name="primary"/>.</summary>
    public OptionalPrompting(IPrimaryAgent primary, IPolicy<GambitContext, GambitDecision, GambitOutcome> promptAgent, int promptCount)
    {
        _primary = primary ?? throw new ArgumentNullException(nameof(primary));
        _prompts = promptAgent ?? throw new ArgumentNullException(nameof(promptAgent));
        ArgumentOutOfRangeException.ThrowIfLessThan(promptCount, 1);
        PromptCount = promptCount;
        _propensities = new double[promptCount + 1];
    }

    /// <inheritdoc />
    public string Name => _prompts.Name + "+optional";

    /// <summary>K; arm K means "no message".</summary>
    public int PromptCount { get; }

    /// <inheritdoc />
    public async ValueTask<GambitDecision> DecideAsync(GambitContext context, CancellationToken cancellationToken = default)
    {
        _lastSend = _primary.Decide(context);
        double pSend = _lastSend.SendProbability;
        _propensities[PromptCount] = 1 - pSend;
        if (!_lastSend.Send)
        {
            Array.Fill(_propensities, double.NaN, 0, PromptCount);
            return new GambitDecision(PromptCount, _propensities);
        }
        _lastPromptDecision = await _prompts.DecideAsync(context, cancellationToken).ConfigureAwait(false);
        ReadOnlySpan<double> inner = _lastPromptDecision.Propensities.Span;
        for (int a = 0; a < PromptCount; a++) _propensities[a] = a < inner.Length ? pSend * inner[a] : double.NaN;
        return new GambitDecision(_lastPromptDecision.Arm, _propensities, _lastPromptDecision.Notes);
    }

    /// <inheritdoc />
    public void Learn(GambitContext context, GambitDecision decision, GambitOutcome outcome)
    {
        _primary.Learn(context, _lastSend, outcome.Reward);
        if (_lastSend.Send) _prompts.Learn(context, _lastPromptDecision, outcome);
    }
}
