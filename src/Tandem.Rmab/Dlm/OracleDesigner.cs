using System.Collections.Concurrent;
using Tandem.Core.Ports;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>Settings of the <see cref="OracleDesigner"/>.</summary>
/// <param name="KeepProbability">Zero-shot probability of keeping each true feature (targets recall ≈ 0.75, seed Table 1).</param>
/// <param name="DistractorRate">Expected distractors added per kept feature (0.67 targets precision ≈ 0.6).</param>
/// <param name="SameGroupDistractor">Probability that a distractor comes from the same feature group as a true feature.</param>
/// <param name="LogicRecall">Probability of combining features of different groups with a product (AND) when the task
/// needs it (seed Appendix H: about 0.75).</param>
/// <param name="CorrectingEdit">In later stages, probability that an edit of the best candidate moves toward the truth
/// (drop a false feature or add a missing one) rather than a random edit.</param>
/// <param name="InformedSelection">Probability that the reflector picks the candidate whose distribution gives the
/// largest share to the true target features; otherwise it picks uniformly.</param>
/// <param name="InvalidRate">Probability that a first attempt is an expression the sandbox refuses (exercising retries).</param>
public sealed record OracleDesignerOptions(
    double KeepProbability = 0.75,
    double DistractorRate = 0.67,
    double SameGroupDistractor = 0.5,
    double LogicRecall = 0.75,
    double CorrectingEdit = 0.5,
    double InformedSelection = 0.8,
    double InvalidRate = 0.05)
{
    /// <summary>Throws when a probability lies outside [0, 1] (rate: ≥ 0).</summary>
    public OracleDesignerOptions Validated()
    {
        foreach (var (name, p) in new[] { (nameof(KeepProbability), KeepProbability), (nameof(SameGroupDistractor), SameGroupDistractor),
                     (nameof(LogicRecall), LogicRecall), (nameof(CorrectingEdit), CorrectingEdit), (nameof(InformedSelection), InformedSelection), (nameof(InvalidRate), InvalidRate) })
        {
            if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(name, p, "Must lie in [0, 1].");
        }
        if (!(DistractorRate >= 0 && DistractorRate <= 5)) throw new ArgumentOutOfRangeException(nameof(DistractorRate), DistractorRate, "Must lie in [0, 5].");
        return this;
    }
}

/// <summary>
/// An <b>oracle ablation</b> (`--designer oracle`; an upper bound, never a default): the simulation Tandem used as its
/// designer before issue 12. It is not an honest stand-in for a language model, because it reads the task's
/// true feature set (from the Base reward's syntax tree) and corrupts it: each true feature is kept with
/// <see cref="OracleDesignerOptions.KeepProbability"/>, distractors are added at
/// <see cref="OracleDesignerOptions.DistractorRate"/>, and weights come from the log grid {0.5, 1, 2, 5, 10}
/// (seed §4.5's log-space search). Features from different groups are multiplied (an AND) with
/// <see cref="OracleDesignerOptions.LogicRecall"/> when the task combines groups. In later stages it edits the
/// best earlier candidate (one feature or weight change each). Its reflector picks the candidate whose
/// state-feature distribution gives the true target features the largest share with
/// <see cref="OracleDesignerOptions.InformedSelection"/>, else a uniform one. Thread-safe.
/// </summary>
public sealed class OracleDesigner : IRewardDesigner
{
    private static readonly double[] WeightGrid = DesignedExpression.WeightGrid;
    private readonly OracleDesignerOptions _options;
    private readonly ConcurrentDictionary<string, Design> _designs = new(StringComparer.Ordinal);

    /// <summary>Create with <paramref name="options"/> (defaults when null).</summary>
    public OracleDesigner(OracleDesignerOptions? options = null) => _options = (options ?? new OracleDesignerOptions()).Validated();

    /// <inheritdoc />
    public string Name => RewardDesigners.Oracle;

    /// <inheritdoc />
    public ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rng = new Xoshiro256(request.Seed);
        if (request.EarlierAttempts.Count == 0 && rng.NextDouble() < _options.InvalidRate)
            return ValueTask.FromResult(RewardProposal.Proposed(InvalidExamples[rng.Next(InvalidExamples.Length)], "simulated invalid first attempt"));

