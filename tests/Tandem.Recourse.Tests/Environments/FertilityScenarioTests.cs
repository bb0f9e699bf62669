using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Randomness;
using Tandem.Recourse.Environments;

namespace Tandem.Recourse.Tests.Environments;

public sealed class FertilityScenarioTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "tandem-fertility-" + Guid.NewGuid().ToString("N"));

    public FertilityScenarioTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string ShippedFile() => FertilityScenario.DefaultPath(TestWorlds.DataDirectory());

    [Fact]
    public void Load_ShippedFile_Has100RowsWith88Normal()
    {
        FertilityScenario scenario = FertilityScenario.Load(ShippedFile());
        Assert.Equal(100, scenario.Records.Count);
        Assert.Equal(88, scenario.Records.Count(r => r.Normal));
        Assert.Equal(49, scenario.Records.Count(r => r.Surgery == 0));
    }

    [Fact]
    public void Fit_EqualsNormalEquations_PerArm()
    {
        // Independent check: θ = (XᵀX)⁻¹Xᵀy on the arm's rows with the same outcome draws.
        FertilityScenario scenario = FertilityScenario.Load(ShippedFile());
        (double[][] theta, _) = scenario.Fit(Seeds.CreateRandom(11));
        Random replay = Seeds.CreateRandom(11);
        double[] y = scenario.Records.Select(r => (r.Normal ? 5.0 : 0.0) + replay.NextGaussian()).ToArray();
        for (int arm = 0; arm < 2; arm++)
        {
            int[] rows = Enumerable.Range(0, 100).Where(i => scenario.Records[i].Surgery == arm).ToArray();
            var x = Matrix<double>.Build.DenseOfRowArrays(rows.Select(i => (double[])[1.0, .. scenario.Records[i].Features]));
            var yy = Vector<double>.Build.DenseOfEnumerable(rows.Select(i => y[i]));
            Vector<double> expected = (x.TransposeThisAndMultiply(x)).Solve(x.TransposeThisAndMultiply(yy));
            for (int j = 0; j < expected.Count; j++) Assert.Equal(expected[j], theta[arm][j], 1e-8);
        }
    }

    [Theory]
    [InlineData("-0.33,0.69,0,1,1,0,0.8,0,0.88\n", "expected 10")]
    [InlineData("-0.33,abc,0,1,1,0,0.8,0,0.88,N\n", "column 2")]
    [InlineData("-0.33,0.69,0,1,1,0,0.8,0,0.88,X\n", "diagnosis 'X'")]
    [InlineData("-0.33,0.69,0,1,2,0,0.8,0,0.88,N\n", "surgical intervention")]
    public void Load_MalformedRow_ThrowsFormatException_NamingFileAndLine(string row, string fragment)
    {
        string path = Path.Combine(_temp, "bad.txt");
        File.WriteAllText(path, "-0.33,0.69,0,1,1,0,0.8,0,0.88,N\n" + row);
        var ex = Assert.Throws<FormatException>(() => FertilityScenario.Load(path));
        Assert.Contains(path + ":2", ex.Message);
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound_NamingPath()
    {
        string path = Path.Combine(_temp, "nope.txt");
        var ex = Assert.Throws<FileNotFoundException>(() => FertilityScenario.Load(path));
        Assert.Contains(path, ex.Message);
    }
}
