using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Providers;

/// <summary>A setup problem (missing key, unreadable cassette): the study must stop with a clear message.</summary>
public sealed class LlmConfigurationException(string message) : Exception(message);

/// <summary>How a client pipeline is built. Immutable.</summary>
public sealed record LlmClientOptions
{
    /// <summary>Deadlines, retries and concurrency.</summary>
    public ResilienceOptions Resilience { get; init; } = new();

    /// <summary>Record every answer to this cassette (and answer repeats from it); null = no recording.</summary>
    public string? RecordPath { get; init; }

    /// <summary>Append every prompt and answer to this JSON-lines audit log; null = no audit.</summary>
    public string? AuditPath { get; init; }

    /// <summary>Calls that may reach the provider (attempts, as the ledger counts them); the next one stops the study
    /// (<see cref="LlmBudgetExhaustedException"/>). Null = no limit. Range: ≥ 1.</summary>
    public long? MaxCalls { get; init; }

    /// <summary>The default of <see cref="MaxResponseBytes"/>: 4 MiB.</summary>
    public const long DefaultMaxResponseBytes = 4L * 1024 * 1024;

    /// <summary>The most bytes read of one HTTP response (an OpenAI body, an Ollama NDJSON stream, an embedding);
    /// reading stops there and the call is a <c>parse</c> fallback (<see cref="LlmResponseTooLargeException"/>).
    /// Range: 1 KiB to 1 GiB. Default <see cref="DefaultMaxResponseBytes"/> (4 MiB).</summary>
    public long MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary>Allow sending an API key over plain http to a host that is not this machine (it crosses the network in
    /// clear text). Default false: such a setup is refused with <see cref="LlmConfigurationException"/>.</summary>
    public bool AllowKeyOverHttp { get; init; }

    /// <summary>Stop the study (<see cref="LlmFallbackRateException"/>) when more than this share of the model's
    /// consultations became fallbacks, once <see cref="FallbackGuard.DefaultMinConsultations"/> were made
    /// (<see cref="FallbackGuard"/>, the outermost stage). Null = no guard. Range: [0, 1].</summary>
    public double? MaxFallbackRate { get; init; }

    /// <summary>Whether decoding follows each port's answer grammar or schema where the provider declares it can
    /// (<see cref="LlmClients.DecodingOf"/>: grammars for <c>gguf:</c> and <c>llamacpp:</c>, JSON schemas for
    /// <c>ollama:</c>); default <see cref="AnswerFormat.Constrained"/>. A provider that declares nothing gets free-form requests.</summary>
    public AnswerFormat Format { get; init; } = AnswerFormat.Constrained;

    /// <summary>How a <c>gguf:PATH</c> model runs (context size, threads, default seed); ignored by other providers.</summary>
    public Gguf.GgufOptions Gguf { get; init; } = new();

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        Gguf.Validate();
        if (MaxFallbackRate is { } rate && !(rate >= 0 && rate <= 1))
            throw new ArgumentOutOfRangeException(nameof(MaxFallbackRate), rate, "MaxFallbackRate must lie in [0, 1].");
        if (MaxCalls is < 1) throw new ArgumentOutOfRangeException(nameof(MaxCalls), MaxCalls, "MaxCalls must be at least 1.");
        if (MaxResponseBytes is < 1024 or > 1L << 30)
            throw new ArgumentOutOfRangeException(nameof(MaxResponseBytes), MaxResponseBytes, "MaxResponseBytes must lie in 1 KiB to 1 GiB.");
        Resilience.Validate();
    }
}

/// <summary>
/// Builds the client pipeline for a spec (every provider, <c>gguf:</c> included, gets the same stages), outermost first (STYLE 2): fallback guard (optional) → audit → cassette → resilience
/// (deadline, retries, concurrency, circuit breaker) → call budget → accounting → answer format (grammar or schema sent as the provider declares, or dropped) → provider.
/// </summary>
public static class LlmClients
{
    /// <summary>Create the pipeline. Throws <see cref="LlmConfigurationException"/> when a key is needed
    /// and missing, would cross the network in clear text, a replay cassette cannot be read, the cassette is recorded
    /// by another study, or the cassette or audit log cannot be written (<see cref="CheckOutputs"/>). Dispose the client
    /// to close the audit log and let go of the cassette.</summary>
    public static IChatClient Create(LlmSpec spec, LlmLedger ledger, LlmClientOptions? options = null, Func<string, string?>? environment = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(ledger);
        options ??= new LlmClientOptions();
        options.Validate();
        IChatClient? client = null;
        try
        {
            string? key = null;
            if (spec.Kind == LlmKind.Replay)
            {
                client = new CassetteChatClient(new UnreachableChatClient(), spec.CassettePath!, CassetteMode.Replay, ledger);
            }
            else
            {
                // Accounting sits inside the retries so every attempt that reaches the provider is counted.
                (IChatClient provider, key) = CreateProvider(spec, options, environment);
                client = new AnswerFormatChatClient(provider, options.Format == AnswerFormat.Constrained ? DecodingOf(spec.Kind) : ConstrainedDecoding.None, ledger);
                client = new AccountingChatClient(client, ledger, timeProvider);
                if (options.MaxCalls is { } max) client = new CallBudgetChatClient(client, max);
                // An in-process model answers one call at a time (one context, all cores): queueing happens in the
                // resilience gate, before an attempt's deadline starts, not inside the provider.
                ResilienceOptions resilience = spec.Kind == LlmKind.Gguf ? options.Resilience with { MaxConcurrency = 1 } : options.Resilience;
                client = new ResilientChatClient(client, resilience, timeProvider);
                if (options.RecordPath is not null) client = new CassetteChatClient(client, options.RecordPath, CassetteMode.Record, ledger);
            }
            if (options.AuditPath is not null) client = new AuditChatClient(client, options.AuditPath, timeProvider) { Secrets = key is null ? [] : [key] };
            if (options.MaxFallbackRate is { } rate) client = new FallbackGuardChatClient(client, new FallbackGuard(ledger, spec.ToString(), rate));
            return client;
        }
        catch (Exception ex) when (ex is FileNotFoundException or FormatException or IOException or UnauthorizedAccessException)
        {
            client?.Dispose();
            throw new LlmConfigurationException(ex.Message);
        }
    }

