using System.Collections.Concurrent;
using Tandem.Core.Ports;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>Settings of the <see cref="SimulatedDesigner"/> (docs/dlm-simulated-designer.md §2).</summary>
/// <param name="DropRate">Probability that a grounded feature is left out of a zero-shot candidate.</param>
/// <param name="NeighbourRate">Probability that a zero-shot candidate adds a neighbour of a grounded feature.</param>
/// <param name="ProductRate">Probability of combining features of different groups with a product (AND) rather than a
/// sum (seed Appendix H: logic recall about 0.75).</param>
/// <param name="InvalidRate">Probability that a first attempt is an expression the sandbox refuses (exercising retries).</param>
public sealed record SimulatedDesignerOptions(
    double DropRate = 0.1,
    double NeighbourRate = 0.25,
    double ProductRate = 0.75,
    double InvalidRate = 0.05)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming a probability outside [0, 1].</summary>
    public SimulatedDesignerOptions Validated()
    {
        foreach (var (name, p) in new[] { (nameof(DropRate), DropRate), (nameof(NeighbourRate), NeighbourRate), (nameof(ProductRate), ProductRate), (nameof(InvalidRate), InvalidRate) })
            if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(name, p, "Must lie in [0, 1].");
        return this;
    }
}

/// <summary>
/// A documented <b>simulation</b> of an LLM designer and reflector that is given only what a language model is given
/// (docs/dlm-simulated-designer.md): it grounds the task's sentence in features with a fixed word-to-feature mapping
/// (<see cref="TaskGrounding"/>), proposes weighted expressions over the grounded features with seeded noise, edits the
/// best earlier candidate in later stages, and its reflector picks the candidate whose state-feature distribution
/// (Algorithm 2) puts the largest share of positive states on the grounded features. It never reads
/// <see cref="DlmTask.Base"/> or <see cref="DlmTask.TrueFeatures"/>. Thread-safe.
/// </summary>
public sealed class SimulatedDesigner : IRewardDesigner
{
    private static readonly double[] WeightGrid = DesignedExpression.WeightGrid;
    private const int SlightTop = 2; // "slightly": weights from {0.5, 1, 2}
    private readonly SimulatedDesignerOptions _options;
    private readonly ConcurrentDictionary<string, TaskGrounding> _groundings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Design> _designs = new(StringComparer.Ordinal);

    /// <summary>Create with <paramref name="options"/> (defaults when null).</summary>
    public SimulatedDesigner(SimulatedDesignerOptions? options = null) => _options = (options ?? new SimulatedDesignerOptions()).Validated();

    /// <inheritdoc />
    public string Name => RewardDesigners.Simulated;

    /// <summary>The grounding of <paramref name="prompt"/> this designer uses (cached per sentence).</summary>
    public TaskGrounding Ground(string prompt) => _groundings.GetOrAdd(prompt, TaskGrounding.Read);

