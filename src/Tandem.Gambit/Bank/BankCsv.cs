using System.Globalization;
using System.Text;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Bank;

/// <summary>A bank file that cannot be used; the message names the file and, where it applies, the row and column.</summary>
public sealed class BankFormatException(string message) : FormatException(message);

/// <summary>
/// Loads a real response bank from CSV. Header: <c>prompt,context[,context:&lt;term&gt;...],&lt;dimension&gt;...[,text]</c>;
/// one row per response; every column except the context ones and an optional last <c>text</c> column is a numeric
/// style score (RFC 4180 quoting). The context column names the context space (docs/gambitts-contexts.md):
/// <list type="bullet">
/// <item>the paper's space (<see cref="ContextSpace.Paper"/>) when every context is <c>home|work|other:1..4</c> or an
/// index 0–11 and there are no term columns;</item>
/// <item>otherwise a space of the file's own contexts, in the order they first appear, none of which may be a
/// paper name or an integer; optional <c>context:&lt;term&gt;</c> columns give each context's terms (the values the
/// reward models read with context terms on), the same on every row of a context.</item>
/// </list>
/// Every prompt must have at least one response in each context of the space.
/// </summary>
public static class BankCsv
{
    private const string TermPrefix = "context:";

    /// <summary>Read <paramref name="path"/>; throws <see cref="BankFormatException"/> (file, row, column) on bad content
    /// and <see cref="FileNotFoundException"/> when the file is missing.</summary>
    public static ResponseBank Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        string name = Path.GetFileName(path);
        using var reader = new StreamReader(path);
        return Parse(reader, name);
    }

    /// <summary>Parse CSV text; <paramref name="name"/> is used in error messages.</summary>
    public static ResponseBank Parse(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        List<string>? header = ReadRecord(reader, name, 1);
        if (header is null) throw new BankFormatException($"{name}: the file is empty; expected a header 'prompt,context,<style dimensions...>[,text]'.");
        if (header.Count < 3 || !header[0].Trim().Equals("prompt", StringComparison.OrdinalIgnoreCase) || !header[1].Trim().Equals("context", StringComparison.OrdinalIgnoreCase))
            throw new BankFormatException($"{name} row 1: the header must start with 'prompt,context' followed by at least one style dimension.");
        int termColumns = 0;
        while (2 + termColumns < header.Count && header[2 + termColumns].Trim().StartsWith(TermPrefix, StringComparison.OrdinalIgnoreCase)) termColumns++;
        string[] termNames = header.Skip(2).Take(termColumns).Select(h => h.Trim()[TermPrefix.Length..].Trim()).ToArray();
        if (termNames.FirstOrDefault(t => t.Length == 0) is not null) throw new BankFormatException($"{name} row 1: a '{TermPrefix}' column has no term name.");
        bool hasText = header[^1].Trim().Equals("text", StringComparison.OrdinalIgnoreCase);
        int first = 2 + termColumns;
        string[] dims = header.Skip(first).Take(header.Count - first - (hasText ? 1 : 0)).Select(h => h.Trim()).ToArray();
        if (dims.Length == 0) throw new BankFormatException($"{name} row 1: no style dimension columns.");
        var duplicate = dims.Concat(termNames.Select(t => TermPrefix + t)).GroupBy(x => x, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new BankFormatException($"{name} row 1: column '{duplicate.Key}' appears twice.");

        var promptIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase); // context as written -> key id, first appearance
        var keyNames = new List<string>();
        var keyRows = new List<int>();
        var keyTerms = new List<double[]>();
        var rows = new List<(int Prompt, int Key)>();
        var values = new List<double>();
        var texts = new List<string?>();
        int row = 1;
        while (true)
        {
            row++;
            List<string>? record = ReadRecord(reader, name, row);
            if (record is null) break;
            if (record.Count == 1 && record[0].Length == 0) continue; // blank line
            if (record.Count != header.Count) throw new BankFormatException($"{name} row {row}: {record.Count} columns; the header has {header.Count}.");
            string prompt = record[0].Trim();
            if (prompt.Length == 0) throw new BankFormatException($"{name} row {row}: the prompt is empty.");
            string contextName = record[1].Trim();
            if (contextName.Length == 0) throw new BankFormatException($"{name} row {row}: the context is empty.");
            var terms = new double[termColumns];
            for (int j = 0; j < termColumns; j++) terms[j] = Number(record[2 + j], name, row, header[2 + j].Trim());
            if (!keys.TryGetValue(contextName, out int key))
            {
                key = keys.Count;
                keys[contextName] = key;
                keyNames.Add(contextName);
                keyRows.Add(row);
                keyTerms.Add(terms);
            }
            else
            {
                for (int j = 0; j < termColumns; j++)
                    if (terms[j].CompareTo(keyTerms[key][j]) != 0)
                        throw new BankFormatException($"{name} row {row}: context '{contextName}' has {TermPrefix}{termNames[j]} = {F(terms[j])}, but {F(keyTerms[key][j])} on row {keyRows[key]}; a context's terms must be the same on every row.");
            }
            if (!promptIndex.TryGetValue(prompt, out int p))
            {
                p = promptIndex.Count;
                promptIndex[prompt] = p;
            }
            rows.Add((p, key));
            for (int j = 0; j < dims.Length; j++) values.Add(Number(record[first + j], name, row, dims[j]));
            texts.Add(hasText ? record[^1] : null);
        }
        if (promptIndex.Count == 0) throw new BankFormatException($"{name}: no responses after the header.");
        (ContextSpace space, int[] keyToContext) = Space(name, termNames, keyNames, keyRows, keyTerms);

        string[] prompts = promptIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        int x = space.Count;
        var scoreLists = new List<double>[prompts.Length * x];
        var textLists = new List<string?>[scoreLists.Length];
        for (int i = 0; i < scoreLists.Length; i++) { scoreLists[i] = []; textLists[i] = []; }
        for (int r = 0; r < rows.Count; r++)
        {
            int cell = rows[r].Prompt * x + keyToContext[rows[r].Key];
            for (int j = 0; j < dims.Length; j++) scoreLists[cell].Add(values[r * dims.Length + j]);
            textLists[cell].Add(texts[r]);
        }
        var cells = new double[scoreLists.Length][];
        var cellTexts = hasText ? new string?[cells.Length][] : null;
        for (int p = 0; p < prompts.Length; p++)
        {
            for (int c = 0; c < x; c++)
            {
                int cell = p * x + c;
                if (scoreLists[cell].Count == 0)
                    throw new BankFormatException($"{name}: prompt '{prompts[p]}' has no responses in context {space.Name(c)}; every prompt needs all {x} contexts.");
                cells[cell] = scoreLists[cell].ToArray();
                if (cellTexts is not null) cellTexts[cell] = textLists[cell].ToArray();
            }
        }
        return new ResponseBank(prompts, dims, cells, cellTexts, space);
    }

    // The paper's space when every context is a paper context and no terms are declared; else the file's own.
    private static (ContextSpace Space, int[] KeyToContext) Space(string name, string[] termNames, List<string> keyNames, List<int> keyRows, List<double[]> keyTerms)
    {
        var paper = new int[keyNames.Count];
        int firstForeign = -1;
        for (int k = 0; k < keyNames.Count; k++)
        {
            if (ContextSpace.Paper.TryParse(keyNames[k], out GambitContext context)) paper[k] = context.Index;
            else if (firstForeign < 0) firstForeign = k;
        }
        if (termNames.Length == 0 && firstForeign < 0) return (ContextSpace.Paper, paper);
        int firstPaper = Enumerable.Range(0, keyNames.Count).FirstOrDefault(k => k != firstForeign && ContextSpace.Paper.TryParse(keyNames[k], out _), -1);
        if (termNames.Length == 0 && firstPaper >= 0)
            throw new BankFormatException($"{name} row {keyRows[firstForeign]}: context '{keyNames[firstForeign]}' is not home|work|other:1..4 or an index 0..11, " +
                $"while row {keyRows[firstPaper]} names the paper's context '{keyNames[firstPaper]}'; a bank with its own contexts names none of the paper's (docs/gambitts-contexts.md).");
        if (termNames.Length > 0 && firstForeign < 0)
        {
            // The paper's contexts with terms: the paper's space when the terms are the paper's.
            bool same = termNames.SequenceEqual(ContextSpace.Paper.TermNames, StringComparer.OrdinalIgnoreCase)
                && Enumerable.Range(0, keyNames.Count).All(k => keyTerms[k].AsSpan().SequenceEqual(ContextSpace.Paper.Terms(paper[k])));
            if (same && keyNames.Count == ContextSpace.Paper.Count) return (ContextSpace.Paper, paper);
        }
        int integer = keyNames.FindIndex(n => int.TryParse(n, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        if (integer >= 0)
            throw new BankFormatException($"{name} row {keyRows[integer]}: context '{keyNames[integer]}' is an index, but this bank declares its own contexts, which are named, not numbered.");
        try
        {
            var space = new ContextSpace(keyNames, termNames, keyTerms.Select(t => (IReadOnlyList<double>)t).ToArray());
            return (space, Enumerable.Range(0, keyNames.Count).ToArray());
        }
        catch (ArgumentException ex)
        {
            throw new BankFormatException($"{name}: the file's context space is invalid: {ex.Message}");
        }
    }

    private static double Number(string text, string name, int row, string column)
    {
        string cell = text.Trim();
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new BankFormatException($"{name} row {row}: column '{column}' value '{cell}' is not a finite number.");
        if (Math.Abs(v) > MaxMagnitude)
            throw new BankFormatException($"{name} row {row}: column '{column}' value '{cell}' lies outside [-{MaxMagnitude:0e0}, {MaxMagnitude:0e0}]; style scores that large would overflow the agents' posteriors (rescale the bank).");
        return v;
    }

    /// <summary>The largest |value| a bank may hold (style scores are ratings, embeddings' probes or standardised
    /// values, all far below it): 10⁶, so sums of squares over 10⁶ responses stay far from overflow (issue 15, defect 19).</summary>
    public const double MaxMagnitude = 1e6;

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // One RFC 4180 record (quoted fields may hold commas, quotes as "" and newlines); null at end of input.
    private static List<string>? ReadRecord(TextReader reader, string name, int row)
    {
        int ch = reader.Read();
        if (ch < 0) return null;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, wasQuoted = false;
        while (true)
        {
            if (ch < 0)
            {
                if (quoted) throw new BankFormatException($"{name} row {row}: a quoted field is not closed.");
                fields.Add(field.ToString());
                return fields;
            }
            char c = (char)ch;
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"') { field.Append('"'); reader.Read(); }
                    else quoted = false;
                }
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0 && !wasQuoted) { quoted = true; wasQuoted = true; }
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; }
            else if (c == '\r') { /* skip; \n ends the record */ }
            else if (c == '\n') { fields.Add(field.ToString()); return fields; }
            else field.Append(c);
            ch = reader.Read();
        }
    }

    /// <summary>Write a bank in the format <see cref="Load"/> reads (used to export the synthetic bank). A space other
    /// than the paper's is written with its <c>context:&lt;term&gt;</c> columns; one without terms reads back as the
    /// same space unless its names are all the paper's.</summary>
    public static void Write(ResponseBank bank, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(writer);
        ContextSpace space = bank.Contexts;
        bool terms = !space.IsPaper;
        writer.Write("prompt,context");
        if (terms) foreach (string t in space.TermNames) writer.Write("," + Quote(TermPrefix + t));
        foreach (string d in bank.Dimensions) writer.Write("," + Quote(d));
        writer.WriteLine();
        for (int p = 0; p < bank.PromptCount; p++)
        {
            for (int c = 0; c < space.Count; c++)
            {
                GambitContext ctx = space[c];
                string prefix = Quote(bank.Prompts[p]) + "," + Quote(ctx.ToString());
                if (terms) foreach (double t in ctx.Terms) prefix += "," + F(t);
                int n = bank.ResponseCount(p, ctx);
                for (int i = 0; i < n; i++)
                {
                    writer.Write(prefix);
                    foreach (double v in bank.Response(p, ctx, i)) writer.Write("," + v.ToString("R", CultureInfo.InvariantCulture));
                    writer.WriteLine();
                }
            }
        }
    }

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