        int[] truth = request.Task.TrueFeatures.ToArray();
        bool conjunction = truth.Select(Features.GroupOf).Distinct().Count() > 1;
        Design design;
        StageBest? best = request.History.Count > 0 ? request.History[^1] : null;
        if (best is not null && _designs.TryGetValue(best.Expression, out Design? previous))
            design = Edit(previous, truth, rng);
        else
            design = ZeroShot(truth, conjunction, rng);
        string text = design.ToExpression();
        _designs.TryAdd(text, design);
        return ValueTask.FromResult(RewardProposal.Proposed(text, "simulated designer"));
    }

    /// <inheritdoc />
    public ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Candidates.Count == 0) return ValueTask.FromResult(PortAnswer<int>.Abstain("no candidates to compare"));
        var rng = new Xoshiro256(request.Seed);
        if (rng.NextDouble() >= _options.InformedSelection)
            return ValueTask.FromResult(PortAnswer<int>.Given(rng.Next(request.Candidates.Count)));
        IReadOnlyList<int> truth = request.Task.TrueFeatures;
        int bestIndex = 0;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < request.Candidates.Count; i++)
        {
            double score = truth.Sum(f => request.Candidates[i].Distribution.PercentOf(f));
            if (score > bestScore) { bestScore = score; bestIndex = i; }
        }
        return ValueTask.FromResult(PortAnswer<int>.Given(bestIndex));
    }

    private static readonly string[] InvalidExamples = DesignedExpression.InvalidExamples;

    private Design ZeroShot(int[] truth, bool conjunction, Xoshiro256 rng)
    {
        var kept = truth.Where(_ => rng.NextDouble() < _options.KeepProbability).ToList();
        var distractors = new List<int>();
        int adds = 0;
        foreach (int _ in kept.Count > 0 ? kept : [truth[0]])
            if (rng.NextDouble() < _options.DistractorRate) adds++;
        if (kept.Count == 0) adds = Math.Max(adds, 1);
        for (int a = 0; a < adds; a++)
        {
            int d = Distractor(truth, kept, distractors, rng);
            if (d >= 0) distractors.Add(d);
        }
        bool useProduct = conjunction && kept.Select(Features.GroupOf).Distinct().Count() > 1 && rng.NextDouble() < _options.LogicRecall;
        var weights = new Dictionary<int, int>();
        foreach (int f in kept.Concat(distractors)) weights[f] = 1 + rng.Next(WeightGrid.Length - 1);
        return new Design(kept.Concat(distractors).OrderBy(f => f).ToArray(), weights, useProduct ? kept.ToArray() : [], useProduct ? 2 + rng.Next(2) : 0);
    }

    private Design Edit(Design d, int[] truth, Xoshiro256 rng)
    {
        var features = d.Features.ToList();
        var weights = new Dictionary<int, int>(d.Weights);
        int[] product = d.Product;
        int productWeight = d.ProductWeight;
        var falseOnes = features.Where(f => !truth.Contains(f)).ToList();
        var missing = truth.Where(f => !features.Contains(f)).ToList();
        if (rng.NextDouble() < _options.CorrectingEdit && (falseOnes.Count > 0 || missing.Count > 0))
        {
            if (falseOnes.Count > 0 && (missing.Count == 0 || rng.NextDouble() < 0.5))
            {
                int f = falseOnes[rng.Next(falseOnes.Count)];
                features.Remove(f);
                weights.Remove(f);
            }
            else
            {
                int f = missing[rng.Next(missing.Count)];
                features.Add(f);
                weights[f] = 1 + rng.Next(WeightGrid.Length - 1);
            }
        }
        else
        {
            double u = rng.NextDouble();
            if (u < 0.6 && features.Count > 0)
            {
                int f = features[rng.Next(features.Count)];
                weights[f] = Math.Clamp(weights[f] + (rng.NextDouble() < 0.5 ? -1 : 1), 0, WeightGrid.Length - 1);
            }
            else if (u < 0.8 && product.Length > 0)
            {
                productWeight = Math.Clamp(productWeight + (rng.NextDouble() < 0.5 ? -1 : 1), 0, WeightGrid.Length - 1);
            }
            else
            {
                int x = Distractor(truth, features, [], rng);
                if (x >= 0) { features.Add(x); weights[x] = rng.Next(WeightGrid.Length); }
            }
        }
        product = product.Where(features.Contains).ToArray();
        if (product.Select(Features.GroupOf).Distinct().Count() < 2) { product = []; productWeight = 0; }
        if (features.Count == 0)
        {
            int f = truth[rng.Next(truth.Length)];
            features.Add(f);
            weights[f] = 2;
        }
        return new Design(features.OrderBy(f => f).ToArray(), weights, product, productWeight);
    }

    private int Distractor(int[] truth, IReadOnlyCollection<int> kept, IReadOnlyCollection<int> chosen, Xoshiro256 rng)
    {
        var pool = new List<int>();
        if (rng.NextDouble() < _options.SameGroupDistractor)
        {
            foreach (int t in truth)
                pool.AddRange(Features.GroupOf(t)?.Indices ?? []);
        }
        if (pool.All(f => truth.Contains(f) || kept.Contains(f) || chosen.Contains(f)))
            pool = Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature).ToList();
        pool = pool.Where(f => !truth.Contains(f) && !kept.Contains(f) && !chosen.Contains(f)).Distinct().ToList();
        return pool.Count == 0 ? -1 : pool[rng.Next(pool.Count)];
    }

    /// <summary>A candidate's structure: additive weighted features, plus an optional product of features from
    /// different groups (features of one group are summed inside the product).</summary>
    private sealed record Design(int[] Features, Dictionary<int, int> Weights, int[] Product, int ProductWeight)
    {
        public string ToExpression() =>
            DesignedExpression.Build(Features.Where(f => !Product.Contains(f)).Select(f => (f, Weights[f])), Product, ProductWeight);
    }
}
