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
/// A real HTTP server on 127.0.0.1 (Kestrel, port 0) speaking the OpenAI chat-completions and embeddings and
/// the Ollama /api/chat and /api/embed protocols, scripted per request: the callback gets the request number
/// (or the whole <see cref="Request"/>, body included) and returns what to do. Only loopback, bounded by the test.
/// </summary>
public sealed class ScriptedLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    /// <summary>What the server does with a request: a status, chat content, a raw body, a delay, and for embedding
    /// requests the vector of each input text.</summary>
    public sealed record Reply(int Status = 200, string? Content = null, string? RawBody = null, TimeSpan Delay = default, Func<string, float[]>? Embed = null, byte[]? RawBytes = null);

    /// <summary>A request as the script sees it: its number (0-based, over all endpoints), path and body.</summary>
    public sealed record Request(int Number, string Path, string Body)
    {
        public bool IsEmbedding => Path.EndsWith("embeddings", StringComparison.Ordinal) || Path.EndsWith("/api/embed", StringComparison.Ordinal);

        /// <summary>The text of the last user message of a chat request ("" when none).</summary>
        public string UserText => Messages().LastOrDefault(m => m.Role == "user").Text ?? "";

        /// <summary>The text of the system message of a chat request ("" when none).</summary>
        public string SystemText => Messages().FirstOrDefault(m => m.Role == "system").Text ?? "";

        /// <summary>The sampling seed of a chat request (OpenAI "seed", Ollama "options.seed"), or null.</summary>
        public long? Seed
        {
            get
            {
                using JsonDocument doc = JsonDocument.Parse(Body);
                if (doc.RootElement.TryGetProperty("seed", out JsonElement s) && s.ValueKind == JsonValueKind.Number) return s.GetInt64();
                if (doc.RootElement.TryGetProperty("options", out JsonElement o) && o.ValueKind == JsonValueKind.Object
                    && o.TryGetProperty("seed", out JsonElement os) && os.ValueKind == JsonValueKind.Number) return os.GetInt64();
                return null;
            }
        }

        /// <summary>The input texts of an embedding request.</summary>
        public IReadOnlyList<string> Inputs
        {
            get
            {
                using JsonDocument doc = JsonDocument.Parse(Body);
                JsonElement input = doc.RootElement.GetProperty("input");
                return input.ValueKind == JsonValueKind.String ? [input.GetString()!] : input.EnumerateArray().Select(e => e.GetString()!).ToArray();
            }
        }

        private List<(string Role, string Text)> Messages()
        {
            using JsonDocument doc = JsonDocument.Parse(Body);
            var list = new List<(string, string)>();
            if (!doc.RootElement.TryGetProperty("messages", out JsonElement messages)) return list;
            foreach (JsonElement m in messages.EnumerateArray())
            {
                JsonElement content = m.GetProperty("content");
                string text = content.ValueKind == JsonValueKind.String
                    ? content.GetString()!
                    : string.Concat(content.EnumerateArray().Where(p => p.TryGetProperty("text", out _)).Select(p => p.GetProperty("text").GetString()));
                list.Add((m.GetProperty("role").GetString()!, text));
            }
            return list;
        }
    }

    public ScriptedLlmServer(Func<int, Reply> script) : this((Request r) => script(r.Number))
    {
    }

    /// <summary>A server whose script sees each whole request (path and body).</summary>
    public static ScriptedLlmServer ForRequests(Func<Request, Reply> script) => new(script);

    private ScriptedLlmServer(Func<Request, Reply> script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", (HttpContext http) => Handle(http, script, ollama: false));
        _app.MapPost("/chat/completions", (HttpContext http) => Handle(http, script, ollama: false));
        _app.MapPost("/api/chat", (HttpContext http) => Handle(http, script, ollama: true));
        _app.MapPost("/v1/embeddings", (HttpContext http) => Handle(http, script, ollama: false));
        _app.MapPost("/embeddings", (HttpContext http) => Handle(http, script, ollama: false));
        _app.MapPost("/api/embed", (HttpContext http) => Handle(http, script, ollama: true));
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

    private async Task Handle(HttpContext http, Func<Request, Reply> script, bool ollama)
    {
        int n = Interlocked.Increment(ref _requests) - 1;
        lock (Authorizations) Authorizations.Add(http.Request.Headers.Authorization.ToString());
        string body;
        using (var reader = new StreamReader(http.Request.Body)) body = await reader.ReadToEndAsync();
        var request = new Request(n, http.Request.Path.Value ?? "", body);
        Reply reply = script(request);
        if (reply.Delay > TimeSpan.Zero)
        {
            try { await Task.Delay(reply.Delay, http.RequestAborted); }
            catch (OperationCanceledException) { return; }
        }
        http.Response.StatusCode = reply.Status;
        if (reply.RawBytes is not null)
        {
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(reply.RawBytes);
            return;
        }
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
        if (request.IsEmbedding)
        {
            await WriteEmbeddings(http, request, reply, ollama);
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

    private static async Task WriteEmbeddings(HttpContext http, Request request, Reply reply, bool ollama)
    {
        if (reply.Embed is null)
        {
            http.Response.StatusCode = 500;
            await http.Response.WriteAsJsonAsync(new { error = new { message = "the script gave no embeddings", type = "server_error" } });
            return;
        }
        float[][] vectors = request.Inputs.Select(reply.Embed).ToArray();
        if (ollama)
        {
            await http.Response.WriteAsJsonAsync(new { model = "m", embeddings = vectors, prompt_eval_count = 7 * vectors.Length });
            return;
        }
        // The OpenAI SDK asks for base64 (little-endian float32) unless told otherwise.
        using JsonDocument doc = JsonDocument.Parse(request.Body);
        bool base64 = doc.RootElement.TryGetProperty("encoding_format", out JsonElement format) && format.GetString() == "base64";
        await http.Response.WriteAsJsonAsync(new
        {
            @object = "list",
            data = vectors.Select((v, i) => new
            {
                @object = "embedding",
                index = i,
                embedding = base64 ? (object)Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray()) : v,
            }).ToArray(),
            model = "scripted-embedding",
            usage = new { prompt_tokens = 7 * vectors.Length, total_tokens = 7 * vectors.Length },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
