using System.CommandLine;
using Tandem.Core.Reports;
using Tandem.Reporting;

namespace Tandem.Cli.Hosting;

/// <summary>
/// What every study command does around the library's entry point: hold the output folder (lock, INCOMPLETE
/// marker, staged files), open the decision log before any work, render the result's report and the run
/// manifest, and move them in when the run has finished.
/// </summary>
public sealed class StudyOutput : IDisposable
{
    private readonly OutputSession _session;

    private StudyOutput(OutputSession session, CommonSettings common)
    {
        _session = session;
        Common = common;
        Started = DateTimeOffset.UtcNow;
    }

    /// <summary>The common settings.</summary>
    public CommonSettings Common { get; }

    /// <summary>The output folder (full path); files written during the run (audit logs, cassettes) go here.</summary>
    public string Folder => _session.Folder;

    /// <summary>When the command started.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>Take the output folder of <paramref name="common"/>; an unusable or busy folder is a usage error.</summary>
    public static StudyOutput Begin(CommonSettings common)
    {
        ArgumentNullException.ThrowIfNull(common);
        try
        {
            return new StudyOutput(OutputSession.Begin(common.Out), common);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--out '{common.Out}': {ex.Message}");
        }
    }

    /// <summary>Render <paramref name="report"/> with its summary in the output envelope (docs/outputs.md) and the
    /// manifest, then move them into the folder.</summary>
    /// <param name="report">The result's report; its summary becomes the envelope's results.</param>
    /// <param name="parse">The invocation: the envelope's command and settings, and the manifest's arguments.</param>
    /// <param name="seed">The root random seed.</param>
    /// <param name="resolved">Settings the library resolved that the options do not show (e.g. an environment's default advisor); they
    /// override the option values of the same name.</param>
    /// <param name="extraFiles">Further text files to write.</param>
    /// <returns>The envelope written as summary.json, for <c>--json</c>.</returns>
    public OutputEnvelope<object> Complete(Report report, ParseResult parse, ulong? seed, IReadOnlyDictionary<string, string>? resolved = null,
        IEnumerable<(string Name, string Text)>? extraFiles = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(parse);
        OutputEnvelope<object> envelope = Envelope(parse, seed, Started, report.Summary, resolved);
        ReportWriter.Write(_session.Staging, report with { Summary = envelope });
        foreach (var (name, text) in extraFiles ?? [])
            File.WriteAllText(_session.StagedFile(name), text, new System.Text.UTF8Encoding(false));
        RunManifest.Capture("tandem " + envelope.Command, parse.Tokens.Select(t => t.Value).ToArray(), seed ?? 0, Started, envelope.WallSeconds, envelope.Settings)
            .Write(_session.StagedFile("manifest.json"));
        _session.Commit();
        return envelope;
    }

    /// <summary>The output envelope of a command's <paramref name="results"/> (for commands without an output folder too).</summary>
    public static OutputEnvelope<object> Envelope(ParseResult parse, ulong? seed, DateTimeOffset started, object results, IReadOnlyDictionary<string, string>? resolved = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var settings = new Dictionary<string, string>(CommandSettings.From(parse), StringComparer.Ordinal);
        foreach (var (k, v) in resolved ?? new Dictionary<string, string>()) settings[k] = v;
        double wall = Math.Max(0, (DateTimeOffset.UtcNow - started).TotalSeconds);
        return OutputEnvelope.Create(CommandSettings.CommandName(parse), settings, seed, wall, results);
    }

    /// <summary>Print <paramref name="envelope"/> as the one line of <c>--json</c>.</summary>
    public static void Print(CliIo io, OutputEnvelope<object> envelope)
    {
        ArgumentNullException.ThrowIfNull(io);
        io.Output.WriteLine(JsonOutput.Serialize(envelope, indented: false));
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
