using System.Text;

namespace Tandem.Cli.Console;

/// <summary>Text from outside (model ids and answers, ids from input files, server messages) made safe to
/// print on a terminal: control characters (C0 other than tab, DEL, C1, and so every escape sequence) and
/// bidirectional overrides are replaced by '?', so nothing printed can move the cursor, retitle the window
/// or hide text (issue 15, defect 16).</summary>
public static class ConsoleText
{
    /// <summary>The text with every control character replaced; at most <paramref name="maxLength"/> characters (then "…").</summary>
    public static string Safe(string? text, int maxLength = 2000)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var builder = new StringBuilder(Math.Min(text.Length, maxLength + 1));
        foreach (char c in text)
        {
            if (builder.Length >= maxLength)
            {
                builder.Append('…');
                break;
            }
            bool bidi = c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
            builder.Append((char.IsControl(c) && c != '\t') || bidi ? '?' : c);
        }
        return builder.ToString();
    }
}
