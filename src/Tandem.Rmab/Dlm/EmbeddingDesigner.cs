using System.Collections.Concurrent;
using Tandem.Core.Ports;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>
/// An offline reward designer and reflector built on a real sentence-embedding model (all-MiniLM-L6-v2 through
/// <see cref="ITextEmbedder"/>; docs/dlm-designer.md). It is given exactly what a language model is given: the task's
/// sentence, the feature names, and the state-feature distributions (Algorithm 2) of its own candidates; it never reads
/// <see cref="DlmTask.Base"/>, <see cref="DlmTask.TrueFeatures"/> or any weight of the Base reward.
/// <list type="bullet">
/// <item>Proposal (Algorithm 1 line 1): the sentence is grounded in features by similarity (<see cref="EmbeddingGrounding"/>);
/// a zero-shot candidate uses each feature of a named group with its inclusion probability (the group's best member
/// always), each with a weight drawn from <see cref="DesignedExpression.WeightGrid"/>, and combines features of several
/// groups by a sum or, with probability 1/2, by a product. A later stage edits the last selected candidate (Algorithm 1
/// lines 2-14: the history carries the winner): one weight up or down, a named-group feature added (drawn in proportion to
/// its inclusion probability), the least relevant feature dropped, or sum and product swapped, each equally likely.</item>
/// <item>Reflection (Algorithm 1 line 15, on Algorithm 2's distributions): each candidate scores
/// Σ_f inclusion(f) · percent of positive states on f, the similarity-weighted share of the groups the sentence names;
/// the highest score wins, ties broken by the request's seed.</item>
/// </list>
/// Deterministic for a seed: proposals derive only from the request seed and the grounding, and the model gives the
/// same vector for the same text. Each text is embedded once per designer (cached). Thread-safe.
/// </summary>
public sealed class EmbeddingDesigner : IRewardDesigner
{
    private static readonly int WeightCount = DesignedExpression.WeightGrid.Length;
    private readonly ITextEmbedder _embedder;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Lazy<Task<float[]>>> _vectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<EmbeddingGrounding>>> _groundings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Design> _designs = new(StringComparer.Ordinal);
    private long _embedTicks;
    private int _embedded;

