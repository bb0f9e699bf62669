using Tandem.Core.Randomness;

namespace Tandem.Core.Running;

/// <summary>One independent cell of a parallel study: its index and its seed, <c>Seeds.Derive(studySeed, Index)</c>.</summary>
/// <param name="Index">Cell index, 0-based.</param>
/// <param name="Seed">The cell's seed; every random source of the cell derives from it (or from the study seed and a
/// coordinate of the cell), never from the scheduling.</param>
public readonly record struct CellContext(int Index, ulong Seed);

/// <summary>Counts the work units done by all cells and reports progress at most every 1% of the total. Thread-safe.</summary>
public sealed class CellWork
{
    private readonly IProgress<StudyProgress>? _progress;
    private readonly long _reportEvery;
    private long _done;

    internal CellWork(long total, IProgress<StudyProgress>? progress)
    {
        Total = total;
        _progress = progress;
        _reportEvery = Math.Max(1, total / 100);
    }

    /// <summary>Total work units of the study.</summary>
    public long Total { get; }

    /// <summary>Work units done so far.</summary>
    public long Done => Interlocked.Read(ref _done);

    /// <summary>Record <paramref name="units"/> more units done (≥ 0); reports when a 1% mark is crossed or the work is complete.</summary>
    public void Advance(long units = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        long after = Interlocked.Add(ref _done, units), before = after - units;
        if (_progress is not null && (after / _reportEvery != before / _reportEvery || after == Total))
            _progress.Report(new StudyProgress(after, Total));
    }
}

/// <summary>
/// Runs N independent cells (runs of a study, (task, seed) cells of a table) in parallel with a maximum degree, each
/// with its own deterministic seed, so the same study seed gives the same numbers whatever the scheduling; progress at
/// most every 1% of the work; cancellation; the wall time from a <see cref="TimeProvider"/>. Cells write their results
/// into slots of their own (by index); the scaffold holds no results.
/// </summary>
public static class ParallelCells
{
    /// <summary>Run cells 0..<paramref name="cells"/>−1 and return the wall time.</summary>
    /// <param name="cells">Number of cells. Range: ≥ 0.</param>
    /// <param name="seed">Study seed; cell i gets <c>Seeds.Derive(seed, i)</c>.</param>
    /// <param name="maxDegreeOfParallelism">Cells in flight at most. Range: ≥ 1.</param>
    /// <param name="totalWork">Work units of the whole study (e.g. decide+learn rounds, or cells); the cells report them
    /// through <see cref="CellWork.Advance"/>. Range: ≥ 0.</param>
    /// <param name="body">One cell's work.</param>
    /// <param name="progress">Receives done/total work at most every 1%, and once more with total/total at the end.</param>
    /// <param name="timeProvider">Clock of the wall time; <see cref="TimeProvider.System"/> if null.</param>
    /// <param name="cancellationToken">Stops starting cells and is passed to each; throws <see cref="OperationCanceledException"/>.</param>
    public static async Task<TimeSpan> RunAsync(
        int cells,
        ulong seed,
        int maxDegreeOfParallelism,
        long totalWork,
        Func<CellContext, CellWork, CancellationToken, ValueTask> body,
        IProgress<StudyProgress>? progress = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cells);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(totalWork);
        ArgumentNullException.ThrowIfNull(body);
        timeProvider ??= TimeProvider.System;
        var work = new CellWork(totalWork, progress);
        long start = timeProvider.GetTimestamp();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, cells), parallel,
            (cell, ct) => body(new CellContext(cell, Seeds.Derive(seed, cell)), work, ct)).ConfigureAwait(false);
        TimeSpan wall = timeProvider.GetElapsedTime(start);
        progress?.Report(new StudyProgress(totalWork, totalWork));
        return wall;
    }
}
