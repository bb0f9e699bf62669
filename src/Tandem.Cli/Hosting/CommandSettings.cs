using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using Tandem.Reporting;

namespace Tandem.Cli.Hosting;

/// <summary>
/// What the output envelope records about an invocation (docs/outputs.md): the command's name ("libra",
/// "rmab plan") and every option of it with its value, given or default, as text. Output-only switches
/// (--json, --help) are left out; a value whose option name looks secret is written as *** (keys never come
/// from options, but a mistaken one must not be echoed).
/// </summary>
public static class CommandSettings
{
    /// <summary>The invoked command's path below the program, e.g. "libra ablation".</summary>
    public static string CommandName(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is CommandResult c && c.Parent is not null; r = c.Parent)
            names.Add(c.Command.Name);
        names.Reverse();
        return names.Count == 0 ? parse.RootCommandResult.Command.Name : string.Join(' ', names);
    }

    /// <summary>Every option of the invoked command with its value (defaults included), sorted by name.</summary>
    public static IReadOnlyDictionary<string, string> From(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // The invoked command's own options, and those its parents pass down (e.g. `libra`'s options under `libra ablation`).
        var options = new List<Option>(parse.CommandResult.Command.Options);
        for (SymbolResult? r = parse.CommandResult.Parent; r is CommandResult c; r = c.Parent)
            options.AddRange(c.Command.Options.Where(o => o.Recursive));
        foreach (Option option in options)
        {
            if (option is HelpOption || option.Name is "--json" or "--help") continue;
            OptionResult? result = parse.GetResult(option);
            if (result is null) continue;
            object? value;
            try { value = result.GetValueOrDefault<object?>(); }
            catch (InvalidOperationException) { continue; }
            if (Text(value) is not { } text) continue;
            settings[option.Name] = LooksSecret(option.Name) ? RunManifest.Redacted : text;
        }
        return settings;
    }

    private static bool LooksSecret(string name) =>
        name.Contains("key", StringComparison.OrdinalIgnoreCase) && !name.Contains("keys-", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase) && !name.Contains("tokens", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase) || name.Contains("password", StringComparison.OrdinalIgnoreCase);

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(Text).Where(t => t is not null)),
        _ => value.ToString(),
    };
}
