using System.CommandLine;
using System.Globalization;
using Tandem.Cli.Console;
using Tandem.Cli.Hosting;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Core.Abstractions;
using Tandem.Core.Randomness;
using Tandem.Core.Reports;
using Tandem.Core.State;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Model;
using Tandem.Core.Ports;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;
using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Simulation;
using Tandem.Evaluation.Targets;
using Tandem.Reporting;

namespace Tandem.Cli.Commands;

/// <summary>`tandem ope`: off-policy evaluation of target policies on a decision log (issue 17), a thin host over
/// <see cref="OffPolicyEvaluator"/>.</summary>
public static class OpeCommand
{
    /// <summary>Parameter names of <see cref="OpeOptions"/> → option names (the library checks the ranges).</summary>
    public static OptionMap Names { get; } = new(new Dictionary<string, string>
    {
        ["Estimators"] = "--estimators", ["Clip"] = "--clip", ["PropensityFloor"] = "--floor", ["SwitchThreshold"] = "--switch-tau",
        ["ShrinkageLambda"] = "--shrinkage", ["Folds"] = "--folds", ["Ridge"] = "--ridge", ["BootstrapReplicates"] = "--bootstrap",
        ["Confidence"] = "--confidence", ["policy"] = "--policy", ["Repetitions"] = "--repetitions", ["Lines"] = "--lines",
    });

    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        var log = new Option<string?>("--log") { Description = "The decision log to evaluate (docs/decision-log.md); required unless --validate." };
        var policy = new Option<string[]>("--policy") { Description = "A target policy: " + TargetSpec.Allowed + ", or snapshot:FILE (a LinUCB, GLRB, LIBRA gate or GAMBITTS agent state written by PolicyStates.Serialize). Repeat to evaluate several; required unless --validate.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var env = new Option<string>("--env") { Description = "For --policy snapshot:FILE: the recourse environment the learner was trained on (" + string.Join(", ", Scenarios.Names) + "; default synthetic). GLRB is rebuilt with the environment's default options.", DefaultValueFactory = _ => "synthetic" };
        var validate = new Option<bool>("--validate") { Description = "Check the estimators against the truth: simulated logs under an exploring policy, targets uniform and every arm, bias, RMSE and interval coverage over repetitions beside the exact value." };
        var repetitions = new Option<int?>("--repetitions") { Description = "With --validate: independent simulated logs, 2..10000 (default 100)." };
        var lines = new Option<int?>("--lines") { Description = "With --validate: decisions per simulated log, 10..1000000 (default 500)." };
        var estimators = new Option<string>("--estimators") { Description = "Comma-separated estimators: " + string.Join(", ", OpeEstimators.All.Select(OpeEstimators.Id)) + " (default: all).", DefaultValueFactory = _ => string.Join(",", OpeEstimators.All.Select(OpeEstimators.Id)) };
        var output = new Option<string?>("--out") { Description = "Output folder (default ./results/ope)." };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON summary object on stdout." };
        var seed = new Option<ulong>("--seed") { Description = "Random seed of the cross-fitting folds and the bootstrap.", DefaultValueFactory = _ => 1 };
        var skip = new Option<bool>("--skip-invalid") { Description = "Skip invalid log lines and count them in the report, instead of stopping at the first." };
        var clip = new Option<double?>("--clip") { Description = "Clip importance weights at M > 0 (default: no clipping)." };
        var floor = new Option<double?>("--floor") { Description = "Propensity floor in [0, 1) for the diagnostics (default 0.01)." };
        var tau = new Option<double?>("--switch-tau") { Description = "Switch-DR's weight threshold τ > 0 (default: chosen per target by the least estimated MSE, Su et al. 2020)." };
        var shrinkage = new Option<double?>("--shrinkage") { Description = "DR-OS's shrinkage λ ≥ 0 (default: chosen per target by the least estimated MSE, Su et al. 2020)." };
        var folds = new Option<int?>("--folds") { Description = "Cross-fitting folds of the ridge reward model, 2..50 (default 5)." };
        var ridge = new Option<double?>("--ridge") { Description = "Ridge penalty λ > 0 of the reward model (default 1)." };
        var bootstrap = new Option<int?>("--bootstrap") { Description = "Bootstrap replicates: 0 (no intervals) or 20..100000 (default 200)." };
        var confidence = new Option<double?>("--confidence") { Description = "Confidence level of the intervals in (0.5, 1) (default 0.95)." };

        var command = new Command("ope", "Off-policy evaluation: estimate target policies' values from a decision log (DM, IPS, SNIPS, DR, switch-DR, DR-OS, replay) with bootstrap intervals and diagnostics.");
        foreach (Option o in new Option[] { log, policy, env, validate, repetitions, lines, estimators, output, json, seed, skip, clip, floor, tau, shrinkage, folds, ridge, bootstrap, confidence })
            command.Add(o);
        command.SetAction((parse, ct) =>
        {
            var defaults = new OpeOptions();
            var options = new OpeOptions
            {
                Estimators = ParseEstimators(parse.GetValue(estimators)!),
                Clip = parse.GetValue(clip) ?? defaults.Clip,
                PropensityFloor = parse.GetValue(floor) ?? defaults.PropensityFloor,
                SwitchThreshold = parse.GetValue(tau) ?? defaults.SwitchThreshold,
                ShrinkageLambda = parse.GetValue(shrinkage) ?? defaults.ShrinkageLambda,
                Folds = parse.GetValue(folds) ?? defaults.Folds,
                Ridge = parse.GetValue(ridge) ?? defaults.Ridge,
                BootstrapReplicates = parse.GetValue(bootstrap) ?? defaults.BootstrapReplicates,
                Confidence = parse.GetValue(confidence) ?? defaults.Confidence,
                Seed = parse.GetValue(seed),
            };
            try { options.Validate(); }
            catch (ArgumentException ex) { throw Names.Translate(ex); }
            string? outGiven = parse.GetValue(output);
            bool validating = parse.GetValue(validate);
            var common = new CommonSettings(options.Seed, outGiven ?? Path.Combine("results", validating ? "ope-validate" : "ope"), outGiven is not null, parse.GetValue(json), 1, null);
            if (validating)
            {
                if (parse.GetValue(log) is not null || (parse.GetValue(policy) ?? []).Length > 0)
                    throw new UsageException("--validate simulates its own logs and targets; drop --log and --policy.");
                var defaultsV = new OpeValidationOptions();
                var validation = new OpeValidationOptions(parse.GetValue(repetitions) ?? defaultsV.Repetitions, parse.GetValue(lines) ?? defaultsV.Lines);
                try { validation.Validate(); }
                catch (ArgumentException ex) { throw Names.Translate(ex); }
                return ValidateAsync(validation, options, common, io, parse, ct);
            }
            if (parse.GetValue(repetitions) is not null || parse.GetValue(lines) is not null)
                throw new UsageException("--repetitions and --lines apply only with --validate.");
            if (parse.GetValue(log) is null) throw new UsageException("--log is required (or --validate).");
            if ((parse.GetValue(policy) ?? []).Length == 0) throw new UsageException("--policy is required (or --validate).");
            var targets = new List<ITargetSource>();
            foreach (string text in parse.GetValue(policy) ?? [])
            {
                if (text.StartsWith(SnapshotTargets.Prefix, StringComparison.OrdinalIgnoreCase)) targets.Add(SnapshotTargets.Load(text, parse.GetValue(env)!, options.Seed));
                else
                {
                    try { targets.Add(TargetSpec.Parse(text)); }
                    catch (ArgumentException ex) { throw new UsageException("--policy " + OptionMap.FirstSentence(ex.Message)); }
                }
                if (targets.Count(t => t.ToString() == targets[^1].ToString()) > 1) throw new UsageException($"--policy '{targets[^1]}' is given twice.");
            }
            return RunAsync(parse.GetValue(log)!, parse.GetValue(skip), targets, options, common, io, parse, ct);
        });
        return command;
    }

