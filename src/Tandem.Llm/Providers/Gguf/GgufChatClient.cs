using System.Globalization;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using LLama.Sampling;
using LLama.Transformers;
using Microsoft.Extensions.AI;

namespace Tandem.Llm.Providers.Gguf;

/// <summary>
/// A GGUF model run in-process by llama.cpp (LLamaSharp), as an <see cref="IChatClient"/>: the prompt is rendered
/// with the model's own chat template (tokenizer.chat_template in the file's metadata, applied by llama.cpp), Tandem
/// counts the prompt and answer tokens itself, sampling is seeded (<c>ChatOptions.Seed</c>, else
/// <see cref="GgufOptions.DefaultSeed"/>), a grammar in <see cref="GrammarKey"/> constrains decoding, and the caller's
/// token (the pipeline's deadline) is honoured between prompt chunks and between answer tokens. Calls run one at a
/// time on one context whose cache is cleared per call, so an answer depends only on its request. The native library
/// is loaded by the first <see cref="Load"/>, never by merely referencing Tandem.Llm.
/// </summary>
public sealed class GgufChatClient : IChatClient
{
    /// <summary>The <c>ChatOptions.AdditionalProperties</c> key of a GBNF grammar (string) that constrains the answer
    /// (<see cref="Middleware.AnswerGrammar.Key"/>).</summary>
    public const string GrammarKey = Middleware.AnswerGrammar.Key;

    private const int PromptChunk = 512;
    private static readonly Lock LogLock = new();
    private static string? _lastNativeError;

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly GgufOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ChatClientMetadata _metadata;

    private GgufChatClient(GgufHeader header, LLamaWeights weights, LLamaContext context, GgufOptions options)
    {
        Header = header;
        _weights = weights;
        _context = context;
        _options = options;
        _metadata = new ChatClientMetadata("gguf", null, System.IO.Path.GetFileNameWithoutExtension(header.Path));
    }

    /// <summary>What Tandem read of the file before loading it.</summary>
    public GgufHeader Header { get; }

    /// <summary>Called after each answer token with the count so far (tests use it to cancel mid-answer).</summary>
    internal Action<int>? TokenGenerated { get; set; }

