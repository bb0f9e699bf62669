using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Tandem.Service.Security;

namespace Tandem.Service.Orleans.Tests;

/// <summary><c>tandem serve --cluster CONFIG</c> as it runs: web front ends with co-hosted silos joined by localhost
/// clustering over one shared store, and its configuration's refusals.</summary>
public sealed class ClusterServeTests
{
    [Fact]
    public async Task TwoServeProcesses_FormOneCluster_AndWhenTheOwnerStops_TheOtherServesTheStudyWithItsHistory()
    {
        string data = Path.Combine(Path.GetTempPath(), "tandem-orleans-tests", Guid.NewGuid().ToString("N"));
        int primary = FreePort();
        ClusterConfig Config(int silo) => new() { StoreDirectory = data, PrimarySiloPort = primary, SiloPort = silo, GatewayPort = FreePort() };
        var options = new ServiceOptions { Urls = "http://127.0.0.1:0" };
        WebApplication Build(ClusterConfig config) => ClusterServiceApp.Build(options, config, AdminKey.Create(ClusterService.AdminKeyText),
            logging: l => l.SetMinimumLevel(LogLevel.Critical), silo: s => s.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = TimeSpan.FromMilliseconds(500)));
        WebApplication first = Build(Config(primary));
        WebApplication second = Build(Config(FreePort()));
        await ServiceApp.StartAsync(first);
        await ServiceApp.StartAsync(second);
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri(first.Urls.First()) };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", ClusterService.AdminKeyText);
            var created = await admin.PostAsync("/v1/studies", """{"id":"served","kind":"linucb","arms":["a0","a1"],"features":["x"]}""");
            Assert.Equal(201, created.Status);
            string key = created.Body.GetProperty("apiKey").GetString()!;
            using var viaSecond = new HttpClient { BaseAddress = new Uri(second.Urls.First()) };
            viaSecond.DefaultRequestHeaders.Authorization = new("Bearer", key);
            for (int i = 0; i < 5; i++)
            {
                var d = await viaSecond.PostAsync("/v1/studies/served/decisions", $$"""{"context":[{{i.ToString(CultureInfo.InvariantCulture)}}]}""");
                Assert.Equal(200, d.Status);
                Assert.Equal(200, (await viaSecond.PostAsync("/v1/studies/served/rewards", $$"""{"decisionId":"{{d.Body.GetProperty("decisionId").GetString()}}","reward":1}""")).Status);
            }
            string before = (await viaSecond.GetAsync2("/v1/studies/served/snapshot")).Text;

            // Stop the primary process (it may or may not own the study): the second keeps serving it, from the store.
            await first.StopAsync();
            var status = await viaSecond.GetAsync2("/v1/studies/served");
            Assert.Equal(200, status.Status);
            Assert.Equal(5, status.Body.GetProperty("rewards").GetInt64());
            Assert.Equal(before, (await viaSecond.GetAsync2("/v1/studies/served/snapshot")).Text);
            Assert.Equal(200, (await viaSecond.PostAsync("/v1/studies/served/decisions", """{"context":[9]}""")).Status);
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
            await first.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    [Theory]
    [InlineData("""{"clustering":{"kind":"consul"}}""", "clustering.kind")]
    [InlineData("""{"clustering":{"kind":"postgres"}}""", "clustering.kind")] // postgres clustering needs the postgres store
    [InlineData("""{"clustering":{"probeTimeoutSeconds":0}}""", "clustering.probeTimeoutSeconds")]
    [InlineData("""{"clustering":{"probeTimeoutSeconds":"2"}}""", "clustering.probeTimeoutSeconds")]
    [InlineData("""{"advertisedIp":"db.example"}""", "advertisedIp")]
    [InlineData("""{"store":{"kind":"redis"}}""", "store.kind")]
    [InlineData("""{"store":{"kind":"postgres"}}""", "store.connectionString")]
    [InlineData("""{"siloPort":70000}""", "siloPort")]
    [InlineData("""{"siloPort":3000,"gatewayPort":3000}""", "gatewayPort")]
    [InlineData("""{"sotre":{}}""", "sotre")]
    [InlineData("""{"store":{"directory":5}}""", "store.directory")]
    [InlineData("""[1]""", "$")]
    [InlineData("""{"clusterId":""" , "$")]
    public void Parse_BadConfiguration_NamesTheField(string json, string field)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => ClusterConfig.Parse(json));
        Assert.Equal(field, ex.ParamName);
    }

    [Fact]
    public async Task Main_WithAStoreItCannotOpen_RefusesToStart_WithOneLineNamingTheStore()
    {
        string file = Path.GetTempFileName(); // a file where the store's folder should be
        string config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, $$"""{"store":{"kind":"sqlite","directory":{{System.Text.Json.JsonSerializer.Serialize(file)}}},"siloPort":{{FreePort()}},"gatewayPort":{{FreePort()}}}""");
        Environment.SetEnvironmentVariable("TANDEM_ADMIN_KEY", ClusterService.AdminKeyText);
        var error = new StringWriter();
        int code = await ClusterServiceApp.MainAsync(["--cluster", config, "--urls", "http://127.0.0.1:0"], error);
        Assert.Equal(2, code);
        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(file, lines[0], StringComparison.Ordinal);
        File.Delete(file);
        File.Delete(config);
    }

    [Fact]
    public async Task Main_WithAMissingConfiguration_NamesTheFile()
    {
        var error = new StringWriter();
        Assert.Equal(2, await ClusterServiceApp.MainAsync(["--cluster", "/nonexistent/cluster.json"], error));
        Assert.StartsWith("error: --cluster /nonexistent/cluster.json: cannot read", error.ToString(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
