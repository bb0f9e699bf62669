namespace Tandem.Core.Numerics;

/// <summary>The inverse link μ of the generalised linear reward model r = μ(θᵀx) + ξ (seed 000 §2.2).</summary>
public enum GlmLink
{
    /// <summary>μ(z) = z: linear (ridge) model.</summary>
    Identity,

    /// <summary>μ(z) = 1 / (1 + e^−z): logistic model for rewards in [0, 1].</summary>
    Logistic,
}

/// <summary>The inverse link μ, its derivative μ′, its cumulant m (with m′ = μ) and its Lipschitz constant.</summary>
public static class Links
{
    /// <summary>μ(z). Identity: z. Logistic: 1 / (1 + e^−z), evaluated without overflow for any finite z.</summary>
    public static double Mean(GlmLink link, double z) => link switch
    {
        GlmLink.Identity => z,
        GlmLink.Logistic => Sigmoid(z),
        _ => UnknownLink<double>(link),
    };

    /// <summary>μ′(z). Identity: 1. Logistic: μ(z)(1 − μ(z)) ∈ (0, 1/4].</summary>
    public static double Derivative(GlmLink link, double z) => link switch
    {
        GlmLink.Identity => 1.0,
        GlmLink.Logistic => LogisticDerivative(z),
        _ => UnknownLink<double>(link),
    };

    /// <summary>The cumulant m(z) with m′ = μ, so that ℓ(r, z) = −r z + m(z) is the negative
    /// log-likelihood of one observation. Identity: z²/2. Logistic: log(1 + e^z), without overflow.</summary>
    public static double Cumulant(GlmLink link, double z) => link switch
    {
        GlmLink.Identity => 0.5 * z * z,
        GlmLink.Logistic => Softplus(z),
        _ => UnknownLink<double>(link),
    };

    /// <summary>L_μ, the Lipschitz constant of μ (seed 000 A.2): 1 for Identity, 1/4 for Logistic.</summary>
    public static double LipschitzConstant(GlmLink link) => link switch
    {
        GlmLink.Identity => 1.0,
        GlmLink.Logistic => 0.25,
        _ => UnknownLink<double>(link),
    };

    internal static double Sigmoid(double z)
    {
        if (z >= 0) return 1.0 / (1.0 + Math.Exp(-z));
        double e = Math.Exp(z);
        return e / (1.0 + e);
    }

    internal static double LogisticDerivative(double z)
    {
        double e = Math.Exp(-Math.Abs(z));
        double onePlus = 1.0 + e;
        return e / (onePlus * onePlus);
    }

    internal static double Softplus(double z) => Math.Max(z, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(z)));

    private static T UnknownLink<T>(GlmLink link) =>
        throw new ArgumentOutOfRangeException(nameof(link), link, "Unknown link.");
}
