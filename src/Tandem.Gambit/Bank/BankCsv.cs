using System.Globalization;
using System.Text;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Bank;

/// <summary>A bank file that cannot be used; the message names the file and, where it applies, the row and column.</summary>
public sealed class BankFormatException(string message) : FormatException(message);

/// <summary>
/// Loads a real response bank from CSV. Header: <c>prompt,context,&lt;dimension&gt;...[,text]</c>; one row per
/// response; context is <c>home|work|other:1..4</c> or an index 0–11; every other column except an optional
/// last <c>text</c> column is a numeric style score (RFC 4180 quoting). Every prompt must have at least one
/// response in each of the 12 contexts.
/// </summary>
public static class BankCsv
{
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
        bool hasText = header[^1].Trim().Equals("text", StringComparison.OrdinalIgnoreCase);
        string[] dims = header.Skip(2).Take(header.Count - 2 - (hasText ? 1 : 0)).Select(h => h.Trim()).ToArray();
        if (dims.Length == 0) throw new BankFormatException($"{name} row 1: no style dimension columns.");
        var duplicate = dims.GroupBy(x => x, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new BankFormatException($"{name} row 1: style dimension '{duplicate.Key}' appears twice.");

        var promptIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var scores = new List<List<double>[]>();
        var texts = new List<List<string?>[]>();
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
            if (!GambitContext.TryParse(record[1], out GambitContext context))
                throw new BankFormatException($"{name} row {row}: context '{record[1]}' is not home|work|other:1..4 or an index 0..11.");
            if (!promptIndex.TryGetValue(prompt, out int p))
            {
                p = promptIndex.Count;
                promptIndex[prompt] = p;
                scores.Add(Enumerable.Range(0, GambitContext.Count).Select(_ => new List<double>()).ToArray());
                texts.Add(Enumerable.Range(0, GambitContext.Count).Select(_ => new List<string?>()).ToArray());
            }
            for (int j = 0; j < dims.Length; j++)
            {
                string cell = record[2 + j].Trim();
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    throw new BankFormatException($"{name} row {row}: column '{dims[j]}' value '{cell}' is not a finite number.");
                scores[p][context.Index].Add(v);
            }
            texts[p][context.Index].Add(hasText ? record[^1] : null);
        }
        if (promptIndex.Count == 0) throw new BankFormatException($"{name}: no responses after the header.");
        string[] prompts = promptIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var cells = new double[prompts.Length * GambitContext.Count][];
        var cellTexts = hasText ? new string?[cells.Length][] : null;
        for (int p = 0; p < prompts.Length; p++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                if (scores[p][c].Count == 0)
                    throw new BankFormatException($"{name}: prompt '{prompts[p]}' has no responses in context {new GambitContext(c)}; every prompt needs all 12 contexts.");
                cells[p * GambitContext.Count + c] = scores[p][c].ToArray();
                if (cellTexts is not null) cellTexts[p * GambitContext.Count + c] = texts[p][c].ToArray();
            }
        }
        return new ResponseBank(prompts, dims, cells, cellTexts);
    }

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

    /// <summary>Write a bank in the format <see cref="Load"/> reads (used to export the synthetic bank).</summary>
    public static void Write(ResponseBank bank, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("prompt,context");
        foreach (string d in bank.Dimensions) writer.Write("," + Quote(d));
        writer.WriteLine();
        for (int p = 0; p < bank.PromptCount; p++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                var ctx = new GambitContext(c);
                int n = bank.ResponseCount(p, ctx);
                for (int i = 0; i < n; i++)
                {
                    writer.Write(Quote(bank.Prompts[p]) + "," + ctx);
                    foreach (double v in bank.Response(p, ctx, i)) writer.Write("," + v.ToString("R", CultureInfo.InvariantCulture));
                    writer.WriteLine();
                }
            }
        }
    }

    private static string Quote(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
