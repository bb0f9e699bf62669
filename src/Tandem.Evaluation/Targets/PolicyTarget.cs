using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Evaluation.Estimation;
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
    public const int RestoreEvery = RestoredTarget<double[], TDecision, TOutcome>.RestoreEvery;

    /// <inheritdoc />
    public ITargetPolicy Create(int arms2, int dimension2, CrossFittedRidge model)
    {
        if (arms2 != arms || dimension2 != dimension)
            throw new ArgumentException($"Target policy '{name}' has {dimension} features and {arms} arms; the log has {(dimension2 == 0 ? "categorical contexts" : $"{dimension2} features")} and {arms2} arms.", "policy");
        return new Deciding(name, restore);
    }

    /// <inheritdoc />
    public override string ToString() => name;

    private sealed class Deciding(string name, Func<IPolicy<double[], TDecision, TOutcome>> restore)
        : RestoredTarget<double[], TDecision, TOutcome>(name, 0, restore)
    {
        // The logged context (what the logging policy saw), not the recourse that followed it.
        protected override double[] Context(LoggedDecision line) =>
            line.Features ?? throw new InvalidOperationException($"Target policy '{Name}' needs numeric contexts.");
    }
}

/// <summary>
/// A trained learner over categorical contexts (a GAMBITTS agent restored from a snapshot) as a target policy: on
/// each logged line the restored agent decides in the line's context cell, and the target's probabilities are the
/// decision's vector. For a Thompson-sampling agent that vector is a Monte Carlo estimate from <paramref name="draws"/>
/// posterior draws, fresh on every line: unbiased for the agent's true probabilities, so IPS stays unbiased, with the
/// extra variance reported (<see cref="OpeDiagnostics.TargetDrawStandardError"/>). Fresh copies as in
/// <see cref="PolicyTarget{TDecision, TOutcome}"/>; the copy never learns.
/// </summary>
/// <param name="name">The target's name in reports (the spec).</param>
/// <param name="arms">The agent's arm count.</param>
/// <param name="cell">The agent's context for a logged cell name; throws <see cref="ArgumentException"/> for a cell it does not know.</param>
/// <param name="draws">Posterior draws behind each probability vector (0 when the probabilities are exact).</param>
/// <param name="restore">A fresh copy of the agent, restored from the snapshot.</param>
public sealed class CellPolicyTarget<TContext, TDecision, TOutcome>(string name, int arms, Func<string, TContext> cell, int draws, Func<IPolicy<TContext, TDecision, TOutcome>> restore) : ITargetSource
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <inheritdoc />
    public ITargetPolicy Create(int arms2, int dimension2, CrossFittedRidge model)
    {
        if (arms2 != arms || dimension2 != 0)
            throw new ArgumentException($"Target policy '{name}' has categorical contexts and {arms} arms; the log has {(dimension2 == 0 ? "categorical contexts" : $"{dimension2} features")} and {arms2} arms.", "policy");
        return new Deciding(name, draws, cell, restore);
    }

    /// <inheritdoc />
    public override string ToString() => name;

    private sealed class Deciding(string name, int draws, Func<string, TContext> cell, Func<IPolicy<TContext, TDecision, TOutcome>> restore)
        : RestoredTarget<TContext, TDecision, TOutcome>(name, draws, restore)
    {
        protected override TContext Context(LoggedDecision line)
        {
            string text = line.Cell ?? throw new InvalidOperationException($"Target policy '{Name}' needs categorical contexts.");
            try { return cell(text); }
            catch (ArgumentException ex) { throw new DecisionLogException(line.Line, "context", $"'{text}' is not a context of target policy '{Name}': {ex.Message}"); }
        }
    }
}

/// <summary>A restored learner deciding on each logged line; a fresh copy every <see cref="RestoreEvery"/> lines.</summary>
internal abstract class RestoredTarget<TContext, TDecision, TOutcome>(string name, int draws, Func<IPolicy<TContext, TDecision, TOutcome>> restore) : ITargetPolicy
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <summary>Lines decided by one restored copy.</summary>
    public const int RestoreEvery = 1024;

    private IPolicy<TContext, TDecision, TOutcome>? _policy;
    private int _used;

    public string Name => name;

    public int ProbabilityDraws => draws;

    protected abstract TContext Context(LoggedDecision line);

    public void Probabilities(LoggedDecision line, Span<double> destination)
    {
        if (_policy is null || _used == RestoreEvery)
        {
            _policy = restore();
            _used = 0;
        }
        _used++;
        ValueTask<TDecision> pending = _policy.DecideAsync(Context(line));
        TDecision decision = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        if (decision.Probabilities.IsDefault || decision.Probabilities.Length != destination.Length)
            throw new InvalidOperationException($"Target policy '{name}' states no probability vector on log line {line.Line}; it cannot be evaluated.");
        if (decision.Probabilities.Any(double.IsNaN))
        {
            // An advisor chose (LIBRA): the evaluator counts the line and leaves it out for this target.
            destination.Fill(double.NaN);
            return;
        }
        decision.Probabilities.AsSpan().CopyTo(destination);
    }
}
