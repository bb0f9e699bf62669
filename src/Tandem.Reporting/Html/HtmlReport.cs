using System.Globalization;
using System.Net;
using System.Text;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Tandem.Reporting;

/// <summary>
/// A standalone HTML report assembled from Markdown blocks and rendered with Markdig: headings,
/// paragraphs, numbered figures and tables, code. <see cref="ToHtml"/> gives one self-contained
/// page (embedded CSS, images referenced by relative path).
/// </summary>
/// <remarks>
/// Text given to <see cref="AddHeading"/>, <see cref="AddFigure"/>, <see cref="AddTable"/> and
/// <see cref="AddCode"/> is literal: Markdown punctuation, pipes and HTML in it are escaped.
/// <see cref="AddParagraph"/> takes Markdown; raw HTML in it is shown as text, not interpreted,
/// because the pipeline disables HTML. The generic-attributes extension (<c>{onclick=...}</c>) is
/// left out of the pipeline for the same reason.
/// </remarks>
public sealed class HtmlReport
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseGridTables()
        .UseFigures()
        .UseEmphasisExtras()
        .UseAutoIdentifiers()
        .UseAutoLinks()
        .UseFootnotes()
        .UseListExtras()
        .UseTaskLists()
        .UseMathematics()
        .UseAbbreviations()
        .UseDefinitionLists()
        .DisableHtml()
        .Build();

    private const string Style = """
        :root { color-scheme: light; }
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
               line-height: 1.55; color: #1a1a1a; background: #fff; margin: 0; }
        main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
        h1, h2, h3 { line-height: 1.25; margin-top: 2rem; }
        h1 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
        table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .95rem; }
        th, td { border: 1px solid #c8c8c8; padding: .3rem .65rem; vertical-align: top; }
        th { background: #f2f2f2; }
        tbody tr:nth-child(even) { background: #fafafa; }
        td[style*="right"], th[style*="right"] { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 1.5rem 0; text-align: center; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: .95rem; color: #333; margin-top: .4rem; }
        pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: .75rem 1rem; overflow-x: auto; font-size: .88rem; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
        """;

    private readonly StringBuilder _markdown = new();
    private int _figures;
    private int _tables;

    /// <summary>Starts a report whose page title and top heading are <paramref name="title"/>.</summary>
    /// <param name="title">The title, literal text.</param>
    public HtmlReport(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        Title = title;
        AddHeading(title, 1);
    }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>Adds a heading.</summary>
    /// <param name="text">Literal text; line breaks become spaces.</param>
    /// <param name="level">Heading level. Range: 1 ≤ level ≤ 6.</param>
    /// <returns>This report, for chaining.</returns>
    public HtmlReport AddHeading(string text, int level = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 6);
        return AppendBlock(new string('#', level) + " " + EscapeInline(text));
    }

    /// <summary>Adds a paragraph (or several, or a list) of Markdown; raw HTML in it is shown as text.</summary>
    /// <param name="markdown">Markdown text.</param>
    /// <returns>This report, for chaining.</returns>
    public HtmlReport AddParagraph(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return AppendBlock(markdown.Trim());
    }

    /// <summary>Adds a numbered figure ("Figure n. caption") showing an image file.</summary>
    /// <param name="relativeImagePath">The image path relative to the saved HTML file, such as <c>figures/regret.png</c>.</param>
    /// <param name="caption">Literal caption text, also used as the image's alternative text.</param>
    /// <returns>This report, for chaining.</returns>
    public HtmlReport AddFigure(string relativeImagePath, string caption)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativeImagePath);
        ArgumentNullException.ThrowIfNull(caption);
        _figures++;
        string url = relativeImagePath.Replace('\\', '/')
            .Replace("<", "%3C", StringComparison.Ordinal)
            .Replace(">", "%3E", StringComparison.Ordinal)
            .Replace("\n", string.Empty, StringComparison.Ordinal)
            .Replace("\r", string.Empty, StringComparison.Ordinal);
        string text = EscapeInline(caption);
        string number = string.Create(CultureInfo.InvariantCulture, $"Figure {_figures}.");
        return AppendBlock($"^^^\n![{text}](<{url}>)\n^^^ **{number}** {text}");
    }

    /// <summary>
    /// Adds a numbered table ("Table n. caption" above it when a caption is given). Columns whose
    /// cells all read as numbers (invariant culture, optionally ending in %) are right-aligned.
    /// </summary>
    /// <param name="headers">Literal column names.</param>
    /// <param name="rows">Literal cells; a short row is padded with empty cells.</param>
    /// <param name="caption">Literal caption, or null for none.</param>
    /// <returns>This report, for chaining.</returns>
    /// <exception cref="ArgumentException">There are no headers, or a row has more cells than headers.</exception>
    public HtmlReport AddTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        if (headers.Count == 0)
        {
            throw new ArgumentException("A table needs at least one header.", nameof(headers));
        }

        var cells = new List<string[]>();
        foreach (IReadOnlyList<string> row in rows)
        {
            if (row is null || row.Count > headers.Count)
            {
                throw new ArgumentException($"rows[{cells.Count}] has {row?.Count ?? 0} cells; at most {headers.Count} (one per header) are allowed.", nameof(rows));
            }

            cells.Add(Enumerable.Range(0, headers.Count).Select(c => c < row.Count ? row[c] ?? string.Empty : string.Empty).ToArray());
        }

        var table = new StringBuilder();
        _tables++;
        if (caption is not null)
        {
            string number = string.Create(CultureInfo.InvariantCulture, $"Table {_tables}.");
            table.Append("**").Append(number).Append("** ").Append(EscapeInline(caption)).Append("\n\n");
        }

        table.Append('|');
        foreach (string header in headers)
        {
            table.Append(' ').Append(EscapeInline(header ?? string.Empty)).Append(" |");
        }

        table.Append("\n|");
        for (int c = 0; c < headers.Count; c++)
        {
            bool numeric = cells.Count > 0 && cells.All(row => IsNumber(row[c])) && cells.Any(row => row[c].Length > 0);
            table.Append(numeric ? " ---: |" : " --- |");
        }

        foreach (string[] row in cells)
        {
            table.Append("\n|");
            foreach (string cell in row)
            {
                table.Append(' ').Append(EscapeInline(cell)).Append(" |");
            }
        }

        return AppendBlock(table.ToString());
    }

    /// <summary>Adds a block of preformatted text, such as a command line or a log excerpt.</summary>
    /// <param name="text">Literal text.</param>
    /// <returns>This report, for chaining.</returns>
    public HtmlReport AddCode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        // A fence longer than any backtick run in the text cannot be closed by it.
        int longest = 0;
        int run = 0;
        foreach (char ch in text)
        {
            run = ch == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        string fence = new('`', Math.Max(3, longest + 1));
        return AppendBlock($"{fence}text\n{text.TrimEnd('\r', '\n')}\n{fence}");
    }

    /// <summary>The Markdown source of the report body.</summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown() => _markdown.ToString();

    /// <summary>The complete page: doctype, title, embedded CSS and the rendered body.</summary>
    /// <returns>The HTML text.</returns>
    public string ToHtml()
    {
        MarkdownDocument document = Markdown.Parse(_markdown.ToString(), Pipeline);
        Neutralize(document);
        string body = document.ToHtml(Pipeline);
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="Tandem.Reporting">
            <title>{WebUtility.HtmlEncode(Title)}</title>
            <style>
            {Style}
            </style>
            </head>
            <body>
            <main>
            {body.TrimEnd()}
            </main>
            </body>
            </html>

            """;
    }

    /// <summary>Writes <see cref="ToHtml"/> as UTF-8 without a byte order mark, creating the folder.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        OutputFolder.EnsureParent(path);
        File.WriteAllText(path, ToHtml(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    /// <summary>
    /// A report must not phone home or run code when opened (issue 15, defect 4): links keep only http(s),
    /// mailto and in-page or relative targets; images keep only relative paths (the report's own figures),
    /// never a remote address, a data: URL or a script scheme. Anything else keeps its text and loses its target.
    /// </summary>
    private static void Neutralize(MarkdownDocument document)
    {
        foreach (LinkInline link in document.Descendants<LinkInline>().ToArray())
        {
            bool allowed = link.IsImage ? IsRelative(link.Url) : IsSafeLink(link.Url);
            if (allowed) continue;
            if (link.IsImage)
            {
                var text = new LiteralInline("[image removed: " + (link.FirstChild is LiteralInline l ? l.Content.ToString() : "untrusted address") + "]");
                link.ReplaceBy(text);
            }
            else
            {
                link.Url = "";
                link.Title = null;
            }
        }
        foreach (AutolinkInline auto in document.Descendants<AutolinkInline>().ToArray())
        {
            if (!auto.IsEmail && !IsSafeLink(auto.Url)) auto.ReplaceBy(new LiteralInline(auto.Url));
        }
    }

    private static bool IsRelative(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return false;
        string u = url.Trim();
        if (u.StartsWith("//", StringComparison.Ordinal) || u.StartsWith('\\')) return false;
        int colon = u.IndexOf(':');
        int slash = u.IndexOfAny(['/', '?', '#']);
        return colon < 0 || (slash >= 0 && slash < colon);
    }

    private static bool IsSafeLink(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        string u = url.Trim();
        if (IsRelative(u)) return true;
        return u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase);
    }

    private HtmlReport AppendBlock(string markdown)
    {
        _markdown.Append(markdown).Append("\n\n");
        return this;
    }

    /// <summary>
    /// Literal text as one line of inline Markdown: every ASCII punctuation character is
    /// backslash-escaped (CommonMark allows it for all of them), so no emphasis, link, pipe,
    /// entity or HTML can start; line breaks become spaces.
    /// </summary>
    internal static string EscapeInline(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (char ch in text)
        {
            if (ch is '\r' or '\n')
            {
                escaped.Append(' ');
            }
            else if (char.IsAsciiLetterOrDigit(ch) || !char.IsAscii(ch) || ch is ' ' or '\t')
            {
                escaped.Append(ch);
            }
            else if (char.IsControl(ch))
            {
                escaped.Append(' ');
            }
            else
            {
                escaped.Append('\\').Append(ch);
            }
        }

        return escaped.ToString().Trim();
    }

    private static bool IsNumber(string cell)
    {
        string text = cell.Trim();
        if (text.Length == 0)
        {
            return true;
        }

        if (text.EndsWith('%'))
        {
            text = text[..^1];
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }
}
