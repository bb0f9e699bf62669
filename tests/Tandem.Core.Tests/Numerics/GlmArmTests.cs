using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Core.State;

namespace Tandem.Core.Tests.Numerics;

public class GlmArmTests
{
    [Fact]
    public void GlmArm_New_HasZeroThetaAndInverseDesignIOverLambda()
    {
        var arm = new GlmArm(3, lambda: 2.0);

        Assert.Equal(0, arm.Count);
        Assert.Equal(new double[3], arm.Theta.ToArray());
        Assert.Equal([0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5], arm.InverseDesign.ToArray());
    }

    [Fact]
    public void GlmArm_Identity_ThetaEqualsBatchRidgeSolution_WithinOneE9()
    {
        const int d = 6, n = 300;
        const double lambda = 0.5;
        var random = new Xoshiro256(61);
        double[] truth = TestMatrices.GaussianVector(random, d);
        var arm = new GlmArm(d, lambda);
        var rows = new double[n][];
        var rewards = new double[n];
        for (int s = 0; s < n; s++)
        {
            rows[s] = TestMatrices.GaussianVector(random, d);
            rewards[s] = rows[s].Zip(truth, (a, b) => a * b).Sum() + 0.3 * random.NextGaussian();
            arm.Update(rows[s], rewards[s]);
        }

        var x = Matrix<double>.Build.DenseOfRowArrays(rows);
        var gram = x.TransposeThisAndMultiply(x) + lambda * Matrix<double>.Build.DenseIdentity(d);
        var ridge = gram.Inverse() * (x.TransposeThisAndMultiply(Vector<double>.Build.DenseOfArray(rewards)));

        Assert.Equal(n, arm.Count);
        Assert.True(TestMatrices.MaxAbsDifference(arm.Theta, ridge) < 1e-9);
        Assert.True(TestMatrices.MaxAbsDifference(arm.InverseDesign.ToArray(), gram.Inverse()) < 1e-9);
        TestMatrices.AssertExactlySymmetric(arm.InverseDesign, d);
    }

    [Fact]
    public void GlmArm_Logistic_ThetaMatchesSlowGradientDescent_WithinOneE6_AndGradientVanishes()
    {
        const int d = 3, n = 200;
        const double lambda = 1.0;
        var random = new Xoshiro256(62);
        double[] truth = [1.5, -1.0, 0.5];
        var arm = new GlmArm(d, lambda, GlmLink.Logistic);
        var rows = new double[n][];
        var rewards = new double[n];
        for (int s = 0; s < n; s++)
        {
            rows[s] = [random.NextDouble() * 2 - 1, random.NextDouble() * 2 - 1, 1.0];
            double p = 1.0 / (1.0 + Math.Exp(-Dot(rows[s], truth)));
            // Alternate Bernoulli and fractional rewards: the loss is defined for any r in [0, 1].
            rewards[s] = s % 3 == 0 ? random.NextDouble() : (random.NextDouble() < p ? 1.0 : 0.0);
            arm.Update(rows[s], rewards[s]);
        }

        double[] slow = SlowGradientDescent(rows, rewards, lambda);

        for (int i = 0; i < d; i++) Assert.True(Math.Abs(arm.Theta[i] - slow[i]) < 1e-6, $"θ̂[{i}] = {arm.Theta[i]}, gradient descent {slow[i]}; tolerance 1e-6");
        double gradientNorm = Math.Sqrt(Gradient(rows, rewards, lambda, arm.Theta.ToArray()).Sum(g => g * g));
        Assert.True(gradientNorm < 1e-8, $"‖∇L(θ̂)‖ = {gradientNorm:E3}, tolerance 1e-8");
        Assert.InRange(arm.LastFitIterations, 1, GlmArm.MaxNewtonIterations - 1);
    }

