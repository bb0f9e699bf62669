using System.Globalization;
using System.Text.RegularExpressions;
using Tandem.Core.Ports;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>The embedding designer's proposal and edit rules and its model checks, written from the survivors of a
/// Stryker.NET run (docs/mutation-testing.md). The model embeds each feature description as a basis vector and every other
/// text as one planted vector, so the grounding (and each inclusion probability) is known before the designer runs.</summary>
public class EmbeddingDesignerEditTests
{
    private static readonly int Shown = EmbeddingGrounding.Descriptions.Count;

    private sealed class Planted(float[] phrase) : ITextEmbedder
    {
        public string Name => "planted";

        public ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<float[]>>(texts.Select(t =>
            {
                int j = EmbeddingGrounding.Descriptions.ToList().IndexOf(t);
                return j < 0 ? phrase : Enumerable.Range(0, Shown).Select(i => i == j ? 1f : 0f).ToArray();
            }).ToArray());
    }

    private sealed class Scripted(Func<IReadOnlyList<string>, IReadOnlyList<float[]>> answer) : ITextEmbedder
    {
        public string Name => "scripted";

        public ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(answer(texts));
    }

    /// <summary>A clock that advances one second per reading.</summary>
    private sealed class Ticking : TimeProvider
    {
        private long _now;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => (_now += TimeSpan.TicksPerSecond);
    }

    private static float[] Relevances(params (int Feature, float Relevance)[] planted)
    {
        float[] v = Enumerable.Range(0, Shown).Select(j => j / 100f).ToArray();
        foreach (var (f, r) in planted) v[f - Features.FirstPromptFeature] = r;
        return v;
    }

    // Language: 12 best, 13-15 within noise of it; Organisation: 32 stands out alone.
    private static readonly float[] TwoGroups = Relevances((12, 1.0f), (13, 0.92f), (14, 0.88f), (15, 0.95f), (32, 0.9f));
    private static readonly float[] OneGroup = Relevances((12, 1.0f), (13, 0.92f), (14, 0.88f), (15, 0.95f));

    private static DlmTask Task(string prompt = "planted sentence") => Fixtures.Tasks.Tasks[2] with { Prompt = prompt };

    /// <summary>An expression of <see cref="DesignedExpression.Build"/> read back: additive weights, or the product's weight.</summary>
    private sealed record Parsed(bool Product, int[] Terms, Dictionary<int, double> Weights, double ProductWeight)
    {
        public int[] Features => Terms.Distinct().Order().ToArray();

