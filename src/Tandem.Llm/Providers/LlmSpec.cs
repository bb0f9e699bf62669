using System.Globalization;

namespace Tandem.Llm.Providers;

/// <summary>Which kind of model a spec names.</summary>
public enum LlmKind
{
    /// <summary>An OpenAI-compatible chat-completions endpoint (OpenAI, Azure, vLLM, llama.cpp, LM Studio, Gemini's).</summary>
    OpenAi,

    /// <summary>An Ollama server (its /api/chat protocol).</summary>
    Ollama,

    /// <summary>Answers from a recorded cassette; a miss is an error, never a network call.</summary>
    Replay,
}

/// <summary>
/// A parsed provider spec: <c>openai:MODEL[@BASEURL]</c>, <c>ollama:MODEL[@URL]</c> or <c>replay:PATH</c>
/// (the simulated advisors are specs of the seed modules, not of this layer). Keys never appear in a
/// spec: they come from environment variables only (<see cref="ApiKeys"/>).
/// </summary>
public sealed record LlmSpec(LlmKind Kind, string Model, Uri? Endpoint, string? CassettePath)
{
    /// <summary>Accepted forms, for error messages.</summary>
    public const string Allowed = "openai:MODEL[@BASEURL], ollama:MODEL[@URL] or replay:PATH";

    /// <summary>Ollama's default address.</summary>
    public static readonly Uri DefaultOllama = new("http://127.0.0.1:11434");

    /// <summary>True when <paramref name="text"/> looks like an LLM spec (so callers can route it here).</summary>
    public static bool IsLlmSpec(string text) =>
        text.StartsWith("openai:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("ollama:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("replay:", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for <c>simulated</c> or <c>simulated:...</c>: the offline default every command has, which is
    /// not a model (LIBRA's simulated advisor, DLM's simulated designer, GAMBITTS's synthetic bank).</summary>
    public static bool IsSimulated(string text) =>
        text.Trim().Equals("simulated", StringComparison.OrdinalIgnoreCase) || text.Trim().StartsWith("simulated:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parse; throws <see cref="FormatException"/> with a one-line reason naming the spec.</summary>
    public static LlmSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Trim();
        int colon = s.IndexOf(':');
        if (colon <= 0) throw new FormatException($"LLM spec '{text}' has no provider; allowed: {Allowed}.");
        string provider = s[..colon].ToLowerInvariant();
        string rest = s[(colon + 1)..];
        if (provider == "replay")
        {
            if (rest.Length == 0) throw new FormatException($"LLM spec '{text}' names no cassette file.");
            return new LlmSpec(LlmKind.Replay, "replay", null, rest);
        }
        if (provider is not ("openai" or "ollama")) throw new FormatException($"LLM provider '{provider}' is unknown; allowed: {Allowed}.");
        string model = rest;
        Uri? endpoint = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            model = rest[..at];
            string url = rest[(at + 1)..];
            if (!Uri.TryCreate(url, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                throw new FormatException($"LLM spec '{text}': '{url}' is not an http(s) URL.");
            if (!string.IsNullOrEmpty(endpoint.UserInfo))
                throw new FormatException($"LLM spec '{text}': credentials do not belong in a URL; set OPENAI_API_KEY or TANDEM_LLM_API_KEY.");
        }
        if (model.Length == 0 || model.Any(char.IsWhiteSpace)) throw new FormatException($"LLM spec '{text}' names no model (e.g. openai:gpt-4o-mini).");
        return new LlmSpec(provider == "openai" ? LlmKind.OpenAi : LlmKind.Ollama, model, endpoint ?? (provider == "ollama" ? DefaultOllama : null), null);
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        LlmKind.Replay => "replay:" + CassettePath,
        LlmKind.Ollama => string.Create(CultureInfo.InvariantCulture, $"ollama:{Model}@{Endpoint}"),
        _ => Endpoint is null ? "openai:" + Model : string.Create(CultureInfo.InvariantCulture, $"openai:{Model}@{Endpoint}"),
    };
}

/// <summary>API keys come from the environment only, never from a command line, log or report.</summary>
public static class ApiKeys
{
    /// <summary>Variables read, in order.</summary>
    public static IReadOnlyList<string> Variables { get; } = ["TANDEM_LLM_API_KEY", "OPENAI_API_KEY"];

    /// <summary>The key, or null when none is set.</summary>
    public static string? Find(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        foreach (string name in Variables)
        {
            string? value = getVariable(name);
            if (!string.IsNullOrWhiteSpace(value)) return value.Trim();
        }
        return null;
    }
}
