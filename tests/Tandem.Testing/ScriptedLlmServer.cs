using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tandem.Testing;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, port 0) speaking the OpenAI chat-completions and Ollama
/// /api/chat protocols, scripted per request: the callback gets the request number and returns what to
/// do. Only loopback, bounded by the test.
/// </summary>
public sealed class ScriptedLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    /// <summary>What the server does with request n (0-based).</summary>
    public sealed record Reply(int Status = 200, string? Content = null, string? RawBody = null, TimeSpan Delay = default);

    public ScriptedLlmServer(Func<int, Reply> script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", (HttpContext http) => Handle(http, script, ollama: false));
        _app.MapPost("/chat/completions", (HttpContext http) => Handle(http, script, ollama: false));
        _app.MapPost("/api/chat", (HttpContext http) => Handle(http, script, ollama: true));
    }

    public int Requests => Volatile.Read(ref _requests);

    public List<string> Authorizations { get; } = [];

    public Uri BaseAddress { get; private set; } = null!;

    public async Task StartAsync()
    {
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    private async Task Handle(HttpContext http, Func<int, Reply> script, bool ollama)
    {
        int n = Interlocked.Increment(ref _requests) - 1;
        lock (Authorizations) Authorizations.Add(http.Request.Headers.Authorization.ToString());
        Reply reply = script(n);
        if (reply.Delay > TimeSpan.Zero)
        {
            try { await Task.Delay(reply.Delay, http.RequestAborted); }
            catch (OperationCanceledException) { return; }
        }
        http.Response.StatusCode = reply.Status;
        if (reply.RawBody is not null)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(reply.RawBody);
            return;
        }
        if (reply.Status != 200)
        {
            await http.Response.WriteAsJsonAsync(new { error = new { message = "scripted failure", type = "server_error" } });
            return;
        }
        string content = reply.Content ?? "";
        if (ollama)
        {
            http.Response.ContentType = "application/x-ndjson";
            await http.Response.WriteAsync(JsonSerializer.Serialize(new { model = "m", created_at = "2026-01-01T00:00:00Z", message = new { role = "assistant", content }, done = false }) + "\n");
            await http.Response.WriteAsync(JsonSerializer.Serialize(new { model = "m", created_at = "2026-01-01T00:00:00Z", message = new { role = "assistant", content = "" }, done = true, done_reason = "stop", prompt_eval_count = 120, eval_count = 12 }) + "\n");
            return;
        }
        await http.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-" + n,
            @object = "chat.completion",
            created = 1_700_000_000,
            model = "scripted-model",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 120, completion_tokens = 12, total_tokens = 132 },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
