using MathNet.Numerics.LinearAlgebra;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Tests.Environments;

public sealed class FertilityScenarioTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "tandem-fertility-" + Guid.NewGuid().ToString("N"));

    public FertilityScenarioTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string ShippedFile() => FertilityScenario.DefaultPath(TestWorlds.DataDirectory());

    [Fact]
    public void Load_ShippedFile_Has100RowsWith88Normal_And51Surgeries_AsThePaperReadsTheFile()
    {
        IReadOnlyList<FertilityRecord> records = FertilityScenario.Read(ShippedFile());
        Assert.Equal(100, records.Count);
        Assert.Equal(88, records.Count(r => r.Normal));
        CohortScenario scenario = FertilityScenario.Load(ShippedFile());
        Assert.Equal(["No surgery", "Surgery"], scenario.Data.ArmNames);
        // File value 1 (51 rows) is surgery; a swap of the reading would give 49.
        Assert.Equal(51, scenario.Data.Arms.Count(a => scenario.Data.ArmNames[a] == FertilityScenario.SurgeryArm));
        Assert.Equal(records.Count(r => r.Surgery == 1), scenario.Data.Arms.Count(a => a == 1));
    }

    [Fact]
    public void Alcohol_IsConsumption_HigherMeansDrinkingMore()
    {
        // The file codes 1.0 = "hardly ever or never"; the study's column must rise with drinking.
        IReadOnlyList<FertilityRecord> records = FertilityScenario.Read(ShippedFile());
        CohortScenario scenario = FertilityScenario.Load(ShippedFile());
        int alcohol = 1 + FertilityScenario.FeatureNames.ToList().IndexOf("AlcoholConsumption");
        for (int i = 0; i < records.Count; i++)
        {
            double file = records[i].Features[5];
            double z = scenario.StandardisedRows[i][alcohol];
            // Standardised consumption is a decreasing affine function of the file value.
            Assert.Equal((1.2 - file - scenario.FeatureMeans[5]) / scenario.FeatureSds[5], z, 12);
        }
        int never = records.ToList().FindIndex(r => r.Features[5] == 1.0), daily = records.ToList().FindIndex(r => r.Features[5] == 0.2);
        Assert.True(scenario.StandardisedRows[daily][alcohol] > scenario.StandardisedRows[never][alcohol]);
    }

    [Fact]
    public void Features_AreStandardised_MeanZeroSampleSdOne()
    {
        CohortScenario scenario = FertilityScenario.Load(ShippedFile());
        for (int j = 1; j <= FertilityScenario.FeatureNames.Count; j++)
        {
            double[] column = scenario.StandardisedRows.Select(r => r[j]).ToArray();
            Assert.Equal(0, column.Average(), 12);
            Assert.Equal(1, MathNet.Numerics.Statistics.Statistics.StandardDeviation(column), 12);
        }
    }

    [Fact]
    public void ExpectedCoefficients_HaveTheSeedsSigns_AndItsContrastsBetweenArms()
    {
        // The noise-free fit is the mean of the per-run fits (OLS is linear in the outcome). Independent of the code's
        // truth: the seed reports every mutable coefficient negative, alcohol much stronger under surgery (-0.31 vs
        // -0.03) and smoking stronger without (-0.17 vs -0.03). A flipped alcohol sign or swapped arms breaks these.
        CohortScenario scenario = FertilityScenario.Load(ShippedFile());
        RecourseProblem problem = scenario.CreateProblem(new L2Norm(), 1);
        int surgery = scenario.Data.ArmNames.ToList().IndexOf(FertilityScenario.SurgeryArm), none = 1 - surgery;
        double[] Mutable(int arm) => problem.MutableIndices.Select(i => scenario.ColumnFit.Theta[arm][i]).ToArray();
        Assert.All(Mutable(surgery).Concat(Mutable(none)), c => Assert.True(c < 0, $"coefficient {c} is not negative"));
        Assert.True(Mutable(surgery)[0] < Mutable(none)[0] - 0.2);
        Assert.True(Mutable(none)[1] < Mutable(surgery)[1]);
    }

    [Fact]
    public void Fit_EqualsNormalEquations_OnIndependentlyStandardisedFeatures_WithClassicalStandardErrors()
    {
        IReadOnlyList<FertilityRecord> records = FertilityScenario.Read(ShippedFile());
        CohortScenario scenario = FertilityScenario.Load(ShippedFile());
        // Independent standardisation of the paper's encoding, and OLS by an explicit inverse.
        double[][] raw = records.Select(r => r.Features.Select((v, j) => j == 5 ? 1.2 - v : v).ToArray()).ToArray();
        var m = Matrix<double>.Build.DenseOfRowArrays(raw);
        double[] mean = Enumerable.Range(0, 8).Select(j => m.Column(j).Average()).ToArray();
        double[] sd = Enumerable.Range(0, 8).Select(j => Math.Sqrt(m.Column(j).Sum(v => (v - mean[j]) * (v - mean[j])) / 99)).ToArray();
        double[] y = records.Select((r, i) => (r.Normal ? 5.0 : 0.0) + 0.1 * Math.Sin(i)).ToArray();
        CohortFit fit = scenario.Fit(y);
        foreach (int surgery in new[] { 0, 1 })
        {
            int arm = scenario.Data.ArmNames.ToList().IndexOf(surgery == 1 ? "Surgery" : "No surgery");
            int[] rows = Enumerable.Range(0, 100).Where(i => records[i].Surgery == surgery).ToArray();
            var x = Matrix<double>.Build.DenseOfRowArrays(rows.Select(i => (double[])[1.0, .. raw[i].Select((v, j) => (v - mean[j]) / sd[j])]));
            var yy = Vector<double>.Build.DenseOfEnumerable(rows.Select(i => y[i]));
            Matrix<double> inverse = x.TransposeThisAndMultiply(x).Inverse();
            Vector<double> beta = inverse * x.TransposeThisAndMultiply(yy);
            Vector<double> residual = yy - x * beta;
            double s2 = residual.DotProduct(residual) / (rows.Length - 9);
            for (int j = 0; j < 9; j++)
            {
                Assert.Equal(beta[j], fit.Theta[arm][j], 1e-8);
                Assert.Equal(Math.Sqrt(s2 * inverse[j, j]), fit.StandardErrors[arm][j], 1e-8);
            }
        }
    }

    [Fact]
    public void OptimalRecourse_StaysOnTheCodedScale()
    {
        // Bounds on the coded features: whatever the truth recommends, alcohol stays in 0.2..1.0, smoking in -1..1 and
        // sitting in 0..1 (in file units), for every patient, however large the budget.
        CohortScenario scenario = FertilityScenario.Load(ShippedFile());
        RecourseProblem problem = scenario.CreateProblem(new L2Norm(), gamma: 5);
        var truth = new RecourseTruth(problem, scenario.ColumnFit.Theta);
        var best = new double[problem.Dimension];
        (string Name, double Lo, double Hi)[] scales = [("AlcoholConsumption", 0.2, 1.0), ("Smoking", -1, 1), ("HoursSitting", 0, 1)];
        bool moved = false;
        foreach (double[] x in scenario.StandardisedRows)
        {
            truth.OptimalPair(x, best);
            foreach (var (name, lo, hi) in scales)
            {
                int j = FertilityScenario.FeatureNames.ToList().IndexOf(name);
                double before = x[j + 1] * scenario.FeatureSds[j] + scenario.FeatureMeans[j];
                double after = best[j + 1] * scenario.FeatureSds[j] + scenario.FeatureMeans[j];
                moved |= Math.Abs(after - before) > 1e-6;
                Assert.True(after >= lo - 1e-9 && after <= hi + 1e-9, $"{name}: {before} -> {after} leaves {lo}..{hi}");
            }
        }
        Assert.True(moved);
    }

    [Theory]
    [InlineData("-0.33,0.69,0,1,1,0,0.8,0,0.88\n", "expected 10")]
    [InlineData("-0.33,abc,0,1,1,0,0.8,0,0.88,N\n", "column 2")]
    [InlineData("-0.33,0.69,0,1,1,0,0.8,0,0.88,X\n", "diagnosis 'X'")]
    [InlineData("-0.33,0.69,0,1,2,0,0.8,0,0.88,N\n", "surgical intervention")]
    public void Read_MalformedRow_ThrowsFormatException_NamingFileAndLine(string row, string fragment)
    {
        string path = Path.Combine(_temp, "bad.txt");
        File.WriteAllText(path, "-0.33,0.69,0,1,1,0,0.8,0,0.88,N\n" + row);
        var ex = Assert.Throws<FormatException>(() => FertilityScenario.Read(path));
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
