using Tandem.Core.Abstractions;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Recourse.Experiments;

/// <summary>The resolved options every catalog entry may use.</summary>
/// <param name="Glrb">GLRB's options (also LIBRA's bandit).</param>
/// <param name="LinUcb">LinUCB's options.</param>
/// <param name="Gate">LIBRA's gate (Δ).</param>
public sealed record RecoursePolicySettings(GlrbOptions Glrb, LinUcbOptions LinUcb, AdvisorGateOptions Gate);

/// <summary>What a catalog entry builds one policy from.</summary>
/// <param name="Problem">The (run, policy) pair's own problem.</param>
/// <param name="Run">The run, for named random streams.</param>
/// <param name="Settings">The resolved options.</param>
/// <param name="Advisor">The advisor, for entries that use one; otherwise null.</param>
/// <param name="AdvisorIndex">The advisor's position in the study (0 for the first), naming its streams.</param>
/// <param name="Truth">The run's ground truth, for the built-in simulated advisors only (a policy never reads it).</param>
public sealed record RecoursePolicyContext(RecourseProblem Problem, RunContext Run, RecoursePolicySettings Settings, IRecourseAdvisor? Advisor, int AdvisorIndex,
    RecourseTruth? Truth = null);

/// <summary>One policy of the catalog: its id (as in options and on the command line), its display name
/// (as in the seed), whether it consults an advisor, and how to build it.</summary>
public sealed record RecoursePolicyEntry(string Id, string Display, bool UsesAdvisor,
    Func<RecoursePolicyContext, IPolicy<double[], RecourseDecision, RecourseOutcome>> Create);

/// <summary>The seed's four policies by id (seed 000 §5.3), in the seed's order, and the q = 0 control.</summary>
public static class RecoursePolicies
{
    /// <summary>Display name of the control: LIBRA with a random advisor.</summary>
    public const string ControlDisplay = "LIBRA (q=0)";

    /// <summary>linucb, llm-only, glrb, libra, and libra-q0: LIBRA whose advisor is random (the seed's simulated
    /// advisor with q = 0), the control that shows what the study's advice itself is worth.</summary>
    public static IReadOnlyList<RecoursePolicyEntry> Catalog { get; } =
    [
        new("linucb", "LinUCB", false, c => new LinUcbPolicy(c.Problem, c.Settings.LinUcb)),
        new("llm-only", "LLM-only", true, c => AdvisorGateStage.LlmOnly(c.Problem, c.Advisor!,
            c.Run.CreateRandom(c.AdvisorIndex == 0 ? "llm-only-fallback" : "llm-only-fallback-" + c.AdvisorIndex))),
        new("glrb", "GLRB", false, c => new GlrbPolicy(c.Problem, c.Settings.Glrb)),
        new("libra", "LIBRA", true, c => AdvisorGateStage.Libra(new GlrbPolicy(c.Problem, c.Settings.Glrb), c.Advisor!, c.Settings.Gate)),
        new("libra-q0", ControlDisplay, false, c => AdvisorGateStage.Libra(new GlrbPolicy(c.Problem, c.Settings.Glrb),
            new SimulatedQualityAdvisor(c.Truth ?? throw new ArgumentException("The q = 0 control needs the run's truth.", nameof(c)), 0, c.Run.CreateRandom("advisor-control")),
            c.Settings.Gate, ControlDisplay)),
    ];

    /// <summary>The entry with <paramref name="id"/> (case-insensitive); throws <see cref="ArgumentException"/>
    /// naming the allowed ids.</summary>
    public static RecoursePolicyEntry Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        foreach (RecoursePolicyEntry entry in Catalog)
        {
            if (string.Equals(entry.Id, id.Trim(), StringComparison.OrdinalIgnoreCase)) return entry;
        }
        throw new ArgumentException($"Unknown policy '{id}'. Allowed: {string.Join(", ", Catalog.Select(p => p.Id))}.", nameof(id));
    }
}
