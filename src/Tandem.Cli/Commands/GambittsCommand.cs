using System.CommandLine;
using Tandem.Cli.Gambit;
using Tandem.Gambit.Experiments;

namespace Tandem.Cli.Commands;

/// <summary>`tandem gambitts` (CLI contract of issue 4; keep stable).</summary>
public static class GambittsCommand
{
    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        var experiment = new Option<string>("--experiment") { Description = "Experiment: " + string.Join(", ", GambittsExperiments.Ids) + ".", Required = true };
        var agents = new Option<string?>("--agents") { Description = "Comma-separated agents: " + string.Join(",", AgentCatalog.All.Select(a => a.Id)) + " (default per experiment)." };
        var runs = new Option<int>("--runs") { Description = "Independent runs R ≥ 1.", DefaultValueFactory = _ => 250 };
        var horizon = new Option<int>("--horizon") { Description = "Steps per run T ≥ 1.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Study seed; run i uses a seed derived from it and i.", DefaultValueFactory = _ => 1UL };
        var bank = new Option<string?>("--bank") { Description = "A response bank CSV (prompt,context,<style scores...>[,text]) instead of the synthetic one." };
        var output = new Option<string?>("--out") { Description = "Output folder (default ./results/gambitts-EXPERIMENT)." };
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON summary object on stdout." };
        var command = new Command("gambitts", "Run a GAMBITTS experiment (seed 002): Thompson sampling through generated treatments, with figures of cumulative regret and a report.");
        foreach (Option o in new Option[] { experiment, agents, runs, horizon, seed, bank, output, json }) command.Add(o);
        command.SetAction((parse, ct) =>
        {
            GambittsSettings settings = GambittsSettings.Read(
                parse.GetValue(experiment)!, parse.GetValue(agents), parse.GetValue(runs), parse.GetValue(horizon),
                parse.GetValue(seed), parse.GetValue(bank), parse.GetValue(output), parse.GetValue(json));
            return GambittsRunner.RunAsync(settings, io, parse.Tokens.Select(t => t.Value).ToArray(), ct);
        });
        return command;
    }
}
