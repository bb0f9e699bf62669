using System.Collections.Immutable;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Numerics;
using Tandem.Core.State;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Policies;

/// <summary>LinUCB options (Li et al. 2010, disjoint model).</summary>
public sealed record LinUcbOptions
{
    /// <summary>Exploration weight α. Range: α ≥ 0. Default 1.</summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>Ridge λ. Range: λ &gt; 0, finite and normal (a subnormal λ makes V⁻¹ = I/λ infinite). Default 1.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>A confidence radius that replaces α (e.g. Lemma 2's, which grows with the arm's count); null = the
    /// constant α.</summary>
    public ConfidenceRadiusRule? Radius { get; init; }

    /// <summary>Shrink every arm's intercept toward the mean of all rewards seen so far (as GLRB's
    /// <see cref="GlrbOptions.PooledInterceptPrior"/>). Default true.</summary>
    public bool PooledInterceptPrior { get; init; } = true;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Alpha) || Alpha < 0) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "α must be finite and ≥ 0.");
        if (!double.IsNormal(Lambda) || Lambda < 0) throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "λ must be finite, > 0 and not subnormal (V⁻¹ = I/λ must be finite).");
    }
}

/// <summary>
/// Disjoint LinUCB: per-arm ridge regression and the arm with the largest θ̂_aᵀx + α‖x‖_{V_a⁻¹}. It
/// recommends no recourse, so it is the seed's baseline that cannot use mutable features (000 §5.3).
/// One allocation per decision (the owned recourse copy).
/// </summary>
public sealed class LinUcbPolicy : IPolicy<double[], RecourseDecision, RecourseOutcome>, IStateful
{
    private const string Kind = "linucb";
    private const int Version = 2;
    private readonly RecourseProblem _problem;
    private readonly GlmArm[] _arms;
    private readonly double[] _work;
    private readonly DecisionIssuer _issuer;
    private readonly ImmutableArray<double>[] _oneHot;
    private readonly PooledInterceptPrior _prior;
    private readonly double[] _shifted;

    /// <summary>Create it; <paramref name="timeProvider"/> stamps decisions (system clock when null).</summary>
    public LinUcbPolicy(RecourseProblem problem, LinUcbOptions? options = null, TimeProvider? timeProvider = null)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        Options = options ?? new LinUcbOptions();
        Options.Validate();
        _arms = Enumerable.Range(0, problem.ArmCount).Select(_ => new GlmArm(problem.Dimension, Options.Lambda, GlmLink.Identity)).ToArray();
        _work = new double[problem.Dimension];
        _issuer = new DecisionIssuer(timeProvider);
        _oneHot = [.. Enumerable.Range(0, problem.ArmCount).Select(a => ProbabilityVectors.OneHot(problem.ArmCount, a))];
        _prior = new PooledInterceptPrior(problem, Options.Lambda, Options.PooledInterceptPrior, GlmLink.Identity);
        _shifted = new double[problem.Dimension];
    }

    /// <summary>The options.</summary>
    public LinUcbOptions Options { get; }

    /// <inheritdoc />
    public string Name => "LinUCB";

    /// <summary>The per-arm models (read-only use).</summary>
    public IReadOnlyList<GlmArm> Arms => _arms;

    /// <inheritdoc />
    public ValueTask<RecourseDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        _problem.ValidateContext(context, nameof(context));
        int best = 0;
        double bestValue = double.NegativeInfinity, bestNorm = 0;
        double alpha = Options.Alpha;
        for (int a = 0; a < _arms.Length; a++)
        {
            // ‖x‖_{V⁻¹} and θ̂ᵀx as GlmArm.ConfidenceNorm and LinearPredictor compute them (the same kernels), without
            // their per-call checks: the context is validated above and V⁻¹, θ̂ are the arm's own.
            GlmArm arm = _arms[a];
            double norm = Math.Sqrt(Math.Max(0.0, SymmetricKernels.QuadraticForm(arm.InverseDesign, context, _work)));
            ReadOnlySpan<double> theta = arm.Theta;
            if (_prior.Active)
            {
                _prior.Shift(arm, _shifted);
                theta = _shifted;
            }
            double radius = Options.Radius?.Radius(arm.Count) ?? alpha;
            double ucb = SymmetricKernels.Dot(context, theta) + radius * norm;
            if (ucb > bestValue)
            {
                bestValue = ucb;
                bestNorm = radius * norm;
                best = a;
            }
        }
        DecisionStamp stamp = _issuer.Issue();
        return ValueTask.FromResult(new RecourseDecision
        {
            Id = stamp.Id,
            Time = stamp.Time,
            Arm = best,
            Probabilities = _oneHot[best],
            Notes = DecisionNotes.Deterministic,
            Recourse = RecourseDecision.Copy(context),
            ConfidenceWidth = 2 * bestNorm,
        });
    }

    /// <inheritdoc />
    public ValueTask LearnAsync(double[] context, RecourseDecision decision, RecourseOutcome outcome, CancellationToken cancellationToken = default)
    {
        _problem.ValidateFeedback(decision, outcome);
        _issuer.EnsurePending(decision.Id, nameof(decision));
        _arms[decision.Arm].Update(outcome.Realized.AsSpan(), outcome.Reward);
        _prior.Observe(outcome.Reward);
        _issuer.Settle(decision.Id);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public PolicyState ExportState() => PolicyStates.Pack(Kind, Version, new LinUcbState(
        Options.Alpha, Options.Lambda, $"{Options.Radius}; pooled prior={Options.PooledInterceptPrior}", _problem.Dimension, _arms.Length,
        _arms.Select(a => a.Export()).ToArray(), _prior.Sum, _prior.Count, _issuer.Export()));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<LinUcbState>(state, Kind, Version);
        PolicyStates.Require(data.Alpha == Options.Alpha, $"The state was saved with α = {data.Alpha}; this policy has α = {Options.Alpha}.");
        PolicyStates.Require(data.Lambda == Options.Lambda, $"The state was saved with λ = {data.Lambda}; this policy has λ = {Options.Lambda}.");
        string options = $"{Options.Radius}; pooled prior={Options.PooledInterceptPrior}";
        PolicyStates.Require(data.Options == options, $"The state was saved with {data.Options}; this policy has {options}.");
        PolicyStates.Require(double.IsFinite(data.RewardSum) && data.RewardCount >= 0, "The pooled reward sum must be finite and its count ≥ 0.");
        PolicyStates.Require(data.Dimension == _problem.Dimension, $"The state has dimension {data.Dimension}; this policy has {_problem.Dimension}.");
        PolicyStates.Require(data.Arms == _arms.Length, $"The state has {data.Arms} arms; this policy has {_arms.Length}.");
        PolicyStates.RequireLength(data.Models, _arms.Length, "arm models");
        for (int a = 0; a < _arms.Length; a++) _arms[a].Validate(data.Models[a]);
        DecisionIssuer.Validate(data.Issuer);
        for (int a = 0; a < _arms.Length; a++) _arms[a].Import(data.Models[a]);
        _prior.Restore(data.RewardSum, data.RewardCount);
        _issuer.Import(data.Issuer);
    }

    private sealed record LinUcbState(double Alpha, double Lambda, string Options, int Dimension, int Arms, GlmArmState[] Models,
        double RewardSum, long RewardCount, DecisionIssuerState Issuer);
}
