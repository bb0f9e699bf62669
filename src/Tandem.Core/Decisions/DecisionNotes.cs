using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Core.Decisions;

/// <summary>
/// How a decision was reached: a small set of notes from an open vocabulary (STYLE 14, like
/// <c>ChatFinishReason</c>), so a stage that wraps a policy can add its own without changing Core. A note
/// is a lower-case token such as <c>advisor-consulted</c>, optionally with a detail after a colon
/// (<c>propensity-unknown:advice</c>). Immutable; <c>default</c> is the empty set.
/// </summary>
[JsonConverter(typeof(DecisionNotesJsonConverter))]
public readonly struct DecisionNotes : IEquatable<DecisionNotes>
{
    private readonly ImmutableArray<string> _notes; // sorted ordinal, distinct; default = empty

    private DecisionNotes(ImmutableArray<string> notes) => _notes = notes;

    /// <summary>No notes: the policy decided on its own.</summary>
    public static DecisionNotes None => default;

    /// <summary>The advisor (language model) was asked.</summary>
    public static DecisionNotes AdvisorConsulted { get; } = Of("advisor-consulted");

    /// <summary>The advisor's answer was implemented.</summary>
    public static DecisionNotes AdvisorFollowed { get; } = Of("advisor-followed");

    /// <summary>The advisor's recourse lay outside the feasible set and was projected onto it.</summary>
    public static DecisionNotes AdviceProjected { get; } = Of("advice-projected");

    /// <summary>The advisor abstained or failed; the policy fell back to itself.</summary>
    public static DecisionNotes AdvisorFallback { get; } = Of("advisor-fallback");

    /// <summary>The decision changes mutable features (a recourse was recommended).</summary>
    public static DecisionNotes RecourseRecommended { get; } = Of("recourse-recommended");

    /// <summary>A minimum-exploration stage replaced the inner policy's arm.</summary>
    public static DecisionNotes Explored { get; } = Of("explored");

    /// <summary>The arm was chosen deterministically (a one-hot probability vector).</summary>
    public static DecisionNotes Deterministic { get; } = Of("deterministic");

    /// <summary>The probabilities cannot be stated because a language model chose the arm.</summary>
    public static DecisionNotes PropensityUnknownAdvice { get; } = Of("propensity-unknown:advice");

    /// <summary>The probabilities are Monte Carlo estimates over posterior draws.</summary>
    public static DecisionNotes PropensityEstimated { get; } = Of("propensity-estimated");

    /// <summary>One note. Throws when <paramref name="note"/> is empty or has white space or control characters.</summary>
    public static DecisionNotes Of(string note)
    {
        Validate(note);
        return new DecisionNotes([note]);
    }

    /// <summary>Several notes.</summary>
    public static DecisionNotes Of(IEnumerable<string> notes)
    {
        ArgumentNullException.ThrowIfNull(notes);
        var result = None;
        foreach (string note in notes) result |= Of(note);
        return result;
    }

    /// <summary>The notes, sorted (ordinal).</summary>
    public ImmutableArray<string> Items => _notes.IsDefault ? [] : _notes;

    /// <summary>True when there is no note.</summary>
    public bool IsEmpty => _notes.IsDefaultOrEmpty;

    /// <summary>True when every note of <paramref name="other"/> is here.</summary>
    public bool Contains(DecisionNotes other)
    {
        if (other.IsEmpty) return true;
        if (IsEmpty) return false;
        foreach (string note in other._notes)
        {
            if (_notes.BinarySearch(note, StringComparer.Ordinal) < 0) return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="note"/> is here.</summary>
    public bool Contains(string note) => !IsEmpty && _notes.BinarySearch(note, StringComparer.Ordinal) >= 0;

    /// <summary>The union; allocates only when both sides add something.</summary>
    public static DecisionNotes operator |(DecisionNotes left, DecisionNotes right)
    {
        if (right.IsEmpty || left.Contains(right)) return left;
        if (left.IsEmpty || right.Contains(left)) return right;
        var merged = left._notes.Union(right._notes, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        return new DecisionNotes(merged);
    }

    /// <summary>These notes without those of <paramref name="other"/>.</summary>
    public DecisionNotes Without(DecisionNotes other)
    {
        if (IsEmpty || other.IsEmpty) return this;
        var kept = _notes.Where(n => !other.Contains(n)).ToImmutableArray();
        return kept.Length == _notes.Length ? this : new DecisionNotes(kept);
    }

    /// <inheritdoc />
    public bool Equals(DecisionNotes other) => Items.SequenceEqual(other.Items, StringComparer.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DecisionNotes other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (string note in Items) hash.Add(note, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <summary>Equality of the sets.</summary>
    public static bool operator ==(DecisionNotes left, DecisionNotes right) => left.Equals(right);

    /// <summary>Inequality of the sets.</summary>
    public static bool operator !=(DecisionNotes left, DecisionNotes right) => !left.Equals(right);

    /// <summary>The notes joined by ", ".</summary>
    public override string ToString() => string.Join(", ", Items);

    private static void Validate(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (note.Length is 0 or > 200) throw new ArgumentException("A decision note must have 1 to 200 characters.", nameof(note));
        foreach (char c in note)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
                throw new ArgumentException($"A decision note must not contain white space or control characters: '{note}'.", nameof(note));
        }
    }
}

internal sealed class DecisionNotesJsonConverter : JsonConverter<DecisionNotes>
{
    public override DecisionNotes Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Decision notes must be a JSON array of strings.");
        var notes = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("Decision notes must be a JSON array of strings.");
            notes.Add(reader.GetString()!);
        }
        try
        {
            return DecisionNotes.Of(notes);
        }
        catch (ArgumentException ex)
        {
            throw new JsonException(ex.Message, ex);
        }
    }

    public override void Write(Utf8JsonWriter writer, DecisionNotes value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (string note in value.Items) writer.WriteStringValue(note);
        writer.WriteEndArray();
    }
}
