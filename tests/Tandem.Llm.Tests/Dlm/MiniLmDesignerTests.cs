using Tandem.Core.Ports;
using Tandem.Llm.Dlm;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Xunit.Abstractions;

namespace Tandem.Llm.Tests.Dlm;

/// <summary>One loaded model for the class (loading takes about 2 s).</summary>
public sealed class MiniLmDesignerFixture : IDisposable
{
    public MiniLmDesignerFactory Factory { get; } = new();

    public void Dispose() => Factory.Dispose();
}

/// <summary>The <c>minilm</c> designer on the real all-MiniLM-L6-v2, and what happens when the model is missing.</summary>
public sealed class MiniLmDesignerTests(MiniLmDesignerFixture fixture, ITestOutputHelper output) : IClassFixture<MiniLmDesignerFixture>
{
    private static readonly DlmTaskSet Tasks = DlmTaskSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "tasks.json"));

    [Fact]
    public void AMissingModelFile_StopsWithOneLineNamingTheFile_NeverAFallback()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), MiniLmTextEmbedder.PackagedFileName);
        StudyStopException ex = Assert.Throws<StudyStopException>(() => new MiniLmDesignerFactory(new MiniLmEmbedderOptions { ModelFile = missing }));
        Assert.Contains(missing, ex.Message);
        Assert.Contains("all-MiniLM-L6-v2", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Throws<StudyStopException>(() => MiniLmTextEmbedder.Load(new MiniLmEmbedderOptions { ModelFile = missing }));
    }

    [Fact]
    public void AnExistingFileThatIsNotThePackagedModel_IsRefused()
    {
        // Catches an option that is checked for existence and then silently ignored.
        string other = Path.GetTempFileName();
        try
        {
            StudyStopException ex = Assert.Throws<StudyStopException>(() => MiniLmTextEmbedder.Load(new MiniLmEmbedderOptions { ModelFile = other }));
            Assert.Contains(other, ex.Message);
        }
        finally
        {
            File.Delete(other);
        }
    }

    [Fact]
    public void ThePackagedModelFile_IsWhereTheRuntimeLoadsItFrom()
    {
        Assert.True(File.Exists(MiniLmTextEmbedder.PackagedModelFile), MiniLmTextEmbedder.PackagedModelFile);
        using MiniLmTextEmbedder named = MiniLmTextEmbedder.Load(new MiniLmEmbedderOptions { ModelFile = MiniLmTextEmbedder.PackagedModelFile });
        Assert.Equal("minilm", named.Name);
    }

    [Fact]
    public void Options_OutOfRange_AreRefusedNamingTheField()
    {
        Assert.Equal("Threads", Assert.Throws<ArgumentOutOfRangeException>(() => new MiniLmEmbedderOptions { Threads = 0 }.Validate()).ParamName);
        Assert.Equal("ModelFile", Assert.Throws<ArgumentException>(() => new MiniLmEmbedderOptions { ModelFile = " " }.Validate()).ParamName);
    }

    [Fact]
    public void TheFactory_SuppliesTheMiniLmDesignerOnly()
    {
        Assert.Same(fixture.Factory.Designer, fixture.Factory.TryCreate(new DesignerSpec { Name = "minilm" }));
        Assert.Null(fixture.Factory.TryCreate(new DesignerSpec { Name = "ollama:llama3" }));
        Assert.Same(fixture.Factory.Designer, RewardDesigners.Create(new DesignerSpec { Name = "MiniLM" }, fixture.Factory));
        Assert.IsType<SimulatedDesigner>(RewardDesigners.Create(new DesignerSpec { Name = "simulated" }, fixture.Factory));
    }

    [Fact]
    public async Task TheShippedSentences_GroundInTheGroupsTheyName()
    {
        // Groundings of the 16 sentences with the real model (printed for docs/dlm-designer.md). Asserted: what the
        // sentences' numbers and names make unambiguous (a model that lost the text would fail these), not Table 1.
        var groundings = new List<EmbeddingGrounding>();
        foreach (DlmTask t in Tasks.Tasks)
        {
            EmbeddingGrounding g = await fixture.Factory.Designer.GroundAsync(t.Prompt);
            groundings.Add(g);
            string Show(int f) => $"{f}:{g.Inclusion[f]:0.00}";
            output.WriteLine($"{t.Index,2} named [{string.Join(", ", g.NamedGroups.Select(x => x.Name))}] inclusion {{{string.Join(" ", Enumerable.Range(0, Features.Count).Where(f => g.Inclusion[f] > 0).Select(Show))}}} " +
                $"top z {string.Join(" ", Enumerable.Range(Features.FirstPromptFeature, Features.Count - Features.FirstPromptFeature).OrderByDescending(f => g.Outlier[f]).Take(4).Select(f => $"{f}:{g.Outlier[f]:0.0}"))}");
        }
        Assert.Equal([12], groundings[2].Targets);                  // "those who speak Hindi"
        Assert.Contains(13, groundings[8].Targets);                 // "Marathi-speakers"
        Assert.Equal([26], groundings[11].ClockMatched);            // "before 10:30am"
        Assert.Equal([27], groundings[12].ClockMatched);            // "between 10:30am-12:30pm"
        Assert.Equal([28], groundings[13].ClockMatched);            // "between 12:30pm-3:30pm"
        Assert.Equal([31], groundings[14].ClockMatched);            // "after 7PM"
        Assert.All(groundings, g => Assert.NotEmpty(g.NamedGroups));
    }

    [Fact]
    public async Task TwoDesignersOnTheRealModel_GiveTheSameDesignsForTheSameSeeds()
    {
        using var other = new MiniLmDesignerFactory();
        DlmTask task = Tasks.Tasks[7];
        for (ulong s = 0; s < 20; s++)
        {
            var request = new ProposalRequest(task, 0, 0, [], [], s);
            Assert.Equal((await fixture.Factory.Designer.ProposeAsync(request)).Value!.Expression, (await other.Designer.ProposeAsync(request)).Value!.Expression);
        }
    }
}
