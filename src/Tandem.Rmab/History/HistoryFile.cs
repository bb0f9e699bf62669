using System.Globalization;
using CsvHelper;
using Tandem.Rmab.Model;
using Tandem.Rmab.Programme;

namespace Tandem.Rmab.History;

/// <summary>
/// Reads a beneficiary × week history CSV in one streaming pass (CsvHelper's parser; memory grows with the
/// beneficiaries, not the rows). Columns: <c>id</c>, <c>week</c> (integer), <c>engaged</c> (0/1: the state that
/// week), <c>called</c> (0/1: the action that week), optionally the cluster column named by the caller, and feature
/// columns named as in beneficiary files (<see cref="Features.ColumnNames"/>, or f7 / feats[7]). A beneficiary's rows
/// may be interleaved with others' but its weeks must increase; week t's (engaged, called) and week t+1's engaged
/// make one observed transition, and a gap in the weeks breaks the chain (no transition across it). Features (and
/// the cluster label) must not change within a beneficiary. Every problem is a <see cref="FormatException"/> of one
/// line naming the file, row and column.
/// </summary>
public static class HistoryFile
{
    /// <summary>The columns every history file has.</summary>
    public static IReadOnlyList<string> RequiredColumns { get; } = ["id", "week", "engaged", "called"];

