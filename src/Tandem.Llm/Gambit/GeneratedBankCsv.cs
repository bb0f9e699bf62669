using System.Globalization;
using CsvHelper;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;

namespace Tandem.Llm.Gambit;

/// <summary>
/// Writes a bank with its texts in the format <see cref="BankCsv.Load"/> reads: header
/// <c>prompt,context,&lt;dimension&gt;...,text</c>, one row per response, scores in round-trip form, RFC 4180 quoting
/// (CsvHelper); a message that starts like a spreadsheet formula is written with a leading <c>'</c> (CSV injection). The file is written to a temporary name and moved into place, so a failed write leaves no half bank.
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
        // A message that starts like a formula (=, +, -, @) gets a leading ' so a spreadsheet shows it as text.
        var options = new CsvWriterOptions { NewLine = "\n", Injection = CsvInjection.Escape };
        using var csv = CsvWriter.Create(writer, options, leaveOpen: true);
        csv.WriteField("prompt");
        csv.WriteField("context");
        foreach (string d in bank.Dimensions) csv.WriteField(d);
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
                    csv.WriteField(bank.Prompts[p]);
                    csv.WriteField(context.ToString());
                    foreach (double v in bank.Response(p, context, i)) csv.WriteField(v.ToString("R", CultureInfo.InvariantCulture));
                    csv.WriteField(bank.Text(p, context, i) ?? "");
                    csv.EndRecord();
                }
            }
        }
        csv.Flush();
    }
}
