namespace Tandem.Cli.Tests;

/// <summary>Tests that set or clear the API-key variables of the process run in this collection, one at a time:
/// xunit runs test classes in parallel, and a cleared key in one class would break a set key in another.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ApiKeyEnvironment
{
    public const string Name = "process API-key variables";

    /// <summary>Set both key variables (null clears one) until the returned scope is disposed, which restores them.</summary>
    public static IDisposable Set(string? openAi, string? tandem)
    {
        string? savedOpenAi = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        string? savedTandem = Environment.GetEnvironmentVariable("TANDEM_LLM_API_KEY");
        Environment.SetEnvironmentVariable("OPENAI_API_KEY", openAi);
        Environment.SetEnvironmentVariable("TANDEM_LLM_API_KEY", tandem);
        return new Restore(savedOpenAi, savedTandem);
    }

    private sealed class Restore(string? openAi, string? tandem) : IDisposable
    {
        public void Dispose()
        {
            Environment.SetEnvironmentVariable("OPENAI_API_KEY", openAi);
            Environment.SetEnvironmentVariable("TANDEM_LLM_API_KEY", tandem);
        }
    }
}
