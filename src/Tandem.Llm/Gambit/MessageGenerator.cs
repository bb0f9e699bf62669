using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Tandem.Gambit.Model;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Gambit;

/// <summary>What to do with a message longer than <see cref="MessageGeneratorOptions.MaxMessageLength"/>.</summary>
public enum OverlongMessage
{
    /// <summary>Cut it after the last whole sentence that fits; abstain when no sentence fits.</summary>
    Truncate,

    /// <summary>Abstain ("parse: message too long").</summary>
    Refuse,
}

/// <summary>Options of the message generator. Immutable; <see cref="Validate"/> names the first option out of range.</summary>
public sealed record MessageGeneratorOptions
{
    /// <summary>Sampling temperature. Range: [0, 2]. Default 0.8 (Ollama's default for Llama 3.1, the seed's
    /// generator; a bank needs varied responses per cell, so not 0).</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Answer length limit in tokens. Range: 16-4096. Default 200 (two to three sentences need about 80).</summary>
    public int MaxOutputTokens { get; init; } = 200;

    /// <summary>Longest message kept, in characters. Range: 40-10,000. Default 600.</summary>
    public int MaxMessageLength { get; init; } = 600;

    /// <summary>What to do with a longer message. Default <see cref="OverlongMessage.Truncate"/>.</summary>
    public OverlongMessage Overlong { get; init; } = OverlongMessage.Truncate;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        ModelCall.CheckTemperature(Temperature);
        ModelCall.CheckMaxOutputTokens(MaxOutputTokens, 16, 4096);
        if (MaxMessageLength is < 40 or > 10_000) throw new ArgumentOutOfRangeException(nameof(MaxMessageLength), MaxMessageLength, "The message length must lie in 40-10,000 characters.");
        if (!Enum.IsDefined(Overlong)) throw new ArgumentOutOfRangeException(nameof(Overlong), Overlong, "Unknown overlong policy.");
    }
}

/// <summary>A generated message, or an abstention with a "category: detail" reason (<see cref="FallbackReasons"/>).</summary>
/// <param name="Text">The cleaned message (one line, at most the configured length), or null.</param>
/// <param name="Reason">Why there is no message, or null.</param>
/// <param name="Truncated">True when the model's message was cut to fit.</param>
public sealed record GeneratedMessage(string? Text, string? Reason, bool Truncated = false)
{
    /// <summary>True when there is a message.</summary>
    public bool IsMessage => Text is not null;

    /// <summary>An abstention.</summary>
    public static GeneratedMessage Abstain(string reason) => new(null, reason);
}

/// <summary>
/// Reads a model's answer as a message to deliver. The answer is untrusted: an empty answer or a refusal
/// ("I'm sorry, I can't ...") is <c>refused</c>; an answer over <see cref="MaxAnswerLength"/> characters is
/// <c>parse</c> and is not read; invalid encoding (U+FFFD, lone surrogates) or control characters are
/// <c>parse</c>; text addressed to a model rather than to a person (role markers, "ignore previous
/// instructions", the rating prompt's message fence) is <c>infeasible</c> — it is not a deliverable message,
/// and it must not reach the rating prompt. Wrapping quotes, code fences and a "Here is a message:" preamble
/// are removed and whitespace is collapsed to single spaces, so a message is one CSV-safe line.
/// </summary>
public static partial class MessageText
{
    /// <summary>Answers longer than this are refused unread (1 MB of text would otherwise be scanned and stored).</summary>
    public const int MaxAnswerLength = 20_000;