    /// <summary>Read <paramref name="path"/>.</summary>
    /// <param name="path">The history CSV.</param>
    /// <param name="clusterColumn">A column whose text labels each beneficiary's cluster (null: none).</param>
    /// <param name="cancellationToken">Observed every 65,536 rows.</param>
    /// <exception cref="FormatException">The file cannot be read or is malformed (names file, row and column).</exception>
    public static HistorySet Read(string path, string? clusterColumn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            TrackLineNumbers = true,
            PoolStrings = true,
            MalformedData = CsvMalformedDataHandling.Throw,
            FormatProvider = CultureInfo.InvariantCulture,
        };
        try
        {
            using CsvReader reader = CsvReader.FromFile(path, options);
            return Read(reader, path, clusterColumn, cancellationToken);
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

    private static HistorySet Read(CsvReader reader, string path, string? clusterColumn, CancellationToken cancellationToken)
    {
        string file = Path.GetFileName(path);
        reader.ReadHeader();
        string[] header = reader.Headers.Select(h => h.Trim()).ToArray();
        if (header.Length == 0 || header.All(h => h.Length == 0)) throw new FormatException($"{path}: empty file.");
        int Column(string name) => Array.FindIndex(header, h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
        int[] required = RequiredColumns.Select(Column).ToArray();
        for (int k = 0; k < required.Length; k++)
            if (required[k] < 0) throw new FormatException($"{path}: row 1 (header), column {RequiredColumns[k]}: missing; required: {string.Join(", ", RequiredColumns)}.");
        int idCol = required[0], weekCol = required[1], engagedCol = required[2], calledCol = required[3];
        int clusterCol = -1;
        if (clusterColumn is not null)
        {
            clusterCol = Column(clusterColumn.Trim());
            if (clusterCol < 0) throw new FormatException($"{path}: row 1 (header), column {clusterColumn}: missing (named as the cluster column).");
        }
        var featureCols = new List<(int Column, int Feature)>();
        for (int c = 0; c < header.Length; c++)
        {
            if (required.Contains(c) || c == clusterCol) continue;
            if (header[c].Length == 0) throw new FormatException($"{path}: row 1 (header), column {c + 1}: empty column name.");
            if (header.Take(c).Any(h => h.Equals(header[c], StringComparison.OrdinalIgnoreCase)))
                throw new FormatException($"{path}: row 1 (header), column {header[c]}: appears twice.");
            int f = Features.IndexOfColumn(header[c]);
            if (f < 0) throw new FormatException($"{path}: row 1 (header), column {header[c]}: unknown column; features are named like {Features.ColumnNames[7]}, {Features.ColumnNames[12]} or f7 (a cluster label column is named with the cluster option).");
            if (featureCols.Any(x => x.Feature == f)) throw new FormatException($"{path}: row 1 (header), column {header[c]}: feature {f} appears twice.");
            featureCols.Add((c, f));
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> byChars = index.GetAlternateLookup<ReadOnlySpan<char>>();
        var people = new List<Accumulator>();
        long rows = 0;
        int width = header.Length;
        // When the feature columns are the last ones, a beneficiary's later rows are checked by comparing the raw text
        // after the first `tailStart` separators with its first row's (one vectorised compare instead of one per column).
        int tailStart = featureCols.Count == 0 ? -1 : featureCols.Min(x => x.Column);
        if (tailStart >= 0 && featureCols.Count != width - tailStart) tailStart = -1;
        Span<char> idBuffer = stackalloc char[256];
        while (reader.Read())
        {
            long row = reader.LineNumber;
            if (reader.FieldCount != width) throw new FormatException($"{path}: row {row}: {reader.FieldCount} fields, the header has {width}.");
            if ((++rows & 0xFFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            ReadOnlySpan<byte> idBytes = reader.GetSpan(idCol);
            int who = -1;
            bool known = idBytes.Length <= idBuffer.Length / 2 && System.Text.Unicode.Utf8.ToUtf16(idBytes, idBuffer, out _, out int chars) == System.Buffers.OperationStatus.Done
                ? byChars.TryGetValue(idBuffer[..chars].Trim(), out who)
                : index.TryGetValue(reader.GetString(idCol).Trim(), out who);
            if (!known && reader.GetString(idCol).Trim().Length == 0) throw new FormatException($"{path}: row {row}, column {header[idCol]}: empty id.");
            int week = Week(reader, weekCol, path, row, header[weekCol]);
            int engaged = Binary(reader, engagedCol, path, row, header[engagedCol]);
            int called = Binary(reader, calledCol, path, row, header[calledCol]);
            if (!known)
            {
                string id = reader.GetString(idCol).Trim();
                if (people.Count >= ArmFiles.MaxArms) throw new FormatException($"{path}: row {row}, column {header[idCol]}: more than {ArmFiles.MaxArms} beneficiaries.");
                var features = new double[Features.Count];
                var cells = new byte[featureCols.Count][];
                for (int j = 0; j < featureCols.Count; j++)
                {
                    var (c, f) = featureCols[j];
                    cells[j] = reader.GetSpan(c).ToArray();
                    features[f] = Number(reader, c, path, row, header[c]);
                }
                string? cluster = null;
                if (clusterCol >= 0)
                {
                    cluster = reader.GetString(clusterCol).Trim();
                    if (cluster.Length == 0) throw new FormatException($"{path}: row {row}, column {header[clusterCol]}: empty cluster label.");
                }
                who = people.Count;
                index.Add(id, who);
                byte[]? tail = tailStart >= 0 && TryTail(reader.RawRecord, tailStart, out ReadOnlySpan<byte> t) ? t.ToArray() : null;
                people.Add(new Accumulator(id, features, cells, tail, cluster, week, engaged, called));
                continue;
            }
            Accumulator a = people[who];
            bool sameTail = a.Tail is not null && TryTail(reader.RawRecord, tailStart, out ReadOnlySpan<byte> rawTail) && rawTail.SequenceEqual(a.Tail);
            for (int j = 0; j < featureCols.Count && !sameTail; j++)
            {
                var (c, f) = featureCols[j];
                if (reader.GetSpan(c).SequenceEqual(a.Cells[j])) continue;
                if (Number(reader, c, path, row, header[c]) != a.Features[f])
                    throw new FormatException($"{path}: row {row}, column {header[c]}: '{Clip(reader.GetString(c))}' differs from '{Clip(System.Text.Encoding.UTF8.GetString(a.Cells[j]))}' on an earlier row of beneficiary '{Clip(a.Id)}'; features must not change.");
            }
            if (clusterCol >= 0 && reader.GetString(clusterCol).Trim() != a.Cluster)
                throw new FormatException($"{path}: row {row}, column {header[clusterCol]}: cluster '{Clip(reader.GetString(clusterCol).Trim())}' differs from '{Clip(a.Cluster!)}' on an earlier row of beneficiary '{Clip(a.Id)}'.");
            if (week <= a.LastWeek)
                throw new FormatException($"{path}: row {row}, column {header[weekCol]}: week {week} of beneficiary '{Clip(a.Id)}' does not follow its week {a.LastWeek}; each beneficiary's weeks must increase.");
            if (week == a.LastWeek + 1)
            {
                int pair = BeneficiaryHistory.Pair(a.LastState, a.LastAction);
                a.Visits[pair]++;
                a.Engaged[pair] += engaged;
            }
            a.LastWeek = week;
            a.LastState = engaged;
            a.LastAction = called;
            a.Weeks++;
        }
        if (people.Count == 0) throw new FormatException($"{path}: no rows after the header.");
        var beneficiaries = people.Select(p => new BeneficiaryHistory(p.Id, p.Features, p.Visits, p.Engaged, (byte)p.LastState, p.Weeks, p.Cluster)).ToArray();
        return new HistorySet(file, beneficiaries, featureCols.Select(x => x.Feature).Order().ToArray(), rows);
    }

    // The raw text after the first `start` separators, when none of those first fields is quoted (a quoted comma would
    // shift the count).
    private static bool TryTail(ReadOnlySpan<byte> record, int start, out ReadOnlySpan<byte> tail)
    {
        int at = 0;
        for (int k = 0; k < start; k++)
        {
            int comma = record[at..].IndexOfAny((byte)',', (byte)'"');
            if (comma < 0 || record[at + comma] == '"') { tail = default; return false; }
            at += comma + 1;
        }
        tail = record[at..];
        return true;
    }

    private static int Week(CsvReader reader, int column, string path, long row, string name)
    {
        if (reader.TryParse(column, out int w) && w >= 0 && w < int.MaxValue) return w;
        throw new FormatException($"{path}: row {row}, column {name}: '{Clip(reader.GetString(column).Trim())}' is not a week number (an integer ≥ 0).");
    }

    private static int Binary(CsvReader reader, int column, string path, long row, string name)
    {
        ReadOnlySpan<byte> cell = reader.GetSpan(column);
        if (cell.Length == 1 && cell[0] is (byte)'0' or (byte)'1') return cell[0] - '0';
        if (reader.TryParse(column, out double v) && v is 0 or 1) return (int)v;
        throw new FormatException($"{path}: row {row}, column {name}: '{Clip(reader.GetString(column).Trim())}' is not 0 or 1.");
    }

    private static double Number(CsvReader reader, int column, string path, long row, string name)
    {
        if (reader.TryParse(column, out double v) && double.IsFinite(v)) return v;
        throw new FormatException($"{path}: row {row}, column {name}: '{Clip(reader.GetString(column).Trim())}' is not a number.");
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";

    private static string FirstLine(string message)
    {
        int newline = message.IndexOfAny(['\r', '\n']);
        return (newline > 0 ? message[..newline] : message).Trim();
    }

    private sealed class Accumulator(string id, double[] features, byte[][] cells, byte[]? tail, string? cluster, int week, int engaged, int called)
    {
        public string Id { get; } = id;
        public double[] Features { get; } = features;
        public byte[][] Cells { get; } = cells;
        public byte[]? Tail { get; } = tail;
        public string? Cluster { get; } = cluster;
        public int[] Visits { get; } = new int[BeneficiaryHistory.Pairs];
        public int[] Engaged { get; } = new int[BeneficiaryHistory.Pairs];
        public int LastWeek { get; set; } = week;
        public int LastState { get; set; } = engaged;
        public int LastAction { get; set; } = called;
        public int Weeks { get; set; } = 1;
    }
}
