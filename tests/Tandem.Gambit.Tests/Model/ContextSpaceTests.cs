using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Model;

public sealed class ContextSpaceTests
{
    private static readonly AgentOptions Small = new()
    {
        PropensityDraws = 10, EnsembleMembers = 4, EnsembleHidden = 8, EnsembleBatch = 8, EnsembleBuffer = 16, EnsembleBurnIn = 5,
        MonteCarloDraws = 5, OfflineDraws = 8,
    };

    public static TheoryData<string> Agents => new(AgentCatalog.All.Select(a => a.Id));

    // Hand-made bank over the three contexts: prompt a scores 1 everywhere; prompt b scores 3 in "morning", −1 elsewhere.
    private static ResponseBank HandThree()
    {
        ContextSpace x = TestWorlds.ThreeContexts;
        var cells = new double[2 * x.Count][];
        for (int c = 0; c < x.Count; c++)
        {
            cells[c] = [1, 1];
            cells[x.Count + c] = c == 0 ? [2, 4] : [-2, 0];
        }
        return new ResponseBank(["a", "b"], [StyleDimensions.Optimism], cells, contexts: x);
    }

    [Fact]
    public void PaperSpace_IsTheTwelveCells_WithTheAuthorsTerms()
    {
        ContextSpace paper = ContextSpace.Paper;
        Assert.Equal(12, paper.Count);
        Assert.Equal(GambitContext.Count, paper.Count);
        Assert.Equal(["work", "home", "steps-bin"], paper.TermNames);
        for (int c = 0; c < 12; c++)
        {
            var x = new GambitContext(c);
            Assert.Equal(x.ToString(), paper.Name(c));
            Assert.Equal([x.Location == Location.Work ? 1 : 0, x.Location == Location.Home ? 1 : 0, x.StepsBin], paper.Terms(c).ToArray());
            Assert.True(paper.TryParse(x.ToString().ToUpperInvariant(), out GambitContext parsed));
            Assert.Equal(x, parsed);
        }
        Assert.Equal(new GambitContext(5), paper[5]);
        Assert.True(paper.Equals(new ContextSpace(paper.Names, paper.TermNames, Enumerable.Range(0, 12).Select(c => (IReadOnlyList<double>)paper.Terms(c).ToArray()).ToArray())));
    }