    [GeneratedRegex(@"^\s*(i'?m sorry|i am sorry|sorry, |i can(no|')t|i cannot|i am unable|i'm unable|i won'?t|as an ai)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RefusalPattern();

    [GeneratedRegex(@"(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|preceding)\s+(instructions|prompts?|rules)|<\|[a-z_]+\|>|\[/?INST\]|(^|\s)(system|assistant)\s*:|</?message>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InstructionPattern();

    [GeneratedRegex(@"^(here('s| is| are)|sure|certainly|okay|ok)\b[^\n]{0,120}:\s*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PreamblePattern();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    /// <summary>Clean and check <paramref name="answer"/> under <paramref name="options"/>.</summary>
    public static GeneratedMessage Read(string? answer, MessageGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(answer)) return GeneratedMessage.Abstain(FallbackReasons.Refused + ": empty answer");
        if (answer.Length > MaxAnswerLength) return GeneratedMessage.Abstain($"{FallbackReasons.Parse}: answer too long ({answer.Length} characters)");
        if (!IsCleanText(answer)) return GeneratedMessage.Abstain(FallbackReasons.Parse + ": invalid text encoding or control characters");

        string text = answer.Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            int firstLine = text.IndexOf('\n');
            text = firstLine < 0 ? text.Trim('`') : text[(firstLine + 1)..];
            if (text.EndsWith("```", StringComparison.Ordinal)) text = text[..^3];
            text = text.Trim();
        }
        text = PreamblePattern().Replace(text, "", 1).Trim();
        text = Whitespace().Replace(text, " ").Trim();
        if (text.Length >= 2 && IsQuote(text[0]) && IsQuote(text[^1])) text = text[1..^1].Trim();
        if (text.Length == 0) return GeneratedMessage.Abstain(FallbackReasons.Refused + ": empty message");
        if (RefusalPattern().IsMatch(text)) return GeneratedMessage.Abstain(FallbackReasons.Refused + ": the model declined");
        if (InstructionPattern().IsMatch(text)) return GeneratedMessage.Abstain(FallbackReasons.Infeasible + ": the answer addresses a model, not a person");

        if (text.Length <= options.MaxMessageLength) return new GeneratedMessage(text, null);
        if (options.Overlong == OverlongMessage.Refuse)
            return GeneratedMessage.Abstain($"{FallbackReasons.Parse}: message too long ({text.Length} characters, at most {options.MaxMessageLength})");
        int cut = text.AsSpan(0, options.MaxMessageLength).LastIndexOfAny(".!?");
        if (cut < 20) return GeneratedMessage.Abstain($"{FallbackReasons.Parse}: message too long ({text.Length} characters) and no sentence fits in {options.MaxMessageLength}");
        return new GeneratedMessage(text[..(cut + 1)], null, Truncated: true);
    }

    /// <summary>False when the text holds U+FFFD (what a decoder puts for invalid UTF-8), a lone surrogate, or a
    /// control character other than tab and line breaks.</summary>
    public static bool IsCleanText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\uFFFD') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
                continue;
            }
            if (char.IsLowSurrogate(c)) return false;
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t')) return false;
        }
        return true;
    }

    private static bool IsQuote(char c) => c is '"' or '\'' or '“' or '”' or '«' or '»';
}

/// <summary>
/// The GAMBITTS generator on a language model (seed 002 App. F.1): for a (prompt, context) cell it asks for one
/// message (<see cref="MessagePrompt"/>) and reads it with <see cref="MessageText"/>. Every failure — timeout,
/// HTTP error, unusable answer — is an abstention with a reason, counted in the ledger; it never throws, except
/// a setup problem (a replay cassette without this request), which throws <see cref="BankSetupException"/>.
/// </summary>
public sealed class MessageGenerator
{
    /// <summary>The purpose tag of its requests in the audit log.</summary>
    public const string Purpose = "gambitts generator";

    private readonly IChatClient _client;
    private readonly LlmLedger _ledger;

    /// <summary>Create a generator on <paramref name="client"/> counting fallbacks in <paramref name="ledger"/>.</summary>
    public MessageGenerator(IChatClient client, LlmLedger ledger, MessageGeneratorOptions? options = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        Options = options ?? new MessageGeneratorOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public MessageGeneratorOptions Options { get; }

    /// <summary>
    /// Generate one message for (<paramref name="prompt"/>, <paramref name="context"/>). <paramref name="seed"/> is
    /// sent as the sampling seed and is part of the cassette key, so the N draws of a cell are N distinct requests
    /// (identical requests would be answered once from the cassette) and a recorded bank replays exactly.
    /// </summary>
    public async Task<GeneratedMessage> GenerateAsync(StylePrompt prompt, GambitContext context, long seed, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ChatMessage> messages = MessagePrompt.Build(prompt, context);
        ChatOptions chat = AnswerGrammar.With(ModelCall.Options(Options.Temperature, Options.MaxOutputTokens, seed, Purpose), MessageGrammar.Gbnf);
        ModelAnswer answer = await LlmFailures.AskAsync(_client, messages, chat, cancellationToken).ConfigureAwait(false);
        GeneratedMessage message = answer.Failure is { } failure ? GeneratedMessage.Abstain(failure) : MessageText.Read(answer.Text, Options);
        if (!message.IsMessage) _ledger.RecordFallback(message.Reason);
        return message;
    }
}
