namespace Tandem.Service.Studies;

/// <summary>A request the service refuses: the HTTP status, the field at fault (a JSON path such as
/// <c>context[3]</c> or <c>options.alpha</c>) and a one-line reason. Becomes a problem document.</summary>
public sealed class RequestException(int status, string field, string message) : Exception(message)
{
    /// <summary>The HTTP status (400, 404, 409, 413, …).</summary>
    public int Status { get; } = status;

    /// <summary>The field at fault.</summary>
    public string Field { get; } = field;

    /// <summary>400 naming <paramref name="field"/>.</summary>
    public static RequestException Invalid(string field, string message) => new(400, field, message);
}

/// <summary>The outcome of a command sent to a study: a value or a refusal (no exception crosses the writer).</summary>
/// <typeparam name="T">The value's type.</typeparam>
public readonly record struct Reply<T>(T? Value, RequestException? Error, object? Extra = null) : IReply
{
    /// <summary>A value.</summary>
    public static Reply<T> Ok(T value) => new(value, null);

    /// <summary>A refusal.</summary>
    public static Reply<T> Fail(RequestException error, object? extra = null) => new(default, error, extra);
}

/// <summary>Any <see cref="Reply{T}"/>: whether it is a refusal.</summary>
public interface IReply
{
    /// <summary>The refusal, or null for a value.</summary>
    RequestException? Error { get; }
}
