using System.Diagnostics.CodeAnalysis;

namespace Tandem.Core.Ports;

/// <summary>
/// The answer of a port that asks outside code (a language model, a person): either a value or an explicit
/// abstention with a reason. One shape for every port (advisor, reward designer, reflector, generator), so a
/// failed, slow or malformed answer is a recorded fallback and never an exception in a decision path
/// (ARCHITECTURE "LLM layer"). Like <c>ChatResponse&lt;T&gt;.TryGetResult</c>: ask, do not assume.
/// </summary>
/// <typeparam name="T">What the port answers when it answers.</typeparam>
public readonly record struct PortAnswer<T>
{
    private readonly T? _value;

    private PortAnswer(T? value, string? reason, bool given)
    {
        _value = value;
        Reason = reason;
        IsGiven = given;
    }

    /// <summary>True when the port answered.</summary>
    [MemberNotNullWhen(false, nameof(Reason))]
    public bool IsGiven { get; }

    /// <summary>Why the port abstained ("timeout", "parse: no treatment named", ...): a category, then
    /// optionally ": " and a detail. Null when it answered.</summary>
    public string? Reason { get; }

    /// <summary>An answer.</summary>
    public static PortAnswer<T> Given(T value) => new(value, null, true);

    /// <summary>An abstention; <paramref name="reason"/> must not be empty.</summary>
    public static PortAnswer<T> Abstain(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new PortAnswer<T>(default, reason, false);
    }

    /// <summary>The value when the port answered.</summary>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value!;
        return IsGiven;
    }

    /// <summary>The value; throws <see cref="InvalidOperationException"/> naming the reason when the port abstained.</summary>
    public T Value => IsGiven ? _value! : throw new InvalidOperationException("The port abstained: " + Reason);
}

/// <summary>
/// Stops a whole study on purpose, from inside a port: a cost guard reached, a replay cassette without the
/// answer, an output the user asked for that cannot be written. Every port documents that it may throw it;
/// it is never turned into a fallback, and hosts report its message as a clear error (exit code 2 in the CLI).
/// </summary>
public class StudyStopException : Exception
{
    /// <summary>Create with a message that says what stopped and what to do.</summary>
    public StudyStopException(string message) : base(message) { }

    /// <summary>Create with a message and the cause.</summary>
    public StudyStopException(string message, Exception? inner) : base(message, inner) { }
}
