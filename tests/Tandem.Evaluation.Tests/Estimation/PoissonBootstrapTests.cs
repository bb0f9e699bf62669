using Tandem.Core.Randomness;
using Tandem.Evaluation.Estimation;

namespace Tandem.Evaluation.Tests.Estimation;

/// <summary>The Poisson(1) counts behind the streaming bootstrap.</summary>
public class PoissonBootstrapTests
{
    [Fact]
    public void PoissonCounts_FollowPoissonOne()
    {
        const int n = 1_000_000;
        var counts = new double[n];

        OffPolicyEvaluator.PoissonCounts(new Xoshiro256(3), counts);

        // P(X = k) = e⁻¹/k!; each frequency within 5 binomial standard errors (a table or threshold off by one bucket
        // of 2⁻¹⁶ would not show, one off by a count would).
        for (int k = 0; k <= 6; k++)
        {
            double p = Math.Exp(-1) / Enumerable.Range(1, k).Aggregate(1.0, (a, i) => a * i);
            double frequency = counts.Count(c => c == k) / (double)n;
            Assert.InRange(frequency, p - 5 * Math.Sqrt(p * (1 - p) / n), p + 5 * Math.Sqrt(p * (1 - p) / n));
        }
        Assert.Equal(1.0, counts.Average(), 0.005); // mean 1, standard error 0.001
        Assert.Equal(1.0, counts.Select(c => (c - 1) * (c - 1)).Average(), 0.01); // variance 1
    }

    [Fact]
    public void PoissonCounts_OddLength_FillsTheLastEntry_AndTheSameSeedRepeats()
    {
        var a = new double[7];
        var b = new double[7];
        Array.Fill(a, -1);

        OffPolicyEvaluator.PoissonCounts(new Xoshiro256(9), a);
        OffPolicyEvaluator.PoissonCounts(new Xoshiro256(9), b);

        Assert.All(a, c => Assert.True(c >= 0));
        Assert.Equal(a, b);
    }
}
