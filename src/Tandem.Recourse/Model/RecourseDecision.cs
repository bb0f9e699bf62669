using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;

namespace Tandem.Recourse.Model;

/// <summary>
/// A treatment and a recourse (seed 000 §2.1): the arm a_t and the intended context x̃_t = (x_I, x̃_M),
/// owned by the caller (the payload is copied; it shares no buffer with the policy).
/// </summary>
public sealed record RecourseDecision : Decision
{
    /// <summary>The intended full context x̃ (length d). For a policy without recourse it equals the context.</summary>
    public required ImmutableArray<double> Recourse { get; init; }

    /// <summary>UCB − LCB = 2 L_μ ρ ‖x̃‖_{V⁻¹} of the bandit's own pair (seed §3.1); NaN for a policy without
    /// one; +∞ for a policy that knows nothing (uniform).</summary>
    public double ConfidenceWidth { get; init; } = double.NaN;

    /// <summary>Value equality: the recourse is compared element by element (NaN equal to NaN), as the base
    /// compares the probabilities, so a restored policy's decisions equal the original's.</summary>
    public bool Equals(RecourseDecision? other) =>
        base.Equals(other) && SequenceEqual(Recourse, other!.Recourse) && ConfidenceWidth.Equals(other.ConfidenceWidth);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Recourse.IsDefault ? 0 : Recourse.Length, ConfidenceWidth);

    /// <summary>Writes <c>recourse</c> (the array) and <c>confidenceWidth</c> (null when NaN or infinite).</summary>
    public override void WritePayload(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray("recourse");
        foreach (double v in Recourse.IsDefault ? [] : Recourse.AsSpan())
        {
            if (double.IsFinite(v)) writer.WriteNumberValue(v);
            else writer.WriteNullValue();
        }
        writer.WriteEndArray();
        if (double.IsFinite(ConfidenceWidth)) writer.WriteNumber("confidenceWidth", ConfidenceWidth);
        else writer.WriteNull("confidenceWidth");
    }

    /// <summary>An owned copy of <paramref name="values"/> (one allocation).</summary>
    public static ImmutableArray<double> Copy(ReadOnlySpan<double> values) =>
        ImmutableCollectionsMarshal.AsImmutableArray(values.ToArray());
}

/// <summary>What happened after a decision: the realized context x̄ (equal to x̃ under full compliance)
/// and its reward. Owned by the caller: it shares no buffer with the environment.</summary>
/// <param name="Reward">Observed reward r_t.</param>
/// <param name="ExpectedReward">μ(θ*_aᵀ x̄), noise-free.</param>
/// <param name="Realized">x̄_t, what the patient actually implemented (seed §4).</param>
public readonly record struct RecourseOutcome(double Reward, double ExpectedReward, ImmutableArray<double> Realized) : IOutcome;
