namespace Tandem.Llm.Gambit;

/// <summary>
/// GBNF grammar of the GAMBITTS generator's answer (seed 002 App. F.1: one message to a person): one or two sentences,
/// each a capital letter, 10 to 90 characters of letters, digits, spaces and plain punctuation, and a closing
/// <c>.</c>, <c>!</c> or <c>?</c>, so at most 183 characters (inside the generator's default
/// <see cref="MessageGeneratorOptions.MaxMessageLength"/> of 600, and 200 answer tokens even on a one-character-per-token
/// vocabulary). No quotes, backticks, angle brackets, slashes or line breaks: nothing that could frame text for a
/// model (role markers, fences) can be written. <see cref="MessageText"/> still reads and checks every answer
/// (refusals, text aimed at a model).
/// </summary>
public static class MessageGrammar
{
    /// <summary>The grammar.</summary>
    public const string Gbnf =
        "root ::= sentence (\" \" sentence)?\n" +
        "sentence ::= [A-Z] [a-zA-Z0-9 ,;:'()-]{10,90} [.!?]\n";
}
