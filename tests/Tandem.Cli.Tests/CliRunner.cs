namespace Tandem.Cli.Tests;

/// <summary>Runs the `tandem` command in-process with captured streams.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CliApp.RunAsync(args, output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    public static string TempFolder()
    {
        string path = Path.Combine(Path.GetTempPath(), "tandem-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
