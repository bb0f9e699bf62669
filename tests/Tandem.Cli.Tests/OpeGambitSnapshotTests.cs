using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.Core.Abstractions;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Core.State;
using Tandem.Evaluation.Logs;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;

namespace Tandem.Cli.Tests;

/// <summary>GAMBITTS snapshots as OPE targets: <see cref="GambitAgent.Restore"/> rebuilds every agent from its state
/// alone, and <c>tandem ope --policy snapshot:FILE</c> evaluates it.</summary>
public sealed class OpeGambitSnapshotTests : IDisposable
{
    private readonly string _folder = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Out(string name) => Path.Combine(_folder, name);

    // A space that is not the paper's, with a context term the agents read (ContextTerms = true), so a restore that
    // lost the terms would score differently.
    private static readonly ContextSpace Hours = new(["morning", "noon", "evening"], ["hour"], [[8], [12], [19]]);

    private static readonly Lazy<GambitWorld> WorldLazy = new(() => GambitWorld.Create(
        SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 30, Contexts = Hours }), LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 3, allowNoMessage: true));

    private static GambitWorld World => WorldLazy.Value;

    private static readonly AgentOptions Small = new()
    {
        PropensityDraws = 40, ContextTerms = true, EnsembleMembers = 5, EnsembleHidden = 8, EnsembleBatch = 8, EnsembleBuffer = 32, EnsembleBurnIn = 10,
        MonteCarloDraws = 8, OfflineDraws = 8,
    };

    public static TheoryData<string> Kinds => new() { "stdts", "stdts-contextual", "po", "fo", "blended", "ens-po", "ens-fo" };

    // Built the ordinary way: the offline treatment models draw from the bank.
    private static GambitAgent Build(string id, ulong seed, AgentOptions? options = null)
    {
        var run = new RunContext(0, seed);
        AgentOptions o = options ?? Small;
        return id switch
        {
            "stdts" => new StandardThompson(World.Contexts, World.PromptCount, false, o, run.CreateRandom("a")),
            "stdts-contextual" => new StandardThompson(World.Contexts, World.PromptCount, true, o, run.CreateRandom("a")),
            "po" => new PartiallyOnlineGambitts(new BankTreatmentGenerator(World), o, run.CreateRandom("a"), run.CreateRandom("o")),
            "fo" => new FullyOnlineGambitts(World.Contexts, World.PromptCount, World.EmbeddingDimension, o, run.CreateRandom("a")),
            "blended" => FullyOnlineGambitts.Blended(new BankTreatmentGenerator(World), o, run.CreateRandom("a"), run.CreateRandom("o")),
            "ens-po" => EnsembleGambitts.PartiallyOnline(new BankTreatmentGenerator(World), o, run.CreateRandom("a"), run.CreateRandom("o")),
            _ => EnsembleGambitts.FullyOnline(World.Contexts, World.PromptCount, World.EmbeddingDimension, o, run.CreateRandom("a")),
        };
    }

    private static async Task<GambitAgent> Trained(string id, ulong seed, AgentOptions? options = null)
    {
        GambitAgent agent = Build(id, seed, options);
        var env = new GambitEnvironment(World, new RunContext(0, seed + 100));
        for (int t = 0; t < 60; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = await agent.DecideAsync(x);
            await agent.LearnAsync(x, d, env.Respond(x, d));
        }
        return agent;
    }

    // Catches a restore that loses the context terms, d_z, the offline draws (the placeholder's zeros would survive),
    // the networks or the random state: the rebuilt agent must decide bit for bit as the saved one.
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Restore_FromTheStateAlone_DecidesBitForBitAsTheSavedAgent(string id)
    {
        GambitAgent saved = await Trained(id, 31);
        PolicyState state = PolicyStates.Deserialize(PolicyStates.Serialize(saved.ExportState()));

        GambitAgent restored = GambitAgent.Restore(state);

        Assert.Equal(saved.Kind, restored.Kind);
        Assert.Equal(saved.Contexts, restored.Contexts);
        for (int t = 0; t < 24; t++)
        {
            GambitContext x = Hours[t % 3];
            GambitDecision a = saved.Decide(x), b = restored.Decide(x);
            Assert.Equal(a.Arm, b.Arm);
            Assert.Equal(a.Probabilities.ToArray(), b.Probabilities.ToArray());
        }
        Assert.Equal(PolicyStates.Serialize(saved.ExportState()), PolicyStates.Serialize(restored.ExportState()));
    }

    [Fact]
    public async Task Restore_OfAVersion2State_IsRefused_NamingWhatItLacks()
    {
        PolicyState state = (await Trained("po", 3)).ExportState();

        var ex = Assert.Throws<PolicyStateException>(() => GambitAgent.Restore(state with { Version = 2 }));

        Assert.Contains("format version 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("context terms and embedding size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_OfAnotherKind_IsRefused_NamingTheRestorableKinds()
    {
        PolicyState state = (await Trained("po", 3)).ExportState();

        var ex = Assert.Throws<PolicyStateException>(() => GambitAgent.Restore(state with { Kind = "glrb" }));

        Assert.Contains("'glrb'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gambit-ens-fo", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportState_WithOtherContextTerms_IsRefused_NamingThem()
    {
        GambitAgent agent = await Trained("fo", 3);
        JsonObject data = CliJson.Parse(agent.ExportState().Data.GetRawText())!.AsObject();
        data["contextTerms"]![2]![0] = 20;
        PolicyState edited = agent.ExportState() with { Data = JsonSerializer.SerializeToElement(data) };

        var ex = Assert.Throws<PolicyStateException>(() => Build("fo", 3).ImportState(edited));

        Assert.Contains("context terms [hour]", ex.Message, StringComparison.Ordinal);
    }

    // A log over the three cells under a uniform logger, with made-up expected rewards per prompt.
    private string Log(int lines)
    {
        var random = new Random(7);
        double[] truth = [0.2, 0.4, 0.9];
        string path = Out("gambit.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, lines).Select(i =>
        {
            int arm = random.Next(3);
            return DecisionLogLines.Format(new LoggedDecision(i + 1, 0, i, null, Hours.Name(i % 3), arm, 1 / 3.0, [1 / 3.0, 1 / 3.0, 1 / 3.0], truth[arm] + random.NextDouble() - 0.5, truth));
        }));
        return path;
    }

    // The agent's probabilities per cell, independently: a copy built the ordinary way (from the bank) and imported,
    // averaged over 30 decisions.
    private static Dictionary<string, double[]> Probabilities(string id, PolicyState state)
    {
        GambitAgent fresh = Build(id, 77);
        fresh.ImportState(state);
        var pi = new Dictionary<string, double[]>();
        for (int c = 0; c < 3; c++)
        {
            var sum = new double[3];
            for (int r = 0; r < 30; r++)
            {
                GambitDecision d = fresh.Decide(Hours[c]);
                for (int a = 0; a < 3; a++) sum[a] += d.Probabilities[a] / 30;
            }
            pi[Hours.Name(c)] = sum;
        }
        return pi;
    }

    [Theory]
    [InlineData("po", 40)]
    [InlineData("fo", 40)]
    [InlineData("ens-fo", 5)]
    [InlineData("ens-po", 0)] // every offline draw is used (M = 8 ≤ 8 Monte Carlo draws): the members' vote is exact
    public async Task SnapshotTarget_GambittsAgents_RebuiltFromTheSnapshotAlone_ReportTheirDraws(string id, int draws)
    {
        GambitAgent agent = await Trained(id, 9);
        string snapshot = Out(id + ".json");
        File.WriteAllText(snapshot, PolicyStates.Serialize(agent.ExportState()));
        string log = Log(150);

        var (exit, stdout, stderr) = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--estimators", "ips,dr", "--bootstrap", "0", "--json", "--out", Out("o-" + id));
        var again = await CliRunner.Run("ope", "--log", log, "--policy", "snapshot:" + snapshot, "--estimators", "ips,dr", "--bootstrap", "0", "--json", "--out", Out("p-" + id));

        Assert.True(exit == 0, stderr);
        JsonNode p = CliJson.Parse(stdout)!["policies"]![0]!;
        Assert.Equal(draws, (int)p["diagnostics"]!["targetDraws"]!);
        Dictionary<string, double[]> pi = Probabilities(id, PolicyStates.Deserialize(File.ReadAllText(snapshot)));
        var lines = File.ReadLines(log).Select(l => CliJson.Parse(l)!).ToList();
        double exact = lines.Average(l => Enumerable.Range(0, 3).Sum(a => pi[(string)l["context"]!]![a] * (double)l["expectedRewards"]![a]!));
        // Monte Carlo error of the per-line estimates averaged over 150 lines, and of the 30-decision reference: < 0.02.
        Assert.Equal(exact, (double)p["exact"]!, 0.02);
        // The target's draws are seeded by --seed: the same results (the envelope's wall time and --out differ).
        Assert.Equal(CliJson.Parse(stdout)!.ToJsonString(), CliJson.Parse(again.Out)!.ToJsonString().Replace("/p-" + id, "/o-" + id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SnapshotTarget_Version2Gambitts_Exit2_SaysToSaveItAgain()
    {
        PolicyState state = (await Trained("po", 3)).ExportState();
        string snapshot = Out("old.json");
        File.WriteAllText(snapshot, PolicyStates.Serialize(state with { Version = 2 }));

        var run = await CliRunner.Run("ope", "--log", Log(20), "--policy", "snapshot:" + snapshot, "--out", Out("x"));

        CliRunner.AssertUsageError(run, "format version 2; this build restores version 3");
    }
}
