using System.Globalization;
using Tandem.Core.Numerics;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Experiments;

/// <summary>Parsed advisor spec: "simulated:q=Q" or "clinician".</summary>
public sealed record AdvisorSpec(string Kind, double Quality)
{
    /// <summary>Accepted forms, for error messages.</summary>
    public const string Allowed = "simulated:q=Q (Q in [0, 1]) or clinician";

    /// <summary>Parse; throws <see cref="ArgumentException"/> naming the value and what is allowed.</summary>
    public static AdvisorSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim().ToLowerInvariant();
        if (s == "clinician") return new AdvisorSpec("clinician", double.NaN);
        if (s == "simulated") return new AdvisorSpec("simulated", 0.8);
        if (s.StartsWith("simulated:", StringComparison.Ordinal))
        {
            string rest = s["simulated:".Length..];
            if (rest.StartsWith("q=", StringComparison.Ordinal)
                && double.TryParse(rest[2..], NumberStyles.Float, CultureInfo.InvariantCulture, out double q)
                && q >= 0 && q <= 1)
                return new AdvisorSpec("simulated", q);
        }
        throw new ArgumentException($"Unknown advisor '{text}'. Allowed: {Allowed}.", nameof(text));
    }

    /// <summary>An advisor built outside this module (a language model); <paramref name="name"/> is its spec.</summary>
    public static AdvisorSpec External(string name) => new(name, double.NaN);

    /// <summary>True for the built-in simulations.</summary>
    public bool IsSimulated => Kind is "simulated" or "clinician";

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        "clinician" => "clinician",
        "simulated" => string.Create(CultureInfo.InvariantCulture, $"simulated:q={Quality}"),
        _ => Kind,
    };
}

/// <summary>Parsed non-compliance spec: "none", "random:eps=E" or "adversarial:eps=E".</summary>
public sealed record NonComplianceSpec(string Kind, double Epsilon)
{
    /// <summary>Accepted forms.</summary>
    public const string Allowed = "none, random:eps=E or adversarial:eps=E (E ≥ 0)";

    /// <summary>Full compliance.</summary>
    public static NonComplianceSpec None { get; } = new("none", 0);

    /// <summary>Parse; throws <see cref="ArgumentException"/> naming the value and what is allowed.</summary>
    public static NonComplianceSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim().ToLowerInvariant();
        if (s == "none") return None;
        foreach (string kind in new[] { "random", "adversarial" })
        {
            if (!s.StartsWith(kind + ":eps=", StringComparison.Ordinal)) continue;
            if (double.TryParse(s[(kind.Length + 5)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double e) && double.IsFinite(e) && e >= 0)
                return new NonComplianceSpec(kind, e);
        }
        throw new ArgumentException($"Unknown non-compliance '{text}'. Allowed: {Allowed}.", nameof(text));
    }

    /// <summary>The environment-side model, or null for none.</summary>
    public INonCompliance? Create(RecourseTruth truth) => Kind switch
    {
        "random" => new RandomNonCompliance(truth.Problem, Epsilon),
        "adversarial" => new AdversarialNonCompliance(truth, Epsilon),
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Kind == "none" ? "none" : string.Create(CultureInfo.InvariantCulture, $"{Kind}:eps={Epsilon}");
}

/// <summary>
/// Parsed confidence-radius spec (docs/confidence-radius.md): "constant:RHO" (ρ in units of the noise scale σ,
/// so the radius in reward units is ρσ) or "lemma2[:delta=D,beta-theta=B,beta-x=X,c-mu=C,l-mu=L]" (Lemma 2 as
/// proved in seed 000 Appendix A.2, with σ and λ from the study). Unset Lemma 2 parameters take documented
/// defaults: δ = 0.05; β_Θ = 1 (the seed's normalisation, Theorem 2); β_X = √d + γ (a standardised context plus
/// the budget); c_μ = 1 for the identity link and μ′(β_X β_Θ) for the logistic; L_μ the link's (1 or 1/4).
/// </summary>
/// <param name="Kind">"constant" or "lemma2".</param>
/// <param name="Rho">Constant: ρ in units of σ. Range: 0 or [<see cref="LibraLimits.MinPositive"/>, <see cref="LibraLimits.MaxScale"/>].</param>
/// <param name="Delta">Lemma 2: δ ∈ (0, 1).</param>
/// <param name="BetaTheta">Lemma 2: β_Θ ≥ 0, the bound on ‖θ*_a − θ₀‖₂ in units of σ per feature unit; null = 1.</param>
/// <param name="BetaX">Lemma 2: β_X &gt; 0, the bound on ‖x̃‖₂; null = √d + γ.</param>
/// <param name="CMu">Lemma 2: c_μ &gt; 0; null = the link's.</param>
/// <param name="LMu">L_μ &gt; 0 of the confidence width; null = the link's.</param>
public sealed record RadiusSpec(string Kind, double Rho, double Delta = 0.05, double? BetaTheta = null, double? BetaX = null, double? CMu = null, double? LMu = null)
{
    /// <summary>Accepted forms.</summary>
    public const string Allowed = "constant:RHO (RHO ≥ 0, in units of σ) or lemma2[:delta=D,beta-theta=B,beta-x=X,c-mu=C,l-mu=L]";

