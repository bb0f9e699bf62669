using System.CommandLine;
using Tandem.Cli.Dlm;

namespace Tandem.Cli.Commands;

/// <summary>`tandem rmab whittle` and `tandem rmab plan` (CLI contract of issue 3; keep stable).</summary>
public static class RmabCommand
{
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
        whittle.SetAction(parse =>
        {
            double g = parse.GetValue(discount);
            if (!(g >= 0 && g < 1)) throw new UsageException($"--discount {g.ToString(System.Globalization.CultureInfo.InvariantCulture)} must lie in [0, 1).");
            return RmabRunner.Whittle(parse.GetValue(armsJson)!, g, parse.GetValue(json), io);
        });
        rmab.Add(whittle);

        var armsCsv = new Option<string>("--arms") { Description = "CSV of beneficiaries: id, state (0/1), p01_passive, p11_passive, p01_active, p11_active (P(next engaged | state, action)), and feature columns by name (e.g. age_51_60, lang_hindi, income_1) or f7.", Required = true };
        var budget = new Option<int>("--budget") { Description = "Calls this step B (≤ number of beneficiaries).", Required = true };
        var expr = new Option<string?>("--expr") { Description = "Reward expression over state and feats[0..42]." };
        var task = new Option<int?>("--task") { Description = "Use the Base reward of task i (0-15, seed 001 Table 3)." };
        var planDiscount = new Option<double>("--discount") { Description = "Discount γ in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the tie-break among equal indices.", DefaultValueFactory = _ => 1UL };
        var outDir = new Option<string?>("--out") { Description = "Folder for plan.csv, summary.json and manifest.json (nothing is written without it)." };
        var planJson = new Option<bool>("--json") { Description = "Print exactly one JSON object on stdout." };
        var planner = new Option<string>("--planner") { Description = "Planner: whittle (the index policy ARMMAN deploys) or ppo (the seed's Lagrangian PPO, trained on these beneficiaries; docs/dlm-ppo.md).", DefaultValueFactory = _ => "whittle" };
        var ppoEpochs = new Option<int?>("--ppo-epochs") { Description = "PPO training epochs of 100 steps (default: 40 for 48 or more beneficiaries, more for fewer, so that training sees as many arm-steps as the authors' 48 arms × 40 epochs)." };
        var ppoLr = new Option<double?>("--ppo-lr") { Description = "PPO actor and critic learning rate (default 2e-3, the authors')." };
        var plan = new Command("plan", "Who to call this step: rank beneficiaries by Whittle index (or a PPO policy's index) under a reward and pick the top B.");
        foreach (Option o in new Option[] { armsCsv, budget, expr, task, planDiscount, seed, planner, ppoEpochs, ppoLr, outDir, planJson }) plan.Add(o);
        plan.SetAction((parse, ct) =>
        {
            string which = parse.GetValue(planner)!.Trim().ToLowerInvariant();
            if (which is not ("whittle" or "ppo")) throw new UsageException($"--planner '{which}' is unknown; allowed: whittle, ppo.");
            int? epochs = parse.GetValue(ppoEpochs);
            double? lr = parse.GetValue(ppoLr);
            if (which == "ppo") PpoFor(epochs, lr, 48); // a bad setting is refused before any file is read
            Func<int, Tandem.Rmab.Planning.PpoOptions>? ppo = which == "ppo" ? arms => PpoFor(epochs, lr, arms) : null;
            return RmabRunner.Plan(parse.GetValue(armsCsv)!, parse.GetValue(budget), parse.GetValue(expr), parse.GetValue(task),
                parse.GetValue(planDiscount), parse.GetValue(seed), parse.GetValue(outDir), parse.GetValue(planJson), io, parse, ppo);
        });
        rmab.Add(plan);
        return rmab;
    }

    /// <summary>PPO settings for <paramref name="arms"/> beneficiaries: the library's epoch rule unless --ppo-epochs is given.</summary>
    private static Tandem.Rmab.Planning.PpoOptions PpoFor(int? epochs, double? learningRate, int arms)
    {
        var options = new Tandem.Rmab.Planning.PpoOptions().WithEpochs(epochs ?? Tandem.Rmab.Planning.PpoOptions.EpochsFor(arms));
        if (learningRate is double lr) options = options with { PolicyLearningRate = lr, ValueLearningRate = lr };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw DlmCommand.Names.Translate(ex);
        }
        return options;
    }
}
