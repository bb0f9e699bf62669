using System.Globalization;
using System.Text;
using Tandem.Service.Studies;

namespace Tandem.Service.Api;

/// <summary>Process-wide counters of the writers (commits, groups, failures, safe defaults). Thread-safe.</summary>
public sealed class ServiceMetrics
{
    private long _commits, _events, _failures, _safeDefaults, _commitTicks;

    /// <summary>Count one committed group of <paramref name="events"/> that took <paramref name="elapsed"/>.</summary>
    public void Committed(int events, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _commitTicks, elapsed.Ticks);
    }

    /// <summary>Count a failed commit.</summary>
    public void CommitFailed() => Interlocked.Increment(ref _failures);

    /// <summary>Count a safe-default decision.</summary>
    public void SafeDefault() => Interlocked.Increment(ref _safeDefaults);

    /// <summary>The Prometheus text exposition (format 0.0.4) of the counters and every study's gauges.</summary>
    public async Task<string> RenderAsync(StudyRegistry registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var text = new StringBuilder();
        Counter(text, "tandem_commits_total", "Groups of events committed (one transaction, one fsync each).", Interlocked.Read(ref _commits));
        Counter(text, "tandem_committed_events_total", "Events committed (decisions, rewards, restores).", Interlocked.Read(ref _events));
        Counter(text, "tandem_commit_seconds_total", "Time spent committing groups.", TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks)).TotalSeconds);
        Counter(text, "tandem_commit_failures_total", "Commits that failed (their groups were answered 503).", Interlocked.Read(ref _failures));
        Counter(text, "tandem_safe_default_decisions_total", "Decisions served by a study's safe default because its learner threw.", Interlocked.Read(ref _safeDefaults));
        var rows = new List<(string Study, StudyStatus Status)>();
        foreach (IStudyHost study in registry.All)
        {
            Reply<StudyStatus> reply = await study.StatusAsync(cancellationToken).ConfigureAwait(false);
            if (reply.Value is { } status) rows.Add((study.Spec.Id, status));
        }
        Gauge(text, "tandem_study_decisions", "Decisions committed.", rows, s => s.Decisions);
        Gauge(text, "tandem_study_rewards", "Rewards committed.", rows, s => s.Rewards);
        Gauge(text, "tandem_study_pending", "Decisions without a reward.", rows, s => s.Pending);
        Gauge(text, "tandem_study_model_version", "Rewards learned plus states restored.", rows, s => s.ModelVersion);
        Gauge(text, "tandem_study_advisor_queries", "Advisor queries (libra).", rows, s => s.ModelCalls?.Queries ?? 0);
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, double value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" counter\n")
            .Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static void Gauge(StringBuilder text, string name, string help, List<(string Study, StudyStatus Status)> rows, Func<StudyStatus, long> value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(" gauge\n");
        // Study ids are letters, digits, '-' and '_' (checked at creation), so they need no escaping in a label.
        foreach (var (study, status) in rows)
            text.Append(name).Append("{study=\"").Append(study).Append("\"} ").Append(value(status).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
