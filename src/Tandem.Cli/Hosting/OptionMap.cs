using System.Globalization;

namespace Tandem.Cli.Hosting;

/// <summary>
/// The one map from an option record's parameter names (what the library's <c>Validate()</c> names in its
/// <see cref="ArgumentException"/>) to the command's option names, so the range checks live once, in the
/// library, and the user still reads "--gamma 1e308: ..." (issue: a thin CLI).
/// </summary>
public sealed class OptionMap
{
    private readonly Dictionary<string, string> _names;

    /// <summary>Create from pairs of parameter name → option name (e.g. "Gamma" → "--gamma").</summary>
    public OptionMap(IReadOnlyDictionary<string, string> names) =>
        _names = new Dictionary<string, string>(names ?? throw new ArgumentNullException(nameof(names)), StringComparer.OrdinalIgnoreCase);

    /// <summary>The option name of <paramref name="parameter"/>, or null.</summary>
    public string? OptionFor(string? parameter) => parameter is not null && _names.TryGetValue(parameter, out string? name) ? name : null;

    /// <summary>A <see cref="UsageException"/> for a validation failure of the library: "--option value: message"
    /// when the parameter is mapped, else the message alone.</summary>
    public UsageException Translate(ArgumentException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        string message = FirstSentence(ex.Message);
        if (OptionFor(ex.ParamName) is not { } option) return new UsageException(message);
        string value = ex is ArgumentOutOfRangeException { ActualValue: { } actual } ? " " + Convert.ToString(actual, CultureInfo.InvariantCulture) : "";
        return new UsageException($"{option}{value}: {message}");
    }

    /// <summary>The message without .NET's " (Parameter 'x')" tail and the actual-value line.</summary>
    public static string FirstSentence(string message)
    {
        int paren = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        string text = paren > 0 ? message[..paren] : message;
        int actual = text.IndexOf("\nActual value was", StringComparison.Ordinal);
        return (actual > 0 ? text[..actual] : text).Trim();
    }
}
