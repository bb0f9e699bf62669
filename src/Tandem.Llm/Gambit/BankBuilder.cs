using Tandem.Core.Randomness;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;

namespace Tandem.Llm.Gambit;

/// <summary>Options of a bank build. Immutable; <see cref="Validate"/> names the first option out of range.</summary>
public sealed record BankBuildOptions
{
    /// <summary>Responses generated per (prompt, context) cell, N. Range: 1-10,000. Default 5 (the seed used 1,000;
    /// poGAMBITTS gains level off after about 50, App. E.3).</summary>
    public int PerCell { get; init; } = 5;

    /// <summary>Attempts per response for generation, and again for encoding, before the response is given up.
    /// Range: 1-10. Default 3. (Transport retries happen below this, in the middleware.)</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Seed from which every request's sampling seed is derived. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Responses worked on at once (the middleware's concurrency limit caps the calls in flight). Range: 1-256. Default 16.</summary>
    public int MaxParallel { get; init; } = 16;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (PerCell is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(PerCell), PerCell, "Responses per cell must lie in 1-10,000.");
        if (MaxAttempts is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "Attempts must lie in 1-10.");
        if (MaxParallel is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(MaxParallel), MaxParallel, "Parallelism must lie in 1-256.");
    }
}

/// <summary>How far a build is: <paramref name="Done"/> of <paramref name="Total"/> responses in <paramref name="Stage"/> ("generate" or "encode").</summary>
public readonly record struct BankBuildProgress(string Stage, int Done, int Total);

/// <summary>A (prompt, context) cell left with no usable response after every attempt, and the last reason.</summary>
public sealed record MissingCell(string Prompt, string Context, string LastReason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Prompt} @ {Context} ({LastReason})";
}

/// <summary>The messages of a build's first stage: N slots per (prompt, context) cell, each a message or null.</summary>
public sealed class GeneratedMessages
{
    private readonly string?[] _slots;
    private readonly string?[] _reasons;

    internal GeneratedMessages(IReadOnlyList<StylePrompt> prompts, int perCell, string?[] slots, string?[] reasons, int truncated)
    {
        Prompts = prompts;
        PerCell = perCell;
        _slots = slots;
        _reasons = reasons;
        Truncated = truncated;
    }

    /// <summary>The prompts, in bank order.</summary>
    public IReadOnlyList<StylePrompt> Prompts { get; }

    /// <summary>N.</summary>
    public int PerCell { get; }

    /// <summary>Slots asked for: prompts × 12 contexts × N.</summary>
    public int Requested => _slots.Length;

    /// <summary>Slots holding a message.</summary>
    public int Generated => _slots.Count(s => s is not null);

    /// <summary>Messages cut to the length limit.</summary>
    public int Truncated { get; }

    /// <summary>The message of slot <paramref name="i"/> of (<paramref name="prompt"/>, <paramref name="context"/>), or null.</summary>
    public string? Message(int prompt, GambitContext context, int i) => _slots[Slot(prompt, context.Index, i)];

    /// <summary>Cells with no message at all.</summary>
    public IReadOnlyList<MissingCell> Missing => MissingWhere(slot => _slots[slot] is not null, slot => _reasons[slot]);

    /// <summary>Up to <paramref name="count"/> distinct messages chosen uniformly without replacement (seeded), for calibration.</summary>
    public IReadOnlyList<string> Sample(int count, ulong seed)
    {
        string[] all = _slots.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        Random random = Seeds.CreateRandom(Seeds.Derive(seed, "bank-calibration"));
        for (int i = all.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all.Take(Math.Max(0, count)).ToArray();
    }

    internal string? ReasonAt(int slot) => _reasons[slot];

    internal int Slot(int prompt, int context, int i) => (prompt * GambitContext.Count + context) * PerCell + i;

    internal IReadOnlyList<MissingCell> MissingWhere(Func<int, bool> usable, Func<int, string?> reason)
    {
        var missing = new List<MissingCell>();
        for (int p = 0; p < Prompts.Count; p++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                int first = Slot(p, c, 0);
                if (Enumerable.Range(first, PerCell).Any(usable)) continue;
                string last = Enumerable.Range(first, PerCell).Select(reason).LastOrDefault(r => r is not null) ?? "no response";
                missing.Add(new MissingCell(Prompts[p].Name, new GambitContext(c).ToString(), last));
            }
        }
        return missing;
    }
}

/// <summary>The outcome of a build.</summary>
/// <param name="Bank">The bank (scores and texts), or null when a cell is missing — never a bank with a hole or an invented score.</param>
/// <param name="Missing">Cells with no usable response.</param>
/// <param name="Requested">Responses asked for (prompts × 12 × N).</param>
/// <param name="Generated">Messages generated.</param>
/// <param name="Encoded">Messages generated and scored: the bank's rows.</param>
/// <param name="Truncated">Messages cut to the length limit.</param>
public sealed record BankBuildResult(ResponseBank? Bank, IReadOnlyList<MissingCell> Missing, int Requested, int Generated, int Encoded, int Truncated);

