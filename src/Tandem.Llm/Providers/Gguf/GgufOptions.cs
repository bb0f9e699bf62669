namespace Tandem.Llm.Providers.Gguf;

/// <summary>How a <c>gguf:PATH</c> model runs in-process (llama.cpp through LLamaSharp). Immutable; validated by
/// <see cref="Validate"/>.</summary>
public sealed record GgufOptions
{
    /// <summary>The default of <see cref="ContextSize"/>: 4,096 tokens.</summary>
    public const int DefaultContextSize = 4096;

    /// <summary>Smallest and largest <see cref="ContextSize"/>.</summary>
    public const int MinContextSize = 256, MaxContextSize = 1 << 20;

    /// <summary>Tokens of prompt plus answer the model holds (its key/value cache is allocated for this many). A prompt
    /// that does not fit stops the study (<see cref="LlmContextOverflowException"/>); an answer that reaches the end is
    /// cut there. Range: 256 to 1,048,576, and at most the context the model was trained for. Default 4,096.</summary>
    public int ContextSize { get; init; } = DefaultContextSize;

    /// <summary>CPU threads llama.cpp uses for one call; null = llama.cpp's choice (the machine's cores). Range: 1-256.</summary>
    public int? Threads { get; init; }

    /// <summary>The sampling seed of a request that states none (<c>ChatOptions.Seed</c>), so every answer is
    /// reproducible. Default 0.</summary>
    public long DefaultSeed { get; init; }

    /// <summary>The answer length of a request that states none (<c>ChatOptions.MaxOutputTokens</c>); an answer never runs
    /// past the context either. Range: 1 to 1,048,576. Default 512.</summary>
    public int DefaultMaxOutputTokens { get; init; } = 512;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (ContextSize is < MinContextSize or > MaxContextSize)
            throw new ArgumentOutOfRangeException(nameof(ContextSize), ContextSize, $"ContextSize must lie in {MinContextSize}-{MaxContextSize} tokens.");
        if (Threads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must lie in 1-256.");
        if (DefaultMaxOutputTokens is < 1 or > MaxContextSize)
            throw new ArgumentOutOfRangeException(nameof(DefaultMaxOutputTokens), DefaultMaxOutputTokens, $"DefaultMaxOutputTokens must lie in 1-{MaxContextSize}.");
    }
}

/// <summary>A prompt longer than the model's context (<see cref="GgufOptions.ContextSize"/>): every such request would
/// fail the same way, so the study stops and says so instead of falling back.</summary>
public sealed class LlmContextOverflowException(string message) : Middleware.LlmStopException(message);
