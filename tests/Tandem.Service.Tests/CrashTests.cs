using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tandem.Service.Tests;

/// <summary>The service as a child process, killed with SIGKILL under concurrent load and restarted (issue 16 §3, §6).</summary>
public sealed class CrashTests
{
    private static readonly string ServiceDll = Path.Combine(AppContext.BaseDirectory, "Tandem.Service.dll");

    [Fact]
    public async Task KillNine_DuringConcurrentLoad_LosesNothingAcknowledged_AndTheStateEqualsAReplay()
    {
        string data = TestService.NewFolder();
        int port = FreePort();
        var child = Start(data, port, TestService.AdminKeyText);
        var children = new List<Process> { child };
        try
        {
            using var admin = await WaitHealthyAsync(port, TestService.AdminKeyText);
            var created = await admin.PostAsync("/v1/studies", """{"id":"crash","kind":"linucb","arms":["a0","a1","a2","a3"],"features":["f0","f1","f2","f3","f4"],"options":{"alpha":0.5}}""");
            Assert.Equal(201, created.Status);
            using var client = new HttpClient { BaseAddress = admin.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", created.Body.GetProperty("apiKey").GetString());

            var decisions = new ConcurrentDictionary<string, int>(); // acknowledged decision → arm
            var rewards = new ConcurrentDictionary<string, double>(); // acknowledged reward → value
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                var rng = new Random(w);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        string context = "[" + string.Join(",", Enumerable.Range(0, 5).Select(_ => Math.Round(rng.NextDouble() * 2 - 1, 3).ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
                        var d = await client.PostAsync("/v1/studies/crash/decisions", $$"""{"context":{{context}}}""");
                        if (d.Status != 200) continue;
                        string id = d.Body.GetProperty("decisionId").GetString()!;
                        decisions[id] = d.Body.GetProperty("arm").GetInt32();
                        if (rng.NextDouble() < 0.2) continue; // some stay pending
                        double reward = Math.Round(rng.NextDouble(), 4);
                        var r = await client.PostAsync("/v1/studies/crash/rewards", $$"""{"decisionId":"{{id}}","reward":{{reward.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""");
                        if (r.Status == 200) rewards[id] = reward;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                    {
                        // The server died mid-request: not acknowledged, so nothing is owed.
                    }
                }
            })).ToArray();

            while (decisions.Count < 300) await Task.Delay(20);
            child.Kill(); // SIGKILL on Unix: no shutdown code runs
            await child.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            Assert.True(decisions.Count >= 300);

            child = Start(data, port, TestService.AdminKeyText);
            children.Add(child);
            using var again = await WaitHealthyAsync(port, TestService.AdminKeyText);
            var log = await again.GetAsync2("/v1/studies/crash/log?limit=100000");
            var lines = log.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => (l.GetProperty("step").GetInt64() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (id, arm) in decisions) Assert.Equal(arm, lines[id].GetProperty("arm").GetInt32());
            foreach (var (id, reward) in rewards) Assert.Equal(reward, lines[id].GetProperty("reward").GetDouble());

            string restarted = (await again.GetAsync2("/v1/studies/crash/snapshot")).Text;
            string replayed = await IndependentReplay.LinUcbAsync(data, "crash", ["f0", "f1", "f2", "f3", "f4"], 4, alpha: 0.5);
            Assert.Equal(replayed, restarted);
        }
        finally
        {
            foreach (Process p in children)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task WithoutAnAdminKey_TheServiceRefusesToStart_WithOneLineNamingTheVariable()
    {
        string data = TestService.NewFolder();
        using Process child = Start(data, FreePort(), adminKey: null);
        string error = await child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        Assert.Equal(2, child.ExitCode);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("TANDEM_ADMIN_KEY", error, StringComparison.Ordinal);
        Directory.Delete(data, true);
    }

    private static Process Start(string data, int port, string? adminKey)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { ServiceDll, "--urls", $"http://127.0.0.1:{port}", "--data", data }) info.ArgumentList.Add(a);
        info.Environment.Remove("TANDEM_ADMIN_KEY");
        if (adminKey is not null) info.Environment["TANDEM_ADMIN_KEY"] = adminKey;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task<HttpClient> WaitHealthyAsync(int port, string adminKey)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
        for (int i = 0; i < 300; i++)
        {
            try
            {
                if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return client;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("The service did not become healthy.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
