using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.TestingHost;
using Tandem.Service.Api;
using Tandem.Service.Security;
using Tandem.Service.Storage;
using Tandem.Service.Studies;
using Tandem.Service.Tests;

namespace Tandem.Service.Orleans.Tests;

/// <summary>Each in-process silo hosts study grains over the shared SQLite store named in the cluster's properties, with a
/// failure detector short enough for a test (a killed silo is declared dead within a few seconds).</summary>
public sealed class StudySilo : ISiloConfigurator
{
    public const string StoreProperty = "TandemStore";
    public const string PostgresProperty = "TandemPostgres";

    public void Configure(ISiloBuilder siloBuilder)
    {
        string directory = siloBuilder.Configuration[StoreProperty] ?? throw new InvalidOperationException("The test cluster names no store.");
        string? postgres = siloBuilder.Configuration[PostgresProperty];
        // Opened now, as `tandem serve --cluster` opens its store at startup (not lazily by the first grain to need it,
        // which would fail that grain's construction, not its activation, if the store is down at that moment).
        IStudyStore store = string.IsNullOrEmpty(postgres) ? new SqliteStudyStore(directory) : Storage.PostgresStudyStore.Open(postgres);
        siloBuilder.Services.AddSingleton(_ => store);
        siloBuilder.Services.AddSingleton(TimeProvider.System);
        siloBuilder.Services.AddSingleton(new WriterOptions { SnapshotEvery = 50 });
        siloBuilder.Services.AddSingleton<ServiceMetrics>();
        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
        });
        siloBuilder.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
    }
}

/// <summary>The client's calls to a dead silo time out in seconds, not the default 30.</summary>
public sealed class StudyClient : IClientBuilderConfigurator
{
    public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
        clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
}

/// <summary>An in-process cluster of <paramref name="silos"/> silos over a shared SQLite store in a fresh folder, and the
/// service's HTTP API on a real Kestrel at 127.0.0.1:0 reaching the studies through the cluster's client.</summary>
internal sealed class ClusterService : IAsyncDisposable
{
    public const string AdminKeyText = "test-admin-key-0123456789";
    private WebApplication? _app;

    private ClusterService(string data, TestCluster cluster)
    {
        Data = data;
        Cluster = cluster;
    }

    public string Data { get; }

    public TestCluster Cluster { get; }

    /// <summary>The store the cluster shares (the API's instance).</summary>
    public IStudyStore Store => _app!.Services.GetRequiredService<IStudyStore>();

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Start; <paramref name="postgres"/>, when given, is the connection string of the shared store (else a SQLite file).</summary>
    public static async Task<ClusterService> StartAsync(int silos, string? postgres = null)
    {
        string data = Path.Combine(Path.GetTempPath(), "tandem-orleans-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var builder = new TestClusterBuilder((short)silos);
        builder.Properties[StudySilo.StoreProperty] = data;
        if (postgres is not null) builder.Properties[StudySilo.PostgresProperty] = postgres;
        builder.AddSiloBuilderConfigurator<StudySilo>();
        builder.AddClientBuilderConfigurator<StudyClient>();
        TestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        var service = new ClusterService(data, cluster);
        var options = new ServiceOptions { DataDirectory = data, Urls = "http://127.0.0.1:0" };
        service._app = ServiceApp.Build(options, AdminKey.Create(AdminKeyText), logging: l => l.SetMinimumLevel(LogLevel.Critical),
            services: s =>
            {
                if (postgres is not null) s.AddSingleton<IStudyStore>(_ => Storage.PostgresStudyStore.Open(postgres));
                s.AddSingleton<IStudyHostFactory>(sp => new GrainStudyHostFactory(cluster.Client, sp.GetRequiredService<IStudyStore>()));
            });
        await ServiceApp.StartAsync(service._app);
        service.Client = new HttpClient { BaseAddress = new Uri(service._app.Urls.First()) };
        return service;
    }

    public HttpClient ClientWith(string? key) => Client.WithKey(key);

    public Task<string> CreateStudyAsync(string json) => Client.CreateStudyAsync(AdminKeyText, json);

    /// <summary>The silo that owns study <paramref name="id"/> now (activating it if needed).</summary>
    public Task<SiloAddress> WhereAsync(string id) => Cluster.Client.GetGrain<IStudyGrain>(id).WhereAsync();

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Small HTTP helpers.</summary>
internal static class Http
{
    public static async Task<(int Status, JsonElement Body, string Text)> SendAsync(this HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = ClusterService.Json(json);
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        string? type = response.Content.Headers.ContentType?.MediaType;
        if (text.Length > 0 && type is "application/json" or "application/problem+json") body = JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, body, text);
    }

    public static Task<(int Status, JsonElement Body, string Text)> PostAsync(this HttpClient client, string path, string json) =>
        client.SendAsync(HttpMethod.Post, path, json);

    public static Task<(int Status, JsonElement Body, string Text)> GetAsync2(this HttpClient client, string path) =>
        client.SendAsync(HttpMethod.Get, path);
}