    private static List<OpeEstimator> ParseEstimators(string text)
    {
        var list = new List<OpeEstimator>();
        foreach (string id in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try { list.Add(OpeEstimators.Parse(id)); }
            catch (ArgumentException ex) { throw new UsageException("--estimators " + OptionMap.FirstSentence(ex.Message)); }
        }
        return list;
    }

    private static Task<int> RunAsync(string path, bool skipInvalid, IReadOnlyList<ITargetSource> targets, OpeOptions options, CommonSettings common, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        DecisionLogReader opened;
        try { opened = new DecisionLogReader(path, new DecisionLogReadOptions(skipInvalid)); }
        catch (FileNotFoundException) { throw new UsageException($"--log '{path}' does not exist."); }
        catch (ArgumentException ex) { throw new UsageException($"--log '{path}': {OptionMap.FirstSentence(ex.Message)}"); }

        using DecisionLogReader reader = opened; // disposing deletes the reader's spill file

        // Read before writing: the log is checked (and evaluated) before the output folder is taken.
        OpeSummary summary;
        try { summary = OffPolicyEvaluator.Evaluate(reader, targets, options, cancellationToken) with { Log = path }; }
        catch (DecisionLogException ex) { throw new UsageException(ex.Message + (skipInvalid ? "" : " (--skip-invalid skips and counts such lines)")); }
        catch (UnauthorizedAccessException ex) { throw new UsageException($"--log '{path}' cannot be read: {ex.Message}"); }
        catch (ArgumentException ex) { throw Names.Translate(ex); }

        var result = new OpeResult(summary);
        using StudyOutput output = StudyOutput.Begin(common);
        var envelope = output.Complete(result.ToReport(), parse, options.Seed);
        if (common.Json) StudyOutput.Print(io, envelope);
        else WriteTable(io.Output, summary, output.Folder);
        return Task.FromResult(CliApp.Ok);
    }