    /// <summary>Check, before the first model call, that the outputs <paramref name="options"/> asks for can be written:
    /// the cassette (<see cref="LlmClientOptions.RecordPath"/>: folder, write access, no other study recording to it)
    /// and the audit log (<see cref="LlmClientOptions.AuditPath"/>). Nothing is changed. Throws
    /// <see cref="LlmConfigurationException"/> naming the file and the reason. <see cref="Create"/> checks the same when
    /// it opens them; hosts call this to fail before other expensive work.</summary>
    public static void CheckOutputs(LlmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            if (options.RecordPath is not null) CassetteChatClient.CheckRecordable(options.RecordPath);
            if (options.AuditPath is not null) AuditChatClient.CheckWritable(options.AuditPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LlmConfigurationException("cannot write the study's model records: " + ex.Message);
        }
    }

    private static (IChatClient Client, string? Key) CreateProvider(LlmSpec spec, LlmClientOptions options, Func<string, string?>? environment)
    {
        if (spec.Kind == LlmKind.Gguf) return (LoadGguf(spec.Model, options.Gguf), null);
        if (spec.Kind == LlmKind.Ollama)
        {
            Uri endpoint = spec.Endpoint ?? LlmSpec.DefaultOllama;
            return (new OllamaApiClient(ProviderHttp.Create(options.MaxResponseBytes, endpoint), spec.Model), null);
        }
        string? key = Key(spec, options, environment);
        var credential = new ApiKeyCredential(key ?? "no-key");
        IChatClient openAi = new OpenAI.Chat.ChatClient(spec.Model, credential, OpenAiOptions(spec, options)).AsIChatClient();
        return (spec.Kind == LlmKind.LlamaCpp ? new LlamaCppChatClient(openAi) : openAi, key);
    }

    /// <summary>What a provider declares it can constrain decoding to: a GBNF grammar (<see cref="AnswerGrammar"/>) for
    /// <c>gguf:</c> (llama.cpp in-process) and <c>llamacpp:</c> (llama-server's <c>grammar</c> field); a JSON schema
    /// (<see cref="AnswerSchema"/>) for <c>ollama:</c> (its <c>format</c> field, JSON answers only); nothing for
    /// <c>openai:</c> (OpenAI-compatible servers differ in what they accept, so none is assumed) and replay.</summary>
    public static ConstrainedDecoding DecodingOf(LlmKind kind) => kind switch
    {
        LlmKind.Gguf or LlmKind.LlamaCpp => ConstrainedDecoding.Grammar,
        LlmKind.Ollama => ConstrainedDecoding.JsonSchema,
        _ => ConstrainedDecoding.None,
    };

    // Kept apart so that only a gguf: spec touches LLamaSharp (and, through it, loads the native library).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IChatClient LoadGguf(string path, Gguf.GgufOptions options) => Gguf.GgufChatClient.Load(path, options);

    /// <summary>The key for an OpenAI-compatible spec (<see cref="ApiKeys.For"/>), after the checks every provider shares:
    /// OpenAI's own host needs one, and none is sent in clear text to another machine unless
    /// <see cref="LlmClientOptions.AllowKeyOverHttp"/>.</summary>
    internal static string? Key(LlmSpec spec, LlmClientOptions options, Func<string, string?>? environment)
    {
        if (spec.Endpoint is { } endpoint && Redaction.HasCredentials(endpoint))
            throw new LlmConfigurationException($"{spec}: credentials do not belong in a URL; set {string.Join(" or ", ApiKeys.Variables)}.");
        string? key = ApiKeys.For(spec.Endpoint, environment);
        if (key is null && ApiKeys.IsOpenAi(spec.Endpoint))
            throw new LlmConfigurationException($"{spec} needs an API key: set {string.Join(" or ", ApiKeys.Variables)} (keys are never read from the command line).");
        if (key is not null && spec.Endpoint is { } url && url.Scheme == Uri.UriSchemeHttp && !ApiKeys.IsLoopback(url) && !options.AllowKeyOverHttp)
            throw new LlmConfigurationException(
                $"{spec}: refusing to send the API key ({ApiKeys.TandemVariable}) in clear text over http to {url.IdnHost}; use https, or opt in with AllowKeyOverHttp.");
        return key;
    }

    /// <summary>The SDK options every OpenAI-compatible client shares: our HTTP stack (no redirects, a byte cap per
    /// response, <see cref="ProviderHttp"/>), no SDK retries or network timeout (ours are counted and logged in one place).</summary>
    internal static OpenAIClientOptions OpenAiOptions(LlmSpec spec, LlmClientOptions options)
    {
        var clientOptions = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
            Transport = new HttpClientPipelineTransport(ProviderHttp.Create(options.MaxResponseBytes)),
        };
        if (spec.Endpoint is not null) clientOptions.Endpoint = spec.Endpoint;
        return clientOptions;
    }

    /// <summary>Inner client of a replay cassette: reaching it is a bug, the cassette throws on a miss.</summary>
    private sealed class UnreachableChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("A replay cassette never calls a model.");

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("A replay cassette never calls a model.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
