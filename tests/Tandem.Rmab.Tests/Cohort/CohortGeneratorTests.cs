using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.Cohort;

public class CohortGeneratorTests
{
    private static readonly Beneficiary[] Population = Fixtures.Generator.Population(42);

    // The generator's true transitions, before the simulated study estimates them.
    private static readonly Beneficiary[] Truth = new CohortGenerator(Fixtures.Parameters with { History = null }).Population(42);

    [Fact]
    public void TrueTransitions_AreValid_ActingNeverHurts_AndEngagedIsSticky()
    {
        Assert.Equal(Fixtures.Parameters.PopulationSize, Truth.Length);
        Assert.All(Truth, b =>
        {
            Assert.True(b.Dynamics.IsValid);
            Assert.True(b.Dynamics.ActingNeverHurts, $"acting hurts: {b.Dynamics}");
            Assert.True(b.Dynamics.EngagedIsSticky, $"not sticky: {b.Dynamics}");
            Assert.InRange(b.InitialEngaged, 0, 1);
        });
    }

    [Fact]
    public void EstimatedTransitions_AreValid_AndSticky_ButSomeCallsHurt()
    {
        Assert.NotNull(Fixtures.Parameters.History); // the shipped cohort ships estimates (seed 001 App. C)
        Assert.All(Population, b =>
        {
            Assert.True(b.Dynamics.IsValid);
            Assert.True(b.Dynamics.EngagedIsSticky, $"not sticky: {b.Dynamics}");
            Assert.InRange(b.InitialEngaged, 0, 1);
        });
        double hurt = Population.Count(b => !b.Dynamics.ActingNeverHurts) / (double)Population.Length;
        Assert.InRange(hurt, 0.02, 0.5);
        // The features are the true ones: estimation changes only the transitions.
        Assert.Equal(Truth.Select(b => b.Features), Population.Select(b => b.Features));
    }

    [Fact]
    public void NeverCalledBeneficiaries_GetThePopulationFrequency_AsTheirCalledTransition()
    {
        // With no call observed from state 0, P̂[0,1,1] = (0 + m p̄) / (0 + m) = p̄ for every such mother: the 80% never called
        // and the called ones whose call came while engaged (about 0.2 × 0.43 more). A bug that smooths towards the
        // mother's own passive rate, or that lets every mother be called, breaks this.
        double mode = Population.GroupBy(b => b.Dynamics.Active0).OrderByDescending(g => g.Count()).First().Key;
        double share = Population.Count(b => b.Dynamics.Active0 == mode) / (double)Population.Length;
        Assert.InRange(share, 0.8 - 0.02, 0.95);
        // The called were the mothers most at risk of dropping out (seed 001 §5.1): those with a call observed from state 0
        // engage less, by their true stationary engagement, than the rest.
        int[] called = Enumerable.Range(0, Population.Length).Where(i => Population[i].Dynamics.Active0 != mode).ToArray();
        double calledEngagement = called.Average(i => Truth[i].InitialEngaged);
        double othersEngagement = Enumerable.Range(0, Population.Length).Except(called).Average(i => Truth[i].InitialEngaged);
        Assert.True(calledEngagement < othersEngagement - 0.1, $"{calledEngagement} vs {othersEngagement}");
    }

    [Fact]
    public void EducationDependsOnAge_SoTask7sGroupExistsInMostSamples()
    {
        CohortParameters p = Fixtures.Parameters;
        double teens = Population.Count(b => b.Features[7] > 0), illiterateTeens = Population.Count(b => b.Features[7] > 0 && b.Features[16] > 0);
        Assert.True(illiterateTeens / teens > 1.8 * p.Education[0], $"P(illiterate | 10-20) = {illiterateTeens / teens}");
        double share = illiterateTeens / Population.Length;
        double noneIn48 = Math.Pow(1 - share, 48);
        Assert.True(noneIn48 < 0.25, $"P(no aged 10-20 and illiterate mother among 48) = {noneIn48}");
        // Without the shift the two are independent (the previous generator): half the samples had nobody.
        Beneficiary[] flat = new CohortGenerator(p with { EducationShiftByAge = [] }).Population(42);
        double flatShare = flat.Count(b => b.Features[7] > 0 && b.Features[16] > 0) / (double)flat.Length;
        Assert.True(Math.Pow(1 - flatShare, 48) > 0.35, $"independent: {Math.Pow(1 - flatShare, 48)}");
    }