    private static Task<int> ValidateAsync(OpeValidationOptions validation, OpeOptions options, CommonSettings common, CliIo io, ParseResult parse, CancellationToken cancellationToken)
    {
        OpeValidationSummary summary = OpeValidation.Run(validation, options, cancellationToken);
        var result = new OpeValidationResult(summary);
        using StudyOutput output = StudyOutput.Begin(common);
        var envelope = output.Complete(result.ToReport(), parse, options.Seed);
        if (common.Json)
        {
            StudyOutput.Print(io, envelope);
            return Task.FromResult(CliApp.Ok);
        }
        io.Output.WriteLine(Inv($"Off-policy evaluation checked against the truth: {summary.Repetitions} simulated logs of {summary.Lines} decisions, K = {summary.World.Arms}, d = {summary.World.Dimension}, exploring logger (ε = {summary.World.Epsilon})."));
        var rows = new List<string[]> { new[] { "policy", "estimator", "exact", "mean", "bias", "RMSE", Inv($"{options.Confidence:P0} coverage"), "reps" } };
        foreach (EstimatorCheck c in summary.Checks)
            rows.Add([c.Policy, c.Estimator, ReportText.Number(c.Exact), ReportText.Number(c.Mean), ReportText.Number(c.Bias), ReportText.Number(c.Rmse), ReportText.Number(c.Coverage), c.Repetitions.ToString(CultureInfo.InvariantCulture)]);
        WriteRows(io.Output, rows);
        io.Output.WriteLine($"Report: {Path.Combine(output.Folder, "report.html")}");
        return Task.FromResult(CliApp.Ok);
    }