    [Fact]
    public void GlmArm_Logistic_OneDimensional_MatchesBisectionOnTheScoreEquation_WithinOneE9()
    {
        double[] xs = [0.5, 1.0, -0.7, 2.0, 1.5, -1.2, 0.3];
        double[] rs = [1, 1, 0, 1, 0, 0, 0.6];
        const double lambda = 0.3;
        var arm = new GlmArm(1, lambda, GlmLink.Logistic);
        for (int s = 0; s < xs.Length; s++) arm.Update([xs[s]], rs[s]);

        // Score g(θ) = Σ (σ(x_s θ) − r_s) x_s + λθ is increasing; bisect its root.
        double Score(double theta) => lambda * theta + xs.Select((x, s) => (1 / (1 + Math.Exp(-x * theta)) - rs[s]) * x).Sum();
        double lo = -50, hi = 50;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Score(mid) > 0) hi = mid; else lo = mid;
        }

        Assert.Equal(0.5 * (lo + hi), arm.Theta[0], 9);
    }

    [Fact]
    public void GlmArm_Logistic_InverseDesignIsTheRidgeGramInverse()
    {
        const int d = 4;
        var random = new Xoshiro256(63);
        var arm = new GlmArm(d, 1.5, GlmLink.Logistic);
        var gram = 1.5 * Matrix<double>.Build.DenseIdentity(d);
        for (int s = 0; s < 50; s++)
        {
            double[] x = TestMatrices.GaussianVector(random, d);
            arm.Update(x, random.NextDouble() < 0.5 ? 0 : 1);
            var v = Vector<double>.Build.DenseOfArray(x);
            gram += v.OuterProduct(v);
        }

        Assert.True(TestMatrices.MaxAbsDifference(arm.InverseDesign.ToArray(), gram.Inverse()) < 1e-9);
    }

    [Fact]
    public void GlmArm_Logistic_SeparableData_StaysFiniteThanksToRidge()
    {
        var arm = new GlmArm(2, 0.01, GlmLink.Logistic);
        for (int s = 0; s < 40; s++) arm.Update([1.0, s % 2 == 0 ? 3.0 : -3.0], s % 2 == 0 ? 1.0 : 0.0);

        Assert.True(double.IsFinite(arm.Theta[0]) && double.IsFinite(arm.Theta[1]));
        Assert.True(arm.Theta[1] > 0);
    }

    public static TheoryData<GlmLink, double[], string> BadX => new()
    {
        { GlmLink.Identity, [1.0, 2.0], "x" },
        { GlmLink.Identity, [1.0, 2.0, 3.0, 4.0], "x" },
        { GlmLink.Identity, [1.0, double.NaN, 3.0], "x" },
        { GlmLink.Identity, [double.PositiveInfinity, 0.0, 3.0], "x" },
        { GlmLink.Logistic, [1.0, 0.0, double.NegativeInfinity], "x" },
        { GlmLink.Logistic, [], "x" },
        { GlmLink.Identity, [1e300, 1e300, 0.0], "x" },
        { GlmLink.Logistic, [0.0, -1e300, 1e300], "x" },
    };

    [Theory]
    [MemberData(nameof(BadX))]
    public void GlmArm_Update_BadX_Throws_And_LeavesModelUnchanged(GlmLink link, double[] x, string param) =>
        AssertRejectedWithoutChange(link, x, 0.5, param);

    [Theory]
    [InlineData(GlmLink.Identity, double.NaN)]
    [InlineData(GlmLink.Identity, double.PositiveInfinity)]
    [InlineData(GlmLink.Logistic, double.NaN)]
    [InlineData(GlmLink.Logistic, -0.1)]
    [InlineData(GlmLink.Logistic, 1.1)]
    public void GlmArm_Update_BadReward_Throws_And_LeavesModelUnchanged(GlmLink link, double reward) =>
        AssertRejectedWithoutChange(link, [1.0, 0.5, -0.5], reward, "reward");

    [Fact]
    public void GlmArm_Update_NaN_Throws_And_LeavesModelUnchanged() =>
        AssertRejectedWithoutChange(GlmLink.Logistic, [double.NaN, 0.5, -0.5], 1.0, "x");

    private static void AssertRejectedWithoutChange(GlmLink link, double[] x, double reward, string param)
    {
        var arm = new GlmArm(3, 1.0, link);
        var random = new Xoshiro256(64);
        for (int s = 0; s < 10; s++) arm.Update(TestMatrices.GaussianVector(random, 3), random.NextDouble());
        double[] theta = arm.Theta.ToArray();
        double[] inverse = arm.InverseDesign.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => arm.Update(x, reward));

        Assert.Equal(param, ex.ParamName);
        Assert.Equal(10, arm.Count);
        Assert.Equal(theta, arm.Theta.ToArray());
        Assert.Equal(inverse, arm.InverseDesign.ToArray());
    }

    [Fact]
    public void GlmArm_ConfidenceNorm_IsSqrtOfQuadraticFormInInverseDesign()
    {
        var arm = new GlmArm(2, 1.0);
        arm.Update([1.0, 0.0], 1.0);
        // V = diag(2, 1): ‖(1, 1)‖_{V⁻¹} = √(1/2 + 1).
        Assert.Equal(Math.Sqrt(1.5), arm.ConfidenceNorm([1.0, 1.0], new double[2]), 15);
        Assert.Equal(0.5, arm.LinearPredictor([1.0, 1.0]), 15);
    }

    [Fact]
    public void GlmArm_Reset_ForgetsEverything()
    {
        var arm = new GlmArm(2, 4.0, GlmLink.Logistic);
        arm.Update([1.0, 2.0], 1.0);

        arm.Reset();

        Assert.Equal(0, arm.Count);
        Assert.Equal([0.0, 0.0], arm.Theta.ToArray());
        Assert.Equal([0.25, 0, 0, 0.25], arm.InverseDesign.ToArray());
        arm.Update([1.0, 2.0], 1.0);
        Assert.Equal(1, arm.Count);
    }

    [Theory]
    [InlineData(GlmLink.Identity)]
    [InlineData(GlmLink.Logistic)]
    public void GlmArm_Clone_IsDeepAndEvolvesLikeTheOriginal(GlmLink link)
    {
        var arm = new GlmArm(2, 1.0, link);
        arm.Update([1.0, -1.0], 1.0);
        GlmArm copy = arm.Clone();

        copy.Update([0.5, 2.0], 0.0);
        Assert.Equal(1, arm.Count);
        Assert.Equal(2, copy.Count);
        Assert.NotEqual(arm.Theta.ToArray(), copy.Theta.ToArray());

        arm.Update([0.5, 2.0], 0.0);
        Assert.Equal(arm.Theta.ToArray(), copy.Theta.ToArray());
        Assert.Equal(arm.InverseDesign.ToArray(), copy.InverseDesign.ToArray());
    }

    [Fact]
    public void GlmArm_Ctor_OutOfRange_Throws_WithParamName()
    {
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => new GlmArm(0)).ParamName);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new GlmArm(2, 0.0)).ParamName);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new GlmArm(2, double.PositiveInfinity)).ParamName);
        Assert.Equal("link", Assert.Throws<ArgumentOutOfRangeException>(() => new GlmArm(2, 1.0, (GlmLink)7)).ParamName);
    }

    [Fact]
    public void GlmArm_Logistic_BeyondTheWindow_FitsTheMleOfTheLastWObservations_WhileVKeepsAll()
    {
        // Window W = 60 of n = 200: θ̂ must be the regularised MLE of observations 141..200 (an independent
        // gradient-descent fit on exactly those), and V⁻¹ the inverse of λI + Σ over all 200 contexts.
        const int d = 3, n = 200, window = 60;
        const double lambda = 1.0;
        var random = new Xoshiro256(64);
        double[] truth = [1.0, -1.5, 0.3];
        var arm = new GlmArm(d, lambda, GlmLink.Logistic, window);
        var rows = new double[n][];
        var rewards = new double[n];
        var gram = lambda * Matrix<double>.Build.DenseIdentity(d);
        for (int s = 0; s < n; s++)
        {
            rows[s] = [random.NextDouble() * 2 - 1, random.NextDouble() * 2 - 1, 1.0];
            double p = 1.0 / (1.0 + Math.Exp(-Dot(rows[s], truth)));
            rewards[s] = random.NextDouble() < p ? 1.0 : 0.0;
            arm.Update(rows[s], rewards[s]);
            var v = Vector<double>.Build.DenseOfArray(rows[s]);
            gram += v.OuterProduct(v);
        }

        double[] slow = SlowGradientDescent(rows[(n - window)..], rewards[(n - window)..], lambda);
        double[] full = SlowGradientDescent(rows, rewards, lambda);
        for (int i = 0; i < d; i++) Assert.True(Math.Abs(arm.Theta[i] - slow[i]) < 1e-6, $"θ̂[{i}] = {arm.Theta[i]}, windowed MLE {slow[i]}");
        Assert.True(Enumerable.Range(0, d).Any(i => Math.Abs(slow[i] - full[i]) > 1e-3), "the test needs the window to matter");
        Assert.Equal(n, arm.Count);
        Assert.True(TestMatrices.MaxAbsDifference(arm.InverseDesign.ToArray(), gram.Inverse()) < 1e-9);
    }

    [Theory]
    [InlineData(GlmLink.Identity, 1024)]
    [InlineData(GlmLink.Logistic, 1024)]
    [InlineData(GlmLink.Logistic, 7)]
    public void GlmArm_ExportImport_EvolvesBitIdentically_IncludingAfterTheWindowWrapped(GlmLink link, int window)
    {
        var random = new Xoshiro256(65);
        var arm = new GlmArm(3, 1.0, link, window);
        for (int s = 0; s < 20; s++) arm.Update(TestMatrices.GaussianVector(random, 3), s % 3 == 0 ? 1 : 0);
        var copy = new GlmArm(3, 1.0, link, window);
        copy.Import(arm.Export());
        for (int s = 0; s < 20; s++)
        {
            double[] x = TestMatrices.GaussianVector(random, 3);
            arm.Update(x, s % 2);
            copy.Update(x, s % 2);
            Assert.Equal(arm.Theta.ToArray(), copy.Theta.ToArray());
            Assert.Equal(arm.InverseDesign.ToArray(), copy.InverseDesign.ToArray());
        }
        Assert.Equal(arm.Export().History, copy.Export().History);
        if (link == GlmLink.Logistic) Assert.Equal(Math.Min(40, window), arm.Export().Rewards!.Length);
    }

    [Fact]
    public void GlmArm_Import_OfAnotherLinkDimensionOrWindow_IsRefused_AndChangesNothing()
    {
        var arm = new GlmArm(3, 1.0, GlmLink.Logistic, 10);
        arm.Update([1.0, 0.5, -1.0], 1);
        GlmArmState before = arm.Export();
        Assert.Contains("link", Assert.Throws<PolicyStateException>(() => arm.Import(new GlmArm(3).Export())).Message);
        Assert.Contains("dimension", Assert.Throws<PolicyStateException>(() => arm.Import(new GlmArm(4, 1.0, GlmLink.Logistic, 10).Export())).Message);
        Assert.Contains("window", Assert.Throws<PolicyStateException>(() => arm.Import(new GlmArm(3, 1.0, GlmLink.Logistic, 11).Export())).Message);
        Assert.Contains("finite", Assert.Throws<PolicyStateException>(() => arm.Import(before with { Theta = [double.NaN, 0, 0] })).Message);
        Assert.Contains("window rewards", Assert.Throws<PolicyStateException>(() => arm.Import(before with { Rewards = [] })).Message);
        Assert.Equal(before.Theta, arm.Export().Theta);
        Assert.Equal(before.History, arm.Export().History);
        Assert.Equal(1, arm.Count);
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    private static double[] Gradient(double[][] rows, double[] rewards, double lambda, double[] theta)
    {
        var g = theta.Select(t => lambda * t).ToArray();
        for (int s = 0; s < rows.Length; s++)
        {
            double residual = 1.0 / (1.0 + Math.Exp(-Dot(rows[s], theta))) - rewards[s];
            for (int i = 0; i < g.Length; i++) g[i] += residual * rows[s][i];
        }
        return g;
    }

    // Independent slow reference: fixed-step gradient descent with step 1/L, L = λ + ¼ Σ‖x_s‖² ≥ the
    // loss's smoothness constant, run until ‖∇L‖ < 1e-11 (strong convexity λ makes ‖θ − θ̂‖ ≤ ‖∇L‖/λ).
    private static double[] SlowGradientDescent(double[][] rows, double[] rewards, double lambda)
    {
        double smoothness = lambda + 0.25 * rows.Sum(r => Dot(r, r));
        var theta = new double[rows[0].Length];
        for (int iteration = 0; iteration < 2_000_000; iteration++)
        {
            double[] g = Gradient(rows, rewards, lambda, theta);
            if (Math.Sqrt(g.Sum(v => v * v)) < 1e-11) return theta;
            for (int i = 0; i < theta.Length; i++) theta[i] -= g[i] / smoothness;
        }
        throw new InvalidOperationException("Gradient descent did not converge.");
    }
}
