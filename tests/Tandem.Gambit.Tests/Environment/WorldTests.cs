using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Environment;

public class WorldTests
{
    // Prompt a: optimism scores {1, 3} everywhere; prompt b: {−2, 0} at home, {4, 6} elsewhere.
    private static ResponseBank Hand() => TestWorlds.HandMade((p, c) => p == 0 ? [1, 3] : new GambitContext(c).Location == Location.Home ? [-2, 0] : [4, 6]);

    [Fact]
    public async Task ExpectedRewards_AndRegret_AreExact_OnAHandMadeBank()
    {
        var outcome = new LinearOutcomeModel("hand", 10, [StyleDimensions.Optimism], [0.5], NoiseSd: 0, ContextCoefficients: [1, 0, 0]);
        GambitWorld world = GambitWorld.Create(Hand(), outcome, [StyleDimensions.Optimism], 2);
        // Ranked by mean μ over contexts: a = 11 everywhere, b = 9.5 at home and 12.5 (+1 at work) elsewhere → b ranks higher.
        Assert.Equal(["a", "b"], world.Bank.Prompts);
        var home = GambitContext.Of(Location.Home, 1);
        var work = GambitContext.Of(Location.Work, 3);
        Assert.Equal(11, world.ExpectedReward(0, home), 12);        // 10 + 0.5·2
        Assert.Equal(9.5, world.ExpectedReward(1, home), 12);       // 10 + 0.5·(−1)
        Assert.Equal(12, world.ExpectedReward(0, work), 12);        // + work term 1
        Assert.Equal(13.5, world.ExpectedReward(1, work), 12);
        Assert.Equal(11, world.OptimalReward(home), 12);
        Assert.Equal(13.5, world.OptimalReward(work), 12);

        // The runner's exact regret: a StdTS run with zero noise; regret = optimum − μ of the chosen prompt.
        var study = new Study<GambitContext, GambitDecision, GambitOutcome>(run => new GambitEnvironment(world, run),
            [new("StdTS", (run, env) => new StandardThompson(world.Contexts, 2, false, new AgentOptions { PropensityDraws = 1 }, run.CreateRandom("a")))]);
        StudyResult result = await StudyRunner.RunAsync(study, new RunnerOptions { Runs = 2, Horizon = 60, Seed = 4 });
        PolicyTrace trace = result.Policies[0];
        for (int r = 0; r < 2; r++)
        {
            var env = new GambitEnvironment(world, new RunContext(r, Tandem.Core.Randomness.Seeds.Derive(4, r)));
            for (int t = 0; t < 60; t++)
            {
                GambitContext x = env.NextContext();
                int arm = trace.Arms[r][t];
                Assert.Equal(world.OptimalReward(x) - world.ExpectedReward(arm, x), trace.Regret[r][t], 12);
                double expectedRegret = x.Location == Location.Home ? (arm == 0 ? 0 : 1.5) : (arm == 1 ? 0 : 1.5);
                Assert.Equal(expectedRegret, trace.Regret[r][t], 12);
                // ExpectedReward(context, decision) is the same truth, and asking it for every arm draws nothing.
                Assert.Equal(world.OptimalReward(x) - env.ExpectedReward(x, TestWorlds.Bare(arm)), trace.Regret[r][t], 12);
                Assert.Equal(world.OptimalReward(x), Math.Max(env.ExpectedReward(x, TestWorlds.Bare(0)), env.ExpectedReward(x, TestWorlds.Bare(1))), 12);
                env.Respond(x, TestWorlds.Bare(arm));
            }
        }
    }

    [Fact]
    public void Environment_DeliversAResponseOfTheCell_AndItsWorkingEmbedding()
    {
        var outcome = new LinearOutcomeModel("hand", 10, [StyleDimensions.Optimism], [0.5], NoiseSd: 0);
        GambitWorld world = GambitWorld.Create(Hand(), outcome, [StyleDimensions.Optimism], 2);
        var env = new GambitEnvironment(world, new RunContext(0, 9));
        var seen = new HashSet<double>();
        for (int t = 0; t < 200; t++)
        {
            GambitContext x = env.NextContext();
            GambitOutcome o = env.Respond(x, TestWorlds.Bare(0));
            double z = o.Embedding[0];
            seen.Add(z);
            Assert.Equal(10 + 0.5 * z, o.Reward, 12); // zero noise: the reward is f at the delivered response
            Assert.Equal(11, o.ExpectedReward, 12);
        }
        Assert.Equal([1.0, 3.0], seen.Order().ToArray());
    }