    private static void WriteRows(TextWriter output, List<string[]> rows)
    {
        int[] widths = [.. Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length))];
        foreach (string[] row in rows) output.WriteLine(string.Join("  ", row.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
    }

    private static void WriteTable(TextWriter output, OpeSummary s, string folder)
    {
        output.WriteLine(Inv($"Off-policy evaluation of {ConsoleText.Safe(s.Log)}: {s.Lines} decisions ({s.SkippedLines} invalid lines skipped), {s.Arms} arms; {s.LinesWithoutPropensity} without propensity (cannot support IPS), {s.LinesBelowFloor} below the floor {s.Options.PropensityFloor}."));
        output.WriteLine(OpeResult.SeedCases(s));
        var rows = new List<string[]> { new[] { "policy", "estimator", "value", Inv($"{s.Options.Confidence:P0} interval"), "lines", "ESS", "max w", OpeResult.ExactLabel } };
        foreach (PolicyEvaluation p in s.Policies)
        {
            foreach (OpeEstimate e in p.Estimates)
                rows.Add([p.Policy, e.Estimator, ReportText.Number(e.Value), $"[{ReportText.Number(e.Lower)}, {ReportText.Number(e.Upper)}]",
                    e.LinesUsed.ToString(CultureInfo.InvariantCulture), ReportText.Number(p.Diagnostics.EffectiveSampleSize), ReportText.Number(p.Diagnostics.MaxWeight), ReportText.Number(p.Exact)]);
        }
        WriteRows(output, rows);
        foreach (PolicyEvaluation p in s.Policies)
            foreach (OpeEstimate e in p.Estimates.Where(e => e.Note is not null))
                output.WriteLine($"note ({p.Policy}, {e.Estimator}): {e.Note}");
        output.WriteLine($"Report: {Path.Combine(folder, "report.html")}");
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Target policies from snapshot files of trained learners (LinUCB, GLRB, GAMBITTS agents): wiring only; the
/// learners are restored through their own <see cref="IStateful.ImportState"/> (GAMBITTS: <see cref="GambitAgent.Restore"/>), which checks the snapshot.</summary>
internal static class SnapshotTargets
{
    public const string Prefix = "snapshot:";

    /// <summary>A target that restores a fresh copy of the snapshot's learner: a recourse learner on the problem of
    /// <paramref name="envName"/>, or a GAMBITTS agent rebuilt from the snapshot alone.</summary>
    public static ITargetSource Load(string spec, string envName, ulong seed)
    {
        string path = spec[Prefix.Length..];
        if (!File.Exists(path)) throw new UsageException($"--policy '{spec}': the snapshot file '{path}' does not exist.");
        PolicyState state;
        try { state = PolicyStates.Deserialize(File.ReadAllText(path)); }
        catch (PolicyStateException ex) { throw new UsageException($"--policy '{spec}': {ex.Message}"); }
        if (GambitAgent.RestorableKinds.Contains(state.Kind)) return Gambit(spec, state, seed);
        IRecourseScenario scenario;
        try { scenario = Scenarios.Create(envName); }
        catch (ArgumentException ex) { throw new UsageException("--env " + OptionMap.FirstSentence(ex.Message)); }
        ScenarioDefaults defaults = scenario.Defaults;
        RecourseProblem Problem()
        {
            int mutable = scenario.CreateProblem(RecourseNorm.L2, 0).MutableIndices.Length;
            return scenario.CreateProblem(RecourseNorm.Parse("l2", mutable), defaults.Gamma);
        }
        Func<IPolicy<double[], RecourseDecision, RecourseOutcome>> Learner(PolicyState learner) => learner.Kind switch
        {
            "linucb" => () =>
            {
                var options = new LinUcbOptions { Alpha = Number(learner, "alpha"), Lambda = Number(learner, "lambda") };
                var p = new LinUcbPolicy(Problem(), options, TimeProvider.System);
                p.ImportState(learner);
                return p;
            },
            "glrb" => () =>
            {
                // The options a default study gives GLRB (ρ in units of σ, LibraStudyPlan.Create); the state refuses others, naming them.
                RecourseProblem glrbProblem = Problem();
                (ConfidenceRadiusRule rule, double? lipschitz) = RadiusSpec.Constant(defaults.Rho).Create(glrbProblem, defaults.NoiseScale, defaults.Lambda);
                var p = new GlrbPolicy(glrbProblem, new GlrbOptions { Lambda = defaults.Lambda, Radius = rule, Lipschitz = lipschitz }, TimeProvider.System);
                p.ImportState(learner);
                return p;
            },
            "advisor-gate" when ReferenceEquals(learner, state) => Gate(spec, state, Learner, Problem),
            _ => throw new UsageException($"--policy '{spec}': a '{learner.Kind}' {(ReferenceEquals(learner, state) ? "snapshot" : "learner inside the gate")} cannot be evaluated; allowed kinds: linucb, glrb, advisor-gate (over linucb or glrb), {string.Join(", ", GambitAgent.RestorableKinds)}."),
        };
        Func<IPolicy<double[], RecourseDecision, RecourseOutcome>> restore = Learner(state);
        RecourseProblem problem = Problem();
        try { restore(); } // restore once now, so a snapshot that does not fit the environment stops before the log is read
        catch (PolicyStateException ex) { throw new UsageException($"--policy '{spec}' does not fit --env {scenario.Name}: {ex.Message}"); }
        return new PolicyTarget<RecourseDecision, RecourseOutcome>(spec, problem.ArmCount, problem.Dimension, restore);
    }

    // A GAMBITTS agent (StdTS, StdTS:Contextual, poGAMBITTS, foGAMBITTS, blended, ens-po, ens-fo) is rebuilt from its
    // snapshot alone (GambitAgent.Restore: the state records the context space, d_z and the offline draws). Thompson
    // agents' probabilities are Monte Carlo estimates over PropensityDraws posterior draws; an ensemble's are the share
    // of members voting for each arm on the decision's treatment draws. Copy c of the agent draws from a stream seeded
    // by --seed and c (the snapshot's own random state would repeat the same draws in every copy).
    private static ITargetSource Gambit(string spec, PolicyState state, ulong seed)
    {
        ulong draws = Seeds.Derive(seed, "target-draws");
        long copies = 0;
        JsonObject data;
        try { data = JsonNode.Parse(state.Data.GetRawText())!.AsObject(); }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new UsageException($"--policy '{spec}': the '{state.Kind}' snapshot cannot be read: {ex.Message}");
        }
        GambitAgent Restore()
        {
            data["random"] = new JsonArray([.. ((Xoshiro256)Seeds.CreateRandom(Seeds.Derive(draws, copies++))).GetState().Select(w => (JsonNode)JsonValue.Create(w))]);
            return GambitAgent.Restore(state with { Data = JsonSerializer.SerializeToElement(data) });
        }
        GambitAgent first;
        try { first = Restore(); }
        catch (PolicyStateException ex) { throw new UsageException($"--policy '{spec}': {ex.Message}"); }
        AgentOptions options = first.Options;
        if (options.PropensityDraws == 0)
            throw new UsageException($"--policy '{spec}': the agent was saved with PropensityDraws = 0, so it states no probabilities and cannot be evaluated.");
        // The draws behind a probability vector, for the standard error they add: M posterior draws for a Thompson
        // agent; for an ensemble the members (an approximation: they vote on common treatment draws), and none when the
        // vote is exact (ens-po using every offline draw: the treatment draws are fixed, the members are the whole posterior).
        int m = first switch
        {
            EnsembleGambitts when state.Kind == "gambit-ens-po" && options.OfflineDraws <= options.MonteCarloDraws => 0,
            EnsembleGambitts => options.EnsembleMembers,
            _ => options.PropensityDraws,
        };
        ContextSpace space = first.Contexts;
        GambitContext Cell(string name) =>
            space.TryParse(name, out GambitContext context) ? context : throw new ArgumentException($"the agent's contexts are {string.Join(", ", space.Names)}", nameof(name));
        return new CellPolicyTarget<GambitContext, GambitDecision, GambitOutcome>(spec, first.ArmCount, Cell, m, Restore);
    }

    // A LIBRA gate (advisor-gate, seed 000 Algorithm 3) over a restored LinUCB or GLRB. Where the gate consults (the
    // learner's width exceeds Δ) and follows, the decision states no probability (NaN: the evaluator counts and names
    // those lines); elsewhere the learner's own decision stands. Which lines are which depends only on the learner and
    // Δ when the advisor always gives applicable advice (a simulated advisor) and the safe gate is off: the advice's
    // content then never changes a stated probability, so a stand-in advisor whose advice is always followed rebuilds the
    // target exactly, without the simulated world's θ* that the real one reads. Otherwise the gate is refused, naming what is missing.
    private static Func<IPolicy<double[], RecourseDecision, RecourseOutcome>> Gate(string spec, PolicyState state,
        Func<PolicyState, Func<IPolicy<double[], RecourseDecision, RecourseOutcome>>> learner, Func<RecourseProblem> problem)
    {
        const int GateVersion = 3;
        if (state.Version != GateVersion)
            throw new UsageException($"--policy '{spec}': this 'advisor-gate' snapshot has format version {state.Version}; this build reads version {GateVersion} (older versions do not record which advisor the gate had: save it again with this build).");
        double delta;
        bool safe, always;
        string advisor;
        PolicyState inner;
        try
        {
            delta = state.Data.GetProperty("delta").GetDouble();
            safe = state.Data.GetProperty("safeGate").GetBoolean();
            JsonElement described = state.Data.GetProperty("advisorDescription");
            advisor = described.GetProperty("name").GetString() ?? "";
            always = described.GetProperty("alwaysAdvises").GetBoolean();
            inner = state.Data.GetProperty("inner").Deserialize<PolicyState>(PolicyStates.JsonOptions) ?? throw new JsonException("'inner' is null");
        }
        catch (Exception ex) when (ex is KeyNotFoundException or JsonException or InvalidOperationException or FormatException)
        {
            throw new UsageException($"--policy '{spec}': the 'advisor-gate' snapshot cannot be read: {ex.Message}");
        }
        if (!always)
            throw new UsageException($"--policy '{spec}': the gate's advisor '{ConsoleText.Safe(advisor)}' (a language model or another port) may abstain, and then the gate decides itself with a stated probability; which consulted lines those are cannot be known without the advisor's answers, which the snapshot does not hold.");
        if (safe)
            throw new UsageException($"--policy '{spec}': the gate has the safe gate on, so whether it follows advice depends on what its advisor '{ConsoleText.Safe(advisor)}' advises, and the simulated advisor reads its simulated world's θ*, which the snapshot does not record.");
        Func<IPolicy<double[], RecourseDecision, RecourseOutcome>> restoreInner = learner(inner);
        return () => new AdvisorGateStage(restoreInner(), problem(), new StandInAdvisor(advisor), new AdvisorGateOptions { Delta = delta });
    }

    /// <summary>Advice that is always applicable (the patient's own mutable values, arm 0): stands in for a simulated
    /// advisor whose followed advice states no probability anyway.</summary>
    private sealed class StandInAdvisor(string name) : IRecourseAdvisor
    {
        public string Name => name;

        public ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
        {
            var values = new double[request.Problem.MutableIndices.Length];
            request.Problem.GetMutable(request.Context, values);
            return ValueTask.FromResult(Advice.Give(0, values));
        }
    }

    private static double Number(PolicyState state, string name) =>
        state.Data.TryGetProperty(name, out var value) && value.TryGetDouble(out double x) ? x : throw new UsageException($"The snapshot has no number '{name}'.");
}
