using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Tandem.Cli.Console;
using Tandem.Cli.Dlm;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Llm.Dlm;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Reporting;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.History;
using Tandem.Rmab.Programme;

namespace Tandem.Cli.Commands;

/// <summary>`tandem rmab whittle`, `tandem rmab plan` (CLI contract of issue 3; keep stable) and `tandem rmab estimate`
/// (issue 18): parse into <see cref="RmabWhittleOptions"/> / <see cref="RmabPlanOptions"/> / <see cref="RmabEstimateOptions"/>,
/// call <see cref="RmabProgramme"/> / <see cref="RmabHistory"/> / <see cref="HistoryValidation"/>, render.</summary>
public static class RmabCommand
{
    /// <summary>Parameter names of the rmab option records → option names (the library checks the ranges).</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["ArmsFile"] = "--arms", ["Budget"] = "--budget", ["Expression"] = "--expr", ["Task"] = "--task", ["Discount"] = "--discount",
        ["Planner"] = "--planner", ["PpoEpochs"] = "--ppo-epochs", ["Epochs"] = "--ppo-epochs", ["FinalFrozenEpochs"] = "--ppo-epochs",
        ["PpoLearningRate"] = "--ppo-lr", ["PolicyLearningRate"] = "--ppo-lr", ["ValueLearningRate"] = "--ppo-lr",
        ["HistoryFile"] = "--history", ["Estimate"] = "--history", ["Clusters"] = "--clusters", ["ClusterColumn"] = "--cluster-column",
        ["PriorStrength"] = "--prior-strength", ["Interval"] = "--interval", ["Goal"] = "--goal", ["Designer"] = "--designer", ["Name"] = "--designer",
        ["spec"] = "--designer", ["Arms"] = "--beneficiaries", ["Weeks"] = "--weeks", ["Replicates"] = "--replicates", ["CallRate"] = "--call-rate",
        ["Stages"] = "--stages", ["Candidates"] = "--candidates", ["GoalLoop"] = "--stages", ["MaxRetries"] = "--stages",
        ["FillBudget"] = "--fill-budget",
    });

    /// <summary>Create `rmab` with its subcommands.</summary>
    public static Command Create(CliIo io)
    {
        var rmab = new Command("rmab", "Restless-bandit tools: Whittle indices of two-state arms, and this step's call list for a programme.");

        var armsJson = new Option<string>("--arms") { Description = "JSON array of arms: {\"id\", \"transitions\": [action][state][next], \"reward\": [r0, r1]}.", Required = true };
        var discount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var whittle = new Command("whittle", "Print each arm's Whittle index for state 0 and 1 and whether it is indexable.");
        whittle.Add(armsJson);
        whittle.Add(discount);
        whittle.Add(json);
        whittle.SetAction((parse, ct) =>
        {
            DateTimeOffset started = DateTimeOffset.UtcNow;
            var options = new RmabWhittleOptions { ArmsFile = parse.GetValue(armsJson)!, Discount = parse.GetValue(discount) };
            RmabWhittleResult result = Run(() => RmabProgramme.Whittle(options, ct));
            if (parse.GetValue(json)) StudyOutput.Print(io, StudyOutput.Envelope(parse, null, started, result.Summary));
            else RmabRunner.WriteWhittle(io.Output, result);
            return Task.FromResult(CliApp.Ok);
        });
        rmab.Add(whittle);

        var armsCsv = new Option<string?>("--arms") { Description = "CSV of beneficiaries (separator comma, semicolon or tab, detected; quotes; a BOM): id, state (0/1), " +
            "p01_passive, p11_passive, p01_active, p11_active (P(next engaged | state, action)), feature columns (0 when absent) named " +
            string.Join(", ", Tandem.Rmab.Model.Features.ColumnNames) + $" or f0-f{Tandem.Rmab.Model.Features.Count - 1}, " +
            "and any other columns (name, phone, village...), carried into plan.csv (docs/rmab-plan.md). Or give --history." };
        var history = new Option<string?>("--history") { Description = "Plan from a beneficiary × week history instead of --arms: the transitions are estimated as `tandem rmab estimate` does (docs/rmab-history.md)." };
        var estimate = new EstimateOptions();
        var goal = new Option<string?>("--goal") { Description = "The reward as a goal in plain language (e.g. \"slightly favour the oldest mothers\"): a designer turns it into a reward expression over the file's features (docs/rmab-goals.md). Instead of --expr or --task." };
        var designer = new Option<string?>("--designer") { Description = "Who turns --goal into a reward: minilm (default: the sentence-embedding model all-MiniLM-L6-v2 in this process, docs/dlm-designer.md), simulated (a word-to-feature mapping written by hand, docs/dlm-simulated-designer.md) or a language model: " + LlmSpec.Allowed + " (needs --out for its audit log)." };
        var stages = new Option<int?>("--stages") { Description = "Reflection stages of the goal's design (default 5, the seed's)." };
        var candidates = new Option<int?>("--candidates") { Description = "Candidates per stage of the goal's design (default 3, the seed's)." };
        var llmOptions = new LlmOptions("--designer");
        var budget = new Option<int>("--budget") { Description = "Calls this step B (≤ number of beneficiaries).", Required = true };
        var expr = new Option<string?>("--expr") { Description = "Reward expression over state and feats[0..42]." };
        var task = new Option<int?>("--task") { Description = "Use the Base reward of task i (0-15, seed 001 Table 3)." };
        var planDiscount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the tie-break among equal indices.", DefaultValueFactory = _ => 1UL };
        var outDir = new Option<string?>("--out") { Description = "Folder for plan.csv, summary.json, report.html and manifest.json (nothing is written without it)." };
        var savePlan = new Option<string?>("--save-plan") { Description = "Write the planned policy (its indices or PPO actor, the beneficiaries' ids and the tie-break stream after this week's call) to this JSON file." };
        var planJson = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var fillBudget = new Option<bool>("--fill-budget") { Description = "Use the whole budget even on beneficiaries whose Whittle index is negative (a call is worth less to them than no call). Without it they are not called and the unused calls are reported." };
        var planner = new Option<string>("--planner") { Description = "Planner: whittle (the index policy ARMMAN deploys) or ppo (the seed's Lagrangian PPO, trained on these beneficiaries; docs/dlm-ppo.md).", DefaultValueFactory = _ => "whittle" };
        var ppoEpochs = new Option<int?>("--ppo-epochs") { Description = "PPO training epochs of 100 steps (default: 40 for 48 or more beneficiaries, more for fewer, so that training sees as many arm-steps as the authors' 48 arms × 40 epochs)." };
        var ppoLr = new Option<double?>("--ppo-lr") { Description = "PPO actor and critic learning rate in (0, 1] (default 2e-3, the authors')." };
        var plan = new Command("plan", "Who to call this step: rank beneficiaries by Whittle index (or a PPO policy's index) under a reward and call the top B, except those whose Whittle index is negative (--fill-budget calls them too).");
        foreach (Option o in new Option[] { armsCsv, history, budget, fillBudget, expr, task, goal, designer, stages, candidates, planDiscount, seed, planner, ppoEpochs, ppoLr, outDir, savePlan, planJson }) plan.Add(o);
        estimate.AddTo(plan);
        llmOptions.AddTo(plan);
        plan.SetAction((parse, ct) =>
        {
            string? historyFile = parse.GetValue(history);
            string? goalText = parse.GetValue(goal);
            string? who = parse.GetValue(designer)?.Trim();
            LlmSpec? llm = who is not null && LlmSpec.IsLlmSpec(who) ? LlmOptions.ParseSpec(who, "--designer") : null;
            if (who is not null && llm is null && !who.Equals(RewardDesigners.Simulated, StringComparison.OrdinalIgnoreCase) && !who.Equals(RewardDesigners.MiniLm, StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--designer '{ConsoleText.Safe(who, 200)}' is unknown for a goal; allowed: minilm, simulated, or a language model: {LlmSpec.Allowed}.");
            if (who is not null && goalText is null) throw new UsageException("--designer: A designer needs a goal (--goal).");
            if (llm is not null && parse.GetValue(outDir) is null) throw new UsageException("--designer: a language-model designer needs --out (its audit log of every prompt and answer is written there).");
            int? stageCount = parse.GetValue(stages), candidateCount = parse.GetValue(candidates);
            var options = new RmabPlanOptions
            {
                ArmsFile = parse.GetValue(armsCsv) ?? "",
                HistoryFile = historyFile,
                Estimate = historyFile is null ? estimate.ReadIfGiven(parse) : estimate.Read(parse),
                Goal = goalText,
                Designer = goalText is null ? null : new DesignerSpec { Name = llm?.ToString() ?? (who ?? RewardDesigners.MiniLm).ToLowerInvariant() },
                GoalLoop = stageCount is null && candidateCount is null ? null : new DlmLoopOptions(Stages: stageCount ?? 5, Candidates: candidateCount ?? 3),
                Budget = parse.GetValue(budget),
                FillBudget = parse.GetValue(fillBudget),
                Expression = parse.GetValue(expr),
                Task = parse.GetValue(task),
                Discount = parse.GetValue(planDiscount),
                Seed = parse.GetValue(seed),
                Planner = parse.GetValue(planner)!.Trim().ToLowerInvariant(),
                PpoEpochs = parse.GetValue(ppoEpochs),
                PpoLearningRate = parse.GetValue(ppoLr),
            };
            Run(options.Validate); // a bad setting is refused before any file is read or written
            LlmCallSettings? llmCall = llm is null ? null : llmOptions.Read(parse, llm is { Kind: not LlmKind.Replay });
            return PlanAsync(options, llm, llmCall, parse.GetValue(outDir), parse.GetValue(savePlan), parse.GetValue(planJson), io, parse, ct);
        });
        rmab.Add(plan);
        rmab.Add(CreateEstimate(io));
        return rmab;
    }

    /// <summary>The estimation options shared by `rmab estimate` and `rmab plan --history`.</summary>
    private sealed class EstimateOptions
    {
        public Option<int?> Clusters { get; } = new("--clusters") { Description = "Feature clusters k of the k-means whose pooled rates are the priors (default 10; docs/rmab-history.md)." };
        public Option<string?> ClusterColumn { get; } = new("--cluster-column") { Description = "A history column that labels each beneficiary's cluster (e.g. district), instead of k-means on the features." };
        public Option<double?> PriorStrength { get; } = new("--prior-strength") { Description = "Prior strength κ > 0: the cluster's rate counts as κ observed transitions of each (state, action) (default 2)." };
        public Option<double?> Interval { get; } = new("--interval") { Description = "Central posterior interval reported, in (0, 1) (default 0.9)." };

        public void AddTo(Command command)
        {
            command.Add(Clusters);
            command.Add(ClusterColumn);
            command.Add(PriorStrength);
            command.Add(Interval);
        }

        public HistoryEstimateOptions Read(ParseResult parse, ulong seed = 1)
        {
            var d = new HistoryEstimateOptions();
            return new HistoryEstimateOptions
            {
                Clusters = parse.GetValue(Clusters) ?? d.Clusters,
                ClusterColumn = parse.GetValue(ClusterColumn),
                PriorStrength = parse.GetValue(PriorStrength) ?? d.PriorStrength,
                Interval = parse.GetValue(Interval) ?? d.Interval,
                Seed = seed,
            };
        }

        // Without --history an estimation option is a mistake the library names ("needs a history file").
        public HistoryEstimateOptions? ReadIfGiven(ParseResult parse) =>
            parse.GetValue(Clusters) is null && parse.GetValue(ClusterColumn) is null && parse.GetValue(PriorStrength) is null && parse.GetValue(Interval) is null ? null : Read(parse);
    }

    private static Command CreateEstimate(CliIo io)
    {
        var history = new Option<string?>("--history") { Description = "CSV of beneficiary × week rows: id, week, engaged (0/1), called (0/1), and feature columns by name (e.g. age_51_60, lang_hindi) or f7 (docs/rmab-history.md)." };
        var options = new EstimateOptions();
        var seed = new Option<ulong>("--seed") { Description = "Seed of the k-means start (and of --validate's simulation).", DefaultValueFactory = _ => 1UL };
        var outDir = new Option<string?>("--out") { Description = "Output folder for arms.csv (what `rmab plan --arms` reads), estimates.csv, clusters.csv, summary.json, report.html (default results/rmab-estimate, or results/rmab-validate with --validate)." };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var validate = new Option<bool>("--validate") { Description = "Instead of a file: simulate programmes with known transitions and report estimation error, interval coverage and the share of the true top-B called against the weeks observed." };
        var beneficiaries = new Option<int>("--beneficiaries") { Description = "--validate: beneficiaries per replicate.", DefaultValueFactory = _ => 2000 };
        var budget = new Option<int>("--budget") { Description = "--validate: calls per week B.", DefaultValueFactory = _ => 200 };
        var weeks = new Option<string>("--weeks") { Description = "--validate: history lengths in weeks, comma-separated, increasing.", DefaultValueFactory = _ => "2,4,8,13,26,52" };
        var replicates = new Option<int>("--replicates") { Description = "--validate: independent replicates.", DefaultValueFactory = _ => 5 };
        var callRate = new Option<double>("--call-rate") { Description = "--validate: probability of a (random) call in a history week.", DefaultValueFactory = _ => 0.2 };
        var command = new Command("estimate", "Estimate each beneficiary's four transition probabilities from weekly engagement history, pooled by feature cluster, with posterior intervals.");
        foreach (Option o in new Option[] { history, seed, outDir, json, validate, beneficiaries, budget, weeks, replicates, callRate }) command.Add(o);
        options.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            ulong s = parse.GetValue(seed);
            bool asJson = parse.GetValue(json);
            HistoryEstimateOptions estimate = options.Read(parse, s);
            if (parse.GetValue(validate))
            {
                if (parse.GetValue(history) is not null) throw new UsageException("--validate simulates its histories; leave out --history.");
                var v = new HistoryValidationOptions
                {
                    Arms = parse.GetValue(beneficiaries), Budget = parse.GetValue(budget), Weeks = ParseWeeks(parse.GetValue(weeks)!), Replicates = parse.GetValue(replicates),
                    CallRate = parse.GetValue(callRate), Estimate = estimate, Seed = s, DataDirectory = DlmData.Directory,
                };
                Run(v.Validate);
                return Finish(io, parse, parse.GetValue(outDir) ?? Path.Combine("results", "rmab-validate"), s, asJson, ct,
                    token => Run(() => HistoryValidation.Run(v, token)),
                    r => WriteValidation(io.Output, r));
            }
            string path = parse.GetValue(history) ?? throw new UsageException("--history is required (or --validate).");
            var e = new RmabEstimateOptions { HistoryFile = path, Estimate = estimate };
            Run(e.Validate);
            return Finish(io, parse, parse.GetValue(outDir) ?? Path.Combine("results", "rmab-estimate"), s, asJson, ct,
                token => Run(() => RmabHistory.Estimate(e, token)),
                r => WriteEstimate(io.Output, r));
        });
        return command;
    }

    // Compute first, then take the folder: an invalid input writes nothing to --out.
    private static async Task<int> Finish<T>(CliIo io, ParseResult parse, string outDir, ulong seed, bool json, CancellationToken cancellationToken,
        Func<CancellationToken, T> work, Action<T> render) where T : Tandem.Core.Reports.IReportable
    {
        T result = await Task.Run(() => work(cancellationToken), cancellationToken).ConfigureAwait(false);
        using (StudyOutput output = StudyOutput.Begin(new CommonSettings(seed, outDir, true, json, 1, null)))
        {
            var envelope = output.Complete(result.ToReport(), parse, seed);
            if (json) StudyOutput.Print(io, envelope);
            else
            {
                render(result);
                io.Output.WriteLine($"Wrote {output.Folder}");
            }
        }
        return CliApp.Ok;
    }

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static void WriteGoal(TextWriter output, GoalOutcome goal)
    {
        IAnsiConsole console = ConsoleTables.CreateConsole(output);
        console.MarkupLine($"Goal: {Markup.Escape(ConsoleText.Safe(goal.Goal, 2000))} (designer {Markup.Escape(goal.Designer)}, {goal.Stages} stages, {goal.Refusals} proposals refused)");
        var table = new Table().Border(TableBorder.Rounded).Title("Share of engaged weeks by feature (state-feature distribution, seed 001 Algorithm 2)");
        table.AddColumn("group");
        table.AddColumn("feature");
        table.AddColumn(new TableColumn("goal's plan").RightAligned());
        table.AddColumn(new TableColumn("Default reward").RightAligned());
        foreach (var row in RmabPlanResult.GoalRows(goal))
            table.AddRow(Markup.Escape(row.Group), Markup.Escape(row.Label) + (goal.Grounded.Contains(row.Feature) ? " [bold]*[/]" : ""),
                row.Goal.ToString("0.00", Inv) + "%", row.Default.ToString("0.00", Inv) + "%");
        console.Write(table);
        console.MarkupLine("[bold]*[/] named by the goal.");
    }

    private static void WriteEstimate(TextWriter output, RmabEstimateResult result)
    {
        EstimateSummary s = result.Summary;
        IAnsiConsole console = ConsoleTables.CreateConsole(output);
        console.MarkupLine($"[bold]{s.Beneficiaries} beneficiaries[/] from {s.Rows} weekly rows of {Markup.Escape(ConsoleText.Safe(s.File, 300))}; pooled by {Markup.Escape(s.Method)}, prior strength {s.PriorStrength.ToString(Inv)}.");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("transition");
        table.AddColumn(new TableColumn("mean estimate").RightAligned());
        table.AddColumn(new TableColumn($"mean {(100 * s.Interval).ToString("0.#", Inv)}% interval width").RightAligned());
        table.AddColumn(new TableColumn("never observed").RightAligned());
        foreach (PairSummary p in s.Pairs) table.AddRow(p.Column, p.MeanEstimate.ToString("0.0000", Inv), p.MeanIntervalWidth.ToString("0.0000", Inv), (100 * p.Unobserved).ToString("0.#", Inv) + "%");
        console.Write(table);
    }

    private static void WriteValidation(TextWriter output, HistoryValidationResult result)
    {
        ValidationSummary s = result.Summary;
        IAnsiConsole console = ConsoleTables.CreateConsole(output);
        console.MarkupLine($"[bold]Validation[/]: {s.Replicates} replicates × {s.Arms} simulated beneficiaries, budget {s.Budget}, k = {s.Clusters}, κ = {s.PriorStrength.ToString(Inv)}.");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string h in new[] { "weeks", "mean abs. error", "interval coverage", "true top-B called", "one pool", "random" }) table.AddColumn(new TableColumn(h).RightAligned());
        foreach (ValidationRow r in s.Rows)
            table.AddRow(r.Weeks.ToString(Inv), r.MeanAbsoluteError.ToString("0.0000", Inv), r.Coverage.ToString("0.000", Inv), r.TopBShare.ToString("0.000", Inv),
                r.TopBSharePooledOnce.ToString("0.000", Inv), r.TopBShareRandom.ToString("0.000", Inv));
        console.Write(table);
    }

    private static IReadOnlyList<int> ParseWeeks(string text)
    {
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int w))
                throw new UsageException($"--weeks '{ConsoleText.Safe(part, 100)}' is not a number of weeks; give increasing integers such as 2,4,8,13,26,52.");
            list.Add(w);
        }
        return list;
    }

    private static async Task<int> PlanAsync(RmabPlanOptions options, LlmSpec? llm, LlmCallSettings? llmCall, string? outDir, string? savePlan, bool json, CliIo io,
        ParseResult parse, CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        if (savePlan is not null && string.IsNullOrWhiteSpace(savePlan)) throw new UsageException("--save-plan is empty; give a file path.");
        var common = outDir is null ? null : new CommonSettings(options.Seed, outDir, true, json, 1, null);
        // A model's audit log needs the folder while it works; otherwise the folder is taken after the plan, so an invalid
        // input writes nothing to --out.
        StudyOutput? output = llm is null || common is null ? null : StudyOutput.Begin(common);
        try
        {
            using var session = llm is null ? null : new LlmSession(llmCall!, output!.Folder, "--designer", io.Error);
            LlmLedger? ledger = llm is null ? null : new LlmLedger();
            // The embedding model loads before anything is written, so a missing model leaves no output behind.
            using MiniLmDesignerFactory? minilm = options.Designer?.Name == RewardDesigners.MiniLm ? DlmCommand.LoadMiniLm() : null;
            IRewardDesignerFactory? designers = llm is null ? minilm : new DlmCommand.ModelDesigner(new LlmRewardDesigner(session!.Open(llm, ledger!), ledger!, llm.ToString()));
            string label = options.Goal is not null ? "Designing the goal's reward" : options.Planner == Tandem.Rmab.Planning.RmabPlanners.Ppo ? "PPO training" : "Whittle indices";
            // Whittle and PPO are synchronous: run them off the console thread so the progress display and Ctrl+C (the
            // command's token, observed inside the library) keep working.
            RmabPlanResult result = await ProgressReporter.RunAsync(io, label, json || options.Planner != Tandem.Rmab.Planning.RmabPlanners.Ppo, progress =>
                Task.Run(() => RunAsync(() => RmabProgramme.PlanAsync(options, designers, progress, cancellationToken)), cancellationToken)).ConfigureAwait(false);
            if (session is not null) RunStop(session.CheckFallbacks);
            if (savePlan is not null) WriteSavedPlan(savePlan, result.Saved);
            if (output is null && common is not null) output = StudyOutput.Begin(common);
            var settings = new Dictionary<string, string> { ["reward"] = result.Summary.Reward, ["--planner"] = result.Summary.Planner };
            if (result.Summary.Goal is { } g) { settings["--goal"] = g.Goal; settings["--designer"] = g.Designer; }
            Tandem.Core.Reports.Report report = result.ToReport();
            var envelope = output?.Complete(session is null ? report : session.WithNotes(report), parse, options.Seed, settings)
                ?? StudyOutput.Envelope(parse, options.Seed, started, result.Summary, settings);
            if (json) StudyOutput.Print(io, envelope);
            else
            {
                RmabRunner.WritePlan(io.Output, result, output?.Folder, savePlan);
                if (result.Summary.Goal is { } outcome) WriteGoal(io.Output, outcome);
            }
            return CliApp.Ok;
        }
        finally
        {
            output?.Dispose();
        }
    }

    private static async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
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
    }

    private static void RunStop(Action work)
    {
        try { work(); }
        catch (Tandem.Core.Ports.StudyStopException ex) { throw new UsageException("--designer: " + ex.Message); }
    }

    private static void WriteSavedPlan(string path, RmabSavedPlan plan)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string temp = full + ".tmp-" + Environment.ProcessId;
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write)) // exclusive: never follows a planted link
            using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
                writer.Write(plan.ToJson());
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"--save-plan '{ConsoleText.Safe(path, 300)}' cannot be written: {ex.Message}");
        }
    }

    // The library's refusals become usage errors (exit 2): file problems carry file, row and field; option problems
    // name the option through Names.
    private static T Run<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw Names.Translate(ex);
        }
    }

    private static void Run(Action work) => Run(() => { work(); return 0; });
}
