using Tandem.Gambit.Bank;

namespace Tandem.Llm.Gambit;

/// <summary>
/// One of the seed's 40 generation prompts (seed 002 App. F.1): a style dimension and a direction. Its
/// <see cref="Name"/> (e.g. <c>optimism:high</c>) is the prompt column of a bank and matches the synthetic
/// bank's names, so experiments select prompts the same way on either.
/// </summary>
/// <param name="Dimension">A style dimension of <see cref="StyleVocabulary"/> (lower case).</param>
/// <param name="High">True to ask for a message high in the dimension, false for low.</param>
public readonly record struct StylePrompt(string Dimension, bool High)
{
    /// <summary>"dimension:high" or "dimension:low".</summary>
    public string Name => Dimension + (High ? ":high" : ":low");

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>All 40 prompts: each of the 20 dimensions of <see cref="StyleDimensions.All"/>, high then low (the synthetic bank's order).</summary>
    public static IReadOnlyList<StylePrompt> All { get; } =
        StyleDimensions.All.SelectMany(d => new[] { new StylePrompt(d, true), new StylePrompt(d, false) }).ToArray();

    /// <summary>
    /// Parse a comma-separated list: <c>optimism:high</c> names one prompt, a bare dimension (<c>optimism</c>)
    /// both of its prompts. Throws <see cref="FormatException"/> naming the unknown item or a repeat.
    /// </summary>
    public static IReadOnlyList<StylePrompt> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<StylePrompt>();
        string[] items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new FormatException("the prompt list is empty; name dimensions (optimism) or prompts (optimism:high).");
        foreach (string item in items)
        {
            int colon = item.IndexOf(':');
            string dimension = (colon < 0 ? item : item[..colon]).Trim().ToLowerInvariant();
            if (!StyleVocabulary.Contains(dimension))
                throw new FormatException($"'{item}' names no style dimension; allowed: {string.Join(", ", StyleDimensions.All)}.");
            IEnumerable<StylePrompt> named;
            if (colon < 0) named = [new StylePrompt(dimension, true), new StylePrompt(dimension, false)];
            else
            {
                string direction = item[(colon + 1)..].Trim().ToLowerInvariant();
                if (direction is not ("high" or "low")) throw new FormatException($"'{item}': the direction must be high or low.");
                named = [new StylePrompt(dimension, direction == "high")];
            }
            foreach (StylePrompt p in named)
            {
                if (result.Contains(p)) throw new FormatException($"the prompt '{p.Name}' is listed twice.");
                result.Add(p);
            }
        }
        return result;
    }
}

/// <summary>
/// Words for each style dimension: the adjective for its high and low direction and a one-sentence definition
/// (seed 002 App. F.1 gives optimism's as an example, "the degree of hopeful or confident language"; the other
/// nineteen are ours, written the same way). Used by the generation prompt and the rating prompt.
/// </summary>
public static class StyleVocabulary
{
    /// <summary>Words of one dimension.</summary>
    /// <param name="High">Adjective asked for in the high direction, e.g. "optimistic".</param>
    /// <param name="Low">Adjective asked for in the low direction, e.g. "pessimistic".</param>
    /// <param name="Definition">What the dimension measures, one sentence.</param>
    public sealed record Words(string High, string Low, string Definition);

    private static readonly Dictionary<string, Words> Table = new(StringComparer.Ordinal)
    {
        ["optimism"] = new("optimistic", "pessimistic", "Optimism is the degree of hopeful or confident language; a low level reads matter-of-fact or gloomy, a high level uplifting and buoyant."),
        ["formality"] = new("formal", "informal", "Formality is how official and impersonal the wording is; a low level is casual and chatty, a high level polished and businesslike."),
        ["encouragement"] = new("encouraging", "discouraging", "Encouragement is how much the message supports and motivates the reader; a low level is indifferent or deflating, a high level cheering them on."),
        ["severity"] = new("severe", "lenient", "Severity is how stern and serious the message is about the stakes; a low level is gentle and relaxed, a high level grave and strict."),
        ["clarity"] = new("clear", "vague", "Clarity is how plainly the message says what to do; a low level is vague or roundabout, a high level direct and easy to follow."),
        ["humor"] = new("humorous", "serious", "Humor is how playful or funny the message is; a low level is entirely earnest, a high level light-hearted and witty."),
        ["complexity"] = new("complex", "simple", "Complexity is how elaborate the language and ideas are; a low level uses short plain words, a high level long sentences and nuanced ideas."),
        ["vision"] = new("visionary", "short-sighted", "Vision is how much the message points to long-term goals and a bigger picture; a low level stays with today, a high level paints a future."),
        ["detail"] = new("detailed", "general", "Detail is how many specifics the message gives (numbers, places, steps); a low level stays general, a high level is specific."),
        ["threat"] = new("threatening", "reassuring", "Threat is how much the message warns of bad consequences; a low level is reassuring, a high level stresses risks and harms."),
        ["urgency"] = new("urgent", "unhurried", "Urgency is how much the message presses to act right now; a low level is relaxed about timing, a high level insists on immediate action."),
        ["politeness"] = new("polite", "blunt", "Politeness is how courteous and considerate the wording is; a low level is blunt or curt, a high level respectful and gracious."),
        ["personalization"] = new("personalized", "generic", "Personalization is how much the message speaks to this individual's situation; a low level could be sent to anyone, a high level is tailored."),
        ["conciseness"] = new("concise", "wordy", "Conciseness is how economical the wording is; a low level is long-winded, a high level brief and to the point."),
        ["actionability"] = new("actionable", "non-actionable", "Actionability is how concrete the suggested action is; a low level has no clear next step, a high level a specific thing to do."),
        ["emotiveness"] = new("emotive", "unemotional", "Emotiveness is how much feeling the message expresses or evokes; a low level is neutral and factual, a high level emotional."),
        ["authoritativeness"] = new("authoritative", "tentative", "Authoritativeness is how much the message speaks with expert confidence; a low level is hesitant, a high level commanding and expert."),
        ["authenticity"] = new("authentic", "artificial", "Authenticity is how genuine and sincere the message sounds; a low level sounds scripted or fake, a high level honest and natural."),
        ["supportiveness"] = new("supportive", "unsupportive", "Supportiveness is how much the message conveys care and understanding; a low level is cold, a high level warm and empathetic."),
        ["gender-codedness"] = new("masculine-coded", "feminine-coded", "Gender-codedness is how strongly the wording leans on stereotypically masculine language (competition, strength) rather than feminine-coded language (care, community); a low level is feminine-coded, a high level masculine-coded."),
    };

    /// <summary>True when the dimension has words here.</summary>
    public static bool Contains(string dimension) => Table.ContainsKey(dimension);

    /// <summary>Words of <paramref name="dimension"/>; throws <see cref="ArgumentException"/> naming an unknown one.</summary>
    public static Words For(string dimension) =>
        Table.TryGetValue(dimension ?? throw new ArgumentNullException(nameof(dimension)), out Words? words)
            ? words
            : throw new ArgumentException($"Style dimension '{dimension}' is unknown; allowed: {string.Join(", ", StyleDimensions.All)}.", nameof(dimension));
}
