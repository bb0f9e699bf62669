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

    /// <summary>Render <paramref name="report"/> and the manifest, then move them into the folder.</summary>
    public void Complete(Report report, string command, IReadOnlyList<string> arguments, ulong seed, IReadOnlyDictionary<string, string> settings,
        IEnumerable<(string Name, string Text)>? extraFiles = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ReportWriter.Write(_session.Staging, report);
        foreach (var (name, text) in extraFiles ?? [])
            File.WriteAllText(_session.StagedFile(name), text, new System.Text.UTF8Encoding(false));
        double wall = (DateTimeOffset.UtcNow - Started).TotalSeconds;
        RunManifest.Capture(command, arguments.ToArray(), seed, Started, wall, settings).Write(_session.StagedFile("manifest.json"));
        _session.Commit();
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
