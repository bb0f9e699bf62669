using System.Globalization;
using CsvHelper;
using System.Text.Json;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Programme;

/// <summary>One arm of a Whittle arms file (`tandem rmab whittle --arms`).</summary>
public sealed record WhittleArm(string Id, ArmDynamics Dynamics, double Reward0, double Reward1);

/// <summary>One row of a beneficiary file (`tandem rmab plan --arms`): id, current state, features (43, seed 001 Appendix B) and transitions.</summary>
/// <param name="Id">The beneficiary's id (trimmed).</param>
/// <param name="State">Current state: 1 engaged, 0 not.</param>
/// <param name="Features">The 43 features (0 where the file has no column).</param>
/// <param name="Dynamics">P(next engaged | state, action).</param>
/// <param name="Extra">The texts of the file's extra columns (<see cref="BeneficiaryFile.ExtraColumns"/>), in their order;
/// null or empty when there are none.</param>
public sealed record BeneficiaryRow(string Id, byte State, double[] Features, ArmDynamics Dynamics, IReadOnlyList<string>? Extra = null);

/// <summary>The beneficiaries of a file and the feature columns it had (features it lacks read as 0).</summary>
/// <param name="Rows">The beneficiaries in file order.</param>
/// <param name="FeatureColumns">Feature indices the file had columns for, ascending.</param>
/// <param name="ExtraColumns">Names of the columns that are neither id, state, transitions nor features, in file order
/// (carried into plan.csv); null: none.</param>
public sealed record BeneficiaryFile(IReadOnlyList<BeneficiaryRow> Rows, IReadOnlyList<int> FeatureColumns, IReadOnlyList<string>? ExtraColumns = null)
{
    /// <summary><see cref="ExtraColumns"/>, or empty.</summary>
    public IReadOnlyList<string> Extras => ExtraColumns ?? [];
}

/// <summary>Reads the arm files of `tandem rmab`; every problem is a <see cref="FormatException"/> of one line naming the file,
/// row and field.</summary>
public static class ArmFiles
{
    /// <summary>The most arms (rows) a file may hold: the toolkit's planning range (ARCHITECTURE: N up to 10^5).</summary>
    public const int MaxArms = 100_000;

    /// <summary>Transition columns of a beneficiary file: P(next = engaged | state, action).</summary>
    public static IReadOnlyList<string> TransitionColumns { get; } = ["p01_passive", "p11_passive", "p01_active", "p11_active"];

