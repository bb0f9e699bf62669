using Tandem.Core.Numerics;

namespace Tandem.Recourse.Policies;

/// <summary>The confidence radius ρ_{t,a} of the uncertainty set Θ_{t,a} = {θ : ‖θ − θ̂‖_V ≤ ρ}.</summary>
public abstract record ConfidenceRadiusRule
{
    /// <summary>ρ for an arm that has been pulled <paramref name="count"/> times.</summary>
    public abstract double Radius(int count);

    /// <summary>A fixed ρ, as practitioners set LinUCB's α. Range: ρ ≥ 0.</summary>
    public static ConfidenceRadiusRule Constant(double rho) => new ConstantRadius(rho);
}

/// <summary>ρ_{t,a} = ρ for every t and a.</summary>
public sealed record ConstantRadius : ConfidenceRadiusRule
{
    /// <summary>Create it. Range: ρ ≥ 0, finite.</summary>
    public ConstantRadius(double rho)
    {
        if (!double.IsFinite(rho) || rho < 0) throw new ArgumentOutOfRangeException(nameof(rho), rho, "ρ must be finite and ≥ 0.");
        Rho = rho;
    }

    /// <summary>ρ.</summary>
    public double Rho { get; }

    /// <inheritdoc />
    public override double Radius(int count) => Rho;
}

/// <summary>The radius of Lemma 2 (seed 000 §2.2), which holds with probability 1 − δ and is
/// conservative in practice.</summary>
public sealed record Lemma2Radius(int Dimension, int ArmCount, double Lambda, double Sigma, double Delta, double BetaX, double BetaTheta, double CMu) : ConfidenceRadiusRule
{
    /// <inheritdoc />
    public override double Radius(int count) =>
        ConfidenceRadius.Lemma2(Dimension, ArmCount, count, Lambda, Sigma, Delta, BetaX, BetaTheta, CMu);
}
