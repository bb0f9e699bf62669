using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tandem.Service.Tests;

namespace Tandem.Service.Orleans.Tests;

/// <summary>
/// The load of the failover tests (issue 19 §2): <c>clients</c> concurrent clients decide on one study with random
/// contexts and reward 80% of the decisions; once 100 decisions are acknowledged the study's owner is killed, and the
/// load runs on until 100 more are acknowledged. A refused request must be a 503 naming <c>study</c> (a failing-over
/// study is unavailable, never wrong). Records every acknowledged decision (id → arm) and reward (id → value), and the
/// time from the kill to the first decision acknowledged after it.
/// </summary>
internal sealed class KillUnderLoad
{
    /// <summary>Acknowledged decisions: decision id → arm.</summary>
    public ConcurrentDictionary<string, int> Decisions { get; } = new();

    /// <summary>Acknowledged rewards: decision id → reward.</summary>
    public ConcurrentDictionary<string, double> Rewards { get; } = new();

    /// <summary>Seconds from the kill to the first decision acknowledged after it.</summary>
    public double FailoverSeconds { get; private set; }

    /// <summary>Run the load on study <paramref name="id"/>, calling <paramref name="kill"/> once, within <paramref name="timeout"/>.</summary>
    public static async Task<KillUnderLoad> RunAsync(HttpClient client, string id, int clients, int features, Func<Task> kill, TimeSpan timeout)
    {
        var run = new KillUnderLoad();
        var clock = Stopwatch.StartNew();
        long killedAt = long.MaxValue, firstAfterKill = long.MaxValue;
        using var stop = new CancellationTokenSource();
        Task[] load = [.. Enumerable.Range(0, clients).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                string context = "[" + string.Join(",", Enumerable.Range(0, features).Select(_ => Math.Round(rng.NextDouble() * 2 - 1, 3).ToString(CultureInfo.InvariantCulture))) + "]";
                var d = await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":{{context}}}""");
                if (d.Status != 200)
                {
                    Assert.True(d.Status == 503, d.Text);
                    Assert.Equal("study", d.Body.GetProperty("field").GetString());
                    await Task.Delay(50);
                    continue;
                }
                long now = clock.ElapsedTicks;
                if (now > Interlocked.Read(ref killedAt)) InterlockedMin(ref firstAfterKill, now);
                string decision = d.Body.GetProperty("decisionId").GetString()!;
                run.Decisions[decision] = d.Body.GetProperty("arm").GetInt32();
                if (rng.NextDouble() < 0.2) continue; // some stay pending
                double reward = Math.Round(rng.NextDouble(), 4);
                var r = await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{decision}}","reward":{{reward.ToString(CultureInfo.InvariantCulture)}}}""");
                if (r.Status == 200) run.Rewards[decision] = reward;
                else Assert.True(r.Status == 503, r.Text);
            }
        }))];
        try
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (run.Decisions.Count < 100 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(run.Decisions.Count >= 100, $"only {run.Decisions.Count} decisions before the kill");
            await kill();
            Interlocked.Exchange(ref killedAt, clock.ElapsedTicks);
            int atKill = run.Decisions.Count;
            while (run.Decisions.Count < atKill + 100 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(run.Decisions.Count >= atKill + 100, $"only {run.Decisions.Count - atKill} decisions after the kill: the study did not come back");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
        run.FailoverSeconds = (firstAfterKill - killedAt) / (double)Stopwatch.Frequency;
        return run;
    }

    /// <summary>Check that the study's log holds every acknowledged decision with its arm and every acknowledged reward;
    /// returns the log lines by decision id.</summary>
    public async Task<Dictionary<string, JsonElement>> AssertAllAcknowledgedInLogAsync(HttpClient client, string id)
    {
        var log = await client.GetAsync2($"/v1/studies/{id}/log?limit=100000");
        var lines = log.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(l => (l.GetProperty("step").GetInt64() + 1).ToString(CultureInfo.InvariantCulture));
        foreach (var (decision, arm) in Decisions) Assert.Equal(arm, lines[decision].GetProperty("arm").GetInt32());
        foreach (var (decision, reward) in Rewards) Assert.Equal(reward, lines[decision].GetProperty("reward").GetDouble());
        return lines;
    }

    private static void InterlockedMin(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value < seen)
        {
            long was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