    [Fact]
    public void EveryOneHotGroup_HasExactlyOneMember()
    {
        Assert.All(Population, b =>
        {
            foreach (FeatureGroup g in Features.Groups)
                Assert.Equal(1.0, g.Indices.Sum(i => b.Features[i]));
            Assert.InRange(b.Features[0], 5, 35);
            Assert.Equal(b.Features[3], b.Features[4] + b.Features[5]);
            Assert.True(b.Features[3] < b.Features[2], "parity < gravidity");
        });
    }

    [Fact]
    public void GroupMarginals_MatchTheParameters_WithinSamplingError()
    {
        int n = Population.Length;
        void Check(int first, double[] p)
        {
            for (int k = 0; k < p.Length; k++)
            {
                double share = Population.Count(b => b.Features[first + k] > 0) / (double)n;
                double se = Math.Sqrt(p[k] * (1 - p[k]) / n);
                Assert.True(Math.Abs(share - p[k]) < 5 * se + 1e-9, $"feature {first + k}: {share} vs {p[k]}");
            }
        }
        CohortParameters p = Fixtures.Parameters;
        Check(7, p.Age);
        Check(12, p.Language);
        Check(16, p.Education);
        Check(23, p.PhoneOwner);
        Check(26, p.CallSlot);
        Check(32, p.Organisation);
        Check(35, p.Income);
    }

    [Fact]
    public void EducationAndIncome_ArePositivelyCorrelated()
    {
        double[] edu = Population.Select(b => (double)Enumerable.Range(16, 7).First(i => b.Features[i] > 0)).ToArray();
        double[] inc = Population.Select(b => (double)Enumerable.Range(35, 8).First(i => b.Features[i] > 0)).ToArray();
        double r = MathNet.Numerics.Statistics.Correlation.Pearson(edu, inc);
        Assert.InRange(r, 0.25, 0.7);
    }

    [Fact]
    public void CallEffects_DifferAcrossGroups()
    {
        // Older mothers (feature 11) respond more to calls than Hindi speakers (feature 12) by construction.
        double Lift(int feature) => Truth.Where(b => b.Features[feature] > 0).Average(b => b.Dynamics.Active0 - b.Dynamics.Passive0);
        Assert.True(Lift(11) > Lift(12) + 0.05, $"{Lift(11)} vs {Lift(12)}");
    }

    [Fact]
    public void SameSeed_SamePopulation_DifferentSeed_Different()
    {
        var again = Fixtures.Generator.Population(42);
        Assert.Equal(Population.Select(b => b.Dynamics), again.Select(b => b.Dynamics));
        Assert.NotEqual(Population.Select(b => b.Dynamics), Fixtures.Generator.Population(43).Select(b => b.Dynamics));
    }

    [Fact]
    public void Sample_DrawsDistinctArms_WithTheBudget()
    {
        RmabInstance instance = CohortGenerator.Sample(Population, 48, 16, 7);
        Assert.Equal(48, instance.ArmCount);
        Assert.Equal(16, instance.Budget);
        Assert.Equal(48, instance.FeatureRows.Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => CohortGenerator.Sample(Population, 48, 49, 7));
    }

    [Fact]
    public void InvalidParameters_AreRefused_NamingTheField()
    {
        var bad = Fixtures.Parameters with { Age = [0.5, 0.5, 0.5, 0, 0] };
        var ex = Assert.Throws<FormatException>(() => new CohortGenerator(bad));
        Assert.Contains("age sums to", ex.Message);
        var shift = Assert.Throws<FormatException>(() => new CohortGenerator(Fixtures.Parameters with { EducationShiftByAge = [1, 2] }));
        Assert.Contains("educationShiftByAge", shift.Message);
        var history = Assert.Throws<FormatException>(() => new CohortGenerator(Fixtures.Parameters with { History = new HistoryStudy { CalledShare = 1.5 } }));
        Assert.Contains("history.calledShare", history.Message);
    }
}
