using Tandem.Core.Numerics;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Model;

/// <summary>A patient feature. Mutable features may be changed by a recourse (seed 000 §2.1).</summary>
/// <param name="Name">Short name as a clinician would read it (e.g. "DietScore").</param>
/// <param name="Description">One line for people and language models (units, scaling, direction).</param>
/// <param name="Mutable">Whether a recourse may change it.</param>
/// <param name="Bounds">Box and direction constraints on the recourse (mutable features only).</param>
/// <param name="Constant">An intercept column: always 1, never shown to an advisor.</param>
public sealed record Feature(string Name, string Description, bool Mutable, FeatureBounds? Bounds = null, bool Constant = false);

/// <summary>A treatment (arm).</summary>
public sealed record Treatment(string Name, string Description);

/// <summary>
/// The recourse bandit problem as both the environment and the policies see it: features (immutable
/// x_I and mutable x_M), treatments (the K arms), the feasible set {‖x̃_M − x_M‖ ≤ γ} ∩ box, and the
/// GLM link μ (seed 000 §2.1, eq. GLM and RO).
/// </summary>
/// <remarks>Not thread-safe: its <see cref="Set"/> keeps workspaces for allocation-free solves. Give each
/// thread (each run of a study) its own problem.</remarks>
public sealed class RecourseProblem
{
    /// <summary>Create a problem; throws <see cref="ArgumentException"/> naming what is inconsistent.</summary>
    public RecourseProblem(
        string name,
        IReadOnlyList<Feature> features,
        IReadOnlyList<Treatment> treatments,
        RecourseNorm norm,
        double gamma,
        GlmLink link = GlmLink.Identity,
        string goal = "maximize the expected outcome")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(treatments);
        ArgumentNullException.ThrowIfNull(norm);
        if (features.Count == 0) throw new ArgumentException("A problem needs at least one feature.", nameof(features));
        if (treatments.Count < 1) throw new ArgumentException("A problem needs at least one treatment.", nameof(treatments));
        if (!double.IsFinite(gamma) || gamma < 0) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be finite and ≥ 0.");
        var duplicate = features.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Feature name '{duplicate.Key}' appears twice.", nameof(features));
        if (features.Any(f => f.Constant && f.Mutable)) throw new ArgumentException("A constant (intercept) feature cannot be mutable.", nameof(features));

        Name = name;
        Features = features;
        Treatments = treatments;
        Link = link;
        Goal = goal;
        MutableIndices = Enumerable.Range(0, features.Count).Where(i => features[i].Mutable).ToArray();
        ImmutableIndices = Enumerable.Range(0, features.Count).Where(i => !features[i].Mutable).ToArray();
        if (MutableIndices.Length == 0) throw new ArgumentException("A recourse problem needs at least one mutable feature.", nameof(features));
        var bounds = MutableIndices.Select(i => features[i].Bounds ?? new FeatureBounds()).ToArray();
        Set = new RecourseSet(MutableIndices.Length, norm, gamma, bounds.Any(b => b != new FeatureBounds()) ? bounds : null);
    }

    /// <summary>Short identifier, e.g. "hypertension".</summary>
    public string Name { get; }

    /// <summary>Features in context order.</summary>
    public IReadOnlyList<Feature> Features { get; }

    /// <summary>Treatments; arm a is Treatments[a].</summary>
    public IReadOnlyList<Treatment> Treatments { get; }

    /// <summary>The GLM link μ.</summary>
    public GlmLink Link { get; }

    /// <summary>What the outcome means, in words ("minimize the systolic blood pressure at the next visit").</summary>
    public string Goal { get; }

    /// <summary>The feasible recourse set in mutable coordinates.</summary>
    public RecourseSet Set { get; }

    /// <summary>d = d_I + d_M.</summary>
    public int Dimension => Features.Count;

    /// <summary>K.</summary>
    public int ArmCount => Treatments.Count;

    /// <summary>Positions of x_M inside x, ascending.</summary>
    public int[] MutableIndices { get; }

    /// <summary>Positions of x_I inside x, ascending.</summary>
    public int[] ImmutableIndices { get; }

    /// <summary>γ.</summary>
    public double Gamma => Set.Gamma;

    /// <summary>Copy x_M out of a full context.</summary>
    public void GetMutable(ReadOnlySpan<double> x, Span<double> destination)
    {
        for (int j = 0; j < MutableIndices.Length; j++) destination[j] = x[MutableIndices[j]];
    }

    /// <summary>Write x_M into a full context.</summary>
    public void SetMutable(Span<double> x, ReadOnlySpan<double> mutableValues)
    {
        for (int j = 0; j < MutableIndices.Length; j++) x[MutableIndices[j]] = mutableValues[j];
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="parameterName"/> unless
    /// <paramref name="x"/> has length d and only finite values.</summary>
    public void ValidateContext(ReadOnlySpan<double> x, string parameterName)
    {
        if (x.Length != Dimension)
            throw new ArgumentException($"The context has {x.Length} values; problem '{Name}' has {Dimension} features.", parameterName);
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]))
                throw new ArgumentException($"Feature '{Features[i].Name}' (index {i}) is {x[i]}; contexts must be finite.", parameterName);
        }
    }

    /// <summary>What a learner checks before it learns (STYLE 5: once, at its public edge): the arm
    /// exists (<see cref="ArgumentOutOfRangeException"/> naming "decision"), and the realized context and
    /// the reward are present and finite (<see cref="ArgumentException"/> naming "outcome").</summary>
    public void ValidateFeedback(RecourseDecision decision, in RecourseOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ValidateArm(decision.Arm, nameof(decision));
        if (decision.Recourse.IsDefault || decision.Recourse.Length != Dimension)
            throw new ArgumentException($"The decision's recourse must have {Dimension} values.", nameof(decision));
        if (outcome.Realized.IsDefault) throw new ArgumentNullException(nameof(outcome), "The outcome has no realized context.");
        if (!double.IsFinite(outcome.Reward)) throw new ArgumentException($"The reward is {outcome.Reward}; rewards must be finite.", nameof(outcome));
        ValidateContext(outcome.Realized.AsSpan(), nameof(outcome));
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="parameterName"/>
    /// unless 0 ≤ arm &lt; K.</summary>
    public void ValidateArm(int arm, string parameterName)
    {
        if ((uint)arm >= (uint)ArmCount)
            throw new ArgumentOutOfRangeException(parameterName, arm, $"Problem '{Name}' has arms 0..{ArmCount - 1}.");
    }
}
