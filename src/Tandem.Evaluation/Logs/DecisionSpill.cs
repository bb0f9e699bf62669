using System.Runtime.InteropServices;
using System.Text;

namespace Tandem.Evaluation.Logs;

/// <summary>
/// A compact binary copy of parsed decisions in a temporary file (deleted on dispose), so a second pass over a log
/// reads numbers instead of parsing JSON again. Memory is the stream's buffer; numbers are stored bit for bit.
/// </summary>
internal sealed class DecisionSpill : IDisposable
{
    private const int BufferBytes = 1 << 20;
    private readonly FileStream _stream;
    private readonly BinaryWriter _writer;

    public DecisionSpill()
    {
        string path = Path.Combine(Path.GetTempPath(), "tandem-ope-" + Guid.NewGuid().ToString("N") + ".bin");
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, BufferBytes, FileOptions.DeleteOnClose);
        // On Unix the name goes at once (the open handle keeps the data), so nothing is left behind even when the
        // reader is never disposed or the process is killed; Windows deletes it when the handle closes.
        if (!OperatingSystem.IsWindows()) File.Delete(path);
        _writer = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>Whether every line of a pass was written.</summary>
    public bool Complete { get; private set; }

    public void Write(LoggedDecision d)
    {
        var w = _writer;
        w.Write(d.Line);
        w.Write(d.Run);
        w.Write(d.Step);
        w.Write(d.Arm);
        w.Write(d.Propensity);
        w.Write(d.Reward);
        w.Write((int)d.Flags);
        w.Write(d.PropensityDraws);
        w.Write(d.Cell is not null);
        if (d.Cell is not null) w.Write(d.Cell);
        else Numbers(w, d.Features!);
        Numbers(w, d.Probabilities);
        Numbers(w, d.ExpectedRewards);
        Numbers(w, d.Recourse);
    }

    public void Finish()
    {
        _writer.Flush();
        Complete = true;
    }

    public IEnumerable<LoggedDecision> Replay()
    {
        _stream.Position = 0;
        long length = _stream.Length;
        using var r = new BinaryReader(_stream, Encoding.UTF8, leaveOpen: true);
        while (_stream.Position < length)
        {
            long line = r.ReadInt64();
            int run = r.ReadInt32();
            long step = r.ReadInt64();
            int arm = r.ReadInt32();
            double propensity = r.ReadDouble(), reward = r.ReadDouble();
            var flags = (LineFlags)r.ReadInt32();
            int draws = r.ReadInt32();
            string? cell = r.ReadBoolean() ? r.ReadString() : null;
            double[]? features = cell is null ? Numbers(r) : null;
            double[] probabilities = Numbers(r)!;
            double[]? expected = Numbers(r);
            double[]? recourse = Numbers(r);
            yield return new LoggedDecision(line, run, step, features, cell, arm, propensity, probabilities, reward, expected)
            {
                Flags = flags,
                Recourse = recourse,
                PropensityDraws = draws,
            };
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        _stream.Dispose();
    }

    private static void Numbers(BinaryWriter w, double[]? values)
    {
        w.Write(values?.Length ?? -1);
        if (values is not null) w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static double[]? Numbers(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) return null;
        var values = new double[n];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