    /// <inheritdoc />
    public ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rng = new Xoshiro256(request.Seed);
        if (request.EarlierAttempts.Count == 0 && rng.NextDouble() < _options.InvalidRate)
            return ValueTask.FromResult(RewardProposal.Proposed(InvalidExamples[rng.Next(InvalidExamples.Length)], "simulated invalid first attempt"));
        TaskGrounding g = Ground(request.Task.Prompt);
        StageBest? best = request.History.Count > 0 ? request.History[^1] : null;
        Design design = best is not null && _designs.TryGetValue(best.Expression, out Design? previous) ? Edit(previous, g, rng) : ZeroShot(g, rng);
        string text = design.ToExpression();
        _designs.TryAdd(text, design);
        return ValueTask.FromResult(RewardProposal.Proposed(text, "simulated designer (reads the task's sentence)"));
    }

    /// <inheritdoc />
    public ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Candidates.Count == 0) return ValueTask.FromResult(PortAnswer<int>.Abstain("no candidates to compare"));
        IReadOnlyList<int> targets = Ground(request.Task.Prompt).Targets;
        double[] score = request.Candidates.Select(c => targets.Sum(f => c.Distribution.PercentOf(f))).ToArray();
        double top = score.Max();
        int[] tied = Enumerable.Range(0, score.Length).Where(i => score[i] == top).ToArray();
        int pick = tied.Length == 1 ? tied[0] : tied[new Xoshiro256(request.Seed).Next(tied.Length)];
        return ValueTask.FromResult(PortAnswer<int>.Given(pick));
    }

    private static readonly string[] InvalidExamples = DesignedExpression.InvalidExamples;

    private int Weight(TaskGrounding g, Xoshiro256 rng) => rng.Next(g.Slight ? SlightTop + 1 : WeightGrid.Length);

    private Design ZeroShot(TaskGrounding g, Xoshiro256 rng)
    {
        var features = g.Targets.Where(_ => rng.NextDouble() >= _options.DropRate).ToList();
        if (features.Count == 0 && g.Targets.Count > 0) features.Add(g.Targets[rng.Next(g.Targets.Count)]);
        foreach (FeatureGroup group in g.AmbiguousGroups) features.Add(group.Indices[rng.Next(group.Indices.Count)]);
        if (features.Count == 0) features.Add(Features.FirstPromptFeature + rng.Next(Features.Count - Features.FirstPromptFeature));
        if (rng.NextDouble() < _options.NeighbourRate)
        {
            int f = features[rng.Next(features.Count)];
            int n = Neighbour(f, rng);
            if (n >= 0 && !features.Contains(n)) features.Add(n);
        }
        var weights = features.ToDictionary(f => f, _ => Weight(g, rng));
        bool product = features.Select(Features.GroupOf).Distinct().Count() > 1 && rng.NextDouble() < _options.ProductRate;
        return new Design(features.Order().ToArray(), weights, product, Weight(g, rng));
    }

    private Design Edit(Design d, TaskGrounding g, Xoshiro256 rng)
    {
        var features = d.Features.ToList();
        var weights = new Dictionary<int, int>(d.Weights);
        int productWeight = d.ProductWeight;
        var missing = g.Targets.Where(f => !features.Contains(f)).ToList();
        var ungrounded = features.Where(f => !g.Targets.Contains(f) && !g.AmbiguousGroups.Any(a => a.Indices.Contains(f))).ToList();
        var ambiguousMembers = features.Where(f => g.AmbiguousGroups.Any(a => a.Indices.Contains(f))).ToList();
        int top = g.Slight ? SlightTop : WeightGrid.Length - 1;
        void Step(int delta)
        {
            if (d.Product) productWeight = Math.Clamp(productWeight + delta, 0, top);
            else { int f = features[rng.Next(features.Count)]; weights[f] = Math.Clamp(weights[f] + delta, 0, top); }
        }
        switch (rng.Next(5))
        {
            case 1: Step(-1); break;
            case 2 when missing.Count > 0:
                int add = missing[rng.Next(missing.Count)];
                features.Add(add);
                weights[add] = Weight(g, rng);
                break;
            case 3 when ungrounded.Count > 0 && features.Count > 1:
                int drop = ungrounded[rng.Next(ungrounded.Count)];
                features.Remove(drop);
                weights.Remove(drop);
                break;
            case 4 when ambiguousMembers.Count > 0:
                int old = ambiguousMembers[rng.Next(ambiguousMembers.Count)];
                FeatureGroup group = Features.GroupOf(old)!;
                int redraw = group.Indices[rng.Next(group.Indices.Count)];
                features.Remove(old);
                int w = weights[old];
                weights.Remove(old);
                if (!features.Contains(redraw)) { features.Add(redraw); weights[redraw] = w; }
                if (features.Count == 0) { features.Add(old); weights[old] = w; }
                break;
            default: Step(+1); break;
        }
        bool product = d.Product && features.Select(Features.GroupOf).Distinct().Count() > 1;
        return new Design(features.Order().ToArray(), weights, product, productWeight);
    }

    // The next member up or down in the feature's group (−1 at a group's edge in the drawn direction).
    private static int Neighbour(int f, Xoshiro256 rng)
    {
        FeatureGroup? group = Features.GroupOf(f);
        if (group is null) return -1;
        int i = IndexIn(group, f) + (rng.NextDouble() < 0.5 ? -1 : 1);
        return i >= 0 && i < group.Indices.Count ? group.Indices[i] : -1;
    }

    private static int IndexIn(FeatureGroup group, int f)
    {
        for (int i = 0; i < group.Indices.Count; i++) if (group.Indices[i] == f) return i;
        return -1;
    }

    /// <summary>A candidate: weighted features summed, or (when <see cref="Product"/>) one weight on the product over
    /// groups of each group's sum.</summary>
    private sealed record Design(int[] Features, Dictionary<int, int> Weights, bool Product, int ProductWeight)
    {
        public string ToExpression() => Product
            ? DesignedExpression.Build([], Features, ProductWeight)
            : DesignedExpression.Build(Features.Select(f => (f, Weights[f])), [], 0);
    }
}
