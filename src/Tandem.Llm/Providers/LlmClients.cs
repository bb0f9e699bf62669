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
}

/// <summary>
/// Builds the client pipeline for a spec, outermost first (STYLE 2): audit → cassette → resilience
/// (deadline, retries, concurrency, circuit breaker) → call budget → accounting → provider.
/// </summary>
public static class LlmClients
{
    /// <summary>Create the pipeline. Throws <see cref="LlmConfigurationException"/> when a key is needed
    /// and missing, or a replay cassette cannot be read.</summary>
    public static IChatClient Create(LlmSpec spec, LlmLedger ledger, LlmClientOptions? options = null, Func<string, string?>? environment = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(ledger);
        options ??= new LlmClientOptions();
        if (options.MaxCalls is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxCalls, "MaxCalls must be at least 1.");
        IChatClient client;
        try
        {
            if (spec.Kind == LlmKind.Replay)
            {
                client = new CassetteChatClient(new UnreachableChatClient(), spec.CassettePath!, CassetteMode.Replay, ledger);
            }
            else
            {
                // Accounting sits inside the retries so every attempt that reaches the provider is counted.
                client = new AccountingChatClient(CreateProvider(spec, environment), ledger, timeProvider);
                if (options.MaxCalls is { } max) client = new CallBudgetChatClient(client, max);
                client = new ResilientChatClient(client, options.Resilience, timeProvider);
                if (options.RecordPath is not null) client = new CassetteChatClient(client, options.RecordPath, CassetteMode.Record, ledger);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new LlmConfigurationException(ex.Message);
        }
        if (options.AuditPath is not null) client = new AuditChatClient(client, options.AuditPath, timeProvider);
        return client;
    }

    private static IChatClient CreateProvider(LlmSpec spec, Func<string, string?>? environment)
    {
        if (spec.Kind == LlmKind.Ollama) return new OllamaApiClient(spec.Endpoint ?? LlmSpec.DefaultOllama, spec.Model);
        string? key = ApiKeys.Find(environment);
        if (key is null && spec.Endpoint is null)
            throw new LlmConfigurationException($"{spec} needs an API key: set {string.Join(" or ", ApiKeys.Variables)} (keys are never read from the command line).");
        var clientOptions = new OpenAIClientOptions
        {
            // Retries and deadlines are ours (ResilientChatClient), counted and logged in one place.
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        if (spec.Endpoint is not null) clientOptions.Endpoint = spec.Endpoint;
        // Local OpenAI-compatible servers (vLLM, llama.cpp) usually need no key; the SDK insists on one.
        var credential = new ApiKeyCredential(key ?? "no-key");
        return new OpenAI.Chat.ChatClient(spec.Model, credential, clientOptions).AsIChatClient();
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
