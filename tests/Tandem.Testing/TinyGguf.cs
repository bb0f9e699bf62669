using System.Text;

namespace Tandem.Testing;

/// <summary>
/// Writes a valid GGUF v3 file holding a tiny random-weight llama model (2 layers, 64-wide, F32) with a
/// SentencePiece vocabulary of single characters, so tests can load, prompt and constrain a real llama.cpp model
/// without downloading weights (a file of about half a megabyte, written per test run, never committed).
/// The vocabulary makes tokenization a closed form (<see cref="CountTokens"/>): each special token is one token, a
/// space is one (<c>▁</c>), a printable ASCII character is one, and any other character is one byte token per UTF-8 byte.
/// Optionally (<c>words</c>) the vocabulary also holds whole words, as a real BPE vocabulary of 10^5 entries holds nearly
/// every common English word: for each word, every substring of two characters or more and every prefix of the word
/// with its leading space (<c>▁word</c>), scored by length. SentencePiece's merges then join any run of a listed word's
/// letters into one token, so a listed word is one token (with the space before it, if any), and prompts get a
/// realistic length instead of one token per character.
/// </summary>
public static class TinyGguf
{
    /// <summary>Chat-ML, as Qwen's GGUF files carry it (llama.cpp recognises it by <c>&lt;|im_start|&gt;</c>).</summary>
    public const string ChatMlTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /// <summary>Llama 3's template (recognised by <c>&lt;|start_header_id|&gt;</c>).</summary>
    public const string Llama3Template =
        "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    /// <summary>The special (control) tokens of the vocabulary, matched whole in a prompt.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];

    private const int Embedding = 64, Layers = 2, FeedForward = 128, Heads = 4;

