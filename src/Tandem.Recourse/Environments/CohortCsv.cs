using System.Globalization;
using CsvHelper;

namespace Tandem.Recourse.Environments;

/// <summary>
/// Reads a cohort CSV (a header row, then one row per patient) in one streaming pass with CsvHelper's parser: the
/// treatment column may hold any text (its distinct values are the arms), every other column must be numeric. Every
/// problem is a <see cref="FormatException"/> of one line naming the file, and the row and column where there is one.
/// </summary>
public static class CohortCsv
{
    /// <summary>Read <paramref name="path"/> as a cohort for <paramref name="options"/> (validated first).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">Malformed or unusable data (names file, row and column).</exception>
    public static CohortData Read(string path, CohortOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"Cohort file not found at '{path}'.", path);
        var csv = CsvReaderOptions.Default with
        {
            Separator = ',',
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Throw,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        try
        {
            using CsvReader reader = CsvReader.FromFile(path, csv);
            return Read(reader, path, options);
        }
        catch (CsvFormatException ex)
        {
            throw new FormatException($"{path}: row {(ex.LineNumber > 0 ? ex.LineNumber : ex.RecordNumber)}: not valid CSV ({FirstLine(ex.Message)}).");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new FormatException($"{path}: cannot be read ({FirstLine(ex.Message)})");
        }
    }

    /// <summary>Build the environment of <paramref name="path"/> (named "csv").</summary>
    public static CohortScenario Load(string path, CohortOptions options) =>
        new("csv", Read(path, options), options, advisor: SimulatedAdvisor);

    /// <summary>The default advisor of a cohort: the simulated one at q = 0.4, the quality Appendix D sets (a setting
    /// of the study, not a result).</summary>
    public const string SimulatedAdvisor = "simulated:q=0.4";

    private static CohortData Read(CsvReader reader, string path, CohortOptions options)
    {
        reader.ReadHeader();
        string[] header = reader.Headers.Select(h => h.Trim()).ToArray();
        if (header.Length == 0 || header.All(h => h.Length == 0)) throw new FormatException($"{path}: empty file.");
        for (int c = 0; c < header.Length; c++)
        {
            if (header[c].Length == 0) throw new FormatException($"{path}: row 1 (header), column {c + 1}: empty column name.");
            if (header.Take(c).Contains(header[c], StringComparer.Ordinal)) throw new FormatException($"{path}: row 1 (header), column {header[c]}: appears twice.");
        }
        int Column(string name, string role)
        {
            int c = Array.IndexOf(header, name.Trim());
            return c >= 0 ? c : throw new FormatException($"{path}: row 1 (header): {role} column '{name}' not found; columns: {string.Join(", ", header)}.");
        }
        int treatment = Column(options.Treatment, "treatment");
        int outcome = Column(options.Outcome, "outcome");
        foreach (string m in options.Mutable) Column(m, "mutable");
        foreach (string b in options.Bounds.Keys) Column(b, "bounded");
        int[] features = Enumerable.Range(0, header.Length).Where(c => c != treatment && c != outcome).ToArray();
        if (features.Length == 0) throw new FormatException($"{path}: no feature columns besides treatment and outcome.");

        var rows = new List<double[]>();
        var labels = new List<string>();
        var outcomes = new List<double>();
        while (reader.Read())
        {
            long row = reader.LineNumber;
            if (reader.FieldCount != header.Length) throw new FormatException($"{path}: row {row}: {reader.FieldCount} fields, the header has {header.Length}.");
            string label = reader.GetString(treatment).Trim();
            if (label.Length == 0) throw new FormatException($"{path}: row {row}, column {header[treatment]}: empty treatment.");
            var values = new double[features.Length];
            for (int j = 0; j < features.Length; j++) values[j] = Number(reader, features[j], path, row, header[features[j]]);
            labels.Add(label);
            outcomes.Add(Number(reader, outcome, path, row, header[outcome]));
            rows.Add(values);
        }
        if (rows.Count == 0) throw new FormatException($"{path}: no rows after the header.");
        (IReadOnlyList<string> names, int[] arms) = CohortData.Levels(path, header[treatment], labels);
        return new CohortData(path, features.Select(c => header[c]).ToArray(), rows.ToArray(), names, arms, outcomes.ToArray());
    }

    private static double Number(CsvReader reader, int column, string path, long row, string name)
    {
        if (reader.TryParse(column, out double v) && double.IsFinite(v)) return v;
        string text = reader.GetString(column).Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v)) return v;
        throw new FormatException($"{path}: row {row}, column {name}: '{(text.Length <= 60 ? text : text[..57] + "...")}' is not a number.");
    }

    private static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        return (newline >= 0 ? message[..newline] : message).Trim();
    }
}
