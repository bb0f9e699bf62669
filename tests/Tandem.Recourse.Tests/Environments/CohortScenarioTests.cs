using System.Globalization;
using System.Text;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;

namespace Tandem.Recourse.Tests.Environments;

public sealed class CohortScenarioTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "tandem-cohort-" + Guid.NewGuid().ToString("N"));

    public CohortScenarioTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // The UCI file rewritten as a cohort CSV in the paper's encoding (what a user of the csv path would give).
    private string FertilityCsv()
    {
        IReadOnlyList<FertilityRecord> records = FertilityScenario.Read(FertilityScenario.DefaultPath(TestWorlds.DataDirectory()));
        var text = new StringBuilder(string.Join(",", FertilityScenario.FeatureNames) + ",Surgery,Score\n");
        foreach (FertilityRecord r in records)
        {
            var cells = r.Features.Select((v, j) => (j == 5 ? 1.2 - v : v).ToString("R", Inv));
            text.Append(string.Join(",", cells)).Append(',').Append(r.Surgery == 1 ? "Surgery" : "No surgery").Append(',').Append(r.Normal ? "5" : "0").Append('\n');
        }
        string path = Path.Combine(_temp, "fertility.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static LibraExperimentOptions Small(string env, CohortOptions? cohort) => new()
    {
        Env = env,
        Cohort = cohort,
        Horizon = 60,
        Runs = 3,
        Seed = 7,
        MaxDegreeOfParallelism = 1,
        DataDirectory = TestWorlds.DataDirectory(),
    };

    [Fact]
    public async Task Fertility_IsOneInstanceOfTheCsvPath_SameNumbers()
    {
        string csv = FertilityCsv();
        // The csv path's default ρ is 1σ (no scan of an unknown cohort); fertility's scanned default is 2σ.
        Assert.Equal(2, FertilityScenario.Load(FertilityScenario.DefaultPath(TestWorlds.DataDirectory())).Defaults.Rho);
        Assert.Equal(1, CohortCsv.Load(csv, FertilityScenario.Options).Defaults.Rho);
        var study = new LibraStudyOptions { Radius = RadiusSpec.Parse("constant:2") };
        LibraResult dedicated = await LibraExperiment.RunAsync(Small("fertility", null) with { Study = study });
        LibraResult general = await LibraExperiment.RunAsync(Small("csv:" + csv, FertilityScenario.Options) with { Study = study });
        Assert.Equal(dedicated.LibraSummary.Sigma, general.LibraSummary.Sigma);
        Assert.Equal(dedicated.LibraSummary.Policies.Count, general.LibraSummary.Policies.Count);
        for (int p = 0; p < dedicated.LibraSummary.Policies.Count; p++)
        {
            Assert.Equal(dedicated.LibraSummary.Policies[p].RegretCurve, general.LibraSummary.Policies[p].RegretCurve);
            Assert.Equal(dedicated.LibraSummary.Policies[p].LlmQueries, general.LibraSummary.Policies[p].LlmQueries);
        }
        var a = dedicated.LibraSummary.FittedMutableCoefficients!;
        var b = general.LibraSummary.FittedMutableCoefficients!;
        Assert.Equal(a.Select(c => c.Ours), b.Select(c => c.Ours));
        Assert.Equal(a.Select(c => c.StandardErrors), b.Select(c => c.StandardErrors));
        Assert.NotNull(a[0].Seed); // the seed's coefficients are printed beside ours for fertility only
        Assert.Null(b[0].Seed);
    }

    [Fact]
    public async Task SameSeed_SameNumbers_AndTheOutcomeNoiseRedrawsPerRunOnly()
    {
        string csv = FertilityCsv();
        LibraResult a = await LibraExperiment.RunAsync(Small("csv:" + csv, FertilityScenario.Options));
        LibraResult b = await LibraExperiment.RunAsync(Small("csv:" + csv, FertilityScenario.Options));
        Assert.Equal(a.LibraSummary.Policies.Select(p => p.RegretCurve), b.LibraSummary.Policies.Select(p => p.RegretCurve));
        // Without outcome noise every run has the column's own fit.
        CohortScenario fixedFit = CohortCsv.Load(csv, FertilityScenario.Options with { OutcomeNoise = 0 });
        Assert.Same(fixedFit.ColumnFit, fixedFit.FitForRun(new Tandem.Core.Running.RunContext(3, 99)));
        CohortScenario noisy = CohortCsv.Load(csv, FertilityScenario.Options);
        Assert.NotEqual(noisy.FitForRun(new(0, 1)).Theta[0], noisy.FitForRun(new(1, 2)).Theta[0]);
    }

    [Fact]
    public void Sigma_IsTheResidualSdOfTheColumnFitCombinedWithTheOutcomeNoise()
    {
        string csv = FertilityCsv();
        CohortScenario plain = CohortCsv.Load(csv, FertilityScenario.Options with { OutcomeNoise = 0 });
        CohortScenario noisy = CohortCsv.Load(csv, FertilityScenario.Options with { OutcomeNoise = 2 });
        Assert.Equal(plain.ColumnFit.ResidualSd, plain.Defaults.NoiseScale, 12);
        Assert.Equal(Math.Sqrt(plain.ColumnFit.ResidualSd * plain.ColumnFit.ResidualSd + 4), noisy.Defaults.NoiseScale, 12);
    }

    [Fact]
    public void Logistic_SolvesTheScoreEquations_AndRecoversAKnownModel()
    {
        // 6,000 patients, two arms, outcome ~ Bernoulli(σ(θ_aᵀx)) with known θ; IRLS must zero the score Xᵀ(y − μ) and
        // land within 4 standard errors of the truth (a wrong weight or sign in the Newton step fails both).
        Random random = Seeds.CreateRandom(5);
        double[][] theta = [[0.3, 1.0, -0.5, 0.2], [-0.2, -0.4, 0.8, 0.6]];
        var text = new StringBuilder("a,b,c,arm,y\n");
        for (int i = 0; i < 6000; i++)
        {
            double[] x = [random.NextGaussian(), random.NextGaussian(), random.NextGaussian()];
            int arm = random.Next(2);
            double z = theta[arm][0] + theta[arm][1] * x[0] + theta[arm][2] * x[1] + theta[arm][3] * x[2];
            int y = random.NextDouble() < 1 / (1 + Math.Exp(-z)) ? 1 : 0;
            text.Append(string.Join(",", x.Select(v => v.ToString("R", Inv)))).Append(',').Append(arm).Append(',').Append(y).Append('\n');
        }
        string path = Path.Combine(_temp, "logit.csv");
        File.WriteAllText(path, text.ToString());
        var options = new CohortOptions { Treatment = "arm", Outcome = "y", Mutable = ["a"], Link = GlmLink.Logistic };
        CohortScenario scenario = CohortCsv.Load(path, options);
        Assert.Equal(0.5, scenario.Defaults.NoiseScale);
        CohortFit fit = scenario.Fit(scenario.Data.Outcomes);
        for (int a = 0; a < 2; a++)
        {
            var score = new double[4];
            for (int i = 0; i < scenario.Data.Rows.Length; i++)
            {
                if (scenario.Data.Arms[i] != a) continue;
                double[] x = scenario.StandardisedRows[i];
                double mu = 1 / (1 + Math.Exp(-x.Select((v, j) => v * fit.Theta[a][j]).Sum()));
                for (int j = 0; j < 4; j++) score[j] += (scenario.Data.Outcomes[i] - mu) * x[j];
            }
            Assert.All(score, s => Assert.True(Math.Abs(s) < 1e-6, $"score {s}"));
            // Back to the raw scale: slope_j = θ_j / sd_j, intercept = θ_0 − Σ θ_j mean_j / sd_j.
            double intercept = fit.Theta[a][0];
            for (int j = 1; j < 4; j++)
            {
                double slope = fit.Theta[a][j] / scenario.FeatureSds[j - 1];
                intercept -= slope * scenario.FeatureMeans[j - 1];
                Assert.InRange(slope, theta[a][j] - 4 * fit.StandardErrors[a][j] / scenario.FeatureSds[j - 1], theta[a][j] + 4 * fit.StandardErrors[a][j] / scenario.FeatureSds[j - 1]);
            }
            Assert.InRange(intercept, theta[a][0] - 0.25, theta[a][0] + 0.25);
        }
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_temp, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Rows(int perArm, Func<int, string> treatment) =>
        string.Concat(Enumerable.Range(0, 2 * perArm).Select(i => $"{i % 7},{(i * 3) % 5},{treatment(i)},{i % 2}\n"));

    private static readonly CohortOptions Columns = new() { Treatment = "t", Outcome = "y", Mutable = ["m"] };

    [Theory]
    [InlineData("z", "t", "m", "outcome column 'z' not found")]
    [InlineData("t", "tt", "m", "treatment column 'tt' not found")]
    [InlineData("y", "t", "q", "mutable column 'q' not found")]
    public void MissingColumn_IsNamed_WithTheColumnsThereAre(string outcome, string treatment, string mutable, string fragment)
    {
        string path = Write("c.csv", "m,x,t,y\n" + Rows(10, i => (i % 2).ToString(Inv)));
        var ex = Assert.Throws<FormatException>(() => CohortCsv.Read(path, new CohortOptions { Treatment = treatment, Outcome = outcome, Mutable = [mutable] }));
        Assert.Contains(path, ex.Message);
        Assert.Contains(fragment, ex.Message);
        Assert.Contains("columns: m, x, t, y.", ex.Message);
    }

    [Fact]
    public void NonNumericCell_NamesRowAndColumn()
    {
        string path = Write("c.csv", "m,x,t,y\n1,2,a,0\n3,oops,b,1\n");
        var ex = Assert.Throws<FormatException>(() => CohortCsv.Read(path, Columns));
        Assert.Contains(path, ex.Message);
        Assert.Contains("row 3, column x: 'oops' is not a number", ex.Message);
    }

    [Fact]
    public void TreatmentWithOneLevel_IsRefused()
    {
        string path = Write("c.csv", "m,x,t,y\n" + Rows(10, _ => "same"));
        var ex = Assert.Throws<FormatException>(() => CohortCsv.Read(path, Columns));
        Assert.Contains("treatment column 't' has one level ('same')", ex.Message);
    }

    [Fact]
    public void TooFewRowsPerTreatment_IsRefused_NamingTheTreatment()
    {
        // Three coefficients (intercept, m, x) need at least 5 rows per arm; arm "b" has 4.
        string path = Write("c.csv", "m,x,t,y\n" + Rows(10, _ => "a") + "1,2,b,0\n2,4,b,1\n3,1,b,0\n4,3,b,1\n");
        var ex = Assert.Throws<FormatException>(() => CohortCsv.Load(path, Columns));
        Assert.Contains("treatment 'b' has 4 rows", ex.Message);
        Assert.Contains("at least 5", ex.Message);
    }

    [Fact]
    public void Arms_AreSortedNumerically_WhenEveryLevelIsANumber()
    {
        string path = Write("c.csv", "m,x,t,y\n" + Rows(10, i => i % 2 == 0 ? "10" : "9"));
        CohortData data = CohortCsv.Read(path, Columns);
        Assert.Equal(["9", "10"], data.ArmNames); // ordinal order would put "10" first
        Assert.Equal(0, data.Arms[1]);
    }

    [Fact]
    public void CohortOptions_RoundTripThroughJson()
    {
        // LibraExperimentOptions is pure data a JSON study file describes; a tuple-valued Bounds would serialise as {}.
        var options = new LibraExperimentOptions { Env = "csv:c.csv", Cohort = FertilityScenario.Options };
        var json = new System.Text.Json.JsonSerializerOptions { IncludeFields = false };
        string text = System.Text.Json.JsonSerializer.Serialize(options, json);
        LibraExperimentOptions back = System.Text.Json.JsonSerializer.Deserialize<LibraExperimentOptions>(text, json)!;
        Assert.Equal(new CohortBounds(0.2, 1.0), back.Cohort!.Bounds["AlcoholConsumption"]);
        Assert.Equal(FertilityScenario.Options.Mutable, back.Cohort.Mutable);
        Assert.Equal(1, back.Cohort.OutcomeNoise);
        Assert.Equal(text, System.Text.Json.JsonSerializer.Serialize(back, json));
    }

    [Fact]
    public void BadOptions_AreNamed()
    {
        Assert.Contains("not a mutable column", Assert.Throws<ArgumentException>(() => (Columns with { Bounds = new Dictionary<string, CohortBounds> { ["x"] = new(0, 1) } }).Validate()).Message);
        Assert.Contains("lower ≤ upper", Assert.Throws<ArgumentException>(() => (Columns with { Bounds = new Dictionary<string, CohortBounds> { ["m"] = new(2, 1) } }).Validate()).Message);
        Assert.Equal("OutcomeNoise", Assert.Throws<ArgumentOutOfRangeException>(() => (Columns with { OutcomeNoise = -1 }).Validate()).ParamName);
        Assert.Equal("Cohort", Assert.Throws<ArgumentException>(() => new LibraExperimentOptions { Env = "csv:x.csv" }.Validate()).ParamName);
    }
}
