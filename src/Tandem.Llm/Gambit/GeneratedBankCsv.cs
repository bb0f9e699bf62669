using System.Globalization;
using CsvHelper;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;

namespace Tandem.Llm.Gambit;

/// <summary>
/// Writes a bank with its texts in the format <see cref="BankCsv.Load"/> reads: header
/// <c>prompt,context,&lt;dimension&gt;...,text</c>, one row per response, scores in round-trip form, RFC 4180 quoting
/// (CsvHelper); a text cell (prompt, context, dimension name, message) that starts like a spreadsheet formula is written
/// with a leading <c>'</c> (CSV injection). Score cells are numbers and are never escaped, so a negative score (the
/// embeddings encoder gives them) reads back as written (issue 15, defect 8). The file is written to a temporary name and moved into place, so a failed write leaves no half bank.
/// </summary>
public static class GeneratedBankCsv
{
    /// <summary>Write <paramref name="bank"/> to <paramref name="path"/> (creating its folder).</summary>
    public static void Write(ResponseBank bank, string path)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var writer = new StreamWriter(temporary, append: false, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
                Write(bank, writer);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Write <paramref name="bank"/> to <paramref name="writer"/>.</summary>
    public static void Write(ResponseBank bank, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(writer);
        // Escaping is ours, per cell (Text), because CsvHelper's applies to every cell, numbers included.
        var options = new CsvWriterOptions { NewLine = "\n", Injection = CsvInjection.None };
        using var csv = CsvWriter.Create(writer, options, leaveOpen: true);
        csv.WriteField("prompt");
        csv.WriteField("context");
        foreach (string d in bank.Dimensions) csv.WriteField(Text(d));
        csv.WriteField("text");
        csv.EndRecord();
        for (int p = 0; p < bank.PromptCount; p++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                var context = new GambitContext(c);
                int n = bank.ResponseCount(p, context);
                for (int i = 0; i < n; i++)
                {
                    csv.WriteField(Text(bank.Prompts[p]));
                    csv.WriteField(context.ToString());
                    foreach (double v in bank.Response(p, context, i)) csv.WriteField(v.ToString("R", CultureInfo.InvariantCulture));
                    csv.WriteField(Text(bank.Text(p, context, i) ?? ""));
                    csv.EndRecord();
                }
            }
        }
        csv.Flush();
    }

    /// <summary>A text cell as a spreadsheet must show it: one that starts like a formula (<c>= + - @</c>, tab or
    /// carriage return, also after an opening quote) gets a leading <c>'</c>.</summary>
    internal static string Text(string value)
    {
        int first = value.Length > 0 && value[0] == '"' ? 1 : 0;
        return value.Length > first && value[first] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
    }
}
