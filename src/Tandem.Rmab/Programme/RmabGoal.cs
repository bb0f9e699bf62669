using Tandem.Core.Ports;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Rewards;

namespace Tandem.Rmab.Programme;

/// <summary>What `tandem rmab plan --goal` made of the sentence: the designed reward, the designer's stages, and the
/// state-feature distribution (seed 001 Algorithm 2) of the resulting plan beside that of the Default reward.</summary>
/// <param name="Goal">The sentence.</param>
/// <param name="Designer">The designer's name.</param>
/// <param name="Grounded">Features the sentence names: for the minilm designer the features it uses in every
/// candidate (docs/dlm-designer.md §1), otherwise the fixed reading of docs/dlm-simulated-designer.md §1 (checked
/// against the file's columns before any design).</param>
/// <param name="Stages">Reflection stages run.</param>
/// <param name="Refusals">Proposals refused on the way (sandbox, missing features, abstentions).</param>
/// <param name="Distribution">Share of engaged weeks by feature under the plan, for the groups the file has.</param>
/// <param name="DefaultDistribution">The same under the Default reward (engagement only, Whittle).</param>
public sealed record GoalOutcome(string Goal, string Designer, IReadOnlyList<int> Grounded, int Stages, int Refusals,
    StateFeatureDistribution Distribution, StateFeatureDistribution DefaultDistribution);

/// <summary>
/// Turns a goal in plain language into a reward with the DLM loop (seed 001 Algorithm 1) on a programme's own
/// beneficiaries, asking for nothing the programme does not have: a goal that names features the file has no column
/// for is refused before any design, and a proposal that reads a missing feature is refused back to the designer.
/// </summary>
public static class RmabGoal
{
    /// <summary>Refuse a goal the file cannot serve (names the missing columns), or a designer that needs a ground truth.</summary>
    /// <exception cref="ArgumentException">Names <see cref="RmabPlanOptions.Goal"/> or <see cref="RmabPlanOptions.Designer"/>.</exception>
    public static TaskGrounding Check(string goal, string designer, BeneficiaryFile data, string file)
    {
        ArgumentNullException.ThrowIfNull(goal);
        ArgumentNullException.ThrowIfNull(designer);
        ArgumentNullException.ThrowIfNull(data);
        if (designer.Trim().Equals(RewardDesigners.Oracle, StringComparison.OrdinalIgnoreCase) || designer.Trim().Equals(RewardDesigners.Base, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The designer '{designer}' reads a task's ground-truth reward, which a goal in plain language does not have; use {RewardDesigners.Simulated} or a language model.", nameof(RmabPlanOptions.Designer));
        TaskGrounding g = TaskGrounding.Read(goal);
        var present = data.FeatureColumns.ToHashSet();
        var missing = g.Targets.Where(f => !present.Contains(f)).Select(f => $"{Features.Names[f]} ({Features.ColumnNames[f]})")
            .Concat(g.AmbiguousGroups.Where(gr => !gr.Indices.Any(present.Contains)).Select(gr => $"{gr.Name} (any of {string.Join(", ", gr.Indices.Select(f => Features.ColumnNames[f]))})"))
            .ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"The goal asks about {string.Join("; ", missing)}, but {file} has no column for {(missing.Length == 1 ? "it" : "them")} (its feature columns: {Columns(data.FeatureColumns)}).", nameof(RmabPlanOptions.Goal));
        if (designer.Trim().Equals(RewardDesigners.Simulated, StringComparison.OrdinalIgnoreCase) && g.Targets.Count == 0 && g.AmbiguousGroups.Count == 0)
            throw new ArgumentException("The goal names no feature the simulated designer reads (age, language, education, phone owner, call time, organisation or income words; docs/dlm-simulated-designer.md §1); rephrase it, or give a reward expression.", nameof(RmabPlanOptions.Goal));
        return g;
    }

    /// <summary>Refuse a goal the file cannot serve, as the <see cref="EmbeddingDesigner"/> read it: a feature the
    /// designer would use in every candidate (<see cref="EmbeddingGrounding.Targets"/>), or a group it names, that the
    /// file has no column for. Returns the features the goal names (the targets).</summary>
    /// <exception cref="ArgumentException">Names <see cref="RmabPlanOptions.Goal"/>.</exception>
    public static IReadOnlyList<int> Check(EmbeddingGrounding grounding, BeneficiaryFile data, string file)
    {
        ArgumentNullException.ThrowIfNull(grounding);
        ArgumentNullException.ThrowIfNull(data);
        var present = data.FeatureColumns.ToHashSet();
        var missing = grounding.Targets.Where(f => !present.Contains(f)).Select(f => $"{Features.Names[f]} ({Features.ColumnNames[f]})")
            .Concat(grounding.NamedGroups.Where(g => !g.Indices.Any(present.Contains) && !g.Indices.Any(grounding.Targets.Contains))
                .Select(g => $"{g.Name} (any of {string.Join(", ", g.Indices.Select(f => Features.ColumnNames[f]))})"))
            .ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"The goal asks about {string.Join("; ", missing)}, but {file} has no column for {(missing.Length == 1 ? "it" : "them")} (its feature columns: {Columns(data.FeatureColumns)}).", nameof(RmabPlanOptions.Goal));
        return grounding.Targets;
    }

    /// <summary>The feature columns as a list, or "none".</summary>
    internal static string Columns(IReadOnlyList<int> features) => features.Count == 0 ? "none" : string.Join(", ", features.Select(f => Features.ColumnNames[f]));

    /// <summary>A designer that refuses, as an abstention the loop feeds back, every proposal that reads a feature the
    /// programme's file has no column for (a decorator: the inner designer is unchanged).</summary>
    public sealed class AvailableFeatures(IRewardDesigner inner, IReadOnlyCollection<int> present, string file) : IRewardDesigner
    {
        /// <inheritdoc />
        public string Name => inner.Name;

        /// <inheritdoc />
        public async ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
        {
            PortAnswer<RewardProposal> answer = await inner.ProposeAsync(request, cancellationToken).ConfigureAwait(false);
            if (!answer.TryGetValue(out RewardProposal? proposal) || !RewardSandbox.TryParse(proposal.Expression, out RewardExpression? expr, out _)) return answer;
            int[] missing = expr.FeaturesUsed.Where(f => !present.Contains(f)).ToArray();
            return missing.Length == 0 ? answer : RewardProposal.Abstain(
                $"unavailable: {proposal.Expression} reads {string.Join(", ", missing.Select(f => $"feats[{f}] ({Features.Names[f]})"))}, which {file} does not have");
        }

        /// <inheritdoc />
        public ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default) => inner.SelectAsync(request, cancellationToken);
    }
}
