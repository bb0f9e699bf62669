using System.CommandLine;
using System.Globalization;
using Tandem.Cli.Dlm;
using Tandem.Cli.Llm;
using Tandem.Llm.Providers;
using Tandem.Rmab.Dlm;

namespace Tandem.Cli.Commands;

/// <summary>`tandem dlm` and `tandem dlm check-reward` (CLI contract of issue 3; keep stable).</summary>
public static class DlmCommand
{
    /// <summary>Create `dlm` with its `check-reward` subcommand.</summary>
    public static Command Create(CliIo io)
    {
        var tasks = new Option<string>("--tasks") { Description = "Tasks to run: all or comma-separated indices 0-15 (seed 001 Table 3).", DefaultValueFactory = _ => "all" };
        var seeds = new Option<int>("--seeds") { Description = "Independent seeds (authors: 200).", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Study seed; seed i uses a stream derived from it and i.", DefaultValueFactory = _ => 1UL };
        var arms = new Option<int>("--arms") { Description = "Arms N per seed.", DefaultValueFactory = _ => 48 };
        var budget = new Option<int>("--budget") { Description = "Calls per step B (≤ arms).", DefaultValueFactory = _ => 16 };
        var stages = new Option<int>("--stages") { Description = "Reflection stages R.", DefaultValueFactory = _ => 5 };
        var candidates = new Option<int>("--candidates") { Description = "Candidates K per stage.", DefaultValueFactory = _ => 3 };
        var designer = new Option<string>("--designer") { Description = "Reward designer: simulated (a documented simulation of an LLM), base (the ground truth; MNR 1), or a language model: " + LlmSpec.Allowed + ". A model is asked about (stages × candidates + 1) × tasks × seeds times, plus retries and selections.", DefaultValueFactory = _ => "simulated" };
        var llmOptions = new LlmOptions("--designer");
        var planner = new Option<string>("--planner") { Description = "Planner: whittle (true transitions), whittle-estimated (transitions estimated from 7 simulated weeks), ppo (the seed's Lagrangian PPO, docs/dlm-ppo.md) or ppo-estimated.", DefaultValueFactory = _ => "whittle" };
        var ppoEpochs = new Option<int?>("--ppo-epochs") { Description = "PPO training epochs of 100 steps (default 40)." };
        var ppoLr = new Option<double?>("--ppo-lr") { Description = "PPO actor and critic learning rate (default 2e-3, the authors')." };
        var compare = new Option<string?>("--compare") { Description = "Another tandem dlm output folder (e.g. the Whittle run with the same seeds): the report sets its Table 4 beside this run's." };
        var trials = new Option<int>("--trials") { Description = "Evaluation trials per seed.", DefaultValueFactory = _ => 50 };
        var steps = new Option<int>("--steps") { Description = "Steps per trial.", DefaultValueFactory = _ => 10 };
        var discount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var parallel = new Option<int?>("--parallel") { Description = "Work items in parallel at most (default: processor count)." };
        var outDir = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => Path.Combine("results", "dlm") };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON summary object on stdout." };

        var dlm = new Command("dlm", "Reproduce seed 001 Table 4: language-designed rewards (DLM) for a restless bandit on an ARMMAN-like cohort, against Random, No Action, Default and Base.");
        foreach (Option o in new Option[] { tasks, seeds, seed, arms, budget, stages, candidates, designer, planner, ppoEpochs, ppoLr, compare, trials, steps, discount, parallel, outDir, json }) dlm.Add(o);
        llmOptions.AddTo(dlm);
        dlm.SetAction((parse, ct) =>
        {
            int nArms = parse.GetValue(arms), nSeeds = parse.GetValue(seeds), nBudget = parse.GetValue(budget);
            if (nArms < 1) throw new UsageException($"--arms {nArms} must be at least 1.");
            if (nSeeds < 1) throw new UsageException($"--seeds {nSeeds} must be at least 1.");
            if (nBudget < 0) throw new UsageException($"--budget {nBudget} must be at least 0.");
            if (nBudget > nArms) throw new UsageException($"--budget {nBudget} exceeds --arms {nArms}.");
            int nStages = parse.GetValue(stages), nCandidates = parse.GetValue(candidates), nTrials = parse.GetValue(trials), nSteps = parse.GetValue(steps);
            if (nStages < 1) throw new UsageException($"--stages {nStages} must be at least 1.");
            if (nCandidates < 1) throw new UsageException($"--candidates {nCandidates} must be at least 1.");
            if (nTrials < 1) throw new UsageException($"--trials {nTrials} must be at least 1.");
            if (nSteps < 1) throw new UsageException($"--steps {nSteps} must be at least 1.");
            double gamma = parse.GetValue(discount);
            if (!(gamma >= 0 && gamma < 1)) throw new UsageException($"--discount {gamma.ToString(CultureInfo.InvariantCulture)} must lie in [0, 1).");
            string who = parse.GetValue(designer)!.Trim();
            LlmSpec? llm = LlmSpec.IsLlmSpec(who) ? LlmOptions.ParseSpec(who, "--designer") : null;
            if (llm is null) who = who.ToLowerInvariant();
            if (llm is null && who is not ("simulated" or "base")) throw new UsageException($"--designer '{who}' is unknown; allowed: simulated, base, or a language model: {LlmSpec.Allowed}.");
            LlmCallSettings llmCall = llmOptions.Read(parse, llm is { Kind: not LlmKind.Replay });
            string plan = parse.GetValue(planner)!.Trim().ToLowerInvariant();
            if (plan is not ("whittle" or "whittle-estimated" or "ppo" or "ppo-estimated")) throw new UsageException($"--planner '{plan}' is unknown; allowed: whittle, whittle-estimated, ppo, ppo-estimated.");
            Func<ulong, Tandem.Rmab.Planning.IRmabPlanner> plannerFactory = plan.StartsWith("ppo", StringComparison.Ordinal)
                ? DlmPlanners.Ppo(parse.GetValue(ppoEpochs), parse.GetValue(ppoLr))
                : _ => new Tandem.Rmab.Planning.WhittlePlanner();
            int? par = parse.GetValue(parallel);
            if (par is < 1) throw new UsageException($"--parallel {par} must be at least 1.");
            var options = new DlmExperimentOptions
            {
                Seeds = nSeeds,
                Seed = parse.GetValue(seed),
                Arms = nArms,
                Budget = nBudget,
                Stages = nStages,
                Candidates = nCandidates,
                Trials = nTrials,
                Steps = nSteps,
                Discount = gamma,
                EstimatedTransitions = plan.EndsWith("-estimated", StringComparison.Ordinal),
                Planner = plannerFactory,
                Tasks = ParseTasks(parse.GetValue(tasks)!),
                MaxDegreeOfParallelism = par ?? Environment.ProcessorCount,
            };
            return DlmRunner.RunAsync(new DlmSettings(options, who, plan, parse.GetValue(outDir)!, parse.GetValue(json), llm, llmCall, parse.GetValue(compare)), io, parse, ct);
        });

        var expr = new Option<string>("--expr") { Description = "The reward expression (C# over state and feats[0..42]).", Required = true };
        var checkJson = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var check = new Command("check-reward", "Check a reward expression in the sandbox: exit 0 with the features it uses and its values on a sample arm, or exit 3 with the reason it is refused (never run).");
        check.Add(expr);
        check.Add(checkJson);
        check.SetAction(parse => CheckReward.Run(parse.GetValue(expr)!, parse.GetValue(checkJson), io));
        dlm.Add(check);
        return dlm;
    }

    private static IReadOnlyList<int>? ParseTasks(string text)
    {
        text = text.Trim();
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return null;
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                throw new UsageException($"--tasks '{part}' is not a task index; use all or indices 0-15.");
            if (!list.Contains(i)) list.Add(i);
        }
        if (list.Count == 0) throw new UsageException("--tasks is empty; use all or indices 0-15.");
        return list;
    }
}
