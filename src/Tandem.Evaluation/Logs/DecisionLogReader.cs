using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tandem.Evaluation.Logs;

/// <summary>Where logged decisions come from; every call of <see cref="Read"/> is a fresh pass in the same order
/// (the estimators read twice: once to fit the reward model, once to estimate).</summary>
public interface IDecisionSource
{
    /// <summary>One pass over the decisions, in log order.</summary>
    IEnumerable<LoggedDecision> Read();

    /// <summary>The counts of the last complete pass.</summary>
    DecisionLogTally Tally { get; }
}

/// <summary>What one pass over a log found.</summary>
/// <param name="Lines">Non-blank lines read.</param>
/// <param name="Skipped">Invalid lines skipped (only with skipping on; otherwise the first invalid line stops the pass).</param>
/// <param name="FirstSkipped">The message of the first skipped line, or null.</param>
public sealed record DecisionLogTally(long Lines, long Skipped, string? FirstSkipped)
{
    /// <summary>The lines used.</summary>
    public long Valid => Lines - Skipped;
}

/// <summary>Options of <see cref="DecisionLogReader"/>.</summary>
/// <param name="SkipInvalid">Skip and count invalid lines instead of stopping at the first one.</param>
/// <param name="MaxLineBytes">The longest line accepted, in bytes. Range: 1 KiB..1 GiB; default 16 MiB.</param>
public sealed record DecisionLogReadOptions(bool SkipInvalid = false, int MaxLineBytes = 16 << 20)
{
    /// <summary>Throw <see cref="ArgumentOutOfRangeException"/> naming the parameter when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxLineBytes is < 1024 or > 1 << 30)
            throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, "The longest line must lie in 1 KiB..1 GiB.");
    }
}

/// <summary>
/// Streams a decision log file (<c>docs/decision-log.md</c>). Each line is checked: it must be a JSON object with
/// <c>context</c> (numbers or a string), <c>arm</c>, <c>propensity</c> (null or in (0, 1], equal to
/// <c>probabilities[arm]</c> when both are stated), <c>probabilities</c> (null or in [0, 1], summing to 1 when
/// all are stated) and a finite <c>reward</c>; the arm count and context shape must agree with the first valid
/// line. A bad line throws <see cref="DecisionLogException"/> naming the line and field, or is skipped and counted.
/// <para>The first pass parses the JSON in batches of <see cref="BatchLines"/> lines, in parallel, and yields them in
/// log order; it also writes the valid lines' numbers to a compact binary spill file (deleted when the reader is
/// disposed), so later passes replay the spill instead of parsing again. Memory is one batch (at most
/// <see cref="BatchLines"/> lines or about <see cref="BatchBytes"/> bytes plus one line), whatever the log's length; the spill holds about 8 bytes per number of the log.</para>
/// </summary>
public sealed class DecisionLogReader : IDecisionSource, IDisposable
{
    /// <summary>Lines parsed together in one parallel batch.</summary>
    public const int BatchLines = 4096;

    /// <summary>A batch is also parsed once its lines hold this many bytes, so long lines do not make it large.</summary>
    public const int BatchBytes = 16 << 20;
    private const double Tolerance = 1e-6;
    [ThreadStatic] private static double[]? t_scratch; // one per parsing thread: arrays are read here, then copied out
    private readonly string _path;
    private readonly DecisionLogReadOptions _options;
    private DecisionSpill? _spill;

