using System.Globalization;
using System.Text.RegularExpressions;

namespace Tandem.Testing;

/// <summary>
/// A deterministic stand-in for a model that writes and rates GAMBITTS messages, for the scripted client and the
/// scripted server: a generation request (any system message not starting "You rate") gets a message that names its
/// sampling seed; a rating request gets a JSON object rating every dimension listed in the prompt ("- name: ...")
/// with an integer 0-10 derived from the message text; an embedding request gets a vector whose first entries are
/// those ratings scaled by 0.1 (so a linear probe can recover them) plus two fixed features.
/// </summary>
public static partial class ScriptedGambitModel
{
    [GeneratedRegex(@"^- ([a-z\-]+): ", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex DimensionLine();

    [GeneratedRegex(@"<message>\n(?<m>.*)\n</message>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Fence();

    public const int EmbeddingLength = 22;

    public static bool IsRating(string system) => system.StartsWith("You rate", StringComparison.Ordinal);

    /// <summary>The answer to a chat request.</summary>
    public static string Answer(string system, string user, long? seed) =>
        IsRating(system) ? RatingJson(MessageOf(user), Dimensions(user)) : Message(seed ?? 0, user);

    /// <summary>The server reply to any request.</summary>
    public static ScriptedLlmServer.Reply Reply(ScriptedLlmServer.Request request) =>
        request.IsEmbedding ? new ScriptedLlmServer.Reply(Embed: Embed) : new ScriptedLlmServer.Reply(Content: Answer(request.SystemText, request.UserText, request.Seed));

    public static string Message(long seed, string user) =>
        $"Walk a little more today, friend number {seed.ToString(CultureInfo.InvariantCulture)}. " + (user.Contains("at work", StringComparison.Ordinal) ? "Take the stairs at work." : "A short walk helps.");

    public static string MessageOf(string ratingUser) => Fence().Match(ratingUser).Groups["m"].Value;

    public static IReadOnlyList<string> Dimensions(string ratingUser) => DimensionLine().Matches(ratingUser).Select(m => m.Groups[1].Value).ToArray();

    public static int Rating(string message, int dimension)
    {
        int hash = 0;
        foreach (char c in message) hash = unchecked(hash * 31 + c);
        return (int)((uint)(hash + 7 * dimension) % 11);
    }

    public static string RatingJson(string message, IReadOnlyList<string> dimensions) =>
        "{" + string.Join(", ", dimensions.Select((d, k) => $"\"{d}\": {Rating(message, k)}")) + "}";

    public static float[] Embed(string text)
    {
        var v = new float[EmbeddingLength];
        for (int k = 0; k < 20; k++) v[k] = 0.1f * Rating(text, k);
        v[20] = text.Length / 100f;
        v[21] = 1;
        return v;
    }
}