    /// <summary>Check <paramref name="path"/> (<see cref="GgufFile.Inspect"/>), the context size against the model and the
    /// memory the model needs against <paramref name="availableBytes"/> (null = this machine's,
    /// <see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>), then load it. Throws <see cref="LlmConfigurationException"/>
    /// naming the file or the option for every problem, including a model llama.cpp refuses or a chat template it cannot
    /// apply.</summary>
    public static GgufChatClient Load(string path, GgufOptions? options = null, long? availableBytes = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new GgufOptions();
        options.Validate();
        GgufHeader header = GgufFile.Inspect(path);
        if (header.TrainedContext > 0 && options.ContextSize > header.TrainedContext)
            throw new LlmConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"gguf:{path}: ContextSize {options.ContextSize} exceeds the {header.TrainedContext} tokens the model was trained for."));
        long available = availableBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long cache = header.KeyValueCacheBytes(options.ContextSize);
        if (header.FileBytes + cache > available)
            throw new LlmConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"gguf:{path} needs about {Mib(header.FileBytes + cache)} MiB (weights {Mib(header.FileBytes)} MiB, context of {options.ContextSize} tokens {Mib(cache)} MiB) but {Mib(available)} MiB are available; lower ContextSize or use a smaller model."));
        if (!header.HasChatTemplate)
            throw new LlmConfigurationException($"gguf:{path} has no chat template (tokenizer.chat_template); use an instruct model's GGUF.");

        ConfigureNative();
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)options.ContextSize,
            BatchSize = PromptChunk,
            GpuLayerCount = 0,
        };
        if (options.Threads is { } threads) parameters.Threads = threads;
        LLamaWeights? weights = null;
        _lastNativeError = null; // only this load's complaint is quoted
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
            var context = weights.CreateContext(parameters);
            var client = new GgufChatClient(header, weights, context, options);
            client.Render([new ChatMessage(ChatRole.System, "s"), new ChatMessage(ChatRole.User, "u")]);
            return client;
        }
        catch (Exception ex) when (ex is LoadWeightsFailedException or RuntimeError or TemplateNotFoundException or MissingTemplateException or DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            weights?.Dispose();
            string said = _lastNativeError is { } native ? $" (llama.cpp: {native.Trim()})" : "";
            throw new LlmConfigurationException(ex switch
            {
                TemplateNotFoundException or MissingTemplateException => $"gguf:{path}: llama.cpp cannot apply the model's chat template{said}.",
                DllNotFoundException or TypeInitializationException or EntryPointNotFoundException => $"gguf:{path}: the llama.cpp native library could not be loaded: {ex.Message}",
                _ => $"gguf:{path}: llama.cpp could not load the model{said}.",
            });
        }
    }

    /// <summary>The prompt text the model's chat template makes of <paramref name="messages"/>, ending with the opening of
    /// the assistant's turn.</summary>
    public string Render(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var template = new LLamaTemplate(_weights) { AddAssistant = true };
        foreach (ChatMessage message in messages) template.Add(message.Role.Value, message.Text);
        return PromptTemplateTransformer.ToModelPrompt(template);
    }

    /// <summary>Tokens the model's tokenizer makes of <paramref name="text"/>, special tokens parsed, with the
    /// beginning-of-sequence token when the model asks for one: what the ledger counts as prompt tokens.</summary>
    public int CountTokens(string text) => Tokenize(text).Length;

    private LLamaToken[] Tokenize(string text) => _context.Tokenize(text, _weights.Vocab.ShouldAddBOS, special: true);

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string prompt = Render(messages);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Generate(prompt, options, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private ChatResponse Generate(string prompt, ChatOptions? options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LLamaToken[] tokens = Tokenize(prompt);
        int contextSize = _options.ContextSize;
        if (tokens.Length >= contextSize)
            throw new LlmContextOverflowException(string.Create(CultureInfo.InvariantCulture,
                $"gguf:{Header.Path}: the prompt has {tokens.Length} tokens but the context holds {contextSize} (ContextSize); raise it or shorten the prompt."));
        int maxTokens = options?.MaxOutputTokens ?? _options.DefaultMaxOutputTokens;
        int room = Math.Min(Math.Max(maxTokens, 0), contextSize - tokens.Length);
        using ISamplingPipeline sampler = Sampler(options);
        _context.NativeHandle.MemoryClear();
        var batch = new LLamaBatch();
        for (int start = 0; start < tokens.Length; start += PromptChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            int end = Math.Min(tokens.Length, start + PromptChunk);
            for (int i = start; i < end; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, i == tokens.Length - 1);
            Decode(batch);
        }
        var decoder = new StreamingTokenDecoder(_context);
        var text = new System.Text.StringBuilder();
        int generated = 0;
        ChatFinishReason finish = ChatFinishReason.Length;
        int position = tokens.Length;
        while (generated < room)
        {
            cancellationToken.ThrowIfCancellationRequested();
            LLamaToken next = sampler.Sample(_context.NativeHandle, batch.TokenCount - 1);
            if (next.IsEndOfGeneration(_weights.Vocab))
            {
                finish = ChatFinishReason.Stop;
                break;
            }
            generated++;
            decoder.Add(next);
            text.Append(decoder.Read());
            TokenGenerated?.Invoke(generated);
            if (generated == room) break;
            batch.Clear();
            batch.Add(next, position++, LLamaSeqId.Zero, true);
            Decode(batch);
        }
        text.Append(decoder.Read());
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = _metadata.DefaultModelId,
            FinishReason = finish,
            Usage = new UsageDetails { InputTokenCount = tokens.Length, OutputTokenCount = generated, TotalTokenCount = tokens.Length + generated },
        };
    }

    private void Decode(LLamaBatch batch)
    {
        DecodeResult result = _context.Decode(batch);
        if (result != DecodeResult.Ok) throw new LLamaDecodeError(result);
    }

    private ISamplingPipeline Sampler(ChatOptions? options)
    {
        Grammar? grammar = Middleware.AnswerGrammar.Of(options) is { } gbnf ? new Grammar(gbnf, "root") : null;
        long seed = options?.Seed ?? _options.DefaultSeed;
        float temperature = options?.Temperature ?? 0.8f;
        if (temperature <= 0) return new GreedySamplingPipeline { Grammar = grammar };
        return new DefaultSamplingPipeline
        {
            Temperature = temperature,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 40,
            MinP = 0.05f,
            Seed = unchecked((uint)(seed ^ (seed >> 32))),
            Grammar = grammar,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (ChatResponseUpdate update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
        _gate.Dispose();
    }

    private static long Mib(long bytes) => (bytes + (1 << 20) - 1) >> 20;

    /// <summary>Send llama.cpp's log to nowhere but keep its last error for messages; before the library loads only.</summary>
    private static void ConfigureNative()
    {
        lock (LogLock)
        {
            if (NativeLibraryConfig.LLama.LibraryHasLoaded) return;
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (level == LLamaLogLevel.Error) _lastNativeError = message;
            });
        }
    }
}