    /// <summary>Read `[{"id": "...", "transitions": [[[..],[..]],[[..],[..]]], "reward": [r0, r1]}, ...]`.</summary>
    public static IReadOnlyList<WhittleArm> ReadWhittleJson(string path)
    {
        string text = ReadText(path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException ex) { throw new FormatException($"{path}: not valid JSON ({ex.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException($"{path}: expected a JSON array of arms.");
            var arms = new List<WhittleArm>();
            int row = 0;
            foreach (JsonElement arm in doc.RootElement.EnumerateArray())
            {
                string where = $"{path}: arm {row}";
                if (arm.ValueKind != JsonValueKind.Object) throw new FormatException($"{where}: expected an object.");
                string id = arm.TryGetProperty("id", out JsonElement idEl) && idEl.ValueKind is JsonValueKind.String or JsonValueKind.Number
                    ? idEl.ToString() : throw new FormatException($"{where}, field id: missing.");
                where = $"{path}: arm {row} (id '{id}')";
                if (!arm.TryGetProperty("transitions", out JsonElement tr)) throw new FormatException($"{where}, field transitions: missing.");
                var p = new double[2, 2, 2];
                for (int a = 0; a < 2; a++)
                {
                    for (int s = 0; s < 2; s++)
                    {
                        string field = $"transitions[{a}][{s}]";
                        JsonElement rowEl = Element(tr, a, where, "transitions", 2);
                        JsonElement pair = Element(rowEl, s, where, $"transitions[{a}]", 2);
                        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2) throw new FormatException($"{where}, field {field}: expected [p_to_0, p_to_1].");
                        for (int x = 0; x < 2; x++)
                        {
                            JsonElement v = pair[x];
                            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d)) throw new FormatException($"{where}, field {field}[{x}]: '{v}' is not a number.");
                            if (!(d >= 0 && d <= 1)) throw new FormatException($"{where}, field {field}[{x}]: probability {F(d)} is outside [0, 1].");
                            p[a, s, x] = d;
                        }
                        double sum = p[a, s, 0] + p[a, s, 1];
                        if (Math.Abs(sum - 1) > 1e-6) throw new FormatException($"{where}, field {field}: probabilities sum to {F(sum)}, not 1 (within 1e-6).");
                    }
                }
                if (!arm.TryGetProperty("reward", out JsonElement rw)) throw new FormatException($"{where}, field reward: missing.");
                if (rw.ValueKind != JsonValueKind.Array || rw.GetArrayLength() != 2) throw new FormatException($"{where}, field reward: expected [r0, r1].");
                double[] r = new double[2];
                for (int s = 0; s < 2; s++)
                {
                    if (rw[s].ValueKind != JsonValueKind.Number || !rw[s].TryGetDouble(out r[s]) || !double.IsFinite(r[s]))
                        throw new FormatException($"{where}, field reward[{s}]: '{rw[s]}' is not a finite number.");
                }
                if (arms.Count >= MaxArms) throw new FormatException($"{path}: more than {MaxArms} arms.");
                arms.Add(new WhittleArm(id, new ArmDynamics(p[0, 0, 1], p[0, 1, 1], p[1, 0, 1], p[1, 1, 1]), r[0], r[1]));
                row++;
            }
            if (arms.Count == 0) throw new FormatException($"{path}: no arms.");
            return arms;
        }
    }

    /// <summary>Read a beneficiary CSV: columns id, state (0/1), the four <see cref="TransitionColumns"/>, and any
    /// feature columns by name (<see cref="Features.ColumnNames"/>, or f7 / feats[7]); absent features are 0. Other
    /// columns are carried through (<see cref="BeneficiaryRow.Extra"/>).</summary>
    public static IReadOnlyList<BeneficiaryRow> ReadBeneficiaryCsv(string path) => ReadBeneficiaries(path).Rows;

    /// <summary>Column names that `tandem rmab plan` writes into plan.csv, which an extra column may not take.</summary>
    public static IReadOnlyList<string> ReservedColumns { get; } = ["rank", "call", "whittle_index", "ppo_index", "expected_gain", "indexable"];

    // Header names that look like a feature: a misspelt feature must not pass as an extra column (its feature would read 0).
    private static readonly string[] FeaturePrefixes = ["age_", "lang_", "education_", "phone_owner_", "slot_", "org_", "income_", "feats["];

    /// <summary>
    /// <see cref="ReadBeneficiaryCsv"/> with the feature columns the file had and the extra columns it carries. Read with
    /// CsvHelper: the separator is detected from the first lines (comma, semicolon, tab or pipe), fields may be quoted
    /// (RFC 4180, "" for a quote, separators and line breaks inside quotes), a UTF-8 byte order mark is skipped (UTF-16
    /// and UTF-32 ones set the encoding), empty lines are skipped. Column names match case-insensitively after trimming;
    /// id is trimmed; an extra column keeps its text exactly as unquoted, spaces included.
    /// </summary>
    /// <exception cref="FormatException">The file cannot be read or is malformed: one line naming file, row and column.</exception>
    public static BeneficiaryFile ReadBeneficiaries(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = CsvReaderOptions.Default with
        {
            TrackLineNumbers = true,
            SkipEmptyLines = true,
            MalformedData = CsvMalformedDataHandling.Throw,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        try
        {
            using CsvReader reader = CsvReader.FromFile(path, options);
            return ReadBeneficiaries(reader, path);
        }
        catch (CsvFormatException ex)
        {
            throw new FormatException($"{path}: row {(ex.LineNumber > 0 ? ex.LineNumber : ex.RecordNumber)}: not valid CSV ({FirstLine(ex.Message)}).");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new FormatException($"{path}: cannot be read ({FirstLine(ex.Message)})");
        }
    }

    private static BeneficiaryFile ReadBeneficiaries(CsvReader reader, string path)
    {
        reader.ReadHeader();
        if (reader.Headers.Count == 0 || reader.Headers.All(h => h.Trim().Length == 0)) throw new FormatException($"{path}: empty file.");
        string[] header = reader.Headers.Select(h => h.Trim()).ToArray();
        string separator = reader.Separator switch { '\t' => "tab", char c => $"'{c}'" };
        int Column(string name)
        {
            int i = Array.FindIndex(header, h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (i >= 0) return i;
            string read = string.Join(" | ", header.Take(4).Select(h => Clip(h, 40))) + (header.Length > 4 ? " | ..." : "");
            throw new FormatException($"{path}: row 1 (header), field {name}: missing column; required: id, state, {string.Join(", ", TransitionColumns)} " +
                $"(the header was read with separator {separator} as {header.Length} column{(header.Length == 1 ? "" : "s")}: {read}).");
        }
        int idCol = Column("id"), stateCol = Column("state");
        int[] pCols = TransitionColumns.Select(Column).ToArray();
        var featureCols = new List<(int Column, int Feature)>();
        var extraCols = new List<int>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int c = 0; c < header.Length; c++)
        {
            if (header[c].Length == 0) throw new FormatException($"{path}: row 1 (header), field {c + 1}: empty column name.");
            if (!seen.TryAdd(header[c], c))
                throw new FormatException($"{path}: row 1 (header), field {Clip(header[c], 60)}: appears twice (columns {seen[header[c]] + 1} and {c + 1}).");
            if (c == idCol || c == stateCol || pCols.Contains(c)) continue;
            int f = Features.IndexOfColumn(header[c]);
            if (f >= 0)
            {
                if (featureCols.Any(x => x.Feature == f)) throw new FormatException($"{path}: row 1 (header), field {header[c]}: feature {f} ({Features.ColumnNames[f]}) appears twice.");
                featureCols.Add((c, f));
                continue;
            }
            string lower = header[c].ToLowerInvariant();
            if (FeaturePrefixes.Any(lower.StartsWith) || IsNumberedFeature(lower))
                throw new FormatException($"{path}: row 1 (header), field {Clip(header[c], 60)}: looks like a feature but is not one; the features are " +
                    $"{string.Join(", ", Features.ColumnNames)} (or f0-f{Features.Count - 1}); other columns are carried into plan.csv, but not under a feature-like name.");
            if (ReservedColumns.Contains(lower))
                throw new FormatException($"{path}: row 1 (header), field {header[c]}: plan.csv writes a column of this name; rename it to carry it through.");
            extraCols.Add(c);
        }
        int width = header.Length;
        var rows = new List<BeneficiaryRow>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var p = new double[4];
        while (reader.Read())
        {
            long row = reader.LineNumber;
            if (reader.FieldCount != width) throw new FormatException($"{path}: row {row}: {reader.FieldCount} fields, the header has {width} (separator {separator}).");
            string id = reader.GetString(idCol).Trim();
            if (id.Length == 0) throw new FormatException($"{path}: row {row}, field {header[idCol]}: empty.");
            if (!ids.Add(id)) throw new FormatException($"{path}: row {row}, field {header[idCol]}: '{Clip(id, 60)}' appears twice.");
            double state = Number(reader, stateCol, path, row, header[stateCol]);
            if (state is not (0 or 1)) throw new FormatException($"{path}: row {row}, field {header[stateCol]}: {F(state)} is not 0 or 1.");
            for (int k = 0; k < 4; k++)
            {
                p[k] = Number(reader, pCols[k], path, row, header[pCols[k]]);
                if (!(p[k] >= 0 && p[k] <= 1)) throw new FormatException($"{path}: row {row}, field {header[pCols[k]]}: probability {F(p[k])} is outside [0, 1].");
            }
            var features = new double[Features.Count];
            foreach (var (c, f) in featureCols) features[f] = Number(reader, c, path, row, header[c]);
            string[]? extra = extraCols.Count == 0 ? null : new string[extraCols.Count];
            for (int k = 0; k < extraCols.Count; k++) extra![k] = reader.GetString(extraCols[k]);
            if (rows.Count >= MaxArms) throw new FormatException($"{path}: row {row}: more than {MaxArms} beneficiaries.");
            rows.Add(new BeneficiaryRow(id, (byte)state, features, new ArmDynamics(p[0], p[1], p[2], p[3]), extra));
        }
        if (rows.Count == 0) throw new FormatException($"{path}: no beneficiaries after the header.");
        return new BeneficiaryFile(rows, featureCols.Select(x => x.Feature).Order().ToArray(), extraCols.Select(c => header[c]).ToArray());
    }

    // f12 or f99: numbered like a feature (f0-f42 are features; a larger number is a mistake, not an extra column).
    private static bool IsNumberedFeature(string lower) => lower.Length > 1 && lower[0] == 'f' && lower.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    private static JsonElement Element(JsonElement parent, int i, string where, string field, int length)
    {
        if (parent.ValueKind != JsonValueKind.Array || parent.GetArrayLength() != length)
            throw new FormatException($"{where}, field {field}: expected an array of {length}.");
        return parent[i];
    }

    private static double Number(CsvReader reader, int column, string path, long row, string name)
    {
        ReadOnlySpan<byte> cell = reader.GetSpan(column);
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)) return v;
        string text = reader.GetString(column).Trim();
        string hint = text.Contains(',', StringComparison.Ordinal) && double.TryParse(text.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? $" (a decimal comma? write {text.Replace(',', '.')})" : "";
        throw new FormatException($"{path}: row {row}, field {name}: '{Clip(text, 60)}' is not a number{hint}.");
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 3)] + "...";

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return (newline > 0 ? message[..newline] : message).Trim();
    }

    private static string ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new FormatException($"{path}: cannot be read ({ex.Message})");
        }
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
