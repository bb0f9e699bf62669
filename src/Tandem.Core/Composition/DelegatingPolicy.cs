using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.State;

namespace Tandem.Core.Composition;

/// <summary>
/// A stage that wraps a policy and by default passes every call through (STYLE 2, like
/// <c>DelegatingChatClient</c>). Override what the stage changes. A stage that changes the chosen arm must
/// also change <see cref="Decision.Probabilities"/>, or say in the notes why it cannot (STYLE 3).
/// </summary>
/// <remarks>State: by default the stage has none of its own and forwards <see cref="IStateful"/> to the
/// inner policy (throwing <see cref="NotSupportedException"/> when that has no state to save); a stage with
/// state of its own overrides both members and nests the inner state.</remarks>
public abstract class DelegatingPolicy<TContext, TDecision, TOutcome> : IPolicy<TContext, TDecision, TOutcome>, IStateful
    where TDecision : Decision
    where TOutcome : IOutcome
{
    /// <summary>Wrap <paramref name="inner"/>.</summary>
    protected DelegatingPolicy(IPolicy<TContext, TDecision, TOutcome> inner) =>
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The wrapped policy.</summary>
    public IPolicy<TContext, TDecision, TOutcome> Inner { get; }

    /// <inheritdoc />
    public virtual string Name => Inner.Name;

    /// <inheritdoc />
    public virtual ValueTask<TDecision> DecideAsync(TContext context, CancellationToken cancellationToken = default) =>
        Inner.DecideAsync(context, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask LearnAsync(TContext context, TDecision decision, TOutcome outcome, CancellationToken cancellationToken = default) =>
        Inner.LearnAsync(context, decision, outcome, cancellationToken);

    /// <inheritdoc />
    public virtual PolicyState ExportState() => InnerStateful.ExportState();

    /// <inheritdoc />
    public virtual void ImportState(PolicyState state) => InnerStateful.ImportState(state);

    /// <summary>The inner policy as <see cref="IStateful"/>; throws when it cannot save its state.</summary>
    protected IStateful InnerStateful => Inner as IStateful
        ?? throw new NotSupportedException($"Policy '{Inner.Name}' ({Inner.GetType().Name}) cannot save its state.");
}

/// <summary>
/// Builds a policy from an innermost policy and stages, in the style of <c>ChatClientBuilder</c>: the first
/// <see cref="Use"/> is the outermost stage.
/// </summary>
public sealed class PolicyBuilder<TContext, TDecision, TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    private readonly IPolicy<TContext, TDecision, TOutcome> _innermost;
    private readonly List<Func<IPolicy<TContext, TDecision, TOutcome>, IPolicy<TContext, TDecision, TOutcome>>> _stages = [];

    /// <summary>Start from <paramref name="innermost"/>.</summary>
    public PolicyBuilder(IPolicy<TContext, TDecision, TOutcome> innermost) =>
        _innermost = innermost ?? throw new ArgumentNullException(nameof(innermost));

    /// <summary>Add a stage; stages added earlier wrap those added later.</summary>
    public PolicyBuilder<TContext, TDecision, TOutcome> Use(Func<IPolicy<TContext, TDecision, TOutcome>, IPolicy<TContext, TDecision, TOutcome>> stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _stages.Add(stage);
        return this;
    }

    /// <summary>The composed policy.</summary>
    public IPolicy<TContext, TDecision, TOutcome> Build()
    {
        IPolicy<TContext, TDecision, TOutcome> policy = _innermost;
        for (int i = _stages.Count - 1; i >= 0; i--)
        {
            policy = _stages[i](policy) ?? throw new InvalidOperationException($"Stage {i} returned no policy.");
        }
        return policy;
    }
}
