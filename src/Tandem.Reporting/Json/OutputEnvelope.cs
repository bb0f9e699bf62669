using System.Reflection;

namespace Tandem.Reporting;

/// <summary>
/// The one shape of every command's summary (<c>summary.json</c> and <c>--json</c>, docs/outputs.md): what ran, with
/// which settings and random seed, how long it took, and the command's own results. One reader therefore handles
/// every command: the envelope's fields are the same everywhere and <see cref="Results"/> is described per command by
/// its JSON Schema (<c>tandem schema COMMAND</c>, docs/schemas/).
/// </summary>
/// <typeparam name="T">The command's results.</typeparam>
/// <param name="Command">The command, e.g. <c>libra</c> or <c>rmab plan</c> (without the program name).</param>
/// <param name="Version">Tandem's version (the informational version of the Tandem.Reporting assembly).</param>
/// <param name="Settings">The settings that determine the results, as the command names them (option → value).</param>
/// <param name="Seed">The root random seed; null for a command that draws nothing at random.</param>
/// <param name="WallSeconds">Wall-clock seconds of the whole command. Range: ≥ 0.</param>
/// <param name="Results">The command's own results.</param>
public sealed record OutputEnvelope<T>(
    string Command,
    string Version,
    IReadOnlyDictionary<string, string> Settings,
    ulong? Seed,
    double WallSeconds,
    T Results);

/// <summary>Builds <see cref="OutputEnvelope{T}"/>s.</summary>
public static class OutputEnvelope
{
    /// <summary>Tandem's version as written in every envelope.</summary>
    public static string Version { get; } =
        typeof(OutputEnvelope).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { } v
            ? StripBuildMetadata(v)
            : typeof(OutputEnvelope).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Wrap <paramref name="results"/> of <paramref name="command"/>.</summary>
    /// <exception cref="ArgumentException">The command is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The wall time is negative or NaN.</exception>
    public static OutputEnvelope<T> Create<T>(string command, IReadOnlyDictionary<string, string>? settings, ulong? seed, double wallSeconds, T results)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        if (!(wallSeconds >= 0)) throw new ArgumentOutOfRangeException(nameof(wallSeconds), wallSeconds, "Wall time must be a non-negative number of seconds.");
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, value) in settings ?? new Dictionary<string, string>()) copy[k] = value;
        return new OutputEnvelope<T>(command, Version, copy, seed, wallSeconds, results);
    }

    // "0.1.0+<commit>" → "0.1.0": the commit is the manifest's business, and the envelope must not change per build.
    private static string StripBuildMetadata(string version)
    {
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
