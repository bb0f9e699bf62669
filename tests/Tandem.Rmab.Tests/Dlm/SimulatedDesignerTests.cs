using Tandem.Core.Ports;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>The default simulated designer reads the task's sentence and the outcomes it is shown, never the answer.</summary>
public class SimulatedDesignerTests
{
    // docs/dlm-simulated-designer.md §1 applied by hand to the 16 sentences of data/dlm/tasks.json.
    public static TheoryData<int, int[], string[]> Grounded => new()
    {
        { 0, [11], [] }, { 1, [35], [] }, { 2, [12], [] }, { 3, [16, 17], [] }, { 4, [7, 11], [] }, { 5, [37, 38, 39], [] },
        { 6, [24, 25], [] }, { 7, [7, 8, 16, 17], [] }, { 8, [9, 10, 13], [] }, { 9, [26, 31], [] }, { 10, [35], [] },
        { 11, [26, 32], [] }, { 12, [27, 32], [] }, { 13, [28, 32], [] }, { 14, [31, 32], [] }, { 15, [35, 36], ["Phone owner"] },
    };

    [Theory]
    [MemberData(nameof(Grounded))]
    public void TheShippedSentences_GroundAsTheDocumentedMappingSays(int task, int[] targets, string[] ambiguous)
    {
        TaskGrounding g = TaskGrounding.Read(Fixtures.Tasks.Tasks[task].Prompt);
        Assert.Equal(targets, g.Targets);
        Assert.Equal(ambiguous, g.AmbiguousGroups.Select(a => a.Name).ToArray());
        Assert.True(g.Slight);
    }

    [Fact]
    public void TimeRanges_AndNegatedOwnership_AreRead()
    {
        Assert.Equal([28, 29], TaskGrounding.Read("Favour mothers reachable 12:30-5:30pm.").Targets);
        Assert.Equal([29, 30, 31], TaskGrounding.Read("Calls after 3:30 pm only").Targets);
        Assert.Equal([23], TaskGrounding.Read("Those who own their phone.").Targets);
        Assert.Equal([24, 25], TaskGrounding.Read("Those who don't own a phone.").Targets);
        Assert.False(TaskGrounding.Read("Focus on Hindi speakers.").Slight);
        Assert.Equal([41, 42], TaskGrounding.Read("Prefer high income families").Targets);
    }

    [Fact]
    public async Task TwoTasksWithOneSentenceButDifferentBaseRewards_GetTheSameDesigns()
    {
        // Catches a designer that reads the Base reward or its features.
        DlmTask a = Fixtures.Tasks.Tasks[6], b = a with { Base = Fixtures.Tasks.Tasks[2].Base };
        Assert.NotEqual(a.TrueFeatures, b.TrueFeatures);
        Assert.Equal(await Designs(new SimulatedDesigner(), a), await Designs(new SimulatedDesigner(), b));
    }

    [Fact]
    public async Task SwappingTwoTasksSentences_MakesTheDesignsFollowTheSentences()
    {
        DlmTask hindi = Fixtures.Tasks.Tasks[2], ngoEvening = Fixtures.Tasks.Tasks[14];
        DlmTask hindiWithEveningText = hindi with { Prompt = ngoEvening.Prompt }, eveningWithHindiText = ngoEvening with { Prompt = hindi.Prompt };
        Assert.Equal(await Designs(new SimulatedDesigner(), ngoEvening), await Designs(new SimulatedDesigner(), hindiWithEveningText));
        Assert.Equal(await Designs(new SimulatedDesigner(), hindi), await Designs(new SimulatedDesigner(), eveningWithHindiText));
        // And the designs of the two sentences read their own groups' features.
        foreach (string e in await Designs(new SimulatedDesigner(), eveningWithHindiText))
            Assert.DoesNotContain(Tandem.Rmab.Rewards.RewardSandbox.Parse(e).FeaturesUsed, f => f is 31 or 32);
    }

    [Fact]
    public async Task Tasks6And15_WhoseBaseRewardsAgree_AreDesignedDifferently()
    {
        Assert.Equal(Fixtures.Tasks.Tasks[6].TrueFeatures, Fixtures.Tasks.Tasks[15].TrueFeatures);
        Assert.NotEqual(await Designs(new SimulatedDesigner(), Fixtures.Tasks.Tasks[6]), await Designs(new SimulatedDesigner(), Fixtures.Tasks.Tasks[15]));
    }

    [Fact]
    public async Task TheReflector_PicksTheLargestShareOnTheSentencesFeatures_NotOnTheTruth()
    {
        // Task 1's Base reads feature 36; its sentence ("bottom 12.5% of the income_bracket") grounds to 35.
        DlmTask task = Fixtures.Tasks.Tasks[1];
        Assert.Equal([36], task.TrueFeatures);
        ReflectionCandidate Candidate(double on35, double on36) => new("state", Distribution((35, on35), (36, on36)));
        var request = new ReflectionRequest(task, 0, [Candidate(10, 60), Candidate(40, 5), Candidate(20, 20)], 7);
        PortAnswer<int> pick = await new SimulatedDesigner().SelectAsync(request);
        Assert.Equal(1, pick.Value);
    }

    [Fact]
    public async Task SameSeed_SameDesigns_OtherSeed_OtherDesigns()
    {
        DlmTask task = Fixtures.Tasks.Tasks[7];
        Assert.Equal(await Designs(new SimulatedDesigner(), task), await Designs(new SimulatedDesigner(), task));
        Assert.NotEqual(await Designs(new SimulatedDesigner(), task), await Designs(new SimulatedDesigner(), task, firstSeed: 1000));
    }

    [Fact]
    public void Options_OutOfRange_AreRefusedNamingTheField()
    {
        Assert.Equal("NeighbourRate", Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedDesigner(new SimulatedDesignerOptions(NeighbourRate: 1.5))).ParamName);
    }

    private static async Task<string[]> Designs(SimulatedDesigner designer, DlmTask task, ulong firstSeed = 1)
    {
        var list = new List<string>();
        for (ulong s = firstSeed; s < firstSeed + 40; s++)
        {
            PortAnswer<RewardProposal> a = await designer.ProposeAsync(new ProposalRequest(task, 0, 0, [], [new RefusedAttempt("", "none")], s));
            list.Add(a.Value!.Expression);
        }
        return list.ToArray();
    }

    private static StateFeatureDistribution Distribution(params (int Feature, double Percent)[] shares) =>
        new(Features.Groups.Select(g => new GroupShares(g.Name,
            g.Indices.Select(f => new FeatureShare(f, Features.Names[f], shares.FirstOrDefault(x => x.Feature == f).Percent)).ToArray())).ToArray());
}
