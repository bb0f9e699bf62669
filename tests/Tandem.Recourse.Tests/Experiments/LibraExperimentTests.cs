using System.Text.Json;
using System.Text.Json.Serialization;
using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;
using Tandem.Recourse.Tests.Policies;

namespace Tandem.Recourse.Tests.Experiments;

public class LibraExperimentTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static LibraExperimentOptions Small(string env, LibraStudyOptions? study = null) => new()
    {
        Env = env,
        Horizon = 40,
        Runs = 2,
        Seed = 3,
        MaxDegreeOfParallelism = 1,
        DataDirectory = TestWorlds.DataDirectory(),
        Study = study ?? new LibraStudyOptions(),
    };

    private sealed class ScriptedFactory : IRecourseAdvisorFactory
    {
        public int Created { get; private set; }

        public IRecourseAdvisor? Create(AdvisorSpec spec, RecourseProblem problem, RunContext run)
        {
            if (spec.Kind != "model:a") return null;
            Created++;
            return new ScriptedAdvisor(r => r.Context[0] > 0 ? Advice.Abstain("refused") : Advice.Give(0, new double[problem.MutableIndices.Length]));
        }
    }

    [Fact]
    public async Task Options_AreData_AJsonRoundTripRunsTheSameStudy()
    {
        // Catches a delegate (or anything else not serializable) slipping back into the options.
        LibraExperimentOptions options = Small("synthetic", new LibraStudyOptions
        {
            Policies = ["glrb", "libra"],
            Advisors = [AdvisorSpec.Parse("simulated:q=0.7")],
            NonCompliance = NonComplianceSpec.Parse("random:eps=0.2"),
            Delta = 0.5,
            Norm = "l1",
        });
        string text = JsonSerializer.Serialize(options, Json);
        LibraExperimentOptions back = JsonSerializer.Deserialize<LibraExperimentOptions>(text, Json)!;
        Assert.Equal(text, JsonSerializer.Serialize(back, Json));

        LibraResult a = await LibraExperiment.RunAsync(options);
        LibraResult b = await LibraExperiment.RunAsync(back);
        Assert.Equal(a.LibraSummary.Policies.Select(p => p.RegretCurve), b.LibraSummary.Policies.Select(p => p.RegretCurve));
    }

    [Theory]
    [InlineData("hypertension", 20)]
    [InlineData("fertility", 39)]
    public async Task Report_HasTheSummaryCurvesRecoursesAndFigures(string env, int fromStep)
    {
        LibraResult result = await LibraExperiment.RunAsync(Small(env));
        Assert.Equal(fromStep, result.RecourseFromStep);
        Report report = result.ToReport();
        Assert.Same(result.Summary, report.Summary);
        var curves = Assert.IsType<CurveTable>(report.Files.Single(f => f.Name == "curves.csv"));
        int policies = result.LibraSummary.Policies.Count;
        Assert.Equal(3 * policies, curves.Curves.Count);
        Assert.All(curves.Curves, c => Assert.Equal(40, c.Values.Count));
        Assert.Equal(result.LibraSummary.Policies[3].RegretCurve, curves.Curves.Single(c => c.Series == result.LibraSummary.Policies[3].Name && c.Statistic == "regret_mean").Values);
        var recourses = Assert.IsType<RowTable>(report.Files.Single(f => f.Name == "recourses.csv"));
        Assert.Equal(3 * 2, recourses.Rows.Count); // LLM-only, GLRB, LIBRA × K = 2 arms
        // Counts in the window: 2 runs × (40 − fromStep) steps per policy.
        Assert.All(recourses.Rows.Chunk(2), arms => Assert.Equal(2 * (40 - fromStep), arms.Sum(r => (int)r[2]!)));
        Assert.Contains(report.Files, f => f is BarFigure { Name: "recourse-libra" });
        Assert.Contains(report.Files, f => f is LineFigure { Name: "queries" });
        Assert.Equal(env == "fertility", result.LibraSummary.FittedMutableCoefficients is not null);
        Assert.Contains(report.Body, b => b is FigureBlock { File: "regret.png" });
    }

    [Fact]
    public async Task ExternalAdvisors_AreNamedAsData_AndBuiltByTheHostsFactory_AndModelUseIsAttached()
    {
        var options = Small("synthetic", new LibraStudyOptions { Policies = ["llm-only"], Advisors = [AdvisorSpec.External("model:a")] });
        Assert.Throws<ArgumentException>(() => LibraStudy.Create(new Tandem.Recourse.Environments.SyntheticScenario(), options.Study));

        var factory = new ScriptedFactory();
        LibraResult result = await LibraExperiment.RunAsync(options, factory);
        Assert.Equal(2, factory.Created); // one per run
        Assert.Equal("model:a", result.LibraSummary.Advisor);
        Assert.Equal(40, result.LibraSummary.Policies[0].LlmQueries.Mean);
        Assert.Null(result.LibraSummary.Llm);

        var use = new ModelUse(80, 1000, 200, 0, new Dictionary<string, int> { ["refused"] = 3 }, 12.5);
        LibraResult attached = result.WithModelUse(use);
        Assert.Same(use, attached.LibraSummary.Llm);
        Assert.Contains(attached.ToReport().Body, b => b is TableBlock t && t.Headers[0] == "model" && t.Rows[0][6] == "refused 3");
    }

    [Fact]
    public async Task Ablation_RunsLibraOncePerValue_AndRefusesQWithoutASimulatedAdvisor()
    {
        LibraAblationResult result = await LibraExperiment.RunAblationAsync(Small("synthetic"), new LibraAblationOptions { Vary = "delta", Values = [0, 1e9] });
        Assert.Equal(["Δ=0", "Δ=1000000000"], result.AblationSummary.Series.Select(s => s.Setting).ToArray());
        Assert.Equal(40, result.AblationSummary.Series[0].LlmQueries.Mean); // Δ = 0 asks every step
        Assert.Equal(0, result.AblationSummary.Series[1].LlmQueries.Mean);
        Assert.Equal(3, result.ToReport().Files.Count);

        await Assert.ThrowsAsync<ArgumentException>(() => LibraExperiment.RunAblationAsync(
            Small("synthetic", new LibraStudyOptions { Advisors = [AdvisorSpec.External("model:a")] }), new LibraAblationOptions { Vary = "q", Values = [0.5] }, new ScriptedFactory()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LibraAblationOptions { Vary = "q", Values = [1.5] }.Validate());
        Assert.Throws<ArgumentException>(() => new LibraExperimentOptions { Env = "mars" }.Validate());
    }
}
