using Xunit;

namespace Tandem.Testing;

/// <summary>Live-provider tests: they run only when <c>TANDEM_LIVE_LLM</c> names a model spec
/// (e.g. <c>ollama:llama3.1:8b</c> or <c>openai:gpt-4o-mini</c>, key from the usual variables), and are
/// reported as skipped otherwise, so CI stays offline.</summary>
public sealed class LiveLlmFactAttribute : FactAttribute
{
    /// <summary>The environment variable that names the spec.</summary>
    public const string Variable = "TANDEM_LIVE_LLM";

    /// <summary>Skip unless the variable is set.</summary>
    public LiveLlmFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Spec)) Skip = $"set {Variable} to a model spec to run live-provider tests";
    }

    /// <summary>The spec named by the variable, or null.</summary>
    public static string? Spec => Environment.GetEnvironmentVariable(Variable);
}

/// <summary>Tests against a real GGUF model file: they run only when <c>TANDEM_LIVE_GGUF</c> names one (for example a
/// 0.5B instruct model at 4 bits), and are reported as skipped otherwise.</summary>
public sealed class LiveGgufFactAttribute : FactAttribute
{
    /// <summary>The environment variable that names the file.</summary>
    public const string Variable = "TANDEM_LIVE_GGUF";

    /// <summary>Skip unless the variable is set.</summary>
    public LiveGgufFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Path)) Skip = $"set {Variable} to a GGUF file to run live in-process tests";
    }

    /// <summary>The file named by the variable, or null.</summary>
    public static string? Path => Environment.GetEnvironmentVariable(Variable);
}
