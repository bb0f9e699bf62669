using System.CommandLine;
using Tandem.Cli.Commands;
using Tandem.Cli.Console;
using Tandem.Core.Ports;

namespace Tandem.Cli;

/// <summary>A bad option value or unusable input: one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The `tandem` command: wiring, parsing and error handling only (a thin host).</summary>
public static class CliApp
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code for an unexpected failure.</summary>
    public const int Failure = 1;

    /// <summary>Exit code for bad input (options, files) and deliberate stops (a cost guard reached, a cassette without the answer).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code after Ctrl+C or SIGTERM (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>Build the root command writing to the given streams.</summary>
    public static RootCommand BuildRoot(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Tandem: bandits and language models in tandem for adaptive health interventions.");
        var io = new CliIo(output, error);
        root.Add(LibraCommand.Create(io));
        root.Add(DemoCommand.Create(io));
        root.Add(LlmCommand.Create(io));
        root.Add(DlmCommand.Create(io));
        root.Add(RmabCommand.Create(io));
        root.Add(GambittsCommand.Create(io));
        root.Add(OpeCommand.Create(io));
        root.Add(BatchRegretCommand.Create(io));
        root.Add(ServeCommand.Create(io));
        root.Add(SchemaCommand.Create(io));
        return root;
    }

    /// <summary>Parse and run; never throws, returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            RootCommand root = BuildRoot(output, error);
            // Response files are off: a value starting with '@' is a value, never a file read into the command line (issue 15, defect 22).
            ParseResult parse = root.Parse(args.Length == 0 ? ["--help"] : args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            if (parse.Errors.Count > 0)
            {
                // One line: the unrecognized tokens first, they say the most.
                var messages = parse.Errors.Select(e => e.Message.TrimEnd('.')).OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).Distinct();
                error.WriteLine("error: " + ConsoleText.Safe(string.Join("; ", messages)) + " (see 'tandem --help')");
                return BadInput;
            }
            // Signals are the host's (Program.cs): the first Ctrl+C cancels the token, a second ends the process at once.
            var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            error.WriteLine("error: " + ConsoleText.Safe(ex.Message));
            return BadInput;
        }
        catch (StudyStopException ex)
        {
            error.WriteLine("error: " + ConsoleText.Safe(ex.Message));
            return BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("error: interrupted; files of this run are incomplete");
            return Interrupted;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("error: cancelled");
            return Failure;
        }
        catch (IOException ex)
        {
            error.WriteLine("error: disk or file error: " + ConsoleText.Safe(ex.Message));
            return Failure;
        }
        catch (Exception ex)
        {
            error.WriteLine($"error: unexpected {ex.GetType().Name}: {ConsoleText.Safe(ex.Message)}");
            return Failure;
        }
    }
}

/// <summary>The streams a command writes to.</summary>
public sealed record CliIo(TextWriter Output, TextWriter Error);
