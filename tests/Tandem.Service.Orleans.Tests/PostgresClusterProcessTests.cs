using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Tandem.Service.Orleans.Storage;
using Tandem.Service.Storage;
using Tandem.Service.Tests;
using Xunit.Abstractions;

namespace Tandem.Service.Orleans.Tests;

/// <summary>Issue 19 §1–2 over PostgreSQL clustering, as it runs: two <c>--cluster</c> processes (child processes on
/// 127.0.0.1, the service's default probe timeout) find each other only through the membership table in the
/// store's database; the process whose silo hosts a study is killed (SIGKILL, no goodbye) under concurrent load through
/// the other; the study reactivates there with every acknowledged decision and reward, and its learner equals a replay of
/// the log. The time from the kill to the first acknowledged decision after it is written to the test output (not
/// asserted: tests never time things).</summary>
public sealed class PostgresClusterProcessTests(ITestOutputHelper output)
{
    private const string Study = """{"id":"ID","kind":"linucb","arms":["a0","a1","a2","a3"],"features":["f0","f1","f2","f3","f4"],"options":{"alpha":0.5}}""";

    [PostgresFact]
    public async Task TwoProcesses_FindEachOtherThroughPostgres_AndKillingTheOwner_LosesNothingAcknowledged_AndTheOtherReplaysTheStudy()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        string clusterId = "proc-" + Guid.NewGuid().ToString("N")[..8];
        ServeProcess[] processes = [ServeProcess.Start(database.ConnectionString, clusterId), ServeProcess.Start(database.ConnectionString, clusterId)];
        try
        {
            await Task.WhenAll(processes.Select(p => p.WaitUntilListeningAsync()));

            // They joined one cluster through the table alone (no seed address in their configuration): two Active rows.
            using (var table = new PostgresMembershipTable(database.ConnectionString, clusterId))
            {
                MembershipTableData members = await table.ReadAllAsync(CancellationToken.None);
                Assert.Equal(2, members.Members.Count(m => m.Item1.Status == SiloStatus.Active));
            }

            string id = "proc-" + Guid.NewGuid().ToString("N")[..8];
            using var admin = processes[0].Client(ClusterService.AdminKeyText);
            var created = await admin.PostAsync("/v1/studies", Study.Replace("ID", id, StringComparison.Ordinal));
            Assert.True(created.Status == 201, created.Text);
            string key = created.Body.GetProperty("apiKey").GetString()!;
            using (var first = processes[0].Client(key))
                Assert.Equal(200, (await first.PostAsync($"/v1/studies/{id}/decisions", """{"context":[0,0,0,0,0]}""")).Status);
            ServeProcess owner = await ServeProcess.OwnerAsync(processes, id);
            ServeProcess survivor = processes.Single(p => p != owner);
            int activationsBefore = survivor.Activations(id);
            using var client = survivor.Client(key);

            KillUnderLoad run = await KillUnderLoad.RunAsync(client, id, clients: 8, features: 5, () => { owner.Kill(); return Task.CompletedTask; }, TimeSpan.FromSeconds(120));
            double failover = run.FailoverSeconds;
            output.WriteLine($"failover: {failover.ToString("F2", CultureInfo.InvariantCulture)} s from the kill to the first acknowledged decision through the survivor; load average {File.ReadAllText("/proc/loadavg").Trim()}");

            Assert.True(survivor.Activations(id) > activationsBefore, "the study was not reactivated on the surviving process");
            await run.AssertAllAcknowledgedInLogAsync(client, id);

            string served = (await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text;
            using PostgresStudyStore store = await PostgresStudyStore.OpenAsync(database.ConnectionString);
            Assert.Equal(await Replay.LinUcbAsync(store, id), served);
        }
        finally
        {
            foreach (ServeProcess p in processes) p.Dispose();
        }
    }

}

/// <summary>The independent replay (<see cref="IndependentReplay"/>, written with the library alone, reading a SQLite
/// store) of a study kept in another store: its log is copied to a fresh SQLite store first.</summary>
internal static class Replay
{
    public static async Task<string> LinUcbAsync(IStudyStore source, string id)
    {
        string data = Path.Combine(Path.GetTempPath(), "tandem-orleans-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using (var copy = new SqliteStudyStore(data))
            {
                await copy.CreateStudyAsync((await source.ListStudiesAsync()).Single(s => s.Id == id));
                var events = new List<StudyEvent>();
                await foreach (StudyEvent e in source.ReadEventsAsync(id, 0)) events.Add(e);
                await copy.AppendAsync(id, events, null);
            }
            return await IndependentReplay.LinUcbAsync(data, id, ["f0", "f1", "f2", "f3", "f4"], 4, alpha: 0.5);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>One <c>Tandem.Service.Orleans</c> process (the <c>--cluster</c> service) started from the test's output folder
/// with postgres clustering and store, its output kept to find where studies were activated.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _config;

    private ServeProcess(Process process, string config, Uri url)
    {
        _process = process;
        _config = config;
        Url = url;
    }

    public Uri Url { get; }

    public static ServeProcess Start(string connectionString, string clusterId)
    {
        string config = Path.GetTempFileName();
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            clusterId,
            clustering = new { kind = "postgres" },
            store = new { kind = "postgres", connectionString },
            siloPort = FreePort(),
            gatewayPort = FreePort(),
        }));
        var url = new Uri($"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tandem.Service.Orleans.dll"));
        foreach (string a in new[] { "--cluster", config, "--urls", url.ToString().TrimEnd('/') }) info.ArgumentList.Add(a);
        info.Environment["TANDEM_ADMIN_KEY"] = ClusterService.AdminKeyText;
        var process = new Process { StartInfo = info };
        var serve = new ServeProcess(process, config, url);
        process.OutputDataReceived += (_, e) => serve.Append(e.Data);
        process.ErrorDataReceived += (_, e) => serve.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return serve;
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!Output.Contains("tandem serve: listening on", StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited, "the process exited: " + Output);
            Assert.True(DateTime.UtcNow < deadline, "the process did not start: " + Output);
            await Task.Delay(100);
        }
    }

    /// <summary>How many times this process's silo activated study <paramref name="id"/> (StudyGrain's log line).</summary>
    public int Activations(string id)
    {
        string text = Output;
        string line = $"Study {id} activated on";
        int count = 0;
        for (int at = text.IndexOf(line, StringComparison.Ordinal); at >= 0; at = text.IndexOf(line, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>The process whose silo activated study <paramref name="id"/>.</summary>
    public static async Task<ServeProcess> OwnerAsync(IReadOnlyList<ServeProcess> processes, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            ServeProcess[] owners = [.. processes.Where(p => p.Activations(id) > 0)];
            if (owners.Length == 1) return owners[0];
            Assert.True(owners.Length == 0 && DateTime.UtcNow < deadline, $"{owners.Length} processes activated study {id}");
            await Task.Delay(50);
        }
    }

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    /// <summary>SIGKILL: no graceful shutdown, no leaving the cluster.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        File.Delete(_config);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
