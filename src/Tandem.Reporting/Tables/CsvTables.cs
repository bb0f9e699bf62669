using System.Globalization;
using CsvHelper;

namespace Tandem.Reporting;

/// <summary>
/// CSV files for per-step curves and result tables (CsvHelper): RFC 4180 quoting, LF line ends,
/// UTF-8 without a byte order mark, invariant culture. Doubles are written in the shortest text
/// that parses back to the same bits ("R"); NaN and ±∞ as <c>NaN</c>, <c>Infinity</c> and
/// <c>-Infinity</c>, which <see cref="double.Parse(string, IFormatProvider)"/> reads back with
/// the invariant culture. The folder is created if needed.
/// </summary>
public static class CsvTables
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        NewLine = "\n",
        FormatProvider = CultureInfo.InvariantCulture,
    };

    /// <summary>
    /// Writes columns side by side, such as one per-step curve per policy: row i holds the i-th
    /// value of every column. Columns may differ in length; a column that has no i-th value gets
    /// an empty field there.
    /// </summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="headers">One name per column.</param>
    /// <param name="columns">The columns, as many as <paramref name="headers"/>.</param>
    /// <exception cref="ArgumentException">The numbers of headers and columns differ, or there are none.</exception>
    public static void WriteColumns(string path, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<double>> columns)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ValidateHeaders(headers);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count != headers.Count)
        {
            throw new ArgumentException($"{columns.Count} columns for {headers.Count} headers; expected one column per header.", nameof(columns));
        }

        int rows = 0;
        for (int c = 0; c < columns.Count; c++)
        {
            IReadOnlyList<double> column = columns[c] ?? throw new ArgumentException($"columns[{c}] ('{headers[c]}') is null.", nameof(columns));
            rows = Math.Max(rows, column.Count);
        }

        OutputFolder.EnsureParent(path);
        using CsvWriter writer = CsvWriter.ToFile(path, Options);
        writer.WriteHeader(headers.ToArray());
        for (int r = 0; r < rows; r++)
        {
            foreach (IReadOnlyList<double> column in columns)
            {
                if (r < column.Count)
                {
                    writer.WriteField(column[r], "R");
                }
                else
                {
                    writer.WriteField(string.Empty);
                }
            }

            writer.EndRecord();
        }
    }

    /// <summary>
    /// Writes one record per row, such as a results table. Values are written as CsvHelper formats
    /// them with the invariant culture: null as an empty field, numbers in their shortest
    /// round-trip form, dates in ISO 8601, strings quoted when they need it.
    /// </summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="headers">The column names.</param>
    /// <param name="rows">The rows, each with one value per header.</param>
    /// <exception cref="ArgumentException">A row has a number of values other than the number of headers.</exception>
    public static void WriteRows(string path, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ValidateHeaders(headers);
        ArgumentNullException.ThrowIfNull(rows);

        OutputFolder.EnsureParent(path);
        using CsvWriter writer = CsvWriter.ToFile(path, Options);
        writer.WriteHeader(headers.ToArray());
        int index = 0;
        foreach (IReadOnlyList<object?> row in rows)
        {
            if (row is null || row.Count != headers.Count)
            {
                throw new ArgumentException($"rows[{index}] has {row?.Count.ToString(CultureInfo.InvariantCulture) ?? "no"} values; expected {headers.Count}, one per header.", nameof(rows));
            }

            foreach (object? value in row)
            {
                switch (value)
                {
                    case double d:
                        writer.WriteField(d, "R");
                        break;
                    case float f:
                        writer.WriteField(f, "R");
                        break;
                    case string text:
                        writer.WriteField(Defuse(text));
                        break;
                    default:
                        writer.WriteField(value);
                        break;
                }
            }

            writer.EndRecord();
            index++;
        }
    }

    /// <summary>
    /// A text cell that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage
    /// return) gets a leading apostrophe (OWASP's CSV-injection rule; issue 15, defect 13). Numbers are never
    /// touched, and a text that is a plain number ("-0.71") is left as it is: it cannot be a formula.
    /// </summary>
    public static string Defuse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text[0] is not ('=' or '+' or '-' or '@' or '\t' or '\r')) return text;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return text;
        return "'" + text;
    }

    private static void ValidateHeaders(IReadOnlyList<string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.Count == 0)
        {
            throw new ArgumentException("At least one header is required.", nameof(headers));
        }

        for (int i = 0; i < headers.Count; i++)
        {
            if (headers[i] is null)
            {
                throw new ArgumentException($"headers[{i}] is null.", nameof(headers));
            }
        }
    }
}
