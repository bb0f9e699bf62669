using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>The grounding's edge cases, written from the survivors of a Stryker.NET run (docs/mutation-testing.md): the
/// descriptions are embedded as basis vectors, so a feature's relevance is the planted value and every expected number
/// follows in closed form.</summary>
public class EmbeddingGroundingTests
{
    private static readonly int Shown = EmbeddingGrounding.Descriptions.Count;

    private static float[][] Basis() =>
        Enumerable.Range(0, Shown).Select(j => Enumerable.Range(0, Shown).Select(i => i == j ? 1f : 0f).ToArray()).ToArray();

    /// <summary>Relevance <paramref name="rest"/> for every shown feature except those planted (by feature index).</summary>
    private static float[] Planted(float rest, params (int Feature, float Relevance)[] planted) =>
        Enumerable.Range(0, Shown).Select(j => planted.Where(p => p.Feature == Features.FirstPromptFeature + j).Select(p => p.Relevance).DefaultIfEmpty(rest).First()).ToArray();

    // Catches: dividing by a zero MAD (NaN z-scores for every feature at the median), a feature below the median taken
    // for an outlier, and, with σ̂ = 0, the best member not used for sure (exp(−0/0) is NaN) or a lesser one used.
    [Fact]
    public void ZeroMad_TheFeaturesAboveTheMedianAreOutliers_AndOnlyTheBestMemberIsUsed()
    {
        // 34 features at 0.1 (the median; every absolute deviation but two is 0, so MAD = 0), feature 12 above, 20 below.
        float[] phrase = Planted(0.1f, (12, 1.0f), (20, 0.0f));
        EmbeddingGrounding g = EmbeddingGrounding.From("planted", ["planted"], [phrase], Basis());
        Assert.Equal(0.0, g.Scale);
        Assert.Equal(double.PositiveInfinity, g.Outlier[12]);
        Assert.Equal(0.0, g.Outlier[20]);
        Assert.Equal(0.0, g.Outlier[7]);
        Assert.Equal(["Language"], g.NamedGroups.Select(x => x.Name).ToArray());
        Assert.Equal(1.0, g.Inclusion[12]);
        Assert.All(new[] { 13, 14, 15 }, f => Assert.Equal(0.0, g.Inclusion[f]));
        Assert.Equal([12], g.Targets);
    }

    // Catches: a group named only when all its members stand out (Any → All): two groups with one outlier each are both named.
    [Fact]
    public void EveryGroupWithOneOutlier_IsNamed()
    {
        float[] phrase = Enumerable.Range(0, Shown).Select(j => j / 100f).ToArray();
        phrase[12 - Features.FirstPromptFeature] = 1.0f;
        phrase[33 - Features.FirstPromptFeature] = 1.0f;
        EmbeddingGrounding g = EmbeddingGrounding.From("planted", ["planted"], [phrase], Basis());
        Assert.Equal(["Language", "Organisation"], g.NamedGroups.Select(x => x.Name).ToArray());
        Assert.Equal([12, 33], g.Targets);
    }

    // Catches: a sentence with no outlier and no time naming nothing (the designer would have no feature), or naming the
    // group of the least relevant feature.
    [Fact]
    public void NothingStandsOut_TheGroupOfTheMostRelevantFeatureIsNamed()
    {
        float[] flat = Enumerable.Range(0, Shown).Select(j => j / 100f).ToArray(); // most relevant: feature 42 (Income)
        EmbeddingGrounding g = EmbeddingGrounding.From("no time here", ["no time here"], [flat], Basis());
        Assert.DoesNotContain(g.Outlier.Skip(Features.FirstPromptFeature), z => z >= EmbeddingGrounding.OutlierThreshold);
        Assert.Equal(["Income"], g.NamedGroups.Select(x => x.Name).ToArray());
        Assert.Equal([42], g.Targets);
    }

    // Catches: the clock rule applied to a call-slot group named by similarity alone (no time stated: its members would
    // all get inclusion 0), or to every named group whenever a time is stated.
    [Fact]
    public void CallSlotsNamedBySimilarity_UseTheInclusionFormula_NotTheClockRule()
    {
        float[] phrase = Enumerable.Range(0, Shown).Select(j => j / 100f).ToArray();
        phrase[27 - Features.FirstPromptFeature] = 1.0f;
        EmbeddingGrounding g = EmbeddingGrounding.From("in the late morning", ["late morning"], [phrase], Basis());
        Assert.Empty(g.ClockMatched);
        Assert.Equal(["Call slot"], g.NamedGroups.Select(x => x.Name).ToArray());
        Assert.Equal(1.0, g.Inclusion[27]);
        Assert.Equal(Math.Exp(-(1.0 - phrase[28 - Features.FirstPromptFeature]) / g.Scale), g.Inclusion[28], 12);

        phrase[12 - Features.FirstPromptFeature] = 1.0f; // Hindi stands out too, and the sentence states a time
        EmbeddingGrounding both = EmbeddingGrounding.From("hindi speakers, before 10:30am", ["hindi"], [phrase], Basis());
        Assert.Equal([26], both.ClockMatched);
        Assert.Equal(1.0, both.Inclusion[12]);
        Assert.True(both.Inclusion[13] > 0, "a Language member other than the best got inclusion 0: the clock rule was applied to the Language group");
        Assert.Equal(0.0, both.Inclusion[27]); // outside "before 10:30am", however similar
    }

