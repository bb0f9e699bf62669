using System.Text;
using Microsoft.Extensions.AI;
using Tandem.Gambit.Model;

namespace Tandem.Llm.Gambit;

/// <summary>
/// The message-generation prompt of seed 002 App. F.1, in our own words: a fixed system message (write one
/// two-to-three-sentence message, delivered through a mobile app, to encourage more steps; the app knows the
/// previous day's step band and the current location) and a user message that gives this participant's
/// context and asks for a message mildly high or low in one style dimension, with the dimension's definition,
/// and nothing but the message text. The whole context is passed (X~_t = X_t, as in the seed).
/// </summary>
public static class MessagePrompt
{
    /// <summary>The system message (seed 002 App. F.1, paraphrased).</summary>
    public const string System =
        "You write one short message to a person. It is two to three sentences long and is delivered through a mobile " +
        "health app. Its purpose is to encourage the person to walk more steps, to improve their physical health. The app " +
        "knows how many steps the person took the previous day (0-4,999, 5,000-9,999, 10,000-15,000, or more than 15,000) " +
        "and whether they are at home, at work, or somewhere else right now.";

    /// <summary>The step band of a bin (1–4) in the seed's words.</summary>
    public static string StepsText(int stepsBin) => stepsBin switch
    {
        1 => "0-4,999",
        2 => "5,000-9,999",
        3 => "10,000-15,000",
        4 => "more than 15,000",
        _ => throw new ArgumentOutOfRangeException(nameof(stepsBin), stepsBin, "The step bin must lie in 1..4."),
    };

    /// <summary>Where the person is, as the prompt says it.</summary>
    public static string LocationText(Location location) => location switch
    {
        Location.Home => "home",
        Location.Work => "work",
        Location.Other => "another location",
        _ => throw new ArgumentOutOfRangeException(nameof(location), location, "Unknown location."),
    };

    /// <summary>The system and user messages for one (prompt, context) cell.</summary>
    public static IReadOnlyList<ChatMessage> Build(StylePrompt prompt, GambitContext context)
    {
        StyleVocabulary.Words words = StyleVocabulary.For(prompt.Dimension);
        var user = new StringBuilder();
        user.Append("Context from the app: the person took ").Append(StepsText(context.StepsBin))
            .Append(" steps the previous day and is currently at ").Append(LocationText(context.Location)).Append(". ");
        user.Append("You may use this context in the message, but it should not dominate it. ");
        user.Append("Make the message mildly ").Append(prompt.High ? words.High : words.Low).Append(". ");
        user.Append(words.Definition).Append(' ');
        user.Append("Reply with the text of the message only, nothing else.");
        return
        [
            new ChatMessage(ChatRole.System, System),
            new ChatMessage(ChatRole.User, user.ToString()),
        ];
    }
}
