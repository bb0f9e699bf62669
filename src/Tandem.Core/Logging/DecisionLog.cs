using System.Buffers;
using System.Text.Json;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Running;

namespace Tandem.Core.Logging;

/// <summary>
/// The decision log of a study: one JSON line per decision, the input of off-policy evaluation
/// (<c>docs/decision-log.md</c> gives the fields). Runs write their own segment files beside the target while
/// the study runs, and <see cref="Complete"/> joins them in run order, so the file is the same whatever the
/// scheduling and no line is held in memory (a 10⁶-line log streams). Thread-safe across runs; one run
/// writes its segment from one thread at a time (the runner's contract).
/// </summary>
public sealed class DecisionLogFile : IDisposable
{
    private readonly string _path;
    private readonly string _segmentStem;
    private readonly Dictionary<int, Segment> _segments = [];
    private readonly Lock _gate = new();
    private bool _completed;

    private DecisionLogFile(string path)
    {
        _path = path;
        _segmentStem = path + ".part-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-";
    }

    /// <summary>The log's path.</summary>
    public string Path => _path;

    /// <summary>Lines written so far.</summary>
    public long Lines { get; private set; }

    /// <summary>
    /// Create (or truncate) the log at <paramref name="path"/> now, before any work, so an unwritable path
    /// fails at once. Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> with a
    /// message naming the path.
    /// </summary>
    public static DecisionLogFile Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"The decision log '{path}' is a directory.");
        try
        {
            string? dir = System.IO.Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            using (new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.Read)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"The decision log '{path}' cannot be written: {ex.Message}", ex);
        }
        return new DecisionLogFile(full);
    }

    /// <summary>An observer that logs every step of a study run by <see cref="StudyRunner"/>.</summary>
    /// <param name="study">The study's name, written on every line.</param>
    /// <param name="writeContext">Writes the context as one JSON value, as the policy saw it.</param>
    public IStepObserver<TContext, TDecision, TOutcome> Observer<TContext, TDecision, TOutcome>(string study, Action<Utf8JsonWriter, TContext> writeContext)
        where TDecision : Decision
        where TOutcome : IOutcome =>
        new Observer<TContext, TDecision, TOutcome>(this, study, writeContext);

    /// <summary>Writes a context that is a vector of numbers.</summary>
    public static void WriteVector(Utf8JsonWriter writer, double[] context)
    {
        writer.WriteStartArray();
        foreach (double v in context) WriteNumber(writer, v);
        writer.WriteEndArray();
    }

    internal void Append(int run, ReadOnlySpan<byte> line)
    {
        Segment segment;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (!_segments.TryGetValue(run, out segment!))
            {
                string path = _segmentStem + run.ToString(System.Globalization.CultureInfo.InvariantCulture);
                segment = new Segment(path, new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16));
                _segments.Add(run, segment);
            }
            Lines++;
        }
        segment.Stream.Write(line);
        segment.Stream.WriteByte((byte)'\n');
    }

    /// <summary>Join the runs' segments, in run order, into the log, and delete them. Call once, after the study.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_completed) return;
            _completed = true;
            using var output = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            foreach (var (_, segment) in _segments.OrderBy(kv => kv.Key))
            {
                segment.Stream.Dispose();
                using (var input = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.None, 1 << 16))
                    input.CopyTo(output);
                File.Delete(segment.Path);
            }
            _segments.Clear();
            output.Flush(); // no fsync: a study's log is regenerated from its seed; the service's store has its own durability
        }
    }

    /// <summary>Delete the segments of an incomplete study (the log keeps what <see cref="Complete"/> wrote, if it ran).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _completed = true;
            foreach (var segment in _segments.Values)
            {
                segment.Stream.Dispose();
                try { File.Delete(segment.Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            _segments.Clear();
        }
    }

    /// <summary>The decision's fields of a log line, in the log's order (docs/decision-log.md): <c>decisionId</c>,
    /// <c>time</c>, <c>context</c> (written by <paramref name="writeContext"/>), <c>arm</c>, <c>propensity</c>,
    /// <c>probabilities</c>, <c>notes</c>, <c>payload</c>. Every writer of log lines (the study runner's observer, the
    /// decision service) goes through here, so the lines cannot drift apart.</summary>
    /// <typeparam name="TState">What <paramref name="writeContext"/> needs (a static lambda over it allocates nothing).</typeparam>
    public static void WriteDecision<TState>(Utf8JsonWriter writer, Decision decision, TState state, Action<Utf8JsonWriter, TState> writeContext)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(writeContext);
        writer.WriteNumber("decisionId"u8, decision.Id.Value);
        writer.WriteString("time"u8, decision.Time);
        writer.WritePropertyName("context"u8);
        writeContext(writer, state);
        writer.WriteNumber("arm"u8, decision.Arm);
        writer.WritePropertyName("propensity"u8);
        WriteNumber(writer, decision.Propensity);
        writer.WriteStartArray("probabilities"u8);
        foreach (double p in decision.Probabilities) WriteNumber(writer, p);
        writer.WriteEndArray();
        writer.WriteStartArray("notes"u8);
        foreach (string note in decision.Notes.Items) writer.WriteStringValue(note);
        writer.WriteEndArray();
        writer.WriteStartObject("payload"u8);
        decision.WritePayload(writer);
        writer.WriteEndObject();
    }

    internal static void WriteNumber(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue(); // JSON has no NaN; null means "cannot be stated"
    }

    private sealed record Segment(string Path, FileStream Stream);
}

internal sealed class Observer<TContext, TDecision, TOutcome>(DecisionLogFile file, string study, Action<Utf8JsonWriter, TContext> writeContext)
    : IStepObserver<TContext, TDecision, TOutcome>
    where TDecision : Decision
    where TOutcome : IOutcome
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public bool OnStep(in StepRecord<TContext, TDecision, TOutcome> step)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        w.Reset(buffer);

        TDecision decision = step.Decision;
        w.WriteStartObject();
        w.WriteString("study"u8, study);
        w.WriteNumber("run"u8, step.Run);
        w.WriteNumber("step"u8, step.Step);
        w.WriteString("policy"u8, step.Policy);
        DecisionLogFile.WriteDecision(w, decision, (writeContext, step.Context), static (w, s) => s.writeContext(w, s.Context));
        w.WritePropertyName("reward"u8);
        DecisionLogFile.WriteNumber(w, step.Outcome.Reward);
        w.WritePropertyName("expectedReward"u8);
        DecisionLogFile.WriteNumber(w, step.Outcome.ExpectedReward);
        w.WritePropertyName("optimalReward"u8);
        DecisionLogFile.WriteNumber(w, step.OptimalReward);
        // The truth for every arm, with the decision's own payload (recourse as recommended): what off-policy
        // evaluation is scored against.
        w.WriteStartArray("expectedRewards"u8);
        int k = step.Environment.ArmCount;
        Decision asDecision = decision;
        for (int a = 0; a < k; a++)
        {
            TDecision alternative = a == decision.Arm ? decision : (TDecision)(asDecision with { Arm = a });
            DecisionLogFile.WriteNumber(w, step.Environment.ExpectedReward(step.Context, alternative));
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        file.Append(step.Run, buffer.WrittenSpan);
        return true;
    }
}