    /// <summary>Read <paramref name="path"/> with <paramref name="options"/> (default: stop at the first invalid line).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public DecisionLogReader(string path, DecisionLogReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _options = options ?? new DecisionLogReadOptions();
        _options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"The decision log '{path}' does not exist.", path);
        _path = path;
    }

    /// <inheritdoc />
    public DecisionLogTally Tally { get; private set; } = new(0, 0, null);

    /// <summary>Whether the last pass was a replay of the spill rather than a parse of the file.</summary>
    public bool Replayed { get; private set; }

    /// <inheritdoc />
    /// <remarks>Passes must not overlap: finish (or drop) one enumeration before starting the next.</remarks>
    public IEnumerable<LoggedDecision> Read()
    {
        if (_spill is { Complete: true } spill)
        {
            Replayed = true;
            return spill.Replay();
        }
        Replayed = false;
        return ParseAndSpill();
    }

    /// <summary>Delete the spill file.</summary>
    public void Dispose()
    {
        _spill?.Dispose();
        _spill = null;
    }

    private IEnumerable<LoggedDecision> ParseAndSpill()
    {
        _spill?.Dispose();
        var spill = _spill = new DecisionSpill();
        var pass = new PassState(spill, _options.SkipInvalid);
        long lines = 0;
        byte[] buffer = new byte[1 << 16];
        int start = 0, end = 0;
        bool eof = false;
        long lineNumber = 0;
        // Two batches: while one is parsed (in parallel, in the background), the lines of the one before are handed
        // out and the next lines are read into it, so the reading and the caller's work overlap the parsing.
        var batch = new LineBatch();
        var parsed = new LineBatch();
        Task? parsing = null;
        DecisionLogException? tooLong = null;
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        while (true)
        {
            int newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            bool done = false;
            if (newline < 0 && !eof)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length && buffer.Length >= _options.MaxLineBytes)
                {
                    // Said after the lines before it, as a line-by-line reader would.
                    tooLong = new DecisionLogException(lineNumber + 1, null, $"the line is longer than {_options.MaxLineBytes} bytes");
                    done = true;
                }
                else
                {
                    if (end == buffer.Length) Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, _options.MaxLineBytes));
                    int read = stream.Read(buffer, end, buffer.Length - end);
                    if (read == 0) eof = true;
                    end += read;
                    continue;
                }
            }
            else if (newline < 0 && start == end) done = true;
            else
            {
                int length = newline < 0 ? end - start : newline;
                int lineStart = start;
                start += newline < 0 ? length : length + 1;
                lineNumber++;
                var text = buffer.AsSpan(lineStart, length);
                if (!text.Trim(" \t\r"u8).IsEmpty)
                {
                    lines++;
                    batch.Add(text, lineNumber);
                }
            }
            if (batch.Count == BatchLines || batch.Bytes >= BatchBytes || (done && batch.Count > 0))
            {
                parsing?.GetAwaiter().GetResult();
                LineBatch full = batch;
                Task started = Task.Run(full.ParseAll);
                if (parsing is not null)
                {
                    foreach (LoggedDecision d in pass.Emit(parsed)) yield return d;
                }
                (batch, parsed, parsing) = (parsed, full, started);
            }
            if (done) break;
        }
        if (parsing is not null)
        {
            parsing.GetAwaiter().GetResult();
            foreach (LoggedDecision d in pass.Emit(parsed)) yield return d;
        }
        if (tooLong is not null) throw tooLong;
        Tally = new DecisionLogTally(lines, pass.Skipped, pass.FirstSkipped);
        spill.Finish();
    }

    /// <summary>One parsing pass's checks across lines and its counts.</summary>
    private sealed class PassState(DecisionSpill spill, bool skipInvalid)
    {
        private readonly LogShape _shape = new();

        public long Skipped { get; private set; }

        public string? FirstSkipped { get; private set; }

        // Hand out a parsed batch in log order: the shape check, skipping or stopping, the spill; then clear it.
        public IEnumerable<LoggedDecision> Emit(LineBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                LoggedDecision? decision = batch.Results[i];
                DecisionLogException? error = batch.Errors[i];
                if (decision is not null)
                {
                    try { _shape.Check(decision.Line, decision.ArmCount, decision.Features, decision.Cell); }
                    catch (DecisionLogException ex) { error = ex; decision = null; }
                }
                if (error is not null)
                {
                    if (!skipInvalid) throw error;
                    Skipped++;
                    FirstSkipped ??= error.Message;
                    continue;
                }
                spill.Write(decision!);
                yield return decision!;
            }
            batch.Clear();
        }
    }

    /// <summary>Lines of one batch, copied out of the read buffer, and their parses.</summary>
    private sealed class LineBatch
    {
        private byte[] _bytes = new byte[1 << 20];
        private readonly int[] _start = new int[BatchLines + 1];
        private readonly long[] _line = new long[BatchLines];
        public readonly LoggedDecision?[] Results = new LoggedDecision?[BatchLines];
        public readonly DecisionLogException?[] Errors = new DecisionLogException?[BatchLines];

        public int Count { get; private set; }

        public int Bytes => _start[Count];

        public void Add(ReadOnlySpan<byte> text, long line)
        {
            int at = _start[Count];
            if (at + text.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, at + text.Length));
            text.CopyTo(_bytes.AsSpan(at));
            _line[Count] = line;
            _start[++Count] = at + text.Length;
        }

        // Each line is parsed on its own (no shared state), so the results do not depend on the scheduling.
        public void ParseAll()
        {
            const int chunk = 256;
            int chunks = (Count + chunk - 1) / chunk;
            Parallel.For(0, chunks, c =>
            {
                for (int i = c * chunk, stop = Math.Min(Count, i + chunk); i < stop; i++)
                {
                    try
                    {
                        Results[i] = ParseLine(_bytes.AsSpan(_start[i], _start[i + 1] - _start[i]), _line[i]);
                        Errors[i] = null;
                    }
                    catch (DecisionLogException ex)
                    {
                        Results[i] = null;
                        Errors[i] = ex;
                    }
                }
            });
        }

        public void Clear()
        {
            Array.Clear(Results, 0, Count);
            Array.Clear(Errors, 0, Count);
            Count = 0;
        }
    }

    /// <summary>Parse and check one line; <paramref name="shape"/> carries the arm count and context shape of the first valid line.</summary>
    internal static LoggedDecision Parse(ReadOnlySpan<byte> json, long line, LogShape shape)
    {
        LoggedDecision decision = ParseLine(json, line);
        shape.Check(line, decision.ArmCount, decision.Features, decision.Cell);
        return decision;
    }

    /// <summary>Parse and check one line on its own (no shape check against other lines). Lines of the usual shape
    /// (flat fields, numbers, plain strings) take <see cref="FastLineParser"/>; anything else, including every
    /// invalid line, is parsed by <see cref="Utf8JsonReader"/>, whose errors name the field. Both give the same fields.</summary>
    internal static LoggedDecision ParseLine(ReadOnlySpan<byte> json, long line)
    {
        var f = new LineFields();
        if (!FastLineParser.TryParse(json, ref f))
        {
            f = new LineFields();
            ParseFields(json, line, ref f);
        }
        return Build(line, ref f);
    }

    /// <summary>The fields of one line by <see cref="Utf8JsonReader"/> (the reference parse).</summary>
    internal static void ParseFields(ReadOnlySpan<byte> json, long line, ref LineFields f)
    {
        string field;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new DecisionLogException(line, null, "not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                field = KnownField(ref reader);
                reader.Read();
                switch (field)
                {
                    case "context":
                        f.HasContext = true;
                        if (reader.TokenType == JsonTokenType.String) f.Cell = reader.GetString();
                        else if (reader.TokenType == JsonTokenType.StartArray)
                        {
                            f.Features = ReadNumbers(ref reader, line, field, allowNull: false, out _);
                        }
                        else throw new DecisionLogException(line, field, "must be an array of numbers or a string");
                        break;
                    case "arm":
                        f.HasArm = true;
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out f.Arm))
                            throw new DecisionLogException(line, field, "must be an integer");
                        break;
                    case "propensity":
                        f.HasPropensity = true;
                        f.Propensity = ReadNumberOrNull(ref reader, line, field);
                        break;
                    case "probabilities":
                        if (reader.TokenType != JsonTokenType.StartArray) throw new DecisionLogException(line, field, "must be an array");
                        f.Probabilities = ReadNumbers(ref reader, line, field, allowNull: true, out _);
                        break;
                    case "reward":
                        f.HasReward = true;
                        f.Reward = ReadNumberOrNull(ref reader, line, field);
                        break;
                    case "expectedRewards":
                        if (reader.TokenType == JsonTokenType.Null) break;
                        if (reader.TokenType != JsonTokenType.StartArray) throw new DecisionLogException(line, field, "must be an array");
                        f.Expected = ReadNumbers(ref reader, line, field, allowNull: true, out f.ExpectedUnknown);
                        break;
                    case "run":
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out f.Run)) throw new DecisionLogException(line, field, "must be an integer");
                        break;
                    case "notes":
                        f.Flags |= ReadNotes(ref reader, line);
                        break;
                    case "payload":
                        ReadPayload(ref reader, line, ref f.Recourse, ref f.Draws);
                        break;
                    case "propensityDraws":
                        f.Draws = ReadDraws(ref reader, line, field);
                        break;
                    case "step":
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out f.Step)) throw new DecisionLogException(line, field, "must be an integer");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw new DecisionLogException(line, null, "not a single JSON object");
        }
        catch (JsonException ex)
        {
            throw new DecisionLogException(line, null, "not JSON: " + FirstSentence(ex.Message));
        }
    }

    private static LoggedDecision Build(long line, ref LineFields f)
    {
        double[]? features = f.Features, probabilities = f.Probabilities, expected = f.Expected, recourse = f.Recourse;
        string? cell = f.Cell;
        int arm = f.Arm;
        double propensity = f.Propensity, reward = f.Reward;
        if (!f.HasContext) throw Missing(line, "context");
        if (!f.HasArm) throw Missing(line, "arm");
        if (!f.HasPropensity) throw Missing(line, "propensity");
        if (probabilities is null) throw Missing(line, "probabilities");
        if (!f.HasReward) throw Missing(line, "reward");
        if (!double.IsFinite(reward)) throw new DecisionLogException(line, "reward", "is null; a line without a reward cannot be evaluated");
        if (probabilities.Length == 0) throw new DecisionLogException(line, "probabilities", "is empty");
        if (arm < 0 || arm >= probabilities.Length)
            throw new DecisionLogException(line, "arm", $"{arm} is outside the probability vector of {probabilities.Length} arms (0..{probabilities.Length - 1})");
        double sum = 0;
        bool allStated = true;
        for (int a = 0; a < probabilities.Length; a++)
        {
            double p = probabilities[a];
            if (double.IsNaN(p)) { allStated = false; continue; }
            if (p is < 0 or > 1) throw new DecisionLogException(line, "probabilities", $"entry {a} = {Num(p)} is outside [0, 1]");
            sum += p;
        }
        if (allStated && Math.Abs(sum - 1) > Tolerance) throw new DecisionLogException(line, "probabilities", $"sum to {Num(sum)}, not 1");
        if (!double.IsNaN(propensity))
        {
            if (!(propensity > 0 && propensity <= 1)) throw new DecisionLogException(line, "propensity", $"{Num(propensity)} is outside (0, 1]");
            double stated = probabilities[arm];
            if (!double.IsNaN(stated) && Math.Abs(stated - propensity) > Tolerance)
                throw new DecisionLogException(line, "propensity", $"{Num(propensity)} disagrees with probabilities[{arm}] = {Num(stated)}");
        }
        if (f.ExpectedUnknown || expected?.Length != probabilities.Length) expected = null;
        if (recourse is not null && (recourse.Length == 0 || recourse.Any(double.IsNaN))) recourse = null;
        return new LoggedDecision(line, f.Run, f.Step, features, cell, arm, propensity, probabilities, reward, expected)
        {
            Flags = f.Flags,
            Recourse = recourse,
            PropensityDraws = f.Draws,
        };
    }

    // Compares the name's bytes with the fields read, without allocating a string per property.
    private static string KnownField(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("context"u8) ? "context"
        : reader.ValueTextEquals("arm"u8) ? "arm"
        : reader.ValueTextEquals("propensity"u8) ? "propensity"
        : reader.ValueTextEquals("probabilities"u8) ? "probabilities"
        : reader.ValueTextEquals("reward"u8) ? "reward"
        : reader.ValueTextEquals("expectedRewards"u8) ? "expectedRewards"
        : reader.ValueTextEquals("run"u8) ? "run"
        : reader.ValueTextEquals("step"u8) ? "step"
        : reader.ValueTextEquals("notes"u8) ? "notes"
        : reader.ValueTextEquals("payload"u8) ? "payload"
        : reader.ValueTextEquals("propensityDraws"u8) ? "propensityDraws"
        : "";

    private static double[] ReadNumbers(ref Utf8JsonReader reader, long line, string field, bool allowNull, out bool sawNull)
    {
        double[] values = t_scratch ??= new double[64];
        int count = 0;
        sawNull = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == values.Length) Array.Resize(ref t_scratch, values.Length * 2);
            values = t_scratch!;
            if (reader.TokenType == JsonTokenType.Null && allowNull)
            {
                sawNull = true;
                values[count++] = double.NaN;
            }
            else if (reader.TokenType == JsonTokenType.Number) values[count++] = reader.GetDouble();
            else throw new DecisionLogException(line, field, $"entry {count} is not a number");
        }
        return values.AsSpan(0, count).ToArray();
    }

    // The notes that change how a line is evaluated (DecisionNotes: advisor-followed, propensity-unknown:advice,
    // propensity-estimated); other notes are skipped.
    private static LineFlags ReadNotes(ref Utf8JsonReader reader, long line)
    {
        if (reader.TokenType == JsonTokenType.Null) return LineFlags.None;
        if (reader.TokenType != JsonTokenType.StartArray) throw new DecisionLogException(line, "notes", "must be an array of strings");
        var flags = LineFlags.None;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw new DecisionLogException(line, "notes", "must be an array of strings");
            if (reader.ValueTextEquals("advisor-followed"u8)) flags |= LineFlags.AdvisorFollowed;
            else if (reader.ValueTextEquals("propensity-unknown:advice"u8)) flags |= LineFlags.AdvisorFollowed;
            else if (reader.ValueTextEquals("propensity-estimated"u8)) flags |= LineFlags.PropensityEstimated;
        }
        return flags;
    }

    // LIBRA's payload carries the recommended recourse; a payload may state the propensity draws. The rest is skipped.
    private static void ReadPayload(ref Utf8JsonReader reader, long line, ref double[]? recourse, ref int draws)
    {
        if (reader.TokenType == JsonTokenType.Null) return;
        if (reader.TokenType != JsonTokenType.StartObject) throw new DecisionLogException(line, "payload", "must be an object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("recourse"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                if (reader.TokenType != JsonTokenType.StartArray) throw new DecisionLogException(line, "payload.recourse", "must be an array of numbers");
                recourse = ReadNumbers(ref reader, line, "payload.recourse", allowNull: true, out _);
            }
            else if (reader.ValueTextEquals("propensityDraws"u8))
            {
                reader.Read();
                draws = ReadDraws(ref reader, line, "payload.propensityDraws");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static int ReadDraws(ref Utf8JsonReader reader, long line, string field)
    {
        if (reader.TokenType == JsonTokenType.Null) return 0;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int draws) || draws < 1)
            throw new DecisionLogException(line, field, "must be a positive integer");
        return draws;
    }

    private static double ReadNumberOrNull(ref Utf8JsonReader reader, long line, string field) => reader.TokenType switch
    {
        JsonTokenType.Null => double.NaN,
        JsonTokenType.Number => reader.GetDouble(),
        _ => throw new DecisionLogException(line, field, "must be a number or null"),
    };

    private static DecisionLogException Missing(long line, string field) => new(line, field, "is missing");

    private static string Num(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim();
    }

    /// <summary>The arm count and context shape every line must share, set by the first valid line of a pass.</summary>
    internal sealed class LogShape
    {
        private int _arms = -1;
        private int _dimension = -1; // -1: not set; 0 with _cells: categorical

        private bool _cells;

        public void Check(long line, int arms, double[]? features, string? cell)
        {
            if (_arms < 0)
            {
                _arms = arms;
                _cells = cell is not null;
                _dimension = features?.Length ?? 0;
                return;
            }
            if (arms != _arms)
                throw new DecisionLogException(line, "probabilities", $"has {arms} arms; the log's first line has {_arms}");
            if (_cells != (cell is not null))
                throw new DecisionLogException(line, "context", _cells ? "is numeric; the log's first line has a string context" : "is a string; the log's first line has a numeric context");
            if (!_cells && features!.Length != _dimension)
                throw new DecisionLogException(line, "context", $"has {features.Length} features; the log's first line has {_dimension}");
        }
    }
}

