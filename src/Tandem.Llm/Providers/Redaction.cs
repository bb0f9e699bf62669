using System.Text;
using System.Text.RegularExpressions;

namespace Tandem.Llm.Providers;

/// <summary>
/// Removes credentials from text before it is printed, logged or written to a summary: the user-info part of a URL
/// (<c>user:password@</c>), the value of a credential-looking query parameter (<see cref="IsCredentialParameter"/>),
/// a bearer token, an OpenAI-style key (<c>sk-…</c>) and any secret the caller names. Each is replaced by
/// <see cref="Mask"/>. The patterns are non-backtracking, so redaction is linear in the text (issue 15, defects 5 and 12).
/// </summary>
public static partial class Redaction
{
    /// <summary>What a redacted credential is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Query parameter names whose value is treated as a credential (compared case-insensitively, with
    /// <c>-</c> and <c>_</c> ignored): <c>key</c>, <c>apikey</c>, <c>api-key</c>, <c>token</c>, <c>access_token</c>,
    /// <c>sig</c> and the like.</summary>
    public static IReadOnlyList<string> CredentialParameters { get; } =
        ["key", "apikey", "token", "accesstoken", "refreshtoken", "idtoken", "authtoken", "sig", "signature", "secret", "clientsecret", "password", "pwd", "auth", "authorization", "credential", "credentials", "session", "sessiontoken", "xamzsecuritytoken", "xamzsignature", "xgoogsignature", "code"];

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.\-]{0,15}://)[^/?#@\s""'<>]{1,512}@", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"(?<name>[?&;][A-Za-z0-9_.\-]{1,64}=)(?<value>[^&#;\s""'<>]+)", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex QueryPair();

    [GeneratedRegex(@"(?<name>(?:bearer|basic)\s+)[A-Za-z0-9._~+/=\-]{4,}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AuthorizationValue();

    [GeneratedRegex(@"sk-[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, matchTimeoutMilliseconds: 1000)]
    private static partial Regex OpenAiKey();

    /// <summary>True when a query parameter called <paramref name="name"/> would carry a credential.</summary>
    public static bool IsCredentialParameter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var folded = new StringBuilder(name.Length);
        foreach (char c in name)
            if (c is not ('-' or '_' or '.')) folded.Append(char.ToLowerInvariant(c));
        string n = folded.ToString();
        return CredentialParameters.Contains(n, StringComparer.Ordinal) || n.EndsWith("apikey", StringComparison.Ordinal) || n.EndsWith("token", StringComparison.Ordinal)
            || n.EndsWith("secret", StringComparison.Ordinal) || n.EndsWith("password", StringComparison.Ordinal);
    }

    /// <summary>True when <paramref name="url"/> holds a credential: user info, or a credential-looking query parameter.</summary>
    public static bool HasCredentials(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri) return Text(url.OriginalString) != url.OriginalString;
        if (!string.IsNullOrEmpty(url.UserInfo)) return true;
        return CredentialQueryNames(url.Query).Any();
    }

    /// <summary>The names of the credential-looking parameters of a query string (<c>?a=1&amp;key=2</c>).</summary>
    public static IEnumerable<string> CredentialQueryNames(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        foreach (string pair in query.TrimStart('?').Split('&', ';'))
        {
            int eq = pair.IndexOf('=');
            string name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            if (name.Length > 0 && IsCredentialParameter(name)) yield return name;
        }
    }

    /// <summary><paramref name="url"/> as text with its user info and credential-looking query values masked.</summary>
    public static string Url(Uri? url) => url is null ? "" : Text(url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString);

    /// <summary><paramref name="text"/> with every credential it holds masked: URL user info, credential-looking query
    /// values, bearer/basic tokens, <c>sk-…</c> keys, and each of <paramref name="secrets"/> (those of 4 characters or more).</summary>
    public static string Text(string? text, IEnumerable<string?>? secrets = null)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        string result = text;
        if (secrets is not null)
        {
            foreach (string? secret in secrets.Where(s => s is { Length: >= 4 }).OrderByDescending(s => s!.Length))
                result = result.Replace(secret!, Mask, StringComparison.Ordinal);
        }
        try
        {
            result = UserInfo().Replace(result, m => m.Groups["scheme"].Value + Mask + "@");
            result = QueryPair().Replace(result, m =>
            {
                string name = m.Groups["name"].Value[1..^1];
                return IsCredentialParameter(Uri.UnescapeDataString(name)) ? m.Groups["name"].Value + Mask : m.Value;
            });
            result = AuthorizationValue().Replace(result, m => m.Groups["name"].Value + Mask);
            result = OpenAiKey().Replace(result, "sk-" + Mask);
        }
        catch (RegexMatchTimeoutException)
        {
            // Text too odd to redact in bounded time is not shown at all.
            return "[text withheld: could not be redacted]";
        }
        return result;
    }
}
