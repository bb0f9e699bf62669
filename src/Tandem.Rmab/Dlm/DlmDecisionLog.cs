using System.Text.Json;
using Tandem.Rmab.Simulation;

namespace Tandem.Rmab.Dlm;

/// <summary>
/// The decision log of a DLM study (`--log`): one JSON line per evaluated simulation step, streamed to a writer as it
/// happens (nothing is held in memory): <c>{"method","task","seed","trial","step","calls":[arm indices],
/// "deterministic":true|false,"reward":Σ_n R_n(s')}</c>. "deterministic" is false when the policy drew from its stream
/// that step (a tie-break at the budget boundary, or Random). Thread-safe: cells log concurrently, lines never interleave.
/// </summary>
public sealed class DlmDecisionLog : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly object _gate = new();
    private readonly MemoryStream _line = new();
    private long _lines;

    /// <summary>Log to <paramref name="writer"/>; <paramref name="ownsWriter"/>: dispose it with the log.</summary>
    public DlmDecisionLog(TextWriter writer, bool ownsWriter = false)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _ownsWriter = ownsWriter;
    }

    /// <summary>Lines written so far.</summary>
    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>An observer for one evaluation: method <paramref name="method"/> on task <paramref name="task"/>, seed index <paramref name="seed"/>.</summary>
    public IRmabStepObserver For(string method, int task, int seed) => new Scope(this, method, task, seed);

    private void Write(string method, int task, int seed, int trial, int step, ReadOnlySpan<byte> actions, bool deterministic, double reward)
    {
        lock (_gate)
        {
            _line.SetLength(0);
            using (var w = new Utf8JsonWriter(_line))
            {
                w.WriteStartObject();
                w.WriteString("method"u8, method);
                w.WriteNumber("task"u8, task);
                w.WriteNumber("seed"u8, seed);
                w.WriteNumber("trial"u8, trial);
                w.WriteNumber("step"u8, step);
                w.WriteStartArray("calls"u8);
                for (int i = 0; i < actions.Length; i++) if (actions[i] == 1) w.WriteNumberValue(i);
                w.WriteEndArray();
                w.WriteBoolean("deterministic"u8, deterministic);
                w.WriteNumber("reward"u8, reward);
                w.WriteEndObject();
            }
            _writer.Write(System.Text.Encoding.UTF8.GetString(_line.GetBuffer(), 0, (int)_line.Length));
            _writer.Write('\n');
            _lines++;
        }
    }

    /// <summary>Flush, and dispose the writer when the log owns it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Flush();
            if (_ownsWriter) _writer.Dispose();
            _line.Dispose();
        }
    }

    private sealed class Scope(DlmDecisionLog log, string method, int task, int seed) : IRmabStepObserver
    {
        public void OnStep(int trial, int step, ReadOnlySpan<byte> actions, bool deterministic, double reward) =>
            log.Write(method, task, seed, trial, step, actions, deterministic, reward);
    }
}
