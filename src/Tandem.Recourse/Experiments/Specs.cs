using System.Globalization;
using Tandem.Recourse.Environments;

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
