using System.CommandLine;
using Tandem.Core.Logging;

namespace Tandem.Cli.Hosting;

/// <summary>The options every study command takes, declared once: <c>--seed</c>, <c>--out</c>, <c>--json</c>,
/// <c>--parallel</c> and <c>--log</c>.</summary>
public sealed class CommonOptions
{
    /// <summary>The largest <c>--parallel</c> accepted.</summary>
    public const int MaxParallel = 256;

    /// <summary>Create the options; <paramref name="defaultSeed"/> is the study's default random seed.</summary>
    public CommonOptions(string outDescription, ulong defaultSeed = 1, string parallelDescription = "Runs in parallel at most (default: processor count).")
    {
        Seed = new Option<ulong>("--seed") { Description = "Random seed of the study; run i uses a seed derived from it and i.", DefaultValueFactory = _ => defaultSeed, Recursive = true };
        Out = new Option<string?>("--out") { Description = outDescription, Recursive = true };
        Json = new Option<bool>("--json") { Description = "Print exactly one JSON summary object on stdout.", Recursive = true };
        Parallel = new Option<int?>("--parallel") { Description = parallelDescription, Recursive = true };
        Log = new Option<string?>("--log") { Description = "Write the decision log (one JSON line per decision, with propensities and the truth per arm; docs/decision-log.md) to this file.", Recursive = true };
    }

    /// <summary><c>--seed</c>.</summary>
    public Option<ulong> Seed { get; }

    /// <summary><c>--out</c>.</summary>
    public Option<string?> Out { get; }

    /// <summary><c>--json</c>.</summary>
    public Option<bool> Json { get; }

    /// <summary><c>--parallel</c>.</summary>
    public Option<int?> Parallel { get; }

    /// <summary><c>--log</c>.</summary>
    public Option<string?> Log { get; }

    /// <summary>Add all five to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Seed, Out, Json, Parallel, Log }) command.Add(option);
    }

    /// <summary>Read and check them; <paramref name="defaultOut"/> is used when <c>--out</c> is not given.</summary>
    /// <exception cref="UsageException">A value is out of range.</exception>
    public CommonSettings Read(ParseResult parse, string defaultOut)
    {
        int? parallel = parse.GetValue(Parallel);
        if (parallel is < 1 or > MaxParallel) throw new UsageException($"--parallel {parallel} must lie in 1..{MaxParallel}.");
        string? log = parse.GetValue(Log);
        if (log is not null && string.IsNullOrWhiteSpace(log)) throw new UsageException("--log is empty; give a file path.");
        return new CommonSettings(parse.GetValue(Seed), parse.GetValue(Out) ?? defaultOut, parse.GetValue(Out) is not null, parse.GetValue(Json),
            parallel ?? Environment.ProcessorCount, log);
    }
}

/// <summary>The common settings of one study command.</summary>
/// <param name="Seed">The study's random seed.</param>
/// <param name="Out">The output folder.</param>
/// <param name="OutGiven">Whether <c>--out</c> was given (some commands choose another default otherwise).</param>
/// <param name="Json">Print one JSON summary object.</param>
/// <param name="Parallel">Work items in parallel at most.</param>
/// <param name="Log">The decision log's path, or null.</param>
public sealed record CommonSettings(ulong Seed, string Out, bool OutGiven, bool Json, int Parallel, string? Log)
{
    /// <summary>Open the decision log now, before any work, or null without <c>--log</c>; an unwritable path is a usage error.</summary>
    public DecisionLogFile? OpenLog()
    {
        if (Log is null) return null;
        try
        {
            return DecisionLogFile.Create(Log);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--log: {ex.Message}");
        }
    }
}
