using System.Diagnostics;
using Tandem.Cli.Console;

namespace Tandem.Cli.Tests;

// Issue 15: defect 10 (one SIGINT ignored, a second crashed with exit 134), defect 16 (terminal escapes printed
// raw), defect 22 (values starting with '@' expanded as response files).
public class SignalAndConsoleTests : IDisposable
{
    private readonly string _dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // SIGINT as a terminal's Ctrl+C sends it.
    private static async Task<bool> SendSigIntAsync(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false, RedirectStandardError = true })!;
        await kill.WaitForExitAsync();
        return kill.ExitCode == 0;
    }

    private async Task<(int Exit, string Err)> InterruptAsync(int signals)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "tandem.dll");
        // Through `env --default-signal=INT`: a test host started in the background by a non-interactive shell (CI run
        // with `&`) inherits SIGINT ignored, and .NET keeps an inherited ignore, so the child would never see Ctrl+C.
        var start = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "--default-signal=INT", "dotnet", dll, "libra", "--env", "synthetic", "--policies", "glrb", "--runs", "2", "--horizon", "5000000", "--out", Path.Combine(_dir, "o") })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        var started = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("started", StringComparison.Ordinal)) started.TrySetResult();
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.True(await Task.WhenAny(started.Task, Task.Delay(60_000)) == started.Task, "the study did not start");
        for (int i = 0; i < signals; i++)
        {
            // The first signal must arrive; a later one may find the process already gone, which is fine.
            bool sent = await SendSigIntAsync(process.Id);
            if (i == 0) Assert.True(sent, "SIGINT could not be sent");
            await Task.Delay(50);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        lock (stderr) return (process.ExitCode, stderr.ToString());
    }

    [Fact]
    public async Task OneCtrlC_StopsTheStudy_Exit130_NoCrash()
    {
        var (exit, err) = await InterruptAsync(1);

        Assert.Equal(130, exit);
        Assert.Contains("interrupted", err);
        Assert.DoesNotContain("Unhandled", err);
        Assert.True(File.Exists(Path.Combine(_dir, "o", "INCOMPLETE")));
    }

    [Fact]
    public async Task TwoCtrlC_QuitAtOnce_Exit130_NoCrash()
    {
        var (exit, err) = await InterruptAsync(2);

        Assert.Equal(130, exit);
        Assert.DoesNotContain("Unhandled", err);
    }

    [Theory]
    [InlineData("model\u001b]0;pwned\u0007", "model?]0;pwned?")]
    [InlineData("a\u202Eb", "a?b")]
    [InlineData("tab\tok\nnext", "tab\tok?next")]
    public void ConsoleText_ReplacesControlAndBidiCharacters(string text, string expected) =>
        Assert.Equal(expected, ConsoleText.Safe(text));

    [Fact]
    public async Task AtSign_IsAValue_NotAResponseFile()
    {
        string secret = Path.Combine(_dir, "secret.txt");
        File.WriteAllText(secret, "--env fertility");

        var run = await CliRunner.Run("libra", "--env", "@" + secret, "--out", Path.Combine(_dir, "x"));

        CliRunner.AssertUsageError(run, "Unknown environment '@" + secret + "'");
    }
}
