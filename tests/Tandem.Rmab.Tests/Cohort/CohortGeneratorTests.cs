using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.Cohort;

public class CohortGeneratorTests
{
    private static readonly Beneficiary[] Population = Fixtures.Generator.Population(42);

    [Fact]
    public void EveryArm_HasValidStructuredTransitions()
    {
        Assert.Equal(Fixtures.Parameters.PopulationSize, Population.Length);
        Assert.All(Population, b =>
        {
            Assert.True(b.Dynamics.IsValid);
            Assert.True(b.Dynamics.ActingNeverHurts, $"acting hurts: {b.Dynamics}");
            Assert.True(b.Dynamics.EngagedIsSticky, $"not sticky: {b.Dynamics}");
            Assert.InRange(b.InitialEngaged, 0, 1);
        });
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
        double Lift(int feature) => Population.Where(b => b.Features[feature] > 0).Average(b => b.Dynamics.Active0 - b.Dynamics.Passive0);
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
    }
}