/// <summary>
/// Builds a real response bank (seed 002 App. F, "response_db", at our scale): for every (prompt, context) cell,
/// <see cref="BankBuildOptions.PerCell"/> messages from the <see cref="MessageGenerator"/>, each scored by an
/// <see cref="IStyleEncoder"/>. Two stages, so an embedding encoder can be calibrated on generated messages between
/// them. A response whose generation (or scoring) fails is tried again with a new sampling seed, up to
/// <see cref="BankBuildOptions.MaxAttempts"/>; after that the slot stays empty and its reason is counted. A cell with
/// no usable response at all makes the result's bank null and is listed in <see cref="BankBuildResult.Missing"/>.
/// Rows are in cell and slot order, whatever order the calls finish in, so a replayed build is identical.
/// </summary>
public static class BankBuilder
{
    /// <summary>Stage 1: generate prompts × 12 contexts × N messages.</summary>
    public static async Task<GeneratedMessages> GenerateAsync(MessageGenerator generator, IReadOnlyList<StylePrompt> prompts, BankBuildOptions options,
        IProgress<BankBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("Name at least one prompt.", nameof(prompts));
        if (prompts.Distinct().Count() != prompts.Count) throw new ArgumentException("A prompt is listed twice.", nameof(prompts));
        int total = prompts.Count * GambitContext.Count * options.PerCell;
        var slots = new string?[total];
        var reasons = new string?[total];
        int done = 0, truncated = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, total), new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallel, CancellationToken = cancellationToken }, async (slot, ct) =>
        {
            int i = slot % options.PerCell, cell = slot / options.PerCell;
            StylePrompt prompt = prompts[cell / GambitContext.Count];
            var context = new GambitContext(cell % GambitContext.Count);
            for (int attempt = 0; attempt < options.MaxAttempts; attempt++)
            {
                GeneratedMessage message = await generator.GenerateAsync(prompt, context, SamplingSeed(options.Seed, prompt, context, i, attempt), ct).ConfigureAwait(false);
                if (message.IsMessage)
                {
                    slots[slot] = message.Text;
                    if (message.Truncated) Interlocked.Increment(ref truncated);
                    break;
                }
                reasons[slot] = message.Reason;
            }
            progress?.Report(new BankBuildProgress("generate", Interlocked.Increment(ref done), total));
        }).ConfigureAwait(false);
        return new GeneratedMessages(prompts.ToArray(), options.PerCell, slots, reasons, truncated);
    }

    /// <summary>Stage 2: score every generated message and assemble the bank (null when a cell has no scored response).</summary>
    public static async Task<BankBuildResult> EncodeAsync(GeneratedMessages messages, IStyleEncoder encoder, BankBuildOptions options,
        IProgress<BankBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int d = encoder.Dimensions.Count;
        var scores = new double[messages.Requested][];
        var reasons = new string?[messages.Requested];
        int[] toEncode = Enumerable.Range(0, messages.Requested).Where(s => Text(messages, s) is not null).ToArray();
        int done = 0;
        await Parallel.ForEachAsync(toEncode, new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallel, CancellationToken = cancellationToken }, async (slot, ct) =>
        {
            string text = Text(messages, slot)!;
            for (int attempt = 0; attempt < options.MaxAttempts; attempt++)
            {
                StyleScores s = await encoder.EncodeAsync(text, attempt, ct).ConfigureAwait(false);
                if (s.Scores is { } values && values.Length == d && values.All(double.IsFinite))
                {
                    scores[slot] = AuthorsOrientation.ToAuthors(encoder.Dimensions, values); // the outcome models' sign convention
                    break;
                }
                reasons[slot] = s.Reason ?? "parse: the encoder returned the wrong number of scores";
            }
            progress?.Report(new BankBuildProgress("encode", Interlocked.Increment(ref done), toEncode.Length));
        }).ConfigureAwait(false);

        IReadOnlyList<MissingCell> missing = messages.MissingWhere(slot => scores[slot] is not null, slot => reasons[slot] ?? MissingGeneration(messages, slot));
        int encoded = scores.Count(s => s is not null);
        if (missing.Count > 0) return new BankBuildResult(null, missing, messages.Requested, messages.Generated, encoded, messages.Truncated);

        var cells = new double[messages.Prompts.Count * GambitContext.Count][];
        var texts = new string?[cells.Length][];
        for (int cell = 0; cell < cells.Length; cell++)
        {
            var cellScores = new List<double>();
            var cellTexts = new List<string?>();
            for (int i = 0; i < messages.PerCell; i++)
            {
                int slot = cell * messages.PerCell + i;
                if (scores[slot] is not { } row) continue;
                cellScores.AddRange(row);
                cellTexts.Add(Text(messages, slot));
            }
            cells[cell] = cellScores.ToArray();
            texts[cell] = cellTexts.ToArray();
        }
        var bank = new ResponseBank(messages.Prompts.Select(p => p.Name).ToArray(), encoder.Dimensions, cells, texts);
        return new BankBuildResult(bank, missing, messages.Requested, messages.Generated, encoded, messages.Truncated);
    }

    /// <summary>The sampling seed of attempt <paramref name="attempt"/> at slot <paramref name="i"/> of a cell: stable under
    /// changes of N or of the prompt list, so a longer build reuses a shorter one's recorded answers. Range: [0, 2³¹).</summary>
    public static long SamplingSeed(ulong seed, StylePrompt prompt, GambitContext context, int i, int attempt)
    {
        ulong s = Seeds.Derive(Seeds.Derive(Seeds.Derive(Seeds.Derive(seed, prompt.Name), context.Index), i), attempt);
        return (long)(s & 0x7FFF_FFFF);
    }

    private static string? Text(GeneratedMessages messages, int slot)
    {
        int i = slot % messages.PerCell, cell = slot / messages.PerCell;
        return messages.Message(cell / GambitContext.Count, new GambitContext(cell % GambitContext.Count), i);
    }

    private static string? MissingGeneration(GeneratedMessages messages, int slot) => Text(messages, slot) is null ? messages.ReasonAt(slot) : null;
}
