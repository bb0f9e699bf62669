using System.Runtime.InteropServices;
using Tandem.Cli;

// Ctrl+C / SIGTERM: the first cancels the command's token (work stops at the next check and the command
// says so, exit 130); a second ends the process at once with exit 130, never a crash (issue 15, defect 10).
using var cancellation = new CancellationTokenSource();
int signals = 0;
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (Interlocked.Increment(ref signals) == 1)
    {
        Console.Error.WriteLine("stopping… (press Ctrl+C again to quit at once)");
        cancellation.Cancel();
        return;
    }
    Console.Error.WriteLine("error: interrupted");
    Environment.Exit(CliApp.Interrupted);
}
// The registrations live as long as the process and are never disposed: disposing one waits for a handler still
// running, and a second signal's handler is inside Environment.Exit, which waits for the main thread; returning from
// main while it runs then hung the process (seen once in CI: two Ctrl+C, no exit within 60 s).
var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

int exit = await CliApp.RunAsync(args, Console.Out, Console.Error, cancellation.Token).ConfigureAwait(false);
GC.KeepAlive(sigint);
GC.KeepAlive(sigterm);
return exit;
