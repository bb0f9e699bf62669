using System.Text.Json;
using System.Text.Json.Serialization;
using Tandem.Core.Randomness;

namespace Tandem.Core.State;

/// <summary>
/// A learner's whole state as plain data: what kind of learner wrote it, the version of that kind's
/// format, and the data (a JSON document of the kind's own state record). Serializable as it is; the
/// service stores these beside the decision log that follows them.
/// </summary>
/// <param name="Kind">The learner kind, e.g. "glrb" or "libra"; a snapshot of another kind is refused.</param>
/// <param name="Version">The format version of that kind; another version is refused.</param>
/// <param name="Data">The kind's state record.</param>
public sealed record PolicyState(string Kind, int Version, JsonElement Data);

/// <summary>
/// Something whose whole state (random generator included) exports to a <see cref="PolicyState"/> and
/// restores from one: after <c>ImportState(ExportState())</c> on a fresh instance built with the same
/// options, the next decisions are identical.
/// </summary>
/// <remarks>Contract: <see cref="ImportState"/> validates everything (kind, version, dimensions, finiteness)
/// before changing anything, and throws <see cref="PolicyStateException"/> naming the mismatch, leaving the
/// instance unchanged. The exported state shares no buffer with the instance.</remarks>
public interface IStateful
{
    /// <summary>The whole state, as data.</summary>
    PolicyState ExportState();

    /// <summary>Replace the whole state; see the remarks of <see cref="IStateful"/>.</summary>
    void ImportState(PolicyState state);
}

/// <summary>A snapshot that cannot be restored: truncated, of another kind or version, or of other dimensions.</summary>
public sealed class PolicyStateException : Exception
{
    /// <summary>Create with a message naming the mismatch.</summary>
    public PolicyStateException(string message) : base(message) { }

    /// <summary>Create with a message and the cause.</summary>
    public PolicyStateException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Packing, unpacking and checking of <see cref="PolicyState"/>s.</summary>
public static class PolicyStates
{
    /// <summary>The JSON settings of every state record: camelCase, NaN and infinities written as strings
    /// (a state may hold NaN), no indentation.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>Pack <paramref name="data"/> as a state of <paramref name="kind"/>, version <paramref name="version"/>.</summary>
    public static PolicyState Pack<T>(string kind, int version, T data)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        return new PolicyState(kind, version, JsonSerializer.SerializeToElement(data, JsonOptions));
    }

    /// <summary>Unpack a state of <paramref name="kind"/>, version <paramref name="version"/>; throws
    /// <see cref="PolicyStateException"/> when it is of another kind or version or cannot be read.</summary>
    public static T Unpack<T>(PolicyState state, string kind, int version)
    {
        if (state is null) throw new PolicyStateException($"No state was given (expected a '{kind}' state).");
        if (!string.Equals(state.Kind, kind, StringComparison.Ordinal))
            throw new PolicyStateException($"This is a '{state.Kind}' state; a '{kind}' state was expected.");
        if (state.Version != version)
            throw new PolicyStateException($"This '{kind}' state has format version {state.Version}; this build reads version {version}.");
        try
        {
            return JsonSerializer.Deserialize<T>(state.Data, JsonOptions) ?? throw new PolicyStateException($"The '{kind}' state is empty.");
        }
        catch (JsonException ex)
        {
            throw new PolicyStateException($"The '{kind}' state cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>A state as one JSON document.</summary>
    public static string Serialize(PolicyState state) => JsonSerializer.Serialize(state, JsonOptions);

    /// <summary>Read a state written by <see cref="Serialize"/>; a truncated or malformed document throws
    /// <see cref="PolicyStateException"/>.</summary>
    public static PolicyState Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var state = JsonSerializer.Deserialize<PolicyState>(json, JsonOptions);
            if (state is null || string.IsNullOrEmpty(state.Kind)) throw new PolicyStateException("The snapshot has no kind.");
            return state;
        }
        catch (JsonException ex)
        {
            throw new PolicyStateException($"The snapshot is not a complete JSON document (truncated?): {ex.Message}", ex);
        }
    }

    /// <summary>Throws <see cref="PolicyStateException"/> with <paramref name="message"/> unless <paramref name="condition"/>.</summary>
    public static void Require(bool condition, string message)
    {
        if (!condition) throw new PolicyStateException(message);
    }

    /// <summary>Throws unless <paramref name="values"/> is non-null with <paramref name="length"/> entries.</summary>
    public static void RequireLength<T>(T[]? values, int length, string what)
    {
        if (values is null) throw new PolicyStateException($"The state has no {what}.");
        if (values.Length != length) throw new PolicyStateException($"The state's {what} has {values.Length} entries; this policy has {length}.");
    }

    /// <summary>Throws unless every value is finite.</summary>
    public static void RequireFinite(ReadOnlySpan<double> values, string what)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i])) throw new PolicyStateException($"The state's {what}[{i}] is {values[i]}; it must be finite.");
        }
    }

    /// <summary>The state of a random source; only <see cref="Xoshiro256"/> (what <see cref="Seeds.CreateRandom"/>
    /// returns) can be saved.</summary>
    public static ulong[] ExportRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (random is not Xoshiro256 x)
            throw new InvalidOperationException($"A {random.GetType().Name} cannot be saved; build the policy with Seeds.CreateRandom (xoshiro256**).");
        return x.GetState();
    }

    /// <summary>Check a random source state without applying it.</summary>
    public static void ValidateRandom(ulong[]? state, string what = "random generator")
    {
        if (state is null || state.Length != 4) throw new PolicyStateException($"The {what} state must have 4 words.");
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new PolicyStateException($"The {what} state is all zero, which xoshiro256** cannot leave.");
    }

    /// <summary>Restore a random source state checked by <see cref="ValidateRandom"/>.</summary>
    public static void ImportRandom(Random random, ulong[] state)
    {
        if (random is not Xoshiro256 x)
            throw new InvalidOperationException($"A {random.GetType().Name} cannot be restored; build the policy with Seeds.CreateRandom (xoshiro256**).");
        ValidateRandom(state);
        x.SetState(state);
    }
}
