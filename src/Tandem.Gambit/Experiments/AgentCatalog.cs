using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Environment;

namespace Tandem.Gambit.Experiments;

/// <summary>How to build one agent for one run.</summary>
/// <param name="Id">The CLI id ("po", "stdts-contextual", ...).</param>
/// <param name="Name">The display name, as in the seed ("poGAMBITTS", "StdTS:Contextual", ...).</param>
/// <param name="Create">Builds the agent for a run of a world; random sources derive from the run's seed.</param>
/// <param name="UsesOfflineDraws">Whether the agent draws <see cref="AgentOptions.OfflineDraws"/> responses per cell
/// offline (simulator access, Algorithm 2), so the bank's cells must hold that many.</param>
public sealed record AgentSpec(string Id, string Name, Func<GambitWorld, RunContext, AgentOptions, GambitAgent> Create, bool UsesOfflineDraws = false);

/// <summary>The agents an experiment can run, registered once (no central switch elsewhere).</summary>
public static class AgentCatalog
{
    /// <summary>Every agent, in the order the CLI lists them.</summary>
    public static IReadOnlyList<AgentSpec> All { get; } =
    [
        new("stdts", "StdTS", (w, run, o) => new StandardThompson(w.Contexts, w.PromptCount, contextual: false, o, run.CreateRandom("agent:stdts"))),
        new("stdts-contextual", "StdTS:Contextual", (w, run, o) => new StandardThompson(w.Contexts, w.PromptCount, contextual: true, o, run.CreateRandom("agent:stdts-contextual"))),
        new("fo", "foGAMBITTS", (w, run, o) => new FullyOnlineGambitts(w.Contexts, w.PromptCount, w.EmbeddingDimension, o, run.CreateRandom("agent:fo"))),
        new("po", "poGAMBITTS", (w, run, o) => new PartiallyOnlineGambitts(new BankTreatmentGenerator(w), o, run.CreateRandom("agent:po"), run.CreateRandom("offline")), UsesOfflineDraws: true),
        new("blended", "blended", (w, run, o) => FullyOnlineGambitts.Blended(new BankTreatmentGenerator(w), o, run.CreateRandom("agent:blended"), run.CreateRandom("offline")), UsesOfflineDraws: true),
        new("ens-po", "ens-poGAMBITTS", (w, run, o) => EnsembleGambitts.PartiallyOnline(new BankTreatmentGenerator(w), o, run.CreateRandom("agent:ens-po"), run.CreateRandom("offline")), UsesOfflineDraws: true),
        new("ens-fo", "ens-foGAMBITTS", (w, run, o) => EnsembleGambitts.FullyOnline(w.Contexts, w.PromptCount, w.EmbeddingDimension, o, run.CreateRandom("agent:ens-fo"))),
    ];

    /// <summary>The spec of an id (case-insensitive), or null.</summary>
    public static AgentSpec? Find(string id) => All.FirstOrDefault(a => string.Equals(a.Id, id.Trim(), StringComparison.OrdinalIgnoreCase));
}
