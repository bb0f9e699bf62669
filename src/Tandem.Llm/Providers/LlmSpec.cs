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

    /// <summary>A GGUF model file run in-process by llama.cpp (<see cref="Gguf.GgufChatClient"/>); <see cref="LlmSpec.Model"/>
    /// is the file's path. Nothing leaves the machine.</summary>
    Gguf,

    /// <summary>A llama.cpp server (<c>llama-server</c>) on its OpenAI-compatible endpoint, which also reads a GBNF
    /// <c>grammar</c> field: every port's answer grammar is sent with its request under <c>--llm-format constrained</c>
    /// (<see cref="Middleware.AnswerFormatChatClient"/>).</summary>
    LlamaCpp,
}

/// <summary>
/// A parsed provider spec: <c>openai:MODEL[@BASEURL]</c>, <c>ollama:MODEL[@URL]</c>, <c>llamacpp:URL</c> (or
/// <c>llamacpp:MODEL@URL</c> behind a router that serves several), <c>gguf:PATH</c> or <c>replay:PATH</c>
/// (the simulated advisors are specs of the seed modules, not of this layer). Keys never appear in a
/// spec: they come from environment variables only (<see cref="ApiKeys"/>).
/// </summary>
public sealed record LlmSpec(LlmKind Kind, string Model, Uri? Endpoint, string? CassettePath)
{
    /// <summary>Accepted forms, for error messages.</summary>
    public const string Allowed = "openai:MODEL[@BASEURL], ollama:MODEL[@URL], llamacpp:URL, gguf:PATH or replay:PATH";

    /// <summary>The model name of a <c>llamacpp:URL</c> spec that names none (llama-server serves one model and ignores the name).</summary>
    public const string LlamaCppDefaultModel = "default";

    /// <summary>Ollama's default address.</summary>
    public static readonly Uri DefaultOllama = new("http://127.0.0.1:11434");

