using Tandem.Core.Abstractions;
using Tandem.Core.Numerics;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Policies;

/// <summary>LinUCB options (Li et al. 2010, disjoint model).</summary>
public sealed record LinUcbOptions
{
    /// <summary>Exploration weight α. Range: α ≥ 0. Default 1.</summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>Ridge λ. Range: λ &gt; 0. Default 1.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Alpha) || Alpha < 0) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "α must be finite and ≥ 0.");
        if (!double.IsFinite(Lambda) || Lambda <= 0) throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "λ must be finite and > 0.");
    }
}

/// <summary>
/// Disjoint LinUCB: per-arm ridge regression and the arm with the largest θ̂_aᵀx + α‖x‖_{V_a⁻¹}. It
/// recommends no recourse, so it is the seed's baseline that cannot use mutable features (000 §5.3).
/// Allocation-free per round after construction.
/// </summary>
public sealed class LinUcbPolicy : IPolicy<double[], RecourseDecision, RecourseOutcome>
{
    private readonly RecourseProblem _problem;
    private readonly GlmArm[] _arms;
    private readonly double[] _decision;
    private readonly double[] _work;

    /// <summary>Create it.</summary>
    public LinUcbPolicy(RecourseProblem problem, LinUcbOptions? options = null)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        Options = options ?? new LinUcbOptions();
        Options.Validate();
        _arms = Enumerable.Range(0, problem.ArmCount).Select(_ => new GlmArm(problem.Dimension, Options.Lambda, GlmLink.Identity)).ToArray();
        _decision = new double[problem.Dimension];
        _work = new double[problem.Dimension];
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
        for (int a = 0; a < _arms.Length; a++)
        {
            double norm = _arms[a].ConfidenceNorm(context, _work);
            double ucb = _arms[a].LinearPredictor(context) + Options.Alpha * norm;
            if (ucb > bestValue)
            {
                bestValue = ucb;
                bestNorm = norm;
                best = a;
            }
        }
        context.CopyTo(_decision, 0);
        double width = 2 * Options.Alpha * bestNorm;
        return ValueTask.FromResult(new RecourseDecision(best, _decision, 1.0, DecisionNotes.None, width));
    }

    /// <inheritdoc />
    public void Learn(double[] context, RecourseDecision decision, RecourseOutcome outcome)
    {
        _problem.ValidateFeedback(decision, outcome);
        _arms[decision.Arm].Update(outcome.Realized, outcome.Reward);
    }
}