    [Fact]
    public void BadSpaces_AreRefused_NamingTheProblem()
    {
        Assert.Contains("'X' appears twice", Assert.Throws<ArgumentException>(() => new ContextSpace(["x", "X"], [], [[], []])).Message, StringComparison.Ordinal);
        Assert.Contains("'3' is an integer", Assert.Throws<ArgumentException>(() => new ContextSpace(["3"], [], [[]])).Message, StringComparison.Ordinal);
        Assert.Contains("'b' has 2 term value(s); the space has 1", Assert.Throws<ArgumentException>(() => new ContextSpace(["a", "b"], ["t"], [[1], [1, 2]])).Message, StringComparison.Ordinal);
        Assert.Contains("must be finite", Assert.Throws<ArgumentException>(() => new ContextSpace(["a"], ["t"], [[double.NaN]])).Message, StringComparison.Ordinal);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => ContextSpace.Unstructured(0)).ParamName);
    }

    // Catches: an environment drawing from 12 contexts, and a world indexing cells by 12.
    [Fact]
    public void Environment_OnAThreeContextSpace_DrawsEveryContext_AndRegretIsExact()
    {
        var outcome = new LinearOutcomeModel("hand", 10, [StyleDimensions.Optimism], [0.5], NoiseSd: 0, ContextCoefficients: [0.1]);
        GambitWorld world = GambitWorld.Create(HandThree(), outcome, [StyleDimensions.Optimism], 2);
        Assert.Same(TestWorlds.ThreeContexts, world.Contexts);
        // μ(x, a) = 10 + 0.5·mean(z) + 0.1·hour: a = 10.5 + 0.1 h; b = 11.5 + 0.1 h in the morning, 9.5 + 0.1 h elsewhere.
        int a = world.Bank.Prompts.ToList().IndexOf("a"), b = 1 - a;
        ContextSpace x = world.Contexts;
        Assert.Equal(11.5 + 0.8, world.ExpectedReward(b, x[0]), 12);
        Assert.Equal(10.5 + 1.2, world.ExpectedReward(a, x[1]), 12);
        Assert.Equal(10.5 + 1.9, world.OptimalReward(x[2]), 12);
        var env = new GambitEnvironment(world, new RunContext(0, 9));
        var seen = new int[3];
        for (int t = 0; t < 300; t++)
        {
            GambitContext context = env.NextContext();
            Assert.Same(x, context.Space);
            seen[context.Index]++;
            GambitOutcome o = env.Respond(context, TestWorlds.Bare(b));
            Assert.Equal(world.ExpectedReward(b, context), o.ExpectedReward, 12);
        }
        Assert.All(seen, n => Assert.InRange(n, 70, 130));
        // The best prompt changes with the context: b in the morning, a otherwise.
        Assert.Equal(world.ExpectedReward(b, x[0]), world.OptimalReward(x[0]), 12);
        Assert.Equal(world.ExpectedReward(a, x[1]), world.OptimalReward(x[1]), 12);
    }

    // Every agent of the catalog, K = 2, on a non-paper space: decides in every context, learns, and the runner's
    // regret equals optimum − μ of the chosen prompt. Catches models sized or indexed by the paper's 12 contexts.
    [Theory]
    [MemberData(nameof(Agents))]
    public async Task EveryAgent_WithTwoPrompts_OnAThreeContextSpace_RunsWithExactRegret(string id)
    {
        AgentSpec spec = AgentCatalog.Find(id)!;
        GambitWorld world = GambitWorld.Create(TestWorlds.ThreeContextBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 2);
        Assert.Equal(2, world.PromptCount);
        var options = Small with { ContextTerms = true };
        var study = new Study<GambitContext, GambitDecision, GambitOutcome>(run => new GambitEnvironment(world, run),
            [new(spec.Name, (run, env) => spec.Create(((GambitEnvironment)env).World, run, options))]);
        StudyResult result = await StudyRunner.RunAsync(study, new RunnerOptions { Runs = 2, Horizon = 40, Seed = 3, MaxDegreeOfParallelism = 1 });
        PolicyTrace trace = result.Policies[0];
        for (int r = 0; r < 2; r++)
        {
            var env = new GambitEnvironment(world, new RunContext(r, Tandem.Core.Randomness.Seeds.Derive(3, r)));
            for (int t = 0; t < 40; t++)
            {
                GambitContext x = env.NextContext();
                int arm = trace.Arms[r][t];
                Assert.InRange(arm, 0, 1);
                Assert.Equal(world.OptimalReward(x) - world.ExpectedReward(arm, x), trace.Regret[r][t], 12);
                env.Respond(x, TestWorlds.Bare(arm));
            }
        }

        GambitAgent agent = spec.Create(world, new RunContext(0, 5), options);
        Assert.Same(world.Contexts, agent.Contexts);
        foreach (GambitContext x in Enumerable.Range(0, 3).Select(c => world.Contexts[c]))
        {
            GambitDecision d = agent.Decide(x);
            Assert.Equal(2, d.Probabilities.Length);
            agent.Learn(x, d, new GambitOutcome(80, 80, [0.1], 0));
        }
        // A context of the paper's space is refused at the edge, naming the parameter.
        var ex = Assert.Throws<ArgumentException>(() => agent.Decide(new GambitContext(1)));
        Assert.Equal("context", ex.ParamName);
        Assert.Contains("space of 12 context(s)", ex.Message, StringComparison.Ordinal);
    }

    // With context terms, φ carries the space's terms: [1, z, hour]. Catches the paper's three terms written for any space.
    [Fact]
    public void RewardFeatures_CarryTheSpacesTerms()
    {
        ContextSpace x = TestWorlds.ThreeContexts;
        Assert.Equal(3, RewardFeatures.Width(1, x, contextTerms: true));
        Assert.Equal(2, RewardFeatures.Width(1, x, contextTerms: false));
        Assert.Equal(5, RewardFeatures.Width(1, ContextSpace.Paper, contextTerms: true));
        var phi = new double[3];
        RewardFeatures.Write([0.25], x[2], contextTerms: true, phi);
        Assert.Equal([1, 0.25, 19], phi);
        GambitWorld world = GambitWorld.Create(TestWorlds.ThreeContextBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 2);
        var po = new PartiallyOnlineGambitts(new BankTreatmentGenerator(world), Small with { ContextTerms = true }, TestWorlds.Rng(1), TestWorlds.Rng(2));
        Assert.Equal(3, po.RewardModel.Dimension);
    }

    [Fact]
    public void OutcomeWithThePapersTerms_IsRefused_OnAnotherSpace()
    {
        var ex = Assert.Throws<ArgumentException>(() => GambitWorld.Create(TestWorlds.ThreeContextBank, LinearOutcomeModel.ThreeDWithContext(),
            [StyleDimensions.Optimism], 2));
        Assert.Equal("outcome", ex.ParamName);
        Assert.Contains("reads 3 context term(s); the bank's context space has 1 ([hour])", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SendGate_OnAThreeContextSpace_KeepsTwoModelsPerContext_AndRecordsTheSpace()
    {
        var gate = new ThompsonSendGate(TestWorlds.ThreeContexts, NormalInverseGamma.AuthorsPrior, 5, TestWorlds.Rng(3));
        for (int c = 0; c < 3; c++) gate.Learn(TestWorlds.ThreeContexts[c], gate.Decide(TestWorlds.ThreeContexts[c]), 70);
        var paperGate = new ThompsonSendGate(ContextSpace.Paper, NormalInverseGamma.AuthorsPrior, 5, TestWorlds.Rng(3));
        var ex = Assert.Throws<Tandem.Core.State.PolicyStateException>(() => paperGate.ImportState(gate.ExportState()));
        Assert.Contains("space of 3 context(s); this gate's space has 12", ex.Message, StringComparison.Ordinal);
        Assert.Equal("context", Assert.Throws<ArgumentException>(() => gate.Decide(new GambitContext(0))).ParamName);
    }

    // A bank CSV declares its own space through its context names and context:<term> columns.
    [Fact]
    public void BankCsv_WithItsOwnSpace_RoundTrips()
    {
        ResponseBank bank = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 2, Contexts = TestWorlds.ThreeContexts }).SelectPrompts([0, 3]);
        var writer = new StringWriter();
        BankCsv.Write(bank, writer);
        string csv = writer.ToString();
        Assert.StartsWith("prompt,context,context:hour,optimism,", csv, StringComparison.Ordinal);
        ResponseBank read = BankCsv.Parse(new StringReader(csv), "own.csv");
        Assert.Equal(TestWorlds.ThreeContexts, read.Contexts);
        for (int p = 0; p < 2; p++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(bank.Cell(p, bank.Contexts[c], out _).ToArray(), read.Cell(p, read.Contexts[c], out _).ToArray());

        // Names alone declare a space without terms, in order of first appearance.
        ResponseBank plain = BankCsv.Parse(new StringReader("prompt,context,optimism\np,late,1\np,early,2\nq,early,3\nq,late,4\n"), "plain.csv");
        Assert.Equal(["late", "early"], plain.Contexts.Names);
        Assert.Equal(0, plain.Contexts.TermCount);
        Assert.Equal([3.0], plain.Cell(1, plain.Contexts[1], out _).ToArray());
    }

    [Fact]
    public void BankCsv_OwnSpace_BadInput_IsNamed()
    {
        var ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader("prompt,context,context:hour,optimism\np,a,1,0\np,a,2,0\n"), "t.csv"));
        Assert.Equal("t.csv row 3: context 'a' has context:hour = 2, but 1 on row 2; a context's terms must be the same on every row.", ex.Message);
        ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader("prompt,context,context:hour,optimism\np,a,1,0\np,20,2,0\n"), "t.csv"));
        Assert.StartsWith("t.csv row 3: context '20' is an index", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader("prompt,context,optimism\np,a,0\np,b,0\nq,a,1\n"), "t.csv"));
        Assert.Equal("t.csv: prompt 'q' has no responses in context b; every prompt needs all 2 contexts.", ex.Message);
    }

    // The paper's contexts with the paper's terms written out read as the paper's space, so numbers do not change.
    [Fact]
    public void BankCsv_PaperContextsWithThePapersTerms_AreThePapersSpace()
    {
        var rows = Enumerable.Range(0, 12).Select(c => $"p,{new GambitContext(c)},{string.Join(",", ContextSpace.Paper.Terms(c).ToArray())},0.5");
        ResponseBank bank = BankCsv.Parse(new StringReader("prompt,context,context:work,context:home,context:steps-bin,optimism\n" + string.Join("\n", rows)), "p.csv");
        Assert.Same(ContextSpace.Paper, bank.Contexts);
    }
}
