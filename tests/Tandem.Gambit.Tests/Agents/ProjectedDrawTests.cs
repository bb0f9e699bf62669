using Tandem.Gambit.Agents;

namespace Tandem.Gambit.Tests.Agents;

/// <summary>foGAMBITTS's one-normal draw of β̃ᵀm̃ (<see cref="NormalInverseWishart.SampleProjectedMean"/>).</summary>
public class ProjectedDrawTests
{
    [Fact]
    public void ProjectedDraw_HasTheMultivariateTsProjection_AsLaw()
    {
        // wᵀm with m ~ t_ν'(μ, Ψ/(κν')), ν' = ν − d + 1: mean wᵀμ, variance wᵀΨw/(κ(ν' − 2)). Catches a scale built from the
        // factor's diagonal only, a missing κ, or the wrong degrees of freedom. The same moments from SampleMean (the d-normal
        // draw) are checked too, so the two draws are compared through an independent closed form.
        var model = NormalInverseWishart.AuthorsPrior(3);
        var random = TestWorlds.Rng(5);
        double[][] data = [[0.4, -1.2, 0.3], [1.1, 0.2, -0.5], [-0.3, 0.9, 1.4], [0.8, -0.1, 0.2], [0.0, 0.5, -0.9], [1.5, -0.7, 0.6]];
        foreach (double[] z in data) model.Update(z);
        double[] w = [0.7, -1.3, 0.4];
        double location = 0, quadratic = 0;
        for (int i = 0; i < 3; i++)
        {
            location += w[i] * model.Mean[i];
            for (int j = 0; j < 3; j++) quadratic += w[i] * model.Scale[i * 3 + j] * w[j];
        }
        double dof = model.Nu - 3 + 1;
        double variance = quadratic / (model.Kappa * (dof - 2));
        const int n = 400_000;
        var projected = new double[n];
        var full = new double[n];
        var m = new double[3];
        for (int k = 0; k < n; k++)
        {
            projected[k] = model.SampleProjectedMean(random, w);
            model.SampleMean(random, m);
            full[k] = w[0] * m[0] + w[1] * m[1] + w[2] * m[2];
        }
        foreach (double[] draws in new[] { projected, full })
        {
            double mean = draws.Average();
            double var = draws.Select(v => (v - mean) * (v - mean)).Average();
            Assert.Equal(location, mean, 4 * Math.Sqrt(variance / n) + 1e-12);
            Assert.InRange(var / variance, 0.97, 1.03);
        }
    }
}