        public static Parsed Of(string e)
        {
            const string head = "state * (1.0";
            Assert.StartsWith(head, e);
            string body = e[head.Length..^1];
            int[] terms = Regex.Matches(body, @"feats\[(\d+)\]").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
            if (Regex.IsMatch(body, @"\* \(feats|\] \*"))
                return new(true, terms, [], double.Parse(Regex.Match(body, @"^ \+ ([\d.]+) \* ").Groups[1].Value, CultureInfo.InvariantCulture));
            var weights = new Dictionary<int, double>();
            foreach (Match m in Regex.Matches(body, @" \+ ([\d.]+) \* feats\[(\d+)\]"))
                weights[int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)] = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return new(false, terms, weights, 0);
        }
    }

    private static int Step(double from, double to) => Array.IndexOf(DesignedExpression.WeightGrid, to) - Array.IndexOf(DesignedExpression.WeightGrid, from);

    private static int Groups(IEnumerable<int> features) => features.Select(Features.GroupOf).Distinct().Count();

    // Catches (zero-shot, Algorithm 1 line 1): members used always, never, or regardless of their inclusion probability;
    // the best member not always used; a product of one group, or products never (or always) drawn for several groups.
    [Fact]
    public async Task ZeroShot_UsesEachMemberWithItsInclusionProbability_AndAProductHalfTheTime()
    {
        const int n = 400;
        var designer = new EmbeddingDesigner(new Planted(TwoGroups));
        EmbeddingGrounding g = await designer.GroundAsync(Task().Prompt);
        Assert.Equal(["Language", "Organisation"], g.NamedGroups.Select(x => x.Name).ToArray());
        Assert.All(new[] { 13, 14, 15 }, f => Assert.InRange(g.Inclusion[f], 0.2, 0.8));
        var used = new int[Features.Count];
        int products = 0;
        for (ulong s = 0; s < n; s++)
        {
            Parsed p = Parsed.Of((await designer.ProposeAsync(new ProposalRequest(Task(), 0, 0, [], [], s))).Value.Expression);
            Assert.Equal(p.Terms.Length, p.Features.Length);
            foreach (int f in p.Features) used[f]++;
            if (p.Product) products++;
        }
        Assert.Equal(n, used[12]);
        Assert.Equal(n, used[32]);
        foreach (int f in new[] { 13, 14, 15, 33, 34 })
        {
            double q = g.Inclusion[f], sd = Math.Sqrt(q * (1 - q) / n);
            Assert.True(Math.Abs(used[f] / (double)n - q) <= 4.5 * sd + 1e-9, $"feature {f}: used {used[f]} of {n}, inclusion {q:F3}");
        }
        Assert.Equal(0, Enumerable.Range(0, Features.Count).Where(f => g.Inclusion[f] == 0).Sum(f => used[f]));
        Assert.InRange(products / (double)n, 0.5 - 4.5 * 0.025, 0.5 + 4.5 * 0.025);

        var single = new EmbeddingDesigner(new Planted(OneGroup));
        for (ulong s = 0; s < 200; s++)
            Assert.False(Parsed.Of((await single.ProposeAsync(new ProposalRequest(Task(), 0, 0, [], [], s))).Value.Expression).Product);
    }

    // Catches (a later stage, Algorithm 1 lines 2-14): the history ignored or the winner not remembered (a fresh design),
    // a weight step of more than one grid point or in one direction only, a weight step invisible because it changed the
    // other form's weight, a weight pushed off the grid, a feature added from outside the named groups or twice, a feature
    // dropped other than the least relevant, and sum and product never swapped or swapped for one group.
    [Fact]
    public async Task Edits_AreOneStepOfTheDocumentedKinds_AndEveryKindOccurs()
    {
        var designer = new EmbeddingDesigner(new Planted(TwoGroups));
        EmbeddingGrounding g = await designer.GroundAsync(Task().Prompt);
        var winners = new List<string>();
        for (ulong s = 0; s < 40; s++)
        {
            string e = (await designer.ProposeAsync(new ProposalRequest(Task(), 0, 0, [], [], s))).Value.Expression;
            if (!winners.Contains(e)) winners.Add(e);
        }
        Assert.Contains(winners, e => Parsed.Of(e) is { Product: true, ProductWeight: 10 });
        Assert.Contains(winners, e => Parsed.Of(e) is { Product: false } p && p.Weights.ContainsValue(10) && p.Weights.ContainsValue(0.5));
        int up = 0, down = 0, add = 0, drop = 0, swap = 0;
        foreach (string winner in winners)
        {
            Parsed w = Parsed.Of(winner);
            for (ulong s = 100; s < 130; s++)
            {
                string e = (await designer.ProposeAsync(new ProposalRequest(Task(), 1, 0, [new StageBest(0, winner, "")], [], s))).Value.Expression;
                Parsed r = Parsed.Of(e);
                string why = $"{winner} → {e}";
                Assert.True(r.Terms.Length == r.Features.Length, $"a feature used twice: {why}");
                int[] added = r.Features.Except(w.Features).ToArray(), dropped = w.Features.Except(r.Features).ToArray();
                if (added.Length == 0 && dropped.Length == 0 && r.Product == w.Product)
                {
                    int[] steps = r.Product
                        ? [Step(w.ProductWeight, r.ProductWeight)]
                        : w.Features.Select(f => Step(w.Weights[f], r.Weights[f])).Where(d => d != 0).ToArray();
                    Assert.True(steps.Count(d => d != 0) <= 1 && steps.All(d => Math.Abs(d) <= 1), $"not one weight step: {why}");
                    up += steps.Count(d => d == 1);
                    down += steps.Count(d => d == -1);
                }
                else if (added.Length == 0 && dropped.Length == 0)
                {
                    Assert.True(Groups(w.Features) > 1, $"sum and product swapped for one group: {why}");
                    swap++;
                }
                else if (added.Length == 1 && dropped.Length == 0)
                {
                    Assert.True(g.Inclusion[added[0]] > 0, $"feature {added[0]} is outside the named groups: {why}");
                    Assert.Equal(w.Product, r.Product);
                    add++;
                }
                else
                {
                    Assert.True(added.Length == 0 && dropped.Length == 1, $"not one edit: {why}");
                    Assert.Equal(w.Features.MinBy(f => (g.Inclusion[f], f)), dropped[0]);
                    Assert.Equal(w.Product && Groups(r.Features) > 1, r.Product);
                    drop++;
                }
            }
        }
        Assert.True(up > 0 && down > 0 && add > 0 && drop > 0 && swap > 0, $"edits: {up} up, {down} down, {add} added, {drop} dropped, {swap} swapped");
    }

    // Catches: the feature an edit adds not drawn in proportion to its inclusion probability (the draw's running sum
    // added instead of subtracted, scaled by the largest inclusion instead of the total, or compared the wrong way).
    [Fact]
    public async Task AnAddedFeature_IsDrawnInProportionToItsInclusionProbability()
    {
        var designer = new EmbeddingDesigner(new Planted(TwoGroups));
        EmbeddingGrounding g = await designer.GroundAsync(Task().Prompt);
        string? winner = null;
        for (ulong s = 0; s < 200 && winner is null; s++)
        {
            string e = (await designer.ProposeAsync(new ProposalRequest(Task(), 0, 0, [], [], s))).Value.Expression;
            if (Parsed.Of(e).Features.SequenceEqual([12, 32])) winner = e;
        }
        Assert.NotNull(winner);
        int[] addable = [13, 14, 15, 33, 34];
        double total = addable.Sum(f => g.Inclusion[f]);
        var added = new Dictionary<int, int>();
        int adds = 0;
        for (ulong s = 1000; s < 3000; s++)
        {
            Parsed r = Parsed.Of((await designer.ProposeAsync(new ProposalRequest(Task(), 1, 0, [new StageBest(0, winner, "")], [], s))).Value.Expression);
            int[] extra = r.Features.Except([12, 32]).ToArray();
            if (extra.Length == 0) continue;
            adds++;
            added[extra.Single()] = added.GetValueOrDefault(extra.Single()) + 1;
        }
        Assert.True(adds > 300, $"only {adds} additions");
        foreach (int f in addable)
        {
            double q = g.Inclusion[f] / total, sd = Math.Sqrt(q * (1 - q) / adds);
            int seen = added.GetValueOrDefault(f);
            Assert.True(Math.Abs(seen / (double)adds - q) <= 4.5 * sd + 1e-9, $"feature {f}: added {seen} of {adds}, expected share {q:F3}");
        }
    }

    // Catches: the reflector always taking the first of tied candidates, or breaking ties by something other than the
    // request's seed; and no abstention when there is nothing to compare.
    [Fact]
    public async Task TheReflector_BreaksTiesByTheRequestsSeed_AndAbstainsWithoutCandidates()
    {
        var designer = new EmbeddingDesigner(new Planted(OneGroup));
        var same = new StateFeatureDistribution([new GroupShares("Language", [new FeatureShare(12, Features.Names[12], 40)])]);
        var other = new StateFeatureDistribution([new GroupShares("Language", [new FeatureShare(12, Features.Names[12], 10)])]);
        ReflectionCandidate[] candidates = [new("a", other), new("b", same), new("c", other), new("d", same), new("e", same)];
        int[] tied = [1, 3, 4];
        var picks = new HashSet<int>();
        for (ulong s = 0; s < 30; s++)
        {
            int pick = (await designer.SelectAsync(new ReflectionRequest(Task(), 0, candidates, s))).Value;
            Assert.Equal(tied[new Tandem.Core.Randomness.Xoshiro256(s).Next(tied.Length)], pick);
            picks.Add(pick);
        }
        Assert.Equal(tied, picks.Order().ToArray());
        PortAnswer<int> none = await designer.SelectAsync(new ReflectionRequest(Task(), 0, [], 1));
        Assert.False(none.IsGiven);
        Assert.Contains("no candidates", none.Reason);
    }

    // Catches: a proposal whose explanation does not say which groups the sentence names.
    [Fact]
    public async Task TheExplanation_NamesTheGroupsTheSentenceNames()
    {
        var designer = new EmbeddingDesigner(new Planted(TwoGroups));
        RewardProposal p = (await designer.ProposeAsync(new ProposalRequest(Task(), 0, 0, [], [], 1))).Value;
        Assert.Equal("planted designer: the sentence names Language, Organisation", p.Explanation);
    }

    // Catches: the cost report read from the system clock instead of the clock given, or never accumulated.
    [Fact]
    public async Task EmbeddingTime_IsMeasuredOnTheClockGiven()
    {
        var designer = new EmbeddingDesigner(new Planted(OneGroup), new Ticking());
        await designer.GroundAsync("planted sentence");
        // Two model runs (the descriptions, then the phrases), each read twice one second apart.
        Assert.Equal(TimeSpan.FromSeconds(2), designer.EmbeddingTime);
    }

    // Catches: vectors of different or zero length accepted from the model (relevances would be dot products of
    // mismatched vectors), a wrong vector count accepted, a cancellation turned into a study stop, and a study stop
    // wrapped twice.
    [Fact]
    public async Task ABadModelAnswer_StopsTheStudy_NamingWhatWasWrong()
    {
        var ragged = new EmbeddingDesigner(new Scripted(texts => texts.Select((t, i) => new float[i == 1 ? 3 : 4]).ToArray()));
        Assert.Contains("different or zero length", (await Assert.ThrowsAsync<StudyStopException>(() => ragged.GroundAsync("a b"))).Message);
        var empty = new EmbeddingDesigner(new Scripted(texts => texts.Select(_ => Array.Empty<float>()).ToArray()));
        Assert.Contains("different or zero length", (await Assert.ThrowsAsync<StudyStopException>(() => empty.GroundAsync("a b"))).Message);
        var short1 = new EmbeddingDesigner(new Scripted(texts => [new float[4]]));
        Assert.Contains($"returned 1 vectors for {Shown} texts", (await Assert.ThrowsAsync<StudyStopException>(() => short1.GroundAsync("a b"))).Message);
        var cancelled = new EmbeddingDesigner(new Scripted(_ => throw new OperationCanceledException("stopped")));
        Assert.IsNotType<StudyStopException>(await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.GroundAsync("a b")));
        var stopping = new EmbeddingDesigner(new Scripted(_ => throw new StudyStopException("the model file is missing")));
        Assert.Equal("the model file is missing", (await Assert.ThrowsAsync<StudyStopException>(() => stopping.GroundAsync("a b"))).Message);
    }

    [Fact]
    public async Task MissingArguments_AreRefusedNamingThem()
    {
        Assert.Equal("embedder", Assert.Throws<ArgumentNullException>(() => new EmbeddingDesigner(null!)).ParamName);
        var designer = new EmbeddingDesigner(new Planted(OneGroup));
        Assert.Equal("sentence", (await Assert.ThrowsAsync<ArgumentNullException>(() => designer.GroundAsync(null!))).ParamName);
        Assert.Equal("request", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await designer.ProposeAsync(null!))).ParamName);
        Assert.Equal("request", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await designer.SelectAsync(null!))).ParamName);
        EmbeddingGrounding g = await designer.GroundAsync("planted sentence");
        Assert.Equal("distribution", Assert.Throws<ArgumentNullException>(() => EmbeddingDesigner.Score(null!, g)).ParamName);
        Assert.Equal("grounding", Assert.Throws<ArgumentNullException>(() => EmbeddingDesigner.Score(new StateFeatureDistribution([]), null!)).ParamName);
    }
}
