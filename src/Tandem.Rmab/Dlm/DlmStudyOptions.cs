using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Rmab.Dlm;

/// <summary>
/// A whole DLM study as data (a JSON document): the Table 4 settings with the planner by name, the designer by name,
/// and where the task and cohort files are. Nothing in it is code; the language-model designer comes from the host.
/// </summary>
public sealed record DlmStudyOptions
{
    /// <summary>Seeds, arms, budget, stages, candidates, evaluation, planner, tasks, parallelism.</summary>
    public DlmExperimentOptions Experiment { get; init; } = new();

    /// <summary>The reward designer. Default: the simulated designer.</summary>
    public DesignerSpec Designer { get; init; } = new();

    /// <summary>Folder holding tasks.json and cohort.json; null: data/dlm beside the application.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The tasks file (same schema as data/dlm/tasks.json: a programme's own goals, each with the reward it is
    /// scored against); null: tasks.json in <see cref="DataDirectory"/> (seed 001 Table 3).</summary>
    public string? TasksFile { get; init; }

    /// <summary>The tasks file read.</summary>
    public string ResolvedTasksFile => TasksFile ?? Path.Combine(ResolvedDataDirectory, "tasks.json");

    /// <summary>The JSON settings of a study document: camelCase, comments and trailing commas allowed.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The folder the data files are read from.</summary>
    public string ResolvedDataDirectory => DataDirectory ?? Path.Combine(AppContext.BaseDirectory, "data", "dlm");

    /// <summary>Throws <see cref="ArgumentException"/> (or its out-of-range kind) naming the first bad field; the task
    /// indices are checked against the task file when the study runs.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Experiment);
        ArgumentNullException.ThrowIfNull(Designer);
        Experiment.Validated(int.MaxValue);
        Designer.Validate();
        if (TasksFile is not null && string.IsNullOrWhiteSpace(TasksFile)) throw new ArgumentException("The tasks file path is empty.", nameof(TasksFile));
    }

    /// <summary>This study as a JSON document.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Read and validate a study document; an unknown field or a malformed document throws
    /// <see cref="FormatException"/> with the reader's message.</summary>
    public static DlmStudyOptions FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        DlmStudyOptions? options;
        try { options = JsonSerializer.Deserialize<DlmStudyOptions>(json, JsonOptions); }
        catch (JsonException ex) { throw new FormatException("The DLM study document cannot be read: " + ex.Message, ex); }
        if (options is null) throw new FormatException("The DLM study document is empty.");
        options.Validate();
        return options;
    }
}
