using Tandem.Core.Numerics;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Policies;

/// <summary>
/// The prior of the pooled intercept (docs/confidence-radius.md): every arm's ridge estimate is shrunk toward
/// θ₀ = m·e_c instead of 0, where e_c is the problem's constant (intercept) feature and m the mean of every
/// reward this policy has observed so far, whatever the arm. The estimate is
/// θ̂_a = V_a⁻¹(Σ x r + λθ₀) = θ̂_a(0) + λ m V_a⁻¹ e_c, so an arm never tried predicts m (the typical reward seen)
/// rather than 0, and on a reward scale far from 0 (SBP drops of 40 mmHg) the first arm tried is not favoured
/// forever. Shifting every reward by a constant shifts m and every prediction by it and leaves every decision
/// unchanged. Only for the identity link and problems with a constant feature; elsewhere it does nothing.
/// </summary>
internal sealed class PooledInterceptPrior
{
    private readonly int _constant; // index of the constant feature, or −1 (inactive)
    private readonly double _lambda;
    private readonly int _dimension;

    public PooledInterceptPrior(RecourseProblem problem, double lambda, bool enabled, GlmLink link)
    {
        _dimension = problem.Dimension;
        _lambda = lambda;
        _constant = -1;
        if (!enabled || link != GlmLink.Identity) return;
        for (int i = 0; i < problem.Features.Count; i++)
        {
            if (problem.Features[i].Constant)
            {
                _constant = i;
                break;
            }
        }
    }

    /// <summary>True when the prior changes the estimates.</summary>
    public bool Active => _constant >= 0;

    /// <summary>Σ r over every step learned.</summary>
    public double Sum { get; private set; }

    /// <summary>Steps learned.</summary>
    public long Count { get; private set; }

    /// <summary>m, the pooled mean reward (0 before the first).</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    public void Observe(double reward)
    {
        if (!Active) return;
        Sum += reward;
        Count++;
    }

    public void Restore(double sum, long count)
    {
        Sum = sum;
        Count = count;
    }

    /// <summary>θ̂_a(0) + λ m V_a⁻¹ e_c into <paramref name="destination"/>; V⁻¹ is symmetric, so its column c is row c.</summary>
    public void Shift(GlmArm arm, Span<double> destination)
    {
        ReadOnlySpan<double> theta = arm.Theta;
        theta.CopyTo(destination);
        double scale = _lambda * Mean;
        if (scale == 0) return;
        ReadOnlySpan<double> row = arm.InverseDesign.Slice(_constant * _dimension, _dimension);
        for (int i = 0; i < _dimension; i++) destination[i] += scale * row[i];
    }
}
