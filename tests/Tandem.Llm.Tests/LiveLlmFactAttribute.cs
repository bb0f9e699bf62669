namespace Tandem.Llm.Tests;

/// <summary>
/// A fact that runs only when the environment variable <c>TANDEM_LIVE_LLM</c> names a model spec (e.g.
/// <c>ollama:llama3.1:8b</c> or <c>openai:gpt-4o-mini</c>); otherwise xunit reports it skipped, never failed.
/// </summary>
public sealed class LiveLlmFactAttribute : FactAttribute
{
    public const string Variable = "TANDEM_LIVE_LLM";

    public LiveLlmFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Spec)) Skip = $"Set {Variable} to a model spec (e.g. ollama:llama3.1:8b) to run live-model tests.";
    }

    public static string? Spec => Environment.GetEnvironmentVariable(Variable);
}