    [Fact]
    public void ExpectedReward_OfTheNoMessageArm_IsTheNoMessageMean_AndDrawsNothing()
    {
        GambitWorld world = GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 3, allowNoMessage: true);
        var asked = new GambitEnvironment(world, new RunContext(0, 8));
        var quiet = new GambitEnvironment(world, new RunContext(0, 8));
        for (int t = 0; t < 20; t++)
        {
            GambitContext x = asked.NextContext();
            Assert.Equal(x, quiet.NextContext());
            Assert.Equal(world.NoMessageReward(x), asked.ExpectedReward(x, TestWorlds.Bare(3, 4)));
            for (int a = 0; a < 3; a++) Assert.Equal(world.ExpectedReward(a, x), asked.ExpectedReward(x, TestWorlds.Bare(a, 4)));
            GambitOutcome q = quiet.Respond(x, TestWorlds.Bare(t % 4, 4)), o = asked.Respond(x, TestWorlds.Bare(t % 4, 4));
            Assert.Equal((q.Reward, q.ExpectedReward, q.Response), (o.Reward, o.ExpectedReward, o.Response));
            Assert.Equal(q.Embedding.ToArray(), o.Embedding.ToArray());
        }
    }

    [Fact]
    public void PromptSelection_IsEvenlySpreadByExpectedOutcome()
    {
        // Footnote 17 of App. F.1: K = 3 takes the lowest, the median and the highest prompt.
        GambitWorld all = GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 40);
        double[] value = Enumerable.Range(0, 40).Select(a => Enumerable.Range(0, 12).Average(c => all.ExpectedReward(a, new GambitContext(c)))).ToArray();
        GambitWorld three = GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 3);
        double[] chosen = Enumerable.Range(0, 3).Select(a => Enumerable.Range(0, 12).Average(c => three.ExpectedReward(a, new GambitContext(c)))).ToArray();
        double[] sorted = value.Order().ToArray();
        Assert.Equal(sorted[0], chosen[0], 12);
        Assert.Equal(sorted[20], chosen[1], 12); // round(1 · 39 / 2) = 20
        Assert.Equal(sorted[39], chosen[2], 12);
    }

    [Fact]
    public void MissingDimension_IsNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => GambitWorld.Create(Hand(), LinearOutcomeModel.ThreeD(), [StyleDimensions.Optimism], 2));
        Assert.Contains("formality", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1 style dimension", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoMessageArm_IsAnArm_WhenAllowed()
    {
        GambitWorld world = GambitWorld.Create(TestWorlds.SmallBank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 5, allowNoMessage: true);
        Assert.Equal(6, world.ArmCount);
        var x = new GambitContext(3);
        Assert.True(world.OptimalReward(x) >= world.NoMessageReward(x));
        Assert.True(double.IsFinite(world.NoMessageReward(x)));
    }
}

public class SyntheticBankTests
{
    [Fact]
    public void Shape_Is40PromptsBy12ContextsBy20Dimensions()
    {
        ResponseBank bank = TestWorlds.SmallBank;
        Assert.Equal(40, bank.PromptCount);
        Assert.Equal(20, bank.DimensionCount);
        Assert.Equal(StyleDimensions.All, bank.Dimensions);
        Assert.Equal("optimism:high", bank.Prompts[0]);
        Assert.Equal("gender-codedness:low", bank.Prompts[39]);
        Assert.Equal(60, bank.ResponseCount(7, new GambitContext(11)));
    }

