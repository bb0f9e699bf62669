using System.CommandLine;
using Tandem.Cli.Gambit;
using Tandem.Cli.Hosting;
using Tandem.Cli.Llm;
using Tandem.Gambit.Experiments;
using Tandem.Llm.Providers;

namespace Tandem.Cli.Commands;

/// <summary>`tandem gambitts` (CLI contract of issue 4; keep stable) and `tandem gambitts bank build` (issue 5).</summary>
public static class GambittsCommand
{
    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        // --experiment is checked in the action (not Required) so that `gambitts bank build` parses without it.
        var experiment = new Option<string?>("--experiment") { Description = "Experiment (required): " + string.Join(", ", GambittsExperiments.Ids) + "." };
        var agents = new Option<string?>("--agents") { Description = "Comma-separated agents: " + string.Join(",", AgentCatalog.All.Select(a => a.Id)) + " (default per experiment)." };
        var runs = new Option<int>("--runs") { Description = "Independent runs R ≥ 1.", DefaultValueFactory = _ => 250 };
        var horizon = new Option<int>("--horizon") { Description = "Steps per run T ≥ 1.", DefaultValueFactory = _ => 1000 };
        var bank = new Option<string?>("--bank") { Description = "A response bank CSV (prompt,context,<style scores...>[,text]) instead of the synthetic one." };
        var bankSeed = new Option<ulong?>("--bank-seed") { Description = "Seed of the synthetic bank (default: derived from --seed, one bank per study; 2025 is the single bank of earlier versions)." };
        var banks = new Option<int>("--banks") { Description = $"Repeat the experiment over N synthetic banks, --runs runs on each (1..{GambittsExperimentOptions.MaxBanks}); intervals are then over the banks' means and include the between-bank variation. Bank 0 is --bank-seed's.", DefaultValueFactory = _ => 1 };
        var propensityDraws = new Option<int?>("--propensity-draws") { Description = "Posterior draws per decision that estimate the logged propensities, besides the deciding draw (0..100000; default 100; 0 = none, faster)." };
        var offlineDraws = new Option<int?>("--offline-draws") { Description = "Offline draws M per (context, prompt) for po, blended and ens-po, without replacement from the bank (default 500; at most the bank's smallest cell)." };
        var centring = new Option<double?>("--ensemble-centring") { Description = "Reward centring of the ensembles: subtracted from rewards before training (default 77, the prior intercept; the authors: 0). See docs/gambitts-ensembles.md." };
        var resetOptimizer = new Option<bool?>("--ensemble-reset-optimizer") { Description = "true: a fresh Adam per update, as the authors' code (default false: Adam's moments carry over). See docs/gambitts-ensembles.md." };
        var generator = new Option<string?>("--generator") { Description = "simulated (the synthetic bank, default) or a language model (" + LlmSpec.Allowed + ") that generates the bank before the study, as the seed does (App. F: responses pre-generated, then sampled uniformly); it is saved as bank.csv in --out for reuse with --bank. Costs 2 x prompts x 12 contexts x --per-cell calls with --encoder ratings: 4,800 for the default 40 prompts and N = 5." };
        var common = new CommonOptions("Output folder (default ./results/gambitts-EXPERIMENT).");
        var build = new BankBuildCliOptions();
        var llm = new LlmOptions("--generator");
        var command = new Command("gambitts", "Run a GAMBITTS experiment (seed 002): Thompson sampling through generated treatments, with figures of cumulative regret and a report.");
        foreach (Option o in new Option[] { experiment, agents, runs, horizon, bank, bankSeed, banks, propensityDraws, offlineDraws, centring, resetOptimizer, generator }) command.Add(o);
        common.AddTo(command);
        foreach (Option o in new Option[] { common.Seed, common.Out, common.Json, common.Parallel, common.Log }) o.Recursive = false;
        build.AddTo(command);
        AddLocal(llm, command);
        command.SetAction((parse, ct) =>
        {
            string experimentId = parse.GetValue(experiment)
                ?? throw new UsageException($"--experiment is required; allowed: {string.Join(", ", GambittsExperiments.Ids)}.");
            CommonSettings settings = common.Read(parse, Path.Combine("results", "gambitts-" + experimentId.Trim().ToLowerInvariant()));
            var options = new GambittsExperimentOptions
            {
                Experiment = experimentId.Trim().ToLowerInvariant(),
                Agents = parse.GetValue(agents)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Runs = parse.GetValue(runs),
                Horizon = parse.GetValue(horizon),
                Seed = settings.Seed,
                BankFile = parse.GetValue(bank),
                BankSeed = parse.GetValue(bankSeed),
                Banks = parse.GetValue(banks),
                PropensityDraws = parse.GetValue(propensityDraws),
                OfflineDraws = parse.GetValue(offlineDraws),
                EnsembleTargetOffset = parse.GetValue(centring),
                EnsembleResetOptimizer = parse.GetValue(resetOptimizer),
                MaxDegreeOfParallelism = settings.Parallel,
            };
            try { options.Validate(); }
            catch (ArgumentException ex) { throw GambittsRunner.Names.Translate(ex); }
            BankBuildSettings? generatorSettings = null;
            string? generatorText = parse.GetValue(generator);
            if (generatorText is not null && LlmSpec.IsSimulated(generatorText))
            {
                if (!generatorText.Trim().Equals("simulated", StringComparison.OrdinalIgnoreCase))
                    throw new UsageException($"--generator '{generatorText}': the simulated generator (the synthetic bank) takes no settings.");
                generatorText = null;
            }
            if (generatorText is { } spec)
            {
                if (options.BankFile is not null) throw new UsageException("--generator and --bank exclude each other: a study runs on one bank.");
                if (options.BankSeed is not null) throw new UsageException("--bank-seed applies to the synthetic bank only, not to a bank built with --generator.");
                if (options.Banks > 1) throw new UsageException($"--banks {options.Banks} needs the synthetic bank; --generator builds one bank.");
                LlmSpec parsed = LlmOptions.ParseSpec(spec, "--generator");
                generatorSettings = build.Read(parse, parsed, "--generator", settings.Seed, llm.Read(parse, parsed.Kind != LlmKind.Replay));
                // Offline draws are taken without replacement: refuse before any model call when the bank to be built is too small.
                var definition = GambittsExperiments.Find(options.Experiment)!;
                bool offline = (options.Agents ?? definition.DefaultAgents).Any(id => AgentCatalog.Find(id)!.UsesOfflineDraws);
                int needed = options.OfflineDraws ?? new Tandem.Gambit.Agents.AgentOptions().OfflineDraws;
                if (offline && needed > generatorSettings.PerCell)
                    throw new UsageException($"--offline-draws {needed}: {needed} offline draws per cell exceed the {generatorSettings.PerCell} responses per cell --per-cell builds; offline draws are taken without replacement, so give --offline-draws {generatorSettings.PerCell} or less.");
            }
            else if (parse.GetValue(llm.Record) is not null) throw new UsageException("--record needs --generator to be a language model (openai:... or ollama:...).");
            return GambittsRunner.RunAsync(new GambittsInvocation(options, settings, generatorSettings), io, parse, ct);
        });
        command.Add(CreateBank(io));
        return command;
    }

    private static Command CreateBank(CliIo io)
    {
        var model = new Option<string?>("--llm") { Description = "The language model that writes and rates the messages (required): " + LlmSpec.Allowed + "." };
        var output = new Option<string?>("--out") { Description = "The bank CSV to write (required): prompt,context,<20 style scores>,text, the format --bank reads." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the per-request sampling seeds (the same seed and cassette give the same bank).", DefaultValueFactory = _ => 1UL };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON summary object on stdout." };
        var build = new BankBuildCliOptions();
        var llm = new LlmOptions("--llm");
        var command = new Command("build", "Generate a real response bank with a language model (seed 002 App. F.1 prompt: one message per prompt = style dimension x high/low, per context, N per cell) and score each message; writes the CSV that `tandem gambitts --bank` reads. Calls: prompts x 12 x N generations + as many ratings (4,800 in all for 40 prompts and N = 5); with --encoder embeddings:MODEL, one embedding per message instead of a rating, plus a rating and an embedding per --calibration message.");
        foreach (Option o in new Option[] { model, output, seed, json }) command.Add(o);
        build.AddTo(command);
        AddLocal(llm, command);
        command.SetAction((parse, ct) =>
        {
            string specText = parse.GetValue(model) ?? throw new UsageException("--llm is required: the model that writes the messages (" + LlmSpec.Allowed + ").");
            string outFile = parse.GetValue(output) ?? throw new UsageException("--out is required: the bank CSV to write.");
            if (string.IsNullOrWhiteSpace(outFile) || Directory.Exists(outFile)) throw new UsageException($"--out '{outFile}' must name a file (e.g. bank.csv).");
            LlmSpec spec = LlmOptions.ParseSpec(specText, "--llm");
            BankBuildSettings settings = build.Read(parse, spec, "--llm", parse.GetValue(seed), llm.Read(parse, spec.Kind != LlmKind.Replay));
            return BankBuildCommandRunner.RunAsync(settings, outFile, parse.GetValue(json), io, parse, ct);
        });
        var bank = new Command("bank", "Response banks for GAMBITTS.");
        bank.Add(command);
        return bank;
    }

    // The shared LLM options are recursive by default; here each command has its own set.
    private static void AddLocal(LlmOptions llm, Command command)
    {
        foreach (Option o in llm.All)
        {
            o.Recursive = false;
            command.Add(o);
        }
    }
}