    /// <summary>Create over <paramref name="embedder"/>; the designer's name is the embedder's.</summary>
    /// <param name="embedder">The sentence-embedding model.</param>
    /// <param name="time">Clock of <see cref="EmbeddingTime"/> (a cost report only); <see cref="TimeProvider.System"/> if null.</param>
    public EmbeddingDesigner(ITextEmbedder embedder, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        _embedder = embedder;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name => _embedder.Name;

    /// <summary>Texts embedded so far (each once).</summary>
    public int TextsEmbedded => Volatile.Read(ref _embedded);

    /// <summary>Wall time spent inside the embedding model so far (a report of cost, never an input to a design).</summary>
    public TimeSpan EmbeddingTime => TimeSpan.FromTicks(Interlocked.Read(ref _embedTicks));

    /// <summary>The grounding of <paramref name="sentence"/> (computed once per sentence).</summary>
    /// <exception cref="StudyStopException">The embedding model failed.</exception>
    public Task<EmbeddingGrounding> GroundAsync(string sentence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        Lazy<Task<EmbeddingGrounding>> lazy = _groundings.GetOrAdd(sentence, s => new Lazy<Task<EmbeddingGrounding>>(
            () => EmbeddingGrounding.ReadAsync(s, EmbedAsync, CancellationToken.None).AsTask()));
        return lazy.Value.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EmbeddingGrounding g = await GroundAsync(request.Task.Prompt, cancellationToken).ConfigureAwait(false);
        var rng = new Xoshiro256(request.Seed);
        StageBest? best = request.History.Count > 0 ? request.History[^1] : null;
        Design design = best is not null && _designs.TryGetValue(best.Expression, out Design? previous) ? Edit(previous, g, rng) : ZeroShot(g, rng);
        string text = design.ToExpression();
        _designs.TryAdd(text, design);
        return RewardProposal.Proposed(text, $"{Name} designer: the sentence names {string.Join(", ", g.NamedGroups.Select(x => x.Name))}");
    }

    /// <inheritdoc />
    public async ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Candidates.Count == 0) return PortAnswer<int>.Abstain("no candidates to compare");
        EmbeddingGrounding g = await GroundAsync(request.Task.Prompt, cancellationToken).ConfigureAwait(false);
        double[] score = request.Candidates.Select(c => Score(c.Distribution, g)).ToArray();
        double top = score.Max();
        int[] tied = Enumerable.Range(0, score.Length).Where(i => score[i] == top).ToArray();
        return PortAnswer<int>.Given(tied.Length == 1 ? tied[0] : tied[new Xoshiro256(request.Seed).Next(tied.Length)]);
    }

    /// <summary>The reflector's score of a distribution: Σ_f inclusion(f) · percent of positive states on f.</summary>
    public static double Score(StateFeatureDistribution distribution, EmbeddingGrounding grounding)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        ArgumentNullException.ThrowIfNull(grounding);
        double s = 0;
        foreach (GroupShares group in distribution.Groups)
            foreach (FeatureShare share in group.Shares)
                s += grounding.Inclusion[share.Feature] * share.Percent;
        return s;
    }

    private async ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var result = new float[texts.Count][];
        string[] missing = texts.Distinct(StringComparer.Ordinal).Where(t => !_vectors.ContainsKey(t)).ToArray();
        if (missing.Length > 0)
        {
            // One batch for the texts not yet seen; each text's vector is then shared by every later request.
            var batch = new Lazy<Task<IReadOnlyList<float[]>>>(() => RunModelAsync(missing, cancellationToken));
            for (int i = 0; i < missing.Length; i++)
            {
                int k = i;
                _vectors.TryAdd(missing[k], new Lazy<Task<float[]>>(async () => (await batch.Value.ConfigureAwait(false))[k]));
            }
        }
        for (int i = 0; i < texts.Count; i++) result[i] = await _vectors[texts[i]].Value.ConfigureAwait(false);
        int length = result.Length > 0 ? result[0].Length : 0;
        if (result.Any(v => v.Length != length || length == 0))
            throw new StudyStopException($"the embedding model {_embedder.Name} returned vectors of different or zero length.");
        return result;
    }

    private async Task<IReadOnlyList<float[]>> RunModelAsync(string[] texts, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        IReadOnlyList<float[]> vectors;
        try
        {
            vectors = await _embedder.EmbedAsync(texts, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not StudyStopException and not OperationCanceledException)
        {
            // Never a fallback to another designer: the study stops with the model's reason.
            throw new StudyStopException($"the embedding model {_embedder.Name} failed: {ex.Message}", ex);
        }
        Interlocked.Add(ref _embedTicks, _time.GetElapsedTime(start).Ticks);
        Interlocked.Add(ref _embedded, texts.Length);
        if (vectors.Count != texts.Length)
            throw new StudyStopException($"the embedding model {_embedder.Name} returned {vectors.Count} vectors for {texts.Length} texts.");
        return vectors;
    }

    private static int DrawWeight(Xoshiro256 rng) => rng.Next(WeightCount);

    // Algorithm 1 line 1, zero-shot: each named group's members by their inclusion probability.
    private static Design ZeroShot(EmbeddingGrounding g, Xoshiro256 rng)
    {
        var features = new List<int>();
        foreach (FeatureGroup group in g.NamedGroups)
            foreach (int f in group.Indices)
                if (g.Inclusion[f] >= 1 || (g.Inclusion[f] > 0 && rng.NextDouble() < g.Inclusion[f])) features.Add(f);
        var weights = features.ToDictionary(f => f, _ => DrawWeight(rng));
        bool product = GroupCount(features) > 1 && rng.NextDouble() < 0.5;
        return new Design(features.Order().ToArray(), weights, product, DrawWeight(rng));
    }

    // A later stage: one edit of the last winner, each kind equally likely; an edit that does not apply raises a weight.
    private static Design Edit(Design d, EmbeddingGrounding g, Xoshiro256 rng)
    {
        var features = d.Features.ToList();
        var weights = new Dictionary<int, int>(d.Weights);
        int productWeight = d.ProductWeight;
        bool product = d.Product;
        void Step(int delta)
        {
            if (product) productWeight = Math.Clamp(productWeight + delta, 0, WeightCount - 1);
            else { int f = features[rng.Next(features.Count)]; weights[f] = Math.Clamp(weights[f] + delta, 0, WeightCount - 1); }
        }
        int[] addable = g.NamedGroups.SelectMany(x => x.Indices).Where(f => g.Inclusion[f] > 0 && !features.Contains(f)).ToArray();
        switch (rng.Next(5))
        {
            case 1: Step(-1); break;
            case 2 when addable.Length > 0:
                double u = rng.NextDouble() * addable.Sum(f => g.Inclusion[f]);
                int add = addable[^1];
                foreach (int f in addable)
                {
                    u -= g.Inclusion[f];
                    if (u < 0) { add = f; break; }
                }
                features.Add(add);
                weights[add] = DrawWeight(rng);
                break;
            case 3 when features.Count > 1:
                int drop = features.MinBy(f => (g.Inclusion[f], f));
                features.Remove(drop);
                weights.Remove(drop);
                break;
            case 4 when GroupCount(features) > 1: product = !product; break;
            default: Step(+1); break;
        }
        return new Design(features.Order().ToArray(), weights, product && GroupCount(features) > 1, productWeight);
    }

    private static int GroupCount(IEnumerable<int> features) => features.Select(Features.GroupOf).Distinct().Count();

    /// <summary>A candidate: weighted features summed, or (when <see cref="Product"/>) one weight on the product over
    /// groups of each group's sum.</summary>
    private sealed record Design(int[] Features, Dictionary<int, int> Weights, bool Product, int ProductWeight)
    {
        public string ToExpression() => Product
            ? DesignedExpression.Build([], Features, ProductWeight)
            : DesignedExpression.Build(Features.Select(f => (f, Weights[f])), [], 0);
    }
}
