using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Agents;

/// <summary>Context must be able to matter: on a bank whose best prompt changes with the context, an agent that is fed
/// the wrong context (x read as x + 6 mod 12: another location and another steps bin) must do measurably worse than
/// the same agent fed the right one. A consistent relabelling (wrong at both decide and learn) cannot hurt an agent
/// that keeps independent per-context models, so the wrong context is given at one of the two only.</summary>
public class ContextWiringTests
{
    private const int Shift = 6;

    // Agents of the catalog that are context-blind by design (they could not notice), and the reason.
    private static readonly Dictionary<string, string> Blind = new() { ["stdts"] = "non-contextual standard TS pools contexts by definition" };

    // Agents whose per-context knowledge comes from offline draws, not from learning: learning with the wrong context
    // only mislabels the reward model's small context terms, which need not show in regret.
    private static readonly Dictionary<string, string> OfflineOnly = new()
    {
        ["po"] = "per-context treatment model from offline draws only",
        ["ens-po"] = "per-context treatment model from offline draws only",
    };

    public enum Wrong { AtDecide, AtLearn }

    private static readonly Lazy<GambitWorld> World = new(() =>
    {
        // A strong interaction (gain sd 1.5, not the default 0.5) and little outcome noise (sd 0.1), so that even
        // StdTS:Contextual's 60 independent arms learn within the horizon and the effect shows in a few runs.
        ResponseBank bank = SyntheticBank.Create(new SyntheticBankOptions { Seed = 31, ResponsesPerCell = 40, ContextInteractionSd = 1.5 });
        return GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(0.1), [StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity], 5);
    });

    public static TheoryData<string, Wrong> ContextualAgents()
    {
        var data = new TheoryData<string, Wrong>();
        foreach (AgentSpec a in AgentCatalog.All)
        {
            if (Blind.ContainsKey(a.Id)) continue;
            data.Add(a.Id, Wrong.AtDecide);
            if (!OfflineOnly.ContainsKey(a.Id)) data.Add(a.Id, Wrong.AtLearn);
        }
        return data;
    }

    [Fact]
    public void TheTestWorld_HasBestPromptsThatDifferBetweenAContextAndItsWrongContext()
    {
        GambitWorld world = World.Value;
        int differing = 0;
        for (int c = 0; c < 12; c++)
        {
            int Best(int x) => Enumerable.Range(0, world.PromptCount).MaxBy(a => world.ExpectedReward(a, new GambitContext(x)));
            if (Best(c) != Best((c + Shift) % 12)) differing++;
        }
        Assert.True(differing >= 6, $"only {differing} of 12 contexts have another best prompt than their wrong context");
        Assert.True(world.MeasureContextDependence().ContextsWhereBestDiffers >= 4);
    }

    [Theory]
    [MemberData(nameof(ContextualAgents))]
    public async Task AnAgentFedTheWrongContext_DoesMeasurablyWorse(string id, Wrong where)
    {
        // At decide, catches an agent that ignores the context when it decides (honest and shifted agents are then
        // equal in law, the paired difference noise around 0); at learn, one that ignores it when it updates or
        // updates another context's model than it decides from.
        AgentSpec spec = AgentCatalog.Find(id)!;
        GambitWorld world = World.Value;
        // Standard TS's prior centred on this world's rewards (the authors' m = 77 sits 6 below them, which inflates
        // its variance estimate so that 60 arms would need far more than the horizon to separate).
        var options = new AgentOptions { StandardPrior = new NormalInverseGamma(83, 1, 1, 0.1), ContextTerms = true, PropensityDraws = 0, EnsembleMembers = 8, EnsembleHidden = 16, MonteCarloDraws = 20, OfflineDraws = 5 };
        var study = new Study<GambitContext, GambitDecision, GambitOutcome>(run => new GambitEnvironment(world, run),
        [
            new("right", (run, env) => spec.Create(world, run, options)),
            new("wrong", (run, env) => new WrongContext(spec.Create(world, run, options), where)),
        ]);
        const int runs = 8;
        StudyResult result = await StudyRunner.RunAsync(study, new RunnerOptions { Runs = runs, Horizon = 2000, Seed = 17, MaxDegreeOfParallelism = 2 });
        double[] right = result.Policies[0].FinalCumulativeRegret();
        double[] wrong = result.Policies[1].FinalCumulativeRegret();
        double[] diff = wrong.Zip(right, (w, r) => w - r).ToArray();
        double mean = diff.Average();
        double se = Math.Sqrt(diff.Sum(d => (d - mean) * (d - mean)) / (runs - 1) / runs);
        Assert.True(mean > 3 * se && mean > 0.25 * right.Average(),
            $"{spec.Name}, wrong {where}: regret with the wrong context {wrong.Average():F1} vs the right one {right.Average():F1} (paired difference {mean:F1} ± {se:F1})");
    }

    private sealed class WrongContext(GambitAgent inner, Wrong where) : Tandem.Core.Abstractions.IPolicy<GambitContext, GambitDecision, GambitOutcome>
    {
        public string Name => inner.Name;

        private static GambitContext Shifted(GambitContext x) => new((x.Index + Shift) % 12);

        public ValueTask<GambitDecision> DecideAsync(GambitContext context, CancellationToken cancellationToken = default) =>
            inner.DecideAsync(where == Wrong.AtDecide ? Shifted(context) : context, cancellationToken);

        public ValueTask LearnAsync(GambitContext context, GambitDecision decision, GambitOutcome outcome, CancellationToken cancellationToken = default) =>
            inner.LearnAsync(where == Wrong.AtLearn ? Shifted(context) : context, decision, outcome, cancellationToken);
    }
}
