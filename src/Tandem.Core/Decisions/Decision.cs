using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Core.Decisions;

/// <summary>
/// A decision the caller owns (ARCHITECTURE "the few types a user touches"): immutable, sharing no buffer
/// with the policy that made it. Each paper's decision derives from it and adds its payload (LIBRA's
/// recourse, GAMBITTS's send decision), copied.
/// </summary>
/// <remarks>STYLE 3: never lose the propensity. <see cref="Probabilities"/> holds P(a | context, history)
/// for every arm when the policy can state it; where it cannot (advice from a language model), the
/// entries are NaN and <see cref="Notes"/> say why.</remarks>
public abstract record Decision
{
    /// <summary>The id the issuing policy gave it; unique per policy instance, across snapshots.</summary>
    public required DecisionId Id { get; init; }

    /// <summary>When it was made, from the policy's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The chosen arm, 0-based. Range: 0 ≤ Arm &lt; <see cref="Probabilities"/>.Length.</summary>
    public required int Arm { get; init; }

    /// <summary>P(a | context, history) for every arm a (they sum to 1), NaN entries where the policy
    /// cannot state them. Shared read-only vectors (<see cref="ProbabilityVectors"/>) are fine: it is immutable.</summary>
    public required ImmutableArray<double> Probabilities { get; init; }

    /// <summary>How the decision was reached (open vocabulary).</summary>
    public DecisionNotes Notes { get; init; }

    /// <summary>P(Arm | context, history) = Probabilities[Arm], or NaN when it cannot be known.</summary>
    [JsonIgnore]
    public double Propensity => !Probabilities.IsDefault && (uint)Arm < (uint)Probabilities.Length ? Probabilities[Arm] : double.NaN;

    /// <summary>Value equality: the probability vectors are compared element by element (NaN equals NaN),
    /// not by reference, so a restored policy's decisions equal the original's.</summary>
    public virtual bool Equals(Decision? other) =>
        other is not null
        && EqualityContract == other.EqualityContract
        && Id == other.Id
        && Time == other.Time
        && Arm == other.Arm
        && Notes == other.Notes
        && SequenceEqual(Probabilities, other.Probabilities);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(EqualityContract, Id, Time, Arm, Notes, Probabilities.IsDefault ? 0 : Probabilities.Length);

    /// <summary>Element-wise equality of two vectors, NaN equal to NaN (for payload equality in derived decisions).</summary>
    public static bool SequenceEqual(ImmutableArray<double> left, ImmutableArray<double> right)
    {
        if (left.IsDefault || right.IsDefault) return left.IsDefault == right.IsDefault;
        if (left.Length != right.Length) return false;
        for (int i = 0; i < left.Length; i++)
        {
            if (!left[i].Equals(right[i])) return false;
        }
        return true;
    }

    /// <summary>Write the paper-specific payload (everything the derived record adds) as JSON properties of
    /// the decision log's <c>payload</c> object. The default writes nothing.</summary>
    public virtual void WritePayload(Utf8JsonWriter writer)
    {
    }
}

/// <summary>A decision's id: a sequence number unique within the policy instance that issued it (and the
/// snapshots of that instance). Range: ≥ 1.</summary>
/// <param name="Value">The sequence number.</param>
[JsonConverter(typeof(DecisionIdJsonConverter))]
public readonly record struct DecisionId(long Value)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed class DecisionIdJsonConverter : JsonConverter<DecisionId>
{
    public override DecisionId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetInt64());

    public override void Write(Utf8JsonWriter writer, DecisionId value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
}

/// <summary>A decision id that its policy did not issue, or has already learned from.</summary>
public sealed class UnknownDecisionException(string message, string? paramName = null) : ArgumentException(message, paramName);
