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
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

return await CliApp.RunAsync(args, Console.Out, Console.Error, cancellation.Token).ConfigureAwait(false);