/// <summary>Decisions held in memory (tests, simulations): a source whose passes are the list.</summary>
public sealed class DecisionList(IReadOnlyList<LoggedDecision> decisions) : IDecisionSource
{
    /// <inheritdoc />
    public IEnumerable<LoggedDecision> Read() => decisions;

    /// <inheritdoc />
    public DecisionLogTally Tally { get; } = new(decisions.Count, 0, null);
}

/// <summary>Writing decision-log lines (for simulated logs and tests), in the format <see cref="DecisionLogReader"/> reads.</summary>
public static class DecisionLogLines
{
    /// <summary>One JSON line for <paramref name="decision"/> (no newline); NaN is written as null.</summary>
    public static string Format(LoggedDecision decision, string study = "simulated")
    {
        ArgumentNullException.ThrowIfNull(decision);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("study", study);
            w.WriteNumber("run", decision.Run);
            w.WriteNumber("step", decision.Step);
            w.WritePropertyName("context");
            if (decision.Cell is not null) w.WriteStringValue(decision.Cell);
            else Numbers(w, decision.Features ?? []);
            w.WriteNumber("arm", decision.Arm);
            w.WritePropertyName("propensity");
            Number(w, decision.Propensity);
            w.WritePropertyName("probabilities");
            Numbers(w, decision.Probabilities);
            w.WritePropertyName("reward");
            Number(w, decision.Reward);
            if (decision.Flags != LineFlags.None)
            {
                w.WriteStartArray("notes");
                if (decision.Flags.HasFlag(LineFlags.AdvisorFollowed)) w.WriteStringValue("advisor-followed");
                if (decision.Flags.HasFlag(LineFlags.PropensityEstimated)) w.WriteStringValue("propensity-estimated");
                w.WriteEndArray();
            }
            if (decision.PropensityDraws > 0) w.WriteNumber("propensityDraws", decision.PropensityDraws);
            if (decision.Recourse is { } recourse)
            {
                w.WriteStartObject("payload");
                w.WritePropertyName("recourse");
                Numbers(w, recourse);
                w.WriteEndObject();
            }
            if (decision.ExpectedRewards is { } truth)
            {
                w.WritePropertyName("expectedRewards");
                Numbers(w, truth);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Numbers(Utf8JsonWriter w, double[] values)
    {
        w.WriteStartArray();
        foreach (double v in values) Number(w, v);
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteNullValue();
    }
}
