using Tandem.Gambit.Experiments;

namespace Tandem.Cli.Gambit;

/// <summary>Settings of one `tandem gambitts` invocation, validated by <see cref="Read"/>.</summary>
public sealed record GambittsSettings(
    ExperimentDefinition Experiment,
    IReadOnlyList<AgentSpec> Agents,
    int Runs,
    int Horizon,
    ulong Seed,
    string? Bank,
    string Out,
    bool Json)
{
    /// <summary>With `--generator SPEC`: build the bank with a language model first; null = use --bank or the synthetic bank.</summary>
    public BankBuildSettings? Generator { get; init; }

    /// <summary>Validate raw option values; throws <see cref="UsageException"/> naming the option.</summary>
    public static GambittsSettings Read(string experiment, string? agents, int runs, int horizon, ulong seed, string? bank, string? output, bool json)
    {
        ExperimentDefinition definition = GambittsExperiments.Find(experiment)
            ?? throw new UsageException($"--experiment '{experiment}' is unknown; allowed: {string.Join(", ", GambittsExperiments.Ids)}.");
        IReadOnlyList<AgentSpec> specs;
        if (agents is null) specs = definition.DefaultAgents.Select(id => AgentCatalog.Find(id)!).ToArray();
        else
        {
            string[] ids = agents.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length == 0) throw new UsageException("--agents is empty; allowed: " + string.Join(", ", AgentCatalog.All.Select(a => a.Id)) + ".");
            var list = new List<AgentSpec>();
            foreach (string id in ids)
            {
                AgentSpec spec = AgentCatalog.Find(id) ?? throw new UsageException($"--agents '{id}' is unknown; allowed: {string.Join(", ", AgentCatalog.All.Select(a => a.Id))}.");
                if (list.Contains(spec)) throw new UsageException($"--agents lists '{id}' twice.");
                list.Add(spec);
            }
            specs = list;
        }
        if (runs < 1) throw new UsageException($"--runs {runs} must be at least 1.");
        if (horizon < 1) throw new UsageException($"--horizon {horizon} must be at least 1.");
        if (bank is not null && string.IsNullOrWhiteSpace(bank)) throw new UsageException("--bank needs a file path.");
        return new GambittsSettings(definition, specs, runs, horizon, seed, bank, output ?? Path.Combine("results", "gambitts-" + definition.Id), json);
    }
}