    /// <summary>Write the model to <paramref name="path"/>. <paramref name="chatTemplate"/> null writes none;
    /// <paramref name="contextLength"/> is the trained context the metadata states; <paramref name="seed"/> draws the weights;
    /// <paramref name="words"/> (null = none, the single-character vocabulary) adds whole-word pieces (see the class),
    /// each ASCII letters only.</summary>
    public static void Write(string path, string? chatTemplate = ChatMlTemplate, int contextLength = 8192, int seed = 1, IEnumerable<string>? words = null)
    {
        var tokens = new List<string>(SpecialTokens);
        var types = new List<int> { 2, 3, 3, 3, 3, 3, 3, 3 }; // unknown, then control
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); } // byte fallback
        tokens.Add("\u2581"); types.Add(1);
        for (char c = '!'; c <= '~'; c++) { tokens.Add(c.ToString()); types.Add(1); }
        var scores = new List<float>(new float[tokens.Count]);
        foreach (string piece in Pieces(words ?? []))
        {
            tokens.Add(piece);
            types.Add(1);
            scores.Add(piece.Length);
        }
        int vocab = tokens.Count;

        var kv = new List<(string Key, Action<BinaryWriter> Value)>
        {
            ("general.architecture", Str("llama")),
            ("general.name", Str("tandem-tiny-random")),
            ("llama.context_length", U32(contextLength)),
            ("llama.embedding_length", U32(Embedding)),
            ("llama.block_count", U32(Layers)),
            ("llama.feed_forward_length", U32(FeedForward)),
            ("llama.attention.head_count", U32(Heads)),
            ("llama.attention.head_count_kv", U32(Heads)),
            ("llama.attention.layer_norm_rms_epsilon", w => { w.Write(6); w.Write(1e-5f); }),
            ("llama.vocab_size", U32(vocab)),
            ("tokenizer.ggml.model", Str("llama")),
            ("tokenizer.ggml.tokens", w => { w.Write(9); w.Write(8); w.Write((ulong)vocab); foreach (string t in tokens) WriteString(w, t); }),
            ("tokenizer.ggml.scores", w => { w.Write(9); w.Write(6); w.Write((ulong)vocab); foreach (float score in scores) w.Write(score); }),
            ("tokenizer.ggml.token_type", w => { w.Write(9); w.Write(5); w.Write((ulong)vocab); foreach (int t in types) w.Write(t); }),
            ("tokenizer.ggml.unknown_token_id", U32(0)),
            ("tokenizer.ggml.bos_token_id", U32(1)),
            ("tokenizer.ggml.eos_token_id", U32(2)),
            ("tokenizer.ggml.add_bos_token", Bool(false)),
            ("tokenizer.ggml.add_space_prefix", Bool(false)),
        };
        if (chatTemplate is not null) kv.Add(("tokenizer.chat_template", Str(chatTemplate)));

        var tensors = new List<(string Name, long[] Dims, bool Ones)>
        {
            ("token_embd.weight", [Embedding, vocab], false),
            ("output_norm.weight", [Embedding], true),
            ("output.weight", [Embedding, vocab], false),
        };
        for (int l = 0; l < Layers; l++)
        {
            tensors.Add(($"blk.{l}.attn_norm.weight", [Embedding], true));
            foreach (string m in new[] { "attn_q", "attn_k", "attn_v", "attn_output" }) tensors.Add(($"blk.{l}.{m}.weight", [Embedding, Embedding], false));
            tensors.Add(($"blk.{l}.ffn_norm.weight", [Embedding], true));
            tensors.Add(($"blk.{l}.ffn_gate.weight", [Embedding, FeedForward], false));
            tensors.Add(($"blk.{l}.ffn_up.weight", [Embedding, FeedForward], false));
            tensors.Add(($"blk.{l}.ffn_down.weight", [FeedForward, Embedding], false));
        }

        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)kv.Count);
        foreach ((string key, Action<BinaryWriter> value) in kv) { WriteString(w, key); value(w); }
        long offset = 0;
        foreach ((string name, long[] dims, _) in tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (long d in dims) w.Write((ulong)d);
            w.Write(0u); // F32
            w.Write((ulong)offset);
            offset += Align(dims.Aggregate(1L, (a, b) => a * b) * 4);
        }
        Pad(w);
        var random = new Random(seed);
        foreach ((_, long[] dims, bool ones) in tensors)
        {
            long n = dims.Aggregate(1L, (a, b) => a * b);
            for (long i = 0; i < n; i++) w.Write(ones ? 1f : (float)(0.5 * Gaussian(random)));
            Pad(w);
        }
    }

    /// <summary>The distinct words of two or more ASCII letters in <paramref name="texts"/>, in first-seen order: a word
    /// list for <see cref="Write"/>.</summary>
    public static IReadOnlyList<string> WordsOf(params IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var words = new List<string>();
        foreach (string text in texts)
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, "[A-Za-z]{2,}"))
                if (seen.Add(m.Value)) words.Add(m.Value);
        return words;
    }

    // Every substring (length ≥ 2) of each word and every prefix (length ≥ 2) of ▁word: any two adjacent pieces of a
    // word's letters then concatenate to a piece, so SentencePiece's pairwise merges always reach the whole word.
    private static IEnumerable<string> Pieces(IEnumerable<string> words)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string word in words)
        {
            if (word.Length == 0 || !word.All(char.IsAsciiLetter)) throw new ArgumentException($"Word '{word}' is not ASCII letters only.", nameof(words));
            for (int start = 0; start < word.Length; start++)
                for (int length = 2; start + length <= word.Length; length++)
                    if (seen.Add(word.Substring(start, length))) yield return word.Substring(start, length);
            string spaced = "\u2581" + word;
            for (int length = 2; length <= spaced.Length; length++)
                if (seen.Add(spaced[..length])) yield return spaced[..length];
        }
    }

    /// <summary>Tokens the model's tokenizer makes of <paramref name="text"/> with special tokens parsed (no BOS): the
    /// closed form of the single-character vocabulary (a file written without words), an independent check of the provider's counts.</summary>
    public static int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int count = 0;
        for (int i = 0; i < text.Length;)
        {
            string? special = SpecialTokens.Skip(3).FirstOrDefault(s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0);
            if (special is not null) { count++; i += special.Length; continue; }
            int width = char.IsSurrogatePair(text, i) ? 2 : 1;
            string ch = text.Substring(i, width);
            count += ch[0] is >= ' ' and <= '~' ? 1 : Encoding.UTF8.GetByteCount(ch);
            i += width;
        }
        return count;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static long Align(long n) => (n + 31) / 32 * 32;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        while (w.BaseStream.Position % 32 != 0) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static Action<BinaryWriter> Str(string s) => w => { w.Write(8u); WriteString(w, s); };

    private static Action<BinaryWriter> U32(int v) => w => { w.Write(4u); w.Write((uint)v); };

    private static Action<BinaryWriter> Bool(bool v) => w => { w.Write(7u); w.Write(v); };
}
