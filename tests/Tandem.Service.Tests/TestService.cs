using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Tandem.Service.Security;

namespace Tandem.Service.Tests;

/// <summary>The service on a real Kestrel at 127.0.0.1:0 over a temporary data folder; restartable on the same folder.</summary>
internal sealed class TestService : IAsyncDisposable
{
    public const string AdminKeyText = "test-admin-key-0123456789";
    private WebApplication? _app;

    private TestService(string data, ServiceOptions options, TimeProvider? time)
    {
        Data = data;
        Options = options with { DataDirectory = data, Urls = "http://127.0.0.1:0" };
        Time = time;
    }

    public string Data { get; }

    public ServiceOptions Options { get; }

    public TimeProvider? Time { get; }

    public HttpClient Client { get; private set; } = null!;

    public static async Task<TestService> StartAsync(ServiceOptions? options = null, string? data = null, TimeProvider? time = null)
    {
        var service = new TestService(data ?? NewFolder(), options ?? new ServiceOptions(), time);
        await service.StartAppAsync();
        return service;
    }

    public static string NewFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tandem-svc-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Stop the application (writers drain) and start a new one on the same data.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await StartAppAsync();
    }

    public HttpClient ClientWith(string? key) => Client.WithKey(key);

    public Task<string> CreateStudyAsync(string json) => Client.CreateStudyAsync(AdminKeyText, json);

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartAppAsync()
    {
        _app = ServiceApp.Build(Options, AdminKey.Create(AdminKeyText), Time, logging => logging.SetMinimumLevel(LogLevel.Critical));
        await ServiceApp.StartAsync(_app);
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    private async Task StopAppAsync()
    {
        if (_app is null) return;
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}

/// <summary>Small HTTP helpers.</summary>
internal static class Http
{
    public static async Task<(int Status, JsonElement Body, string Text, string? ContentType)> SendAsync(this HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = TestService.Json(json);
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = default;
        string? type = response.Content.Headers.ContentType?.MediaType;
        if (text.Length > 0 && type is "application/json" or "application/problem+json") body = JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, body, text, type);
    }

    public static Task<(int Status, JsonElement Body, string Text, string? ContentType)> PostAsync(this HttpClient client, string path, string json) =>
        client.SendAsync(HttpMethod.Post, path, json);

    public static Task<(int Status, JsonElement Body, string Text, string? ContentType)> GetAsync2(this HttpClient client, string path) =>
        client.SendAsync(HttpMethod.Get, path);
}
