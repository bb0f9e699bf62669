using MathNet.Numerics.Distributions;
using Tandem.Rmab.History;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.History;

public sealed class HistoryEstimatorTests
{
    private static BeneficiaryHistory Person(string id, int[] visits, int[] engaged, string? cluster = null, double age = 0)
    {
        var features = new double[Features.Count];
        features[11] = age;
        return new BeneficiaryHistory(id, features, visits, engaged, 1, visits.Sum() + 1, cluster);
    }

    [Fact]
    public void Estimate_IsTheBetaBinomialPosterior_OfTheClusterPooledPrior()
    {
        // Closed form: cluster prior m = (Σ engaged + 1) / (Σ visits + 2); posterior Beta(κm + e, κ(1 − m) + v − e).
        var people = new[]
        {
            Person("a", [4, 0, 2, 6], [1, 0, 2, 5], "x"),
            Person("b", [2, 3, 0, 1], [0, 3, 0, 1], "x"),
            Person("c", [5, 5, 5, 5], [5, 0, 5, 0], "y"),
        };
        var options = new HistoryEstimateOptions { ClusterColumn = "g", PriorStrength = 3, Interval = 0.8 };

        HistoryEstimate est = HistoryEstimator.Estimate(new HistorySet("t", people, [], 30), options);

        Assert.Equal(["x", "y"], est.Clusters.Select(c => c.Label));
        for (int i = 0; i < 3; i++)
        {
            int c = i < 2 ? 0 : 1;
            for (int k = 0; k < 4; k++)
            {
                double v = people.Where((_, j) => (j < 2 ? 0 : 1) == c).Sum(p => p.Visits[k]);
                double e = people.Where((_, j) => (j < 2 ? 0 : 1) == c).Sum(p => p.Engaged[k]);
                double m = (e + 1) / (v + 2);
                double alpha = 3 * m + people[i].Engaged[k], beta = 3 * (1 - m) + people[i].Visits[k] - people[i].Engaged[k];
                BeneficiaryEstimate b = est.Beneficiaries[i];
                Assert.Equal(alpha / (alpha + beta), b.Mean.ToEngaged(k % 2, k / 2), 12);
                Assert.Equal(Beta.InvCDF(alpha, beta, 0.1), b.Lower[k], 12);
                Assert.Equal(Beta.InvCDF(alpha, beta, 0.9), b.Upper[k], 12);
                Assert.True(b.Lower[k] <= b.Mean.ToEngaged(k % 2, k / 2) && b.Mean.ToEngaged(k % 2, k / 2) <= b.Upper[k]);
            }
        }
    }

    [Fact]
    public void Estimate_PriorStrength_MovesTheEstimateFromTheDataToTheClusterRate()
    {
        // Bug caught: κ applied to the wrong side (strong prior ignored, or weak prior still dominating).
        var people = new[] { Person("a", [10, 0, 0, 0], [10, 0, 0, 0], "x"), Person("b", [10, 0, 0, 0], [0, 0, 0, 0], "x") };
        var set = new HistorySet("t", people, [], 22);

        HistoryEstimate weak = HistoryEstimator.Estimate(set, new HistoryEstimateOptions { ClusterColumn = "g", PriorStrength = 1e-6 });
        HistoryEstimate strong = HistoryEstimator.Estimate(set, new HistoryEstimateOptions { ClusterColumn = "g", PriorStrength = 1e6 });

        Assert.Equal(1.0, weak.Beneficiaries[0].Mean.Passive0, 6);
        Assert.Equal(0.0, weak.Beneficiaries[1].Mean.Passive0, 6);
        Assert.Equal(0.5, strong.Beneficiaries[0].Mean.Passive0, 4);
        Assert.Equal(0.5, strong.Beneficiaries[1].Mean.Passive0, 4);
        // An unobserved pair gets the cluster's Laplace rate 1/2 and a wide interval.
        Assert.Equal(0.5, weak.Beneficiaries[0].Mean.Active1, 12);
    }

    [Fact]
    public void KMeans_SeparatesTwoFeatureGroups_AndIsDeterministic()
    {
        var people = Enumerable.Range(0, 40).Select(i => Person($"p{i}", [1, 1, 1, 1], [0, 0, 0, 0], null, age: i % 2)).ToArray();

        int[] first = FeatureClusters.KMeans(people, [11], 5, 7);
        int[] again = FeatureClusters.KMeans(people, [11], 5, 7);

        Assert.Equal(first, again);
        Assert.Equal(2, first.Distinct().Count()); // two distinct vectors: at most two clusters
        for (int i = 0; i < 40; i++) Assert.Equal(i % 2, first[i]); // numbered by smallest member
        Assert.All(FeatureClusters.KMeans(people, [], 5, 7), c => Assert.Equal(0, c));
    }

    [Theory]
    [InlineData(0, 2.0, 0.9, "Clusters")]
    [InlineData(10, 0.0, 0.9, "PriorStrength")]
    [InlineData(10, double.NaN, 0.9, "PriorStrength")]
    [InlineData(10, 2.0, 1.0, "Interval")]
    public void Options_OutOfRange_NameTheField(int k, double kappa, double interval, string field)
    {
        var options = new HistoryEstimateOptions { Clusters = k, PriorStrength = kappa, Interval = interval };

        var ex = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Equal(field, ex.ParamName);
    }
}