    /// <summary>A constant ρ (in units of σ).</summary>
    public static RadiusSpec Constant(double rho) => new("constant", rho);

    /// <summary>Lemma 2 with every parameter at its default.</summary>
    public static RadiusSpec Lemma2 { get; } = new("lemma2", double.NaN);

    /// <summary>Parse; throws <see cref="ArgumentException"/> naming the value and what is allowed (ranges are
    /// checked by <see cref="Validate"/>).</summary>
    public static RadiusSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim().ToLowerInvariant();
        if (s.StartsWith("constant:", StringComparison.Ordinal)
            && double.TryParse(s["constant:".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out double rho))
            return Constant(rho);
        if (s == "lemma2") return Lemma2;
        if (s.StartsWith("lemma2:", StringComparison.Ordinal))
        {
            RadiusSpec spec = Lemma2;
            foreach (string pair in s["lemma2:".Length..].Split(','))
            {
                string[] kv = pair.Split('=', 2, StringSplitOptions.TrimEntries);
                if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new ArgumentException($"Unknown radius '{text}': '{pair}' is not key=number. Allowed: {Allowed}.", nameof(text));
                spec = kv[0] switch
                {
                    "delta" => spec with { Delta = v },
                    "beta-theta" => spec with { BetaTheta = v },
                    "beta-x" => spec with { BetaX = v },
                    "c-mu" => spec with { CMu = v },
                    "l-mu" => spec with { LMu = v },
                    _ => throw new ArgumentException($"Unknown radius '{text}': no Lemma 2 parameter '{kv[0]}'. Allowed: {Allowed}.", nameof(text)),
                };
            }
            return spec;
        }
        throw new ArgumentException($"Unknown radius '{text}'. Allowed: {Allowed}.", nameof(text));
    }

    /// <summary>Throws naming the first parameter out of range (parameter name "Radius").</summary>
    public void Validate()
    {
        const string name = "Radius";
        if (Kind == "constant")
        {
            LibraLimits.CheckScale(Rho, name, "ρ");
            return;
        }
        if (Kind != "lemma2") throw new ArgumentException($"Unknown radius kind '{Kind}'. Allowed: {Allowed}.", name);
        if (!(Delta > 0 && Delta < 1)) throw new ArgumentOutOfRangeException(name, Delta, "Lemma 2's δ must lie in (0, 1).");
        if (BetaTheta is { } bt) LibraLimits.CheckScale(bt, name, "Lemma 2's β_Θ");
        if (BetaX is { } bx) LibraLimits.CheckScale(bx, name, "Lemma 2's β_X", zeroAllowed: false);
        if (CMu is { } c) LibraLimits.CheckScale(c, name, "Lemma 2's c_μ (0 makes ρ undefined)", zeroAllowed: false);
        if (LMu is { } l) LibraLimits.CheckScale(l, name, "L_μ", zeroAllowed: false);
    }

    /// <summary>The radius rule in reward units for <paramref name="problem"/>, given σ and λ; and L_μ (null = the link's).</summary>
    public (ConfidenceRadiusRule Rule, double? Lipschitz) Create(RecourseProblem problem, double sigma, double lambda)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Validate();
        if (Kind == "constant") return (ConfidenceRadiusRule.Constant(Rho * sigma), LMu);
        double betaX = BetaX ?? Math.Sqrt(problem.Dimension) + problem.Gamma;
        double betaTheta = (BetaTheta ?? 1.0) * sigma;
        double cMu = CMu ?? (problem.Link == GlmLink.Logistic ? LogisticSlope(betaX * betaTheta) : 1.0);
        return (new Lemma2Radius(problem.Dimension, problem.ArmCount, lambda, sigma, Delta, betaX, betaTheta, cMu), LMu);
    }

    private static double LogisticSlope(double z)
    {
        double s = 1.0 / (1.0 + Math.Exp(-z));
        return s * (1 - s);
    }

    /// <inheritdoc />
    public override string ToString() => Kind == "constant"
        ? string.Create(CultureInfo.InvariantCulture, $"constant:{Rho}")
        : string.Create(CultureInfo.InvariantCulture, $"lemma2:delta={Delta}") + Part("beta-theta", BetaTheta) + Part("beta-x", BetaX) + Part("c-mu", CMu) + Part("l-mu", LMu);

    private static string Part(string key, double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $",{key}={v}") : "";
}
