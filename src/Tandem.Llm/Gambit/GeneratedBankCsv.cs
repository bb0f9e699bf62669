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
/// embeddings encoder gives them) reads back as written (issue 15, defect 8). The file is written to a new temporary file in its folder and renamed into place, so a failed write leaves no half bank.
/// </summary>
public static class GeneratedBankCsv
{
    /// <summary>Write <paramref name="bank"/> to <paramref name="path"/> (creating its folder). The rows go to a new
    /// temporary file in the same folder, created exclusively (<see cref="CreateExclusive"/>: a planted file or symlink
    /// there is never opened, issue 15 defect 17), which is then renamed over <paramref name="path"/>.</summary>
    public static void Write(ResponseBank bank, string path)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        bool created = false;
        try
        {
            using (FileStream stream = CreateExclusive(temporary))
            {
                created = true;
                using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                Write(bank, writer);
            }
            // rename(2) replaces the name: a symlink at the target is replaced, never followed.
            File.Move(temporary, full, overwrite: true);
            created = false;
        }
        finally
        {
            if (created) File.Delete(temporary);
        }
    }

    /// <summary>Create <paramref name="path"/> for writing only if nothing exists under that name (O_CREAT | O_EXCL):
    /// an existing file, folder or symlink (even a dangling one) is an <see cref="IOException"/>, and no link is followed.</summary>
    internal static FileStream CreateExclusive(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.None });

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
