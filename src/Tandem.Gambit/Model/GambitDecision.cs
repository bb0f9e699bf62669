using Tandem.Core.Abstractions;

namespace Tandem.Gambit.Model;

/// <summary>
/// A GAMBITTS decision: the prompt A_t and the selection probabilities P(A_t = a | history) of every arm
/// (seed 002 §4.1, "well-defined randomization probabilities"), so logs support causal analysis later.
/// <see cref="Propensities"/> may be a buffer owned by the agent, valid until its next decision; copy it to keep it.
/// </summary>
/// <param name="Arm">The chosen arm: a prompt 0 ≤ Arm &lt; K, or K (= <see cref="NoMessageArm"/>) when optional prompting sends nothing.</param>
/// <param name="Propensities">P(a) for every arm (K values, or K + 1 under optional prompting); they sum to 1.</param>
/// <param name="Notes">How the decision was reached.</param>
public readonly record struct GambitDecision(int Arm, ReadOnlyMemory<double> Propensities, DecisionNotes Notes = DecisionNotes.None) : IDecision
{
    /// <summary>P(Arm), or NaN when the agent does not estimate propensities.</summary>
    public double Propensity => (uint)Arm < (uint)Propensities.Length ? Propensities.Span[Arm] : double.NaN;

    /// <summary>The arm index meaning "send nothing" when there are <paramref name="promptCount"/> prompts (Appendix A).</summary>
    public static int NoMessageArm(int promptCount) => promptCount;
}

/// <summary>What the participant's day returns: the reward and the treatment actually delivered.</summary>
/// <param name="Reward">Y_t, the observed reward (square root of next-day steps).</param>
/// <param name="ExpectedReward">μ(x, a) of the chosen prompt, exact from the response bank.</param>
/// <param name="Embedding">Z_t = φ(G_t): the working embedding of the delivered response (empty when nothing was sent).
/// A buffer owned by the environment, valid until its next response.</param>
/// <param name="Response">Index of the response drawn from the bank cell, or −1 when nothing was sent.</param>
public readonly record struct GambitOutcome(double Reward, double ExpectedReward, ReadOnlyMemory<double> Embedding, int Response) : IOutcome;
