using System.Text.Json;
using Tandem.Rmab.Rewards;

namespace Tandem.Rmab.Dlm;

/// <summary>One language task of seed 001 Table 3: a prompt and its ground-truth ("Base") reward.</summary>
/// <param name="Index">Task index 0-15 as in the seed.</param>
/// <param name="Label">Short label, e.g. "Older Bias".</param>
/// <param name="Prompt">The full language command given to the designer.</param>
/// <param name="Base">The Base reward in Tandem's reward-expression language.</param>
public sealed record DlmTask(int Index, string Label, string Prompt, string Base)
{
    /// <summary>The parsed Base reward (throws when the data file holds a refused expression).</summary>
    public RewardExpression BaseExpression
    {
        get
        {
            // A `with` copy carries this cache along, so it is keyed by the text it was parsed from.
            ParsedBase? cached = _base;
            if (cached is null || !ReferenceEquals(cached.Text, Base)) _base = cached = new ParsedBase(Base, RewardSandbox.Parse(Base));
            return cached.Expression;
        }
    }

    private ParsedBase? _base;

    private sealed record ParsedBase(string Text, RewardExpression Expression);

    /// <summary>The features the Base reward reads: the truth for Table 1's precision and recall.</summary>
    public IReadOnlyList<int> TrueFeatures => BaseExpression.FeaturesUsed;
}

/// <summary>The task list (data/dlm/tasks.json).</summary>
/// <param name="Default">The Default reward, <c>state</c>.</param>
/// <param name="Tasks">The tasks in index order.</param>
public sealed record DlmTaskSet(string Default, IReadOnlyList<DlmTask> Tasks)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // A misspelt field ("promt") is an error, not a silently empty prompt.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Read and validate the task file: every Base reward must pass the sandbox.</summary>
    /// <exception cref="FormatException">Names the file, task and field.</exception>
    public static DlmTaskSet Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FileModel? model;
        string text;
        try
        {
            if (new FileInfo(path).Length > MaxFileBytes) throw new FormatException($"{path}: larger than {MaxFileBytes / 1_000_000} MB; a tasks file is a short list of goals.");
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FormatException($"{path}: no such file.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new FormatException($"{path}: cannot be read ({ex.GetType().Name.Replace("Exception", "", StringComparison.Ordinal)}).");
        }
        // The reader's message names the line and field, never the file's content.
        try { model = JsonSerializer.Deserialize<FileModel>(text, Json); }
        catch (JsonException ex) { throw new FormatException($"{path}: not a tasks file: {ex.Message}"); }
        if (model?.Tasks is null || model.Tasks.Count == 0) throw new FormatException($"{path}: no tasks.");
        if (!RewardSandbox.TryParse(model.Default ?? "state", out _, out string? defaultRefusal)) throw new FormatException($"{path}: default: {defaultRefusal}.");
        var tasks = new List<DlmTask>();
        for (int i = 0; i < model.Tasks.Count; i++)
        {
            TaskModel t = model.Tasks[i];
            if (t.Index != i) throw new FormatException($"{path}: task {i}, field index: found {t.Index}, expected {i}.");
            if (string.IsNullOrWhiteSpace(t.Label)) throw new FormatException($"{path}: task {i}, field label is empty.");
            if (string.IsNullOrWhiteSpace(t.Prompt)) throw new FormatException($"{path}: task {i}, field prompt is empty.");
            if (!RewardSandbox.TryParse(t.Base, out _, out string? refusal)) throw new FormatException($"{path}: task {i}, field base: {refusal}.");
            tasks.Add(new DlmTask(t.Index, t.Label!, t.Prompt!, t.Base!));
        }
        return new DlmTaskSet(model.Default ?? "state", tasks);
    }

    /// <summary>Largest tasks file read.</summary>
    public const long MaxFileBytes = 10_000_000;

    private sealed record FileModel(string? Source, string? Default, List<TaskModel>? Tasks);

    private sealed record TaskModel(int Index, string? Label, string? Prompt, string? Base);
}
