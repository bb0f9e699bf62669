using System.Text.RegularExpressions;
using Tandem.Core.Ports;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Rewards;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>The embedding designer reads the task's sentence (through an embedding model) and its own candidates'
/// outcomes, never the Base reward. The model here is a bag of words hashed into 256 dimensions, so the tests run without
/// the real model (tests/Tandem.Llm.Tests runs all-MiniLM-L6-v2).</summary>
public class EmbeddingDesignerTests
{
    /// <summary>Words hashed (FNV-1a) into 256 dimensions, normalised: texts sharing words are similar.</summary>
    private sealed class BagOfWords : ITextEmbedder
    {
        public int Calls;
        public List<string> Seen { get; } = [];
        public string Name => "bag";

        public ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            lock (Seen) Seen.AddRange(texts);
            return ValueTask.FromResult<IReadOnlyList<float[]>>(texts.Select(Vector).ToArray());
        }

        private static float[] Vector(string text)
        {
            var v = new float[256];
            foreach (Match m in Regex.Matches(text.ToLowerInvariant(), "[a-z0-9]+"))
            {
                uint h = 2166136261;
                foreach (char c in m.Value) h = (h ^ c) * 16777619;
                v[h % 256] += 1;
            }
            v[255] += 0.01f; // no zero vector
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }
    }

    private sealed class Broken : ITextEmbedder
    {
        public string Name => "broken";

        public ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
            throw new IOException("model.onnx is truncated");
    }

    [Fact]
    public void Phrases_AreTheWordNGramsOfEachClause_NeverAcrossPunctuation()
    {
        IReadOnlyList<string> p = EmbeddingGrounding.PhrasesOf("While still prioritizing all, slightly focus on those who speak Hindi.");
        Assert.Contains("speak hindi", p);
        Assert.Contains("those who speak", p);
        Assert.Contains("slightly focus on those who speak hindi", p);
        Assert.Contains("while still prioritizing all", p);
        Assert.DoesNotContain("all slightly", p); // a phrase across the comma
        Assert.Equal(["while still prioritizing all", "slightly focus on those who speak hindi"], p.Where(x => x.Split(' ').Length > EmbeddingGrounding.MaxNGram).ToArray());
        Assert.Equal(p.Count, p.Distinct().Count());
        Assert.Contains("10:30am-12:30pm", EmbeddingGrounding.PhrasesOf("called between 10:30am-12:30pm and"));
    }

    [Fact]
    public void ClockTimes_AreReadAsIntervals_AndMatchedAgainstThePrintedSlots()
    {
        Assert.Equal([(630, 750)], EmbeddingGrounding.ClockIntervals("called between 10:30am-12:30pm and registered"));
        Assert.Equal([(750, 930)], EmbeddingGrounding.ClockIntervals("between 12:30pm-3:30pm"));
        Assert.Equal([(0, 630)], EmbeddingGrounding.ClockIntervals("called before 10:30am 'slot'"));
        Assert.Equal([(19 * 60, 24 * 60)], EmbeddingGrounding.ClockIntervals("after 7PM 'slot'"));
        Assert.Empty(EmbeddingGrounding.ClockIntervals("the bottom 12.5% of ages 10-20")); // no am/pm: not a time
        Assert.Equal((510, 630), EmbeddingGrounding.PrintedRange("Call slot 8:30-10:30"));
        Assert.Null(EmbeddingGrounding.PrintedRange("Ages 10-20"));
    }

    [Fact]
    public void Grounding_FollowsTheModifiedZScoreRule_AndTheInclusionFormula()
    {
        // Descriptions are the basis vectors; one phrase scores feature 7 + j at j/100, Hindi (feature 12) at 1.0, so
        // the relevances are known in closed form; median and MAD are recomputed here by sorting.
        int n = EmbeddingGrounding.Descriptions.Count;
        float[][] basis = Enumerable.Range(0, n).Select(j => Enumerable.Range(0, n).Select(i => i == j ? 1f : 0f).ToArray()).ToArray();
        float[] phrase = Enumerable.Range(0, n).Select(j => j == 5 ? 1f : j / 100f).ToArray();
        EmbeddingGrounding g = EmbeddingGrounding.From("speak hindi", ["speak hindi"], [phrase], basis);
        double[] r = phrase.Select(x => (double)x).ToArray();
        double median = SlowMedian(r), mad = SlowMedian(r.Select(x => Math.Abs(x - median)).ToArray());
        Assert.Equal(0.6745 * (1.0 - median) / mad, g.Outlier[12], 12);
        Assert.Equal(["Language"], g.NamedGroups.Select(x => x.Name).ToArray());
        Assert.Equal(1.0, g.Inclusion[12]);
        Assert.Equal(Math.Exp(-(1.0 - phrase[6]) / (1.4826 * mad)), g.Inclusion[13], 12);
        Assert.All(Enumerable.Range(0, Features.Count).Where(f => f is < 12 or > 15), f => Assert.Equal(0.0, g.Inclusion[f]));
        Assert.Equal([12], g.Targets);
    }

    [Fact]
    public void ASentenceThatStatesATime_NamesExactlyTheSlotsInsideIt()
    {
        int n = EmbeddingGrounding.Descriptions.Count;
        float[][] basis = Enumerable.Range(0, n).Select(j => Enumerable.Range(0, n).Select(i => i == j ? 1f : 0f).ToArray()).ToArray();
        float[] flat = Enumerable.Range(0, n).Select(j => j / 100f).ToArray();
        EmbeddingGrounding g = EmbeddingGrounding.From("prefer calls between 10:30am-12:30pm", ["calls"], [flat], basis);
        Assert.Equal([27], g.ClockMatched);
        Assert.Contains(g.NamedGroups, x => x.Name == "Call slot");
        Assert.Equal([1.0], new[] { 26, 27, 28, 29, 30, 31 }.Where(f => f == 27).Select(f => g.Inclusion[f]));
        Assert.All(new[] { 26, 28, 29, 30, 31 }, f => Assert.Equal(0.0, g.Inclusion[f]));
    }

    [Fact]
    public async Task ASentenceAboutHindi_IsDesignedOverLanguageFeaturesOnly_AndTheBestMemberAlwaysUsed()
    {
        DlmTask hindi = Fixtures.Tasks.Tasks[2];
        var designer = new EmbeddingDesigner(new BagOfWords());
        EmbeddingGrounding g = await designer.GroundAsync(hindi.Prompt);
        Assert.Contains(12, g.Targets);
        foreach (string e in await Designs(designer, hindi))
        {
            IReadOnlyList<int> used = RewardSandbox.Parse(e).FeaturesUsed;
            Assert.Contains(12, used);
            Assert.All(used, f => Assert.True(g.Inclusion[f] > 0, $"feature {f} is not in a named group: {e}"));
        }
    }

    [Fact]
    public async Task ATaskWhoseBaseIsNonsense_GetsTheSameDesignsAndSelections()
    {
        // Catches a designer that reads the Base reward, its features or its weights.
        DlmTask a = Fixtures.Tasks.Tasks[8], b = a with { Base = "state * (0.3 + feats[40] * feats[22] + 7.0 * feats[30])" };
        Assert.NotEqual(a.TrueFeatures, b.TrueFeatures);
        Assert.Equal(await Designs(new EmbeddingDesigner(new BagOfWords()), a), await Designs(new EmbeddingDesigner(new BagOfWords()), b));
        ReflectionRequest Ask(DlmTask t) => new(t, 0, [new("x", Distribution((13, 30), (9, 10))), new("y", Distribution((33, 60))), new("z", Distribution((10, 25), (13, 25)))], 3);
        Assert.Equal((await new EmbeddingDesigner(new BagOfWords()).SelectAsync(Ask(a))).Value, (await new EmbeddingDesigner(new BagOfWords()).SelectAsync(Ask(b))).Value);
    }

    [Fact]
    public async Task SwappingTwoTasksSentences_SwapsTheDesigns()
    {
        DlmTask hindi = Fixtures.Tasks.Tasks[2], ngo = Fixtures.Tasks.Tasks[12];
        DlmTask hindiWithNgoText = hindi with { Prompt = ngo.Prompt }, ngoWithHindiText = ngo with { Prompt = hindi.Prompt };
        var designer = new EmbeddingDesigner(new BagOfWords());
        string[] ofHindi = await Designs(designer, hindi), ofNgo = await Designs(designer, ngo);
        Assert.NotEqual(ofHindi, ofNgo);
        Assert.Equal(ofNgo, await Designs(designer, hindiWithNgoText));
        Assert.Equal(ofHindi, await Designs(designer, ngoWithHindiText));
    }

    [Fact]
    public async Task SameSeed_SameDesigns_OtherSeed_OtherDesigns()
    {
        DlmTask task = Fixtures.Tasks.Tasks[8];
        Assert.Equal(await Designs(new EmbeddingDesigner(new BagOfWords()), task), await Designs(new EmbeddingDesigner(new BagOfWords()), task));
        Assert.NotEqual(await Designs(new EmbeddingDesigner(new BagOfWords()), task), await Designs(new EmbeddingDesigner(new BagOfWords()), task, firstSeed: 1000));
    }

    [Fact]
    public async Task ALaterStage_EditsTheLastWinner_ByOneFeatureAtMost()
    {
        // Catches a later stage that ignores the history and proposes afresh.
        DlmTask task = Fixtures.Tasks.Tasks[8];
        var designer = new EmbeddingDesigner(new BagOfWords());
        string winner = (await designer.ProposeAsync(new ProposalRequest(task, 0, 0, [], [], 11))).Value!.Expression;
        int[] won = RewardSandbox.Parse(winner).FeaturesUsed.ToArray();
        int changed = 0;
        for (ulong s = 0; s < 60; s++)
        {
            string e = (await designer.ProposeAsync(new ProposalRequest(task, 1, 0, [new StageBest(0, winner, "")], [], s))).Value!.Expression;
            int[] used = RewardSandbox.Parse(e).FeaturesUsed.ToArray();
            Assert.True(used.Except(won).Count() + won.Except(used).Count() <= 1, $"{winner} → {e}");
            if (e != winner) changed++;
        }
        Assert.True(changed > 20, $"only {changed} of 60 edits changed the winner");
    }

    [Fact]
    public async Task TheReflector_PicksTheLargestSimilarityWeightedShare_OfTheNamedGroups()
    {
        DlmTask hindi = Fixtures.Tasks.Tasks[2];
        var designer = new EmbeddingDesigner(new BagOfWords());
        EmbeddingGrounding g = await designer.GroundAsync(hindi.Prompt);
        StateFeatureDistribution[] d = [Distribution((12, 20), (33, 70)), Distribution((12, 45)), Distribution((12, 30), (13, 10))];
        double[] score = d.Select(x => g.Inclusion.Select((w, f) => w * x.PercentOf(f)).Sum()).ToArray();
        int best = Array.IndexOf(score, score.Max());
        PortAnswer<int> pick = await designer.SelectAsync(new ReflectionRequest(hindi, 0, d.Select(x => new ReflectionCandidate("state", x)).ToArray(), 5));
        Assert.Equal(best, pick.Value);
        Assert.Equal(score[best], EmbeddingDesigner.Score(d[best], g), 12);
    }

    [Fact]
    public async Task EachTextIsEmbeddedOnce_HoweverOftenTheDesignerIsAsked()
    {
        var model = new BagOfWords();
        var designer = new EmbeddingDesigner(model);
        DlmTask a = Fixtures.Tasks.Tasks[2], b = Fixtures.Tasks.Tasks[3];
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => designer.ProposeAsync(new ProposalRequest(i % 2 == 0 ? a : b, 0, 0, [], [], (ulong)i)).AsTask()));
        Assert.Equal(model.Seen.Count, model.Seen.Distinct().Count());
        int expected = EmbeddingGrounding.Descriptions.Count + EmbeddingGrounding.PhrasesOf(a.Prompt).Concat(EmbeddingGrounding.PhrasesOf(b.Prompt)).Distinct().Count();
        Assert.Equal(expected, model.Seen.Count);
        Assert.Equal(expected, designer.TextsEmbedded);
    }

    [Fact]
    public async Task AFailingModel_StopsTheStudy_NamingTheModelAndTheReason()
    {
        // Never a fallback to another designer.
        var designer = new EmbeddingDesigner(new Broken());
        StudyStopException ex = await Assert.ThrowsAsync<StudyStopException>(async () =>
            await designer.ProposeAsync(new ProposalRequest(Fixtures.Tasks.Tasks[0], 0, 0, [], [], 1)));
        Assert.Contains("broken", ex.Message);
        Assert.Contains("model.onnx is truncated", ex.Message);
    }

    [Fact]
    public void TheMiniLmDesigner_WithoutTheHostsModel_IsRefusedNamingWhatIsMissing()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => RewardDesigners.Create(new DesignerSpec { Name = "minilm" }));
        Assert.Contains("embedding model", ex.Message);
    }

    private static async Task<string[]> Designs(EmbeddingDesigner designer, DlmTask task, ulong firstSeed = 1)
    {
        var list = new List<string>();
        for (ulong s = firstSeed; s < firstSeed + 40; s++)
            list.Add((await designer.ProposeAsync(new ProposalRequest(task, 0, 0, [], [], s))).Value!.Expression);
        return list.ToArray();
    }

    private static double SlowMedian(double[] v)
    {
        double[] s = (double[])v.Clone();
        Array.Sort(s);
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static StateFeatureDistribution Distribution(params (int Feature, double Percent)[] shares) =>
        new(Features.Groups.Select(g => new GroupShares(g.Name,
            g.Indices.Select(f => new FeatureShare(f, Features.Names[f], shares.FirstOrDefault(x => x.Feature == f).Percent)).ToArray())).ToArray());
}
