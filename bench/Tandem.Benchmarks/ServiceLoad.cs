using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tandem.Benchmarks;

/// <summary>
/// `-- service-load [--url U] [--clients 64] [--seconds 20] [--d 20] [--k 10] [--pairs N] [--batch-size 1] [--prime-url P]`: a
/// loopback load generator for `tandem serve` (issue 16's targets). Creates a LinUCB study (d features, K arms) with the
/// admin key from TANDEM_ADMIN_KEY, then runs the clients, each looping decide → reward, for the given seconds (or until
/// N pairs in all), and prints pairs per second and the latency percentiles of the decide and reward requests. With
/// `--prime-url`, one decision is first asked through that front end (another silo's, so that in a cluster the study's
/// grain is activated in that process and the load at `--url` reaches it remotely). Timing is measured here, never in tests.
/// </summary>
public static class ServiceLoad
{
    /// <summary>Run with the arguments after `service-load`.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string url = Arg(args, "--url", "http://127.0.0.1:5080");
        int clients = int.Parse(Arg(args, "--clients", "64"), CultureInfo.InvariantCulture);
        double seconds = double.Parse(Arg(args, "--seconds", "20"), CultureInfo.InvariantCulture);
        int d = int.Parse(Arg(args, "--d", "20"), CultureInfo.InvariantCulture);
        int k = int.Parse(Arg(args, "--k", "10"), CultureInfo.InvariantCulture);
        long maxPairs = long.Parse(Arg(args, "--pairs", "0"), CultureInfo.InvariantCulture);
        int batchSize = int.Parse(Arg(args, "--batch-size", "1"), CultureInfo.InvariantCulture);
        string? prime = Arg(args, "--prime-url", "") is { Length: > 0 } p ? p : null;
        string? admin = Environment.GetEnvironmentVariable("TANDEM_ADMIN_KEY");
        if (string.IsNullOrWhiteSpace(admin))
        {
            Console.Error.WriteLine("error: set TANDEM_ADMIN_KEY to the service's admin key.");
            return 2;
        }
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = new Uri(url) };
        string id = "load-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        string spec = JsonSerializer.Serialize(new { id, kind = "linucb", arms = Enumerable.Range(0, k).Select(a => "arm" + a), features = Enumerable.Range(0, d).Select(f => "f" + f), options = new { batchSize } });
        using (var create = new HttpRequestMessage(HttpMethod.Post, "/v1/studies") { Content = new StringContent(spec, Encoding.UTF8, "application/json") })
        {
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            using var response = await http.SendAsync(create).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"error: creating the study failed: {(int)response.StatusCode} {body}");
                return 1;
            }
            string key = JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            if (prime is not null)
            {
                using var primer = new HttpClient { BaseAddress = new Uri(prime) };
                primer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                string context = "{\"context\":[" + string.Join(",", Enumerable.Repeat("0", d)) + "]}";
                using var primed = await primer.PostAsync($"/v1/studies/{id}/decisions", new StringContent(context, Encoding.UTF8, "application/json")).ConfigureAwait(false);
                if (!primed.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"error: the priming decision at {prime} failed: {(int)primed.StatusCode} {await primed.Content.ReadAsStringAsync().ConfigureAwait(false)}");
                    return 1;
                }
            }
        }

        var decideLatency = new List<double>[clients];
        var rewardLatency = new List<double>[clients];
        long pairs = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(c);
            var dl = decideLatency[c] = new List<double>(100_000);
            var rl = rewardLatency[c] = new List<double>(100_000);
            var context = new StringBuilder();
            while (clock.Elapsed < deadline && (maxPairs == 0 || Interlocked.Read(ref pairs) < maxPairs))
            {
                context.Clear().Append("{\"context\":[");
                for (int i = 0; i < d; i++) context.Append(i == 0 ? "" : ",").Append((rng.NextDouble() * 2 - 1).ToString("0.####", CultureInfo.InvariantCulture));
                context.Append("]}");
                long t0 = Stopwatch.GetTimestamp();
                using var decided = await http.PostAsync($"/v1/studies/{id}/decisions", new StringContent(context.ToString(), Encoding.UTF8, "application/json")).ConfigureAwait(false);
                string text = await decided.Content.ReadAsStringAsync().ConfigureAwait(false);
                dl.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!decided.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                string decisionId = JsonDocument.Parse(text).RootElement.GetProperty("decisionId").GetString()!;
                string reward = "{\"decisionId\":\"" + decisionId + "\",\"reward\":" + rng.NextDouble().ToString("0.####", CultureInfo.InvariantCulture) + "}";
                long t1 = Stopwatch.GetTimestamp();
                using var rewarded = await http.PostAsync($"/v1/studies/{id}/rewards", new StringContent(reward, Encoding.UTF8, "application/json")).ConfigureAwait(false);
                rl.Add(Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
                if (!rewarded.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                Interlocked.Increment(ref pairs);
            }
        })).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        double elapsed = clock.Elapsed.TotalSeconds;
        double[] decide = [.. decideLatency.SelectMany(l => l).Order()];
        double[] reward = [.. rewardLatency.SelectMany(l => l).Order()];
        Console.WriteLine(FormattableString.Invariant($"study {id}: LinUCB d={d} K={k}, {clients} clients, {elapsed:F1} s"));
        Console.WriteLine(FormattableString.Invariant($"decide+reward pairs: {pairs} ({pairs / elapsed:F0} pairs/s), errors: {errors}"));
        Console.WriteLine(FormattableString.Invariant($"decide latency ms: p50 {Percentile(decide, 0.5):F2}, p99 {Percentile(decide, 0.99):F2}, max {decide.LastOrDefault():F2}"));
        Console.WriteLine(FormattableString.Invariant($"reward latency ms: p50 {Percentile(reward, 0.5):F2}, p99 {Percentile(reward, 0.99):F2}, max {reward.LastOrDefault():F2}"));
        return 0;
    }

    private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
