using System.Globalization;
using System.Text;
using System.Text.Json;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Programme;

/// <summary>One arm of a Whittle arms file (`tandem rmab whittle --arms`).</summary>
public sealed record WhittleArm(string Id, ArmDynamics Dynamics, double Reward0, double Reward1);

/// <summary>One row of a beneficiary file (`tandem rmab plan --arms`): id, current state, features (43, seed 001 Appendix B) and transitions.</summary>
public sealed record BeneficiaryRow(string Id, byte State, double[] Features, ArmDynamics Dynamics);

/// <summary>The beneficiaries of a file and the feature columns it had (features it lacks read as 0).</summary>
/// <param name="Rows">The beneficiaries in file order.</param>
/// <param name="FeatureColumns">Feature indices the file had columns for, ascending.</param>
public sealed record BeneficiaryFile(IReadOnlyList<BeneficiaryRow> Rows, IReadOnlyList<int> FeatureColumns);

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
    /// feature columns by name (<see cref="Features.ColumnNames"/>, or f7 / feats[7]); absent features are 0.</summary>
    public static IReadOnlyList<BeneficiaryRow> ReadBeneficiaryCsv(string path) => ReadBeneficiaries(path).Rows;

    /// <summary><see cref="ReadBeneficiaryCsv"/> with the feature columns the file had.</summary>
    public static BeneficiaryFile ReadBeneficiaries(string path)
    {
        string[] lines = ReadText(path).ReplaceLineEndings("\n").Split('\n');
        int headerLine = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (headerLine < 0) throw new FormatException($"{path}: empty file.");
        string[] header = SplitCsv(lines[headerLine], path, headerLine + 1).Select(h => h.Trim()).ToArray();
        int Column(string name)
        {
            int i = Array.FindIndex(header, h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
            return i >= 0 ? i : throw new FormatException($"{path}: row 1 (header), field {name}: missing column; required: id, state, {string.Join(", ", TransitionColumns)}.");
        }
        int idCol = Column("id"), stateCol = Column("state");
        int[] pCols = TransitionColumns.Select(Column).ToArray();
        var featureCols = new List<(int Column, int Feature)>();
        for (int c = 0; c < header.Length; c++)
        {
            if (c == idCol || c == stateCol || pCols.Contains(c)) continue;
            int f = Features.IndexOfColumn(header[c]);
            if (f < 0) throw new FormatException($"{path}: row 1 (header), field {header[c]}: unknown column; features are named like {Features.ColumnNames[7]}, {Features.ColumnNames[12]} or f7.");
            if (featureCols.Any(x => x.Feature == f)) throw new FormatException($"{path}: row 1 (header), field {header[c]}: feature {f} appears twice.");
            featureCols.Add((c, f));
        }
        var rows = new List<BeneficiaryRow>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int l = headerLine + 1; l < lines.Length; l++)
        {
            if (lines[l].Trim().Length == 0) continue;
            int rowNumber = l + 1;
            string[] cells = SplitCsv(lines[l], path, rowNumber);
            if (cells.Length != header.Length) throw new FormatException($"{path}: row {rowNumber}: {cells.Length} fields, the header has {header.Length}.");
            string id = cells[idCol].Trim();
            if (id.Length == 0) throw new FormatException($"{path}: row {rowNumber}, field id: empty.");
            if (!ids.Add(id)) throw new FormatException($"{path}: row {rowNumber}, field id: '{id}' appears twice.");
            double state = Number(cells[stateCol], path, rowNumber, header[stateCol]);
            if (state is not (0 or 1)) throw new FormatException($"{path}: row {rowNumber}, field state: {F(state)} is not 0 or 1.");
            var p = new double[4];
            for (int k = 0; k < 4; k++)
            {
                p[k] = Number(cells[pCols[k]], path, rowNumber, header[pCols[k]]);
                if (!(p[k] >= 0 && p[k] <= 1)) throw new FormatException($"{path}: row {rowNumber}, field {header[pCols[k]]}: probability {F(p[k])} is outside [0, 1].");
            }
            var features = new double[Features.Count];
            foreach (var (c, f) in featureCols) features[f] = Number(cells[c], path, rowNumber, header[c]);
            if (rows.Count >= MaxArms) throw new FormatException($"{path}: row {rowNumber}: more than {MaxArms} beneficiaries.");
            rows.Add(new BeneficiaryRow(id, (byte)state, features, new ArmDynamics(p[0], p[1], p[2], p[3])));
        }
        if (rows.Count == 0) throw new FormatException($"{path}: no beneficiaries after the header.");
        return new BeneficiaryFile(rows, featureCols.Select(x => x.Feature).Order().ToArray());
    }

    private static JsonElement Element(JsonElement parent, int i, string where, string field, int length)
    {
        if (parent.ValueKind != JsonValueKind.Array || parent.GetArrayLength() != length)
            throw new FormatException($"{where}, field {field}: expected an array of {length}.");
        return parent[i];
    }

    private static double Number(string cell, string path, int row, string field)
    {
        string t = cell.Trim();
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new FormatException($"{path}: row {row}, field {field}: '{t}' is not a number.");
        return v;
    }

    // RFC 4180 fields: commas inside double quotes, "" for a quote.
    private static string[] SplitCsv(string line, string path, int row)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        if (quoted) throw new FormatException($"{path}: row {row}: unterminated quote.");
        fields.Add(sb.ToString());
        return fields.ToArray();
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
