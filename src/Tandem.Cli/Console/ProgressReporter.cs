using Spectre.Console;
using Tandem.Core.Running;

namespace Tandem.Cli.Console;

/// <summary>
/// Shows study progress on stderr: a live Spectre.Console bar when stderr is a terminal, else a plain
/// line at every quarter (so logs and pipes stay readable). Never writes to stdout.
/// </summary>
public static class ProgressReporter
{
    /// <summary>Run <paramref name="work"/> while showing its progress under <paramref name="label"/>.</summary>
    public static async Task<T> RunAsync<T>(CliIo io, string label, bool quiet, Func<IProgress<StudyProgress>, Task<T>> work)
    {
        bool interactive = !quiet && ReferenceEquals(io.Error, System.Console.Error) && !System.Console.IsErrorRedirected;
        if (interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
            T result = default!;
            await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    ProgressTask task = ctx.AddTask(Markup.Escape(label), maxValue: 1.0);
                    var progress = new SyncProgress(p => task.Value = p.TotalSteps == 0 ? 1 : (double)p.CompletedSteps / p.TotalSteps);
                    result = await work(progress).ConfigureAwait(false);
                    task.Value = 1.0;
                }).ConfigureAwait(false);
            return result;
        }
        if (quiet) return await work(new SyncProgress(_ => { })).ConfigureAwait(false);

        int lastQuarter = 0;
        var gate = new object();
        io.Error.WriteLine($"{label}: started");
        return await work(new SyncProgress(p =>
        {
            int quarter = p.TotalSteps == 0 ? 4 : (int)(4 * p.CompletedSteps / p.TotalSteps);
            lock (gate)
            {
                if (quarter <= lastQuarter || quarter >= 4) return;
                lastQuarter = quarter;
                io.Error.WriteLine($"{label}: {25 * quarter}%");
            }
        })).ConfigureAwait(false);
    }

    // Progress<T> posts to the captured context; the runner reports from worker threads and the
    // handlers above are thread-safe, so report synchronously.
    private sealed class SyncProgress(Action<StudyProgress> handler) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => handler(value);
    }
}
