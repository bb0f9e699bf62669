namespace Tandem.Recourse.Policies;

/// <summary>A recourse policy that can state LCB_t(x, a) and UCB_t(x, a) of any (context, arm) pair (seed 000
/// §3.1); the safe gate of <see cref="AdvisorGateStage"/> needs it.</summary>
public interface IConfidenceBounds
{
    /// <summary>The lower and upper confidence bounds of the expected reward of <paramref name="arm"/> at the full
    /// context <paramref name="x"/> (recourse included).</summary>
    (double Lower, double Upper) ConfidenceBounds(ReadOnlySpan<double> x, int arm);
}