    // Catches (ClockIntervals): a range whose bare end does not take the other end's am/pm, a bare end read as am, an
    // empty or reversed range kept, and the clock bounds (1..12 hours, 0..59 minutes) off by one or dropped.
    [Fact]
    public void ClockIntervals_BareEndsAndBounds()
    {
        Assert.Equal([(13 * 60, 15 * 60)], EmbeddingGrounding.ClockIntervals("between 1-3pm"));
        Assert.Equal([(13 * 60, 15 * 60)], EmbeddingGrounding.ClockIntervals("between 1pm and 3"));
        Assert.Equal([(9 * 60, 11 * 60)], EmbeddingGrounding.ClockIntervals("from 9 to 11am"));
        Assert.Empty(EmbeddingGrounding.ClockIntervals("ages 3-5")); // no am/pm at either end: not a time
        Assert.Empty(EmbeddingGrounding.ClockIntervals("10am-10am"));
        Assert.Empty(EmbeddingGrounding.ClockIntervals("2pm to 10am"));
        Assert.Equal([(13 * 60 + 59, 24 * 60)], EmbeddingGrounding.ClockIntervals("after 1:59pm"));
        Assert.Equal([(0, 12 * 60 + 30)], EmbeddingGrounding.ClockIntervals("before 12:30pm"));
        Assert.Empty(EmbeddingGrounding.ClockIntervals("after 0am"));
        Assert.Empty(EmbeddingGrounding.ClockIntervals("after 13pm"));
        Assert.Empty(EmbeddingGrounding.ClockIntervals("after 1:60pm"));
    }

    // Catches: a sentence without a single word grounded on nothing (every relevance −∞).
    [Fact]
    public async Task ASentenceWithoutWords_IsEmbeddedWhole()
    {
        var asked = new List<string>();
        ValueTask<IReadOnlyList<float[]>> Embed(IReadOnlyList<string> texts, CancellationToken _)
        {
            asked.AddRange(texts);
            return ValueTask.FromResult<IReadOnlyList<float[]>>(texts.Select(t => Enumerable.Range(0, Shown).Select(j => t == EmbeddingGrounding.Descriptions[j] ? 1f : 0.01f * j).ToArray()).ToArray());
        }
        Assert.Equal(["(empty)"], (await EmbeddingGrounding.ReadAsync("   ", Embed)).Phrases);
        Assert.Equal(["?!"], (await EmbeddingGrounding.ReadAsync(" ?! ", Embed)).Phrases);
        Assert.Contains("?!", asked);
    }

    // Catches: a missing argument check (a NullReferenceException naming nothing) and vector counts or lengths that do not
    // match, which would ground on the wrong features silently.
    [Fact]
    public void BadInput_IsRefusedNamingIt()
    {
        float[][] basis = Basis();
        float[] phrase = new float[Shown];
        Assert.Equal("sentence", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.From(null!, ["a"], [phrase], basis)).ParamName);
        Assert.Equal("phrases", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.From("a", null!, [phrase], basis)).ParamName);
        Assert.Equal("phraseVectors", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.From("a", ["a"], null!, basis)).ParamName);
        Assert.Equal("descriptionVectors", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.From("a", ["a"], [phrase], null!)).ParamName);
        Assert.Equal("sentence", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.PhrasesOf(null!)).ParamName);
        Assert.Equal("sentence", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.ClockIntervals(null!)).ParamName);
        Assert.Equal("description", Assert.Throws<ArgumentNullException>(() => EmbeddingGrounding.PrintedRange(null!)).ParamName);

        var count = Assert.Throws<ArgumentException>(() => EmbeddingGrounding.From("a", ["a", "b"], [phrase], basis));
        Assert.Equal("phraseVectors", count.ParamName);
        Assert.Contains("1 vectors for 2 phrases", count.Message);
        var descriptions = Assert.Throws<ArgumentException>(() => EmbeddingGrounding.From("a", ["a"], [phrase], basis[..^1]));
        Assert.Equal("descriptionVectors", descriptions.ParamName);
        Assert.Contains($"{Shown - 1} vectors for {Shown} feature descriptions", descriptions.Message);
        Assert.Contains($"different lengths ({Shown - 1} and {Shown})",
            Assert.Throws<ArgumentException>(() => EmbeddingGrounding.From("a", ["a"], [phrase[..^1]], basis)).Message);
    }

    [Fact]
    public async Task ReadAsync_RefusesMissingArgumentsNamingThem()
    {
        static ValueTask<IReadOnlyList<float[]>> Embed(IReadOnlyList<string> texts, CancellationToken _) => throw new InvalidOperationException("not reached");
        Assert.Equal("sentence", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await EmbeddingGrounding.ReadAsync(null!, Embed))).ParamName);
        Assert.Equal("embed", (await Assert.ThrowsAsync<ArgumentNullException>(async () => await EmbeddingGrounding.ReadAsync("a", null!))).ParamName);
    }
}
