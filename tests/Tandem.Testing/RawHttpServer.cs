using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tandem.Testing;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, port 0) whose every request, on any path, goes to a callback that
/// writes the response itself: for hostile servers a <see cref="ScriptedLlmServer"/> reply cannot describe (an
/// endless body, a trickle, a redirect, an error body that echoes the key). Counts requests, keeps the Authorization
/// headers, and counts the bytes written through <see cref="WriteAsync"/>. Only loopback, bounded by the test.
/// </summary>
public sealed class RawHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private long _written;

    /// <summary>A server that answers every request with <paramref name="handler"/>.</summary>
    public RawHttpServer(Func<RawHttpServer, HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(async http =>
        {
            Interlocked.Increment(ref _requests);
            lock (Authorizations) Authorizations.Add(http.Request.Headers.Authorization.ToString());
            try
            {
                await handler(this, http);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException || http.RequestAborted.IsCancellationRequested)
            {
                // The client went away (it stopped reading): that is what the hostile tests expect.
            }
        });
    }

    /// <summary>Requests received.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Bytes written with <see cref="WriteAsync"/> so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>The Authorization header of each request ("" when none).</summary>
    public List<string> Authorizations { get; } = [];

    /// <summary>The address, e.g. http://127.0.0.1:5123/ (after <see cref="StartAsync"/>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Start listening.</summary>
    public async Task StartAsync()
    {
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    /// <summary>Write <paramref name="bytes"/> to the response, flush, and count them.</summary>
    public async Task WriteAsync(HttpContext http, ReadOnlyMemory<byte> bytes)
    {
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
        Interlocked.Add(ref _written, bytes.Length);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
