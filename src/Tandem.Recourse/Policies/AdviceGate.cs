using Tandem.Core.Decisions;
using Tandem.Core.Ports;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Policies;

/// <summary>
/// Turns untrusted advice into an implementable pair: the treatment must exist and the values must be
/// finite and of the right count; a finite recourse outside the feasible set is projected onto it
/// (Euclidean projection, noted as <see cref="DecisionNotes.AdviceProjected"/>). Anything else is a
/// fallback with a reason; bad advice never reaches the learner as a decision.
/// </summary>
public sealed class AdviceGate
{
    private readonly RecourseProblem _problem;
    private readonly double[] _current;
    private readonly double[] _projected;

    /// <summary>Create a gate for <paramref name="problem"/>.</summary>
    public AdviceGate(RecourseProblem problem)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        _current = new double[problem.MutableIndices.Length];
        _projected = new double[problem.MutableIndices.Length];
    }

    /// <summary>
    /// Ask <paramref name="advisor"/> about <paramref name="context"/> and apply its answer. Returns
    /// followed = true with the arm and the recourse in <paramref name="destination"/>, or false when the
    /// caller must fall back; the notes say which, and <paramref name="ledger"/> counts it. The port
    /// promises not to throw, but an advisor is outside code: any failure except a stop
    /// (<see cref="StudyStopException"/>, let through) or cancellation of <paramref name="cancellationToken"/> is a fallback.
    /// </summary>
    /// <exception cref="StudyStopException">The advisor stopped the study.</exception>
    public async ValueTask<(bool Followed, int Arm, DecisionNotes Notes)> ConsultAsync(
        IRecourseAdvisor advisor, double[] context, double[] destination, AdvisorLedger ledger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(advisor);
        ArgumentNullException.ThrowIfNull(ledger);
        PortAnswer<Advice> advice;
        try
        {
            advice = await advisor.AdviseAsync(new AdviceRequest(_problem, (double[])context.Clone()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not StudyStopException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            advice = Advice.Abstain("advisor error: " + ex.GetType().Name);
        }
        if (TryApply(advice, context, destination, out int arm, out bool projected, out string? reason))
        {
            ledger.Record(followed: true, projected, reason: null);
            return (true, arm, DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorFollowed | DecisionNotes.RecourseRecommended
                | (projected ? DecisionNotes.AdviceProjected : DecisionNotes.None));
        }
        ledger.Record(followed: false, projected: false, reason);
        return (false, -1, DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorFallback);
    }

    /// <summary>Try to apply <paramref name="answer"/> to <paramref name="context"/>. On success writes the
    /// full recourse context into <paramref name="destination"/> and returns true; otherwise returns false
    /// with a short reason ("abstained: timeout", "unknown treatment 7", ...).</summary>
    public bool TryApply(in PortAnswer<Advice> answer, ReadOnlySpan<double> context, Span<double> destination, out int arm, out bool projected, out string? reason)
    {
        arm = -1;
        projected = false;
        if (!answer.TryGetValue(out Advice? advice))
        {
            reason = "abstained: " + (answer.Reason ?? "no reason given");
            return false;
        }
        if (advice is null)
        {
            reason = "no advice in the answer";
            return false;
        }
        if ((uint)advice.Arm >= (uint)_problem.ArmCount)
        {
            reason = $"unknown treatment {advice.Arm}";
            return false;
        }
        double[]? values = advice.MutableValues;
        if (values is null || values.Length != _problem.MutableIndices.Length)
        {
            reason = $"expected {_problem.MutableIndices.Length} mutable values, got {values?.Length ?? 0}";
            return false;
        }
        foreach (double v in values)
        {
            if (!double.IsFinite(v))
            {
                reason = "non-finite recourse value";
                return false;
            }
        }
        _problem.GetMutable(context, _current);
        context.CopyTo(destination);
        if (_problem.Set.Contains(_current, values, 1e-9))
        {
            _problem.SetMutable(destination, values);
        }
        else
        {
            _problem.Set.Project(_current, values, _projected);
            _problem.SetMutable(destination, _projected);
            projected = true;
        }
        arm = advice.Arm;
        reason = null;
        return true;
    }
}
