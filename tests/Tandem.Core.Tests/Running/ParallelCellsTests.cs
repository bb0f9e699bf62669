using System.Collections.Concurrent;
using Tandem.Core.Randomness;
using Tandem.Core.Running;

namespace Tandem.Core.Tests.Running;

public class ParallelCellsTests
{
    // Each call moves the clock by 5 s: the wall time is the difference of two readings, so exactly 5 s.
    private sealed class SteppingClock : TimeProvider
    {
        private long _now;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Interlocked.Add(ref _now, 5000);
    }

    // Records every report (the scaffold may report from several threads).
    private sealed class Recorder : IProgress<StudyProgress>
    {
        public ConcurrentQueue<StudyProgress> Reports { get; } = new();

        public void Report(StudyProgress value) => Reports.Enqueue(value);
    }

    private static async Task<double[]> DrawPerCell(int cells, int parallel)
    {
        var results = new double[cells];
        await ParallelCells.RunAsync(cells, 42, parallel, cells, async (cell, work, ct) =>
        {
            await Task.Yield();
            results[cell.Index] = Seeds.CreateRandom(cell.Seed).NextDouble();
            work.Advance();
        });
        return results;
    }

    [Fact]
    public async Task CellSeeds_AreDerivedFromTheStudySeedAndIndex_WhateverTheParallelism()
    {
        double[] serial = await DrawPerCell(40, 1);
        double[] parallel = await DrawPerCell(40, 4);
        Assert.Equal(serial, parallel);
        Assert.Equal(Seeds.CreateRandom(Seeds.Derive(42, 7)).NextDouble(), serial[7]);
        Assert.Equal(40, serial.Distinct().Count());
    }

    [Fact]
    public async Task Progress_IsReportedAtMostEveryPercent_AndEndsAtTheTotal()
    {
        var recorder = new Recorder();
        const long total = 10 * 1000;
        await ParallelCells.RunAsync(10, 1, 3, total, (cell, work, ct) =>
        {
            for (int i = 0; i < 1000; i++) work.Advance();
            return ValueTask.CompletedTask;
        }, recorder);
        StudyProgress[] reports = [.. recorder.Reports];
        Assert.InRange(reports.Length, 100, 102); // every 1% (100 marks) plus the final report
        Assert.All(reports, r => Assert.Equal(total, r.TotalSteps));
        Assert.All(reports, r => Assert.True(r.CompletedSteps % 100 == 0, $"{r.CompletedSteps} is not on a 1% mark"));
        Assert.Equal(new StudyProgress(total, total), reports[^1]);
    }

    [Fact]
    public async Task Advance_ByManyUnits_ReportsOncePerCrossing()
    {
        var recorder = new Recorder();
        await ParallelCells.RunAsync(1, 1, 1, 1000, (cell, work, ct) =>
        {
            work.Advance(5);   // below the first mark (10): no report
            work.Advance(300); // crosses several marks: one report
            work.Advance(695); // completes the work: one report
            return ValueTask.CompletedTask;
        }, recorder);
        Assert.Equal([new StudyProgress(305, 1000), new StudyProgress(1000, 1000), new StudyProgress(1000, 1000)], recorder.Reports.ToArray());
    }

    [Fact]
    public async Task WallTime_ComesFromTheTimeProvider()
    {
        TimeSpan wall = await ParallelCells.RunAsync(3, 1, 2, 3, (cell, work, ct) => ValueTask.CompletedTask, timeProvider: new SteppingClock());
        Assert.Equal(TimeSpan.FromSeconds(5), wall);
    }

    [Fact]
    public async Task Cancellation_StopsTheStudy()
    {
        using var cts = new CancellationTokenSource();
        int started = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ParallelCells.RunAsync(1000, 1, 1, 1000, (cell, work, ct) =>
        {
            if (Interlocked.Increment(ref started) == 3) cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }, cancellationToken: cts.Token));
        Assert.InRange(started, 3, 4);
    }

    [Fact]
    public async Task BadArguments_AreRefusedNamingTheParameter()
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ParallelCells.RunAsync(1, 1, 0, 1, (c, w, t) => ValueTask.CompletedTask));
        Assert.Equal("maxDegreeOfParallelism", ex.ParamName);
        ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ParallelCells.RunAsync(-1, 1, 1, 1, (c, w, t) => ValueTask.CompletedTask));
        Assert.Equal("cells", ex.ParamName);
    }
}
