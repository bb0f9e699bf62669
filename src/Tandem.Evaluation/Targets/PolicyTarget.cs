using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Models;

namespace Tandem.Evaluation.Targets;

/// <summary>Builds a target policy for a log once its shape is known (after the reward model is fitted).</summary>
public interface ITargetSource
{
    /// <summary>The target for a log of <paramref name="arms"/> arms and numeric contexts of <paramref name="dimension"/>
    /// features (0 for cell contexts); <paramref name="model"/> is the full-log reward fit. Throws
    /// <see cref="ArgumentException"/> (parameter "policy") naming the target and the log when they do not fit.</summary>
    ITargetPolicy Create(int arms, int dimension, CrossFittedRidge model);
}

/// <summary>
/// A trained learner as a target policy (a snapshot restored, e.g. LinUCB or GLRB): on each logged context the
/// restored learner decides, and the target's probabilities are the decision's stated probability vector (one-hot
/// for deterministic learners). The learner never learns while evaluated: <paramref name="restore"/> returns a fresh
/// copy restored from the snapshot, and a new copy replaces the old every <see cref="RestoreEvery"/> lines so the
/// decisions it has issued (and keeps pending) stay bounded.
/// </summary>
/// <param name="name">The target's name in reports (the spec).</param>
/// <param name="arms">The learner's arm count.</param>
/// <param name="dimension">The learner's context length.</param>
/// <param name="restore">A fresh copy of the learner, restored from the snapshot; called once per <see cref="RestoreEvery"/> lines.</param>
public sealed class PolicyTarget<TDecision, TOutcome>(string name, int arms, int dimension, Func<IPolicy<double[], TDecision, TOutcome>> restore) : ITargetSource
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <summary>Lines decided by one restored copy.</summary>
    public const int RestoreEvery = 1024;

    /// <inheritdoc />
    public ITargetPolicy Create(int arms2, int dimension2, CrossFittedRidge model)
    {
        if (arms2 != arms || dimension2 != dimension)
            throw new ArgumentException($"Target policy '{name}' has {dimension} features and {arms} arms; the log has {(dimension2 == 0 ? "categorical contexts" : $"{dimension2} features")} and {arms2} arms.", "policy");
        return new Deciding(name, restore);
    }

    /// <inheritdoc />
    public override string ToString() => name;

    private sealed class Deciding(string name, Func<IPolicy<double[], TDecision, TOutcome>> restore) : ITargetPolicy
    {
        private IPolicy<double[], TDecision, TOutcome>? _policy;
        private int _used;

        public string Name => name;

        public void Probabilities(LoggedDecision line, Span<double> destination)
        {
            if (_policy is null || _used == RestoreEvery)
            {
                _policy = restore();
                _used = 0;
            }
            _used++;
            // The logged context (what the logging policy saw), not the recourse that followed it.
            ValueTask<TDecision> pending = _policy.DecideAsync(line.Features ?? throw new InvalidOperationException($"Target policy '{name}' needs numeric contexts."));
            TDecision decision = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            if (decision.Probabilities.IsDefault || decision.Probabilities.Length != destination.Length || decision.Probabilities.Any(double.IsNaN))
                throw new InvalidOperationException($"Target policy '{name}' states no probability vector on log line {line.Line}; it cannot be evaluated.");
            decision.Probabilities.AsSpan().CopyTo(destination);
        }
    }
}
