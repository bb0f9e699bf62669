using Tandem.Testing;

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

    /// <summary>A copy of <paramref name="args"/> with <paramref name="option"/> set to <paramref name="value"/>
    /// (replaced when present, appended otherwise).</summary>
    public static string[] WithOption(string[] args, string option, string value)
    {
        string[] copy = [.. args];
        int at = Array.IndexOf(copy, option);
        if (at >= 0)
        {
            copy[at + 1] = value;
            return copy;
        }
        return [.. copy, option, value];
    }

    /// <summary>The CLI contract for bad input: exit code 2, nothing on stdout, one line on stderr that says <paramref name="message"/>.</summary>
    public static void AssertUsageError((int Exit, string Out, string Err) run, string message)
    {
        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Out);
        Assert.Contains(message, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
    }

    /// <summary>A server script that answers the up-front model check (<see cref="Tandem.Llm.Providers.ModelCheck"/>) with
    /// "OK" and every other request with <paramref name="script"/>: a model that is up, then fails as scripted.</summary>
    public static Func<ScriptedLlmServer.Request, ScriptedLlmServer.Reply> AfterTheCheck(Func<ScriptedLlmServer.Request, ScriptedLlmServer.Reply> script) =>
        r => r.UserText == Tandem.Llm.Providers.ModelCheck.Prompt ? new ScriptedLlmServer.Reply(Content: "OK") : script(r);

    public static string TempFolder()
    {
        string path = Path.Combine(Path.GetTempPath(), "tandem-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>Reads a command's JSON output (stdout of <c>--json</c>, or summary.json): the output envelope's
/// <c>results</c> (docs/outputs.md), or any other JSON as it is. Tests of the envelope itself use JsonNode.Parse.</summary>
internal static class CliJson
{
    public static System.Text.Json.Nodes.JsonNode? Parse(string json)
    {
        System.Text.Json.Nodes.JsonNode? node = System.Text.Json.Nodes.JsonNode.Parse(json);
        return node is System.Text.Json.Nodes.JsonObject o && o.ContainsKey("command") && o.ContainsKey("version") && o.ContainsKey("settings") && o["results"] is { } results
            ? results.DeepClone()
            : node;
    }
}
