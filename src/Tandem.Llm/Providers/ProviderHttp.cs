using System.Net;

namespace Tandem.Llm.Providers;

/// <summary>A model's response was larger than <see cref="LlmClientOptions.MaxResponseBytes"/>; reading stopped there.
/// Ports count it as a <c>parse</c> fallback; it is not retried.</summary>
public sealed class LlmResponseTooLargeException(string message) : Exception(message);

/// <summary>The endpoint answered with a redirect; Tandem follows none, so a prompt never goes to another origin.
/// Ports count it as an <c>http</c> fallback; it is not retried.</summary>
public sealed class LlmRedirectRefusedException(string message, HttpStatusCode status) : HttpRequestException(message, null, status);

/// <summary>
/// The one HTTP stack every provider uses (OpenAI-compatible and Ollama, chat and embeddings): no redirects at all
/// (issue 15, defect 18), and every response body read through a counter that stops at a byte cap and observes the
/// call's deadline on every read, so an endless body or line costs at most the cap and the deadline (defect 2).
/// </summary>
internal static class ProviderHttp
{
    /// <summary>A client for one provider; <paramref name="baseAddress"/> is set for Ollama (OllamaSharp needs it).</summary>
    public static HttpClient Create(long maxResponseBytes, Uri? baseAddress = null)
    {
        var sockets = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            MaxResponseHeadersLength = 64, // KB
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(new GuardHandler(sockets, maxResponseBytes), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan, // deadlines are ResilientChatClient's, on the whole call
            MaxResponseContentBufferSize = (int)Math.Min(int.MaxValue, maxResponseBytes),
        };
        if (baseAddress is not null) client.BaseAddress = baseAddress;
        return client;
    }

    /// <summary>Refuses redirects and caps and guards every response body.</summary>
    internal sealed class GuardHandler(HttpMessageHandler inner, long maxBytes) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.StatusCode != HttpStatusCode.NotModified)
            {
                string target = response.Headers.Location is { } location ? Redaction.Url(location) : "(no location)";
                response.Dispose();
                throw new LlmRedirectRefusedException(
                    $"the endpoint {Redaction.Url(request.RequestUri)} answered {status} redirecting to {target}; Tandem follows no redirects (use the final URL)", response.StatusCode);
            }
            if (response.Content.Headers.ContentLength is long length && length > maxBytes)
            {
                response.Dispose();
                throw TooLarge(maxBytes);
            }
            response.Content = new GuardedContent(response.Content, maxBytes, cancellationToken);
            return response;
        }
    }

    internal static LlmResponseTooLargeException TooLarge(long maxBytes) =>
        new($"the response is larger than {maxBytes} bytes (MaxResponseBytes); it was not read further");

    /// <summary>The original content, read through a <see cref="GuardedStream"/>; its headers are kept.</summary>
    private sealed class GuardedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly long _maxBytes;
        private readonly CancellationToken _requestToken;

        public GuardedContent(HttpContent inner, long maxBytes, CancellationToken requestToken)
        {
            _inner = inner;
            _maxBytes = maxBytes;
            _requestToken = requestToken;
            foreach (KeyValuePair<string, IEnumerable<string>> header in inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new GuardedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _maxBytes, _requestToken);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
            new GuardedStream(_inner.ReadAsStream(cancellationToken), _maxBytes, _requestToken);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using Stream source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Counts the bytes read and throws <see cref="LlmResponseTooLargeException"/> past the cap; every read
    /// also observes the request's token (the call's deadline), whatever token the reader passes.</summary>
    internal sealed class GuardedStream(Stream inner, long maxBytes, CancellationToken requestToken) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            requestToken.ThrowIfCancellationRequested();
            return Count(inner.Read(Limit(buffer)));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            requestToken.ThrowIfCancellationRequested();
            cancellationToken.ThrowIfCancellationRequested();
            if (!cancellationToken.CanBeCanceled || cancellationToken == requestToken)
                return Count(await inner.ReadAsync(Limit(buffer), requestToken).ConfigureAwait(false));
            if (!requestToken.CanBeCanceled)
                return Count(await inner.ReadAsync(Limit(buffer), cancellationToken).ConfigureAwait(false));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, requestToken);
            return Count(await inner.ReadAsync(Limit(buffer), linked.Token).ConfigureAwait(false));
        }

        // One byte beyond the cap is asked for, so a body of exactly the cap is allowed and one byte more is not.
        private Span<byte> Limit(Span<byte> buffer) => buffer.Length > maxBytes - _read + 1 ? buffer[..(int)(maxBytes - _read + 1)] : buffer;

        private Memory<byte> Limit(Memory<byte> buffer) => buffer.Length > maxBytes - _read + 1 ? buffer[..(int)(maxBytes - _read + 1)] : buffer;

        private int Count(int n)
        {
            _read += n;
            if (_read > maxBytes) throw TooLarge(maxBytes);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