    [Fact]
    public void WithinCellCorrelations_FollowTable1()
    {
        ResponseBank bank = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 3000, Seed = 5 });
        var ctx = new GambitContext(4);
        double[] cell = bank.Cell(10, ctx, out int n).ToArray();
        int d = bank.DimensionCount;
        double Corr(string a, string b)
        {
            int i = bank.DimensionIndex(a), j = bank.DimensionIndex(b);
            double mi = 0, mj = 0;
            for (int r = 0; r < n; r++) { mi += cell[r * d + i] / n; mj += cell[r * d + j] / n; }
            double sij = 0, sii = 0, sjj = 0;
            for (int r = 0; r < n; r++)
            {
                double u = cell[r * d + i] - mi, v = cell[r * d + j] - mj;
                sij += u * v; sii += u * u; sjj += v * v;
            }
            return sij / Math.Sqrt(sii * sjj);
        }
        // Sampling sd of a correlation with n = 3000 is ≤ 0.018; tolerance 0.06 (Table 1 may be shrunk slightly to be PD).
        Assert.Equal(-0.960, Corr("optimism", "encouragement"), 0.06);
        Assert.Equal(0.787, Corr("optimism", "severity"), 0.06);
        Assert.Equal(-0.568, Corr("formality", "severity"), 0.06);
        Assert.Equal(0.184, Corr("optimism", "clarity"), 0.06);
    }

    [Fact]
    public void AHighPrompt_RaisesItsDimension_AndALowPromptLowersIt()
    {
        ResponseBank bank = TestWorlds.SmallBank;
        for (int k = 0; k < 20; k++)
        {
            double high = 0, low = 0;
            for (int c = 0; c < 12; c++)
            {
                var ctx = new GambitContext(c);
                for (int r = 0; r < 60; r++)
                {
                    high += bank.Response(2 * k, ctx, r)[k];
                    low += bank.Response(2 * k + 1, ctx, r)[k];
                }
            }
            Assert.True(high > low, bank.Dimensions[k]);
        }
    }

    [Fact]
    public void SameSeed_SameBank()
    {
        var a = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 5, Seed = 8 });
        var b = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 5, Seed = 8 });
        for (int p = 0; p < 40; p++)
            for (int c = 0; c < 12; c++)
                Assert.Equal(a.Cell(p, new GambitContext(c), out _).ToArray(), b.Cell(p, new GambitContext(c), out _).ToArray());
    }
}

public class BankCsvTests
{
    private static string Header => "prompt,context,optimism,formality,text";

    [Fact]
    public void RoundTrip_OfTheSyntheticBank()
    {
        var bank = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 2 }).SelectPrompts([0, 5, 7]);
        var writer = new StringWriter();
        BankCsv.Write(bank, writer);
        ResponseBank read = BankCsv.Parse(new StringReader(writer.ToString()), "bank.csv");
        Assert.Equal(bank.Prompts, read.Prompts);
        Assert.Equal(bank.Dimensions, read.Dimensions);
        for (int p = 0; p < 3; p++)
            for (int c = 0; c < 12; c++)
                Assert.Equal(bank.Cell(p, new GambitContext(c), out _).ToArray(), read.Cell(p, new GambitContext(c), out _).ToArray());
    }

    private static string AllCells(string prompt, Func<int, string>? text = null) =>
        string.Concat(Enumerable.Range(0, 12).Select(c => $"{prompt},{new GambitContext(c)},0.{c},1,{text?.Invoke(c) ?? "hi"}\n"));

    [Fact]
    public void QuotedTexts_WithCommasAndNewlines_AreRead()
    {
        string csv = Header + "\n" + AllCells("p", c => c == 3 ? "\"Walk, then \"\"rest\"\"\nlater\"" : "ok");
        ResponseBank bank = BankCsv.Parse(new StringReader(csv), "bank.csv");
        Assert.Equal("Walk, then \"rest\"\nlater", bank.Text(0, new GambitContext(3), 0));
        Assert.Equal(0.3, bank.Response(0, new GambitContext(3), 0)[0]);
    }

    [Fact]
    public void MissingContext_NamesFilePromptAndContext()
    {
        string csv = Header + "\n" + AllCells("p") + string.Concat(AllCells("q").Split('\n').Take(11).Select(l => l + "\n"));
        var ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader(csv), "bank.csv"));
        Assert.Equal("bank.csv: prompt 'q' has no responses in context other:4; every prompt needs all 12 contexts.", ex.Message);
    }

    [Fact]
    public void NonNumericScore_NamesRowAndColumn()
    {
        string csv = Header + "\n" + AllCells("p").Replace("home:3,0.2,1", "home:3,0.2,high", StringComparison.Ordinal);
        var ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader(csv), "bank.csv"));
        Assert.Equal("bank.csv row 4: column 'formality' value 'high' is not a finite number.", ex.Message);
    }

    [Fact]
    public void BadContext_AndBadHeader_AreNamed()
    {
        // A typo among the paper's contexts is refused, not read as a context space of the file's own.
        var ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader(Header + "\np,home:1,1,2,x\np,garden:1,1,2,x\n"), "b.csv"));
        Assert.StartsWith("b.csv row 3: context 'garden:1' is not home|work|other:1..4 or an index 0..11, while row 2 names the paper's context 'home:1'", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<BankFormatException>(() => BankCsv.Parse(new StringReader("name,context,optimism\n"), "b.csv"));
        Assert.StartsWith("b.csv row 1:", ex.Message, StringComparison.Ordinal);
    }
}
