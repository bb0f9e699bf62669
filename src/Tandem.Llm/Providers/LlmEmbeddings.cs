using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Providers;

/// <summary>
/// Builds the embedding pipeline for a provider spec and an embedding model, outermost first: cassette (record or
/// replay) → resilience (deadline, retries, concurrency) → accounting → provider — the chat pipeline's order
/// (<see cref="LlmClients"/>). The provider is the spec's endpoint (OpenAI's /v1/embeddings or Ollama's /api/embed)
/// with the embedding model instead of the chat model; keys come from the environment only (<see cref="ApiKeys"/>);
/// the model <c>minilm</c> is the packaged all-MiniLM-L6-v2 run in this process (<see cref="MiniLm.MiniLmEmbeddingGenerator"/>) whatever the spec.
/// A <c>replay:PATH</c> spec replays embeddings from <see cref="CassettePathFor"/>(PATH).
/// </summary>
public static class LlmEmbeddings
{
    /// <summary>The embedding cassette beside a chat cassette: <c>x.jsonl</c> → <c>x.embeddings.jsonl</c>.</summary>
    public static string CassettePathFor(string chatCassette)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(chatCassette);
        string directory = Path.GetDirectoryName(chatCassette) ?? "";
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(chatCassette) + ".embeddings" + Path.GetExtension(chatCassette));
    }

    /// <summary>Create the pipeline; <paramref name="options"/>' record path is the chat cassette (embeddings go beside it).
    /// Throws <see cref="LlmConfigurationException"/> when a key is needed and missing, or a replay cassette cannot be read.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> Create(LlmSpec spec, string model, LlmLedger ledger, LlmClientOptions? options = null,
        Func<string, string?>? environment = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(ledger);
        if (string.IsNullOrWhiteSpace(model) || model.Any(char.IsWhiteSpace)) throw new LlmConfigurationException($"'{model}' is not an embedding model name.");
        options ??= new LlmClientOptions();
        options.Validate();
        try
        {
            if (spec.Kind == LlmKind.Replay)
                return new CassetteEmbeddingGenerator(new UnreachableEmbeddingGenerator(), CassettePathFor(spec.CassettePath!), model, CassetteMode.Replay, ledger);
            IEmbeddingGenerator<string, Embedding<float>> generator = new AccountingEmbeddingGenerator(CreateProvider(spec, model, options, environment), ledger, timeProvider);
            generator = new ResilientEmbeddingGenerator(generator, options.Resilience, timeProvider);
            if (options.RecordPath is not null) generator = new CassetteEmbeddingGenerator(generator, CassettePathFor(options.RecordPath), model, CassetteMode.Record, ledger);
            return generator;
        }
        catch (Exception ex) when (ex is FileNotFoundException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new LlmConfigurationException(ex.Message);
        }
    }

    /// <summary>Whether <paramref name="model"/> names the packaged in-process model (<see cref="MiniLm.MiniLmEmbeddingGenerator.Name"/>).</summary>
    public static bool IsMiniLm(string? model) => string.Equals(model?.Trim(), MiniLm.MiniLmEmbeddingGenerator.Name, StringComparison.OrdinalIgnoreCase);

    private static IEmbeddingGenerator<string, Embedding<float>> CreateProvider(LlmSpec spec, string model, LlmClientOptions options, Func<string, string?>? environment)
    {
        // embeddings:minilm runs in this process whatever the chat provider is: no endpoint, no key.
        if (IsMiniLm(model)) return LoadMiniLm();
        if (spec.Kind == LlmKind.Ollama)
            return new OllamaApiClient(ProviderHttp.Create(options.MaxResponseBytes, spec.Endpoint ?? LlmSpec.DefaultOllama), model);
        string? key = LlmClients.Key(spec, options, environment);
        return new OpenAI.Embeddings.EmbeddingClient(model, new ApiKeyCredential(key ?? "no-key"), LlmClients.OpenAiOptions(spec, options)).AsIEmbeddingGenerator();
    }

    private static IEmbeddingGenerator<string, Embedding<float>> LoadMiniLm() => LoadChecked(NewMiniLm);

    // Kept apart so that only embeddings:minilm touches ONNX Runtime (and, through it, loads its native library).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static IEmbeddingGenerator<string, Embedding<float>> NewMiniLm() => new MiniLm.MiniLmEmbeddingGenerator();

    /// <summary>Load the packaged model with <paramref name="load"/>; any failure (a missing native ONNX Runtime, a
    /// model the package cannot read, too little memory) becomes one <see cref="LlmConfigurationException"/> line naming
    /// <c>embeddings:minilm</c>, before any work.</summary>
    internal static IEmbeddingGenerator<string, Embedding<float>> LoadChecked(Func<IEmbeddingGenerator<string, Embedding<float>>> load)
    {
        try
        {
            return load();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Exception inner = ex is TypeInitializationException { InnerException: { } cause } ? cause : ex;
            string line = Redaction.Text(inner.Message).Split('\n')[0].Trim();
            throw new LlmConfigurationException(
                $"embeddings:{MiniLm.MiniLmEmbeddingGenerator.Name}: the packaged {MiniLm.MiniLmEmbeddingGenerator.ModelId} could not be loaded ({inner.GetType().Name}: {line}).");
        }
    }

    private sealed class UnreachableEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("A replay cassette never calls a model.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
