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