    /// <summary>True when <paramref name="text"/> looks like an LLM spec (so callers can route it here).</summary>
    public static bool IsLlmSpec(string text) =>
        text.StartsWith("openai:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("ollama:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("replay:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("gguf:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("llamacpp:", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for <c>simulated</c> or <c>simulated:...</c>: the offline default every command has, which is
    /// not a model (LIBRA's simulated advisor, DLM's simulated designer, GAMBITTS's synthetic bank).</summary>
    public static bool IsSimulated(string text) =>
        text.Trim().Equals("simulated", StringComparison.OrdinalIgnoreCase) || text.Trim().StartsWith("simulated:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parse; throws <see cref="FormatException"/> with a one-line reason naming the spec (with any credential in
    /// it masked, <see cref="Redaction"/>). A URL with user info or a credential-looking query parameter
    /// (<c>?api-key=</c>, <c>?key=</c>, <c>?token=</c>, …) is refused: keys come from the environment only.</summary>
    public static LlmSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string shown = Redaction.Text(text);
        string s = text.Trim();
        int colon = s.IndexOf(':');
        if (colon <= 0) throw new FormatException($"LLM spec '{shown}' has no provider; allowed: {Allowed}.");
        string provider = s[..colon].ToLowerInvariant();
        string rest = s[(colon + 1)..];
        if (provider == "replay")
        {
            if (rest.Length == 0) throw new FormatException($"LLM spec '{shown}' names no cassette file.");
            return new LlmSpec(LlmKind.Replay, "replay", null, rest);
        }
        if (provider == "gguf")
        {
            // The whole rest is the path (it may hold '@' or ':'); the file itself is checked when the client is created.
            if (rest.Trim().Length == 0) throw new FormatException($"LLM spec '{shown}' names no GGUF file (e.g. gguf:models/qwen2.5-0.5b-instruct-q4_k_m.gguf).");
            return new LlmSpec(LlmKind.Gguf, rest, null, null);
        }
        if (provider is not ("openai" or "ollama" or "llamacpp")) throw new FormatException($"LLM provider '{Redaction.Text(provider)}' is unknown; allowed: {Allowed}.");
        string model = rest;
        Uri? endpoint = null;
        // llamacpp:URL names the server only (it serves one model); llamacpp:MODEL@URL names a model too.
        if (provider == "llamacpp" && (rest.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            rest = LlamaCppDefaultModel + "@" + rest;
        if (provider == "llamacpp" && !rest.Contains('@', StringComparison.Ordinal))
            throw new FormatException($"LLM spec '{shown}' names no server (e.g. llamacpp:http://127.0.0.1:8080).");
        model = rest;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            model = rest[..at];
            string url = rest[(at + 1)..];
            if (!Uri.TryCreate(url, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
                throw new FormatException($"LLM spec '{shown}': '{Redaction.Text(url)}' is not an http(s) URL.");
            if (!string.IsNullOrEmpty(endpoint.UserInfo))
                throw new FormatException($"LLM spec '{shown}': credentials do not belong in a URL; set {string.Join(" or ", ApiKeys.Variables)}.");
            string[] credentials = Redaction.CredentialQueryNames(endpoint.Query).ToArray();
            if (credentials.Length > 0)
                throw new FormatException($"LLM spec '{shown}': the URL carries a credential ('{string.Join("', '", credentials)}' parameter); keys come from {string.Join(" or ", ApiKeys.Variables)} only.");
        }
        if (model.Length == 0 || model.Any(char.IsWhiteSpace)) throw new FormatException($"LLM spec '{shown}' names no model (e.g. openai:gpt-4o-mini).");
        LlmKind kind = provider switch { "openai" => LlmKind.OpenAi, "llamacpp" => LlmKind.LlamaCpp, _ => LlmKind.Ollama };
        return new LlmSpec(kind, model, endpoint ?? (provider == "ollama" ? DefaultOllama : null), null);
    }

    /// <summary>The spec as text, with any credential in the endpoint masked (<see cref="Redaction.Url"/>), so it is
    /// safe to print, log and write to a summary.</summary>
    public override string ToString() => Kind switch
    {
        LlmKind.Replay => "replay:" + CassettePath,
        LlmKind.Gguf => "gguf:" + Model,
        LlmKind.Ollama => string.Create(CultureInfo.InvariantCulture, $"ollama:{Model}@{Redaction.Url(Endpoint)}"),
        LlmKind.LlamaCpp => Model == LlamaCppDefaultModel
            ? "llamacpp:" + Redaction.Url(Endpoint)
            : string.Create(CultureInfo.InvariantCulture, $"llamacpp:{Model}@{Redaction.Url(Endpoint)}"),
        _ => Endpoint is null ? "openai:" + Model : string.Create(CultureInfo.InvariantCulture, $"openai:{Model}@{Redaction.Url(Endpoint)}"),
    };
}

/// <summary>
/// API keys come from the environment only, never from a command line, log or report (issue 15, defect 21):
/// <c>OPENAI_API_KEY</c> is sent to OpenAI's own host (<see cref="OpenAiHost"/>) only; any other endpoint takes
/// <c>TANDEM_LLM_API_KEY</c>. Ollama is sent no key.
/// </summary>
public static class ApiKeys
{
    /// <summary>The variable whose key may go to any endpoint the user names.</summary>
    public const string TandemVariable = "TANDEM_LLM_API_KEY";

    /// <summary>The variable whose key goes to OpenAI's host only.</summary>
    public const string OpenAiVariable = "OPENAI_API_KEY";

    /// <summary>OpenAI's API host, the only one <see cref="OpenAiVariable"/> is sent to.</summary>
    public const string OpenAiHost = "api.openai.com";

    /// <summary>Variables that can hold a key, in the order they are read for OpenAI's host.</summary>
    public static IReadOnlyList<string> Variables { get; } = [TandemVariable, OpenAiVariable];

    /// <summary>A key from any of <see cref="Variables"/>, or null when none is set (whether some key is configured;
    /// which key an endpoint gets is <see cref="For"/>'s call).</summary>
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

    /// <summary>True when <paramref name="endpoint"/> is OpenAI's API (null = the SDK's default, which is OpenAI's).</summary>
    public static bool IsOpenAi(Uri? endpoint) =>
        endpoint is null || (endpoint.Scheme == Uri.UriSchemeHttps && string.Equals(endpoint.IdnHost, OpenAiHost, StringComparison.OrdinalIgnoreCase));

    /// <summary>The variables an endpoint may take its key from, in order.</summary>
    public static IReadOnlyList<string> VariablesFor(Uri? endpoint) => IsOpenAi(endpoint) ? Variables : [TandemVariable];

    /// <summary>The key to send to <paramref name="endpoint"/> (null = OpenAI's default): <see cref="TandemVariable"/>
    /// or <see cref="OpenAiVariable"/> for OpenAI's host, <see cref="TandemVariable"/> only for any other; null when none applies.</summary>
    public static string? For(Uri? endpoint, Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        foreach (string name in VariablesFor(endpoint))
        {
            string? value = getVariable(name);
            if (!string.IsNullOrWhiteSpace(value)) return value.Trim();
        }
        return null;
    }

    /// <summary>True when <paramref name="endpoint"/> is this machine (<c>localhost</c> or a loopback address), where
    /// plain http does not cross a network.</summary>
    public static bool IsLoopback(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.IsLoopback;
    }
}
