using System.Text.Json;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Tests.Agents;

/// <summary>Wiring checks driven from <see cref="AgentCatalog"/> (issue 13 item 8): every agent of the catalog is checked,
/// or is listed here as exempt with the reason, so a new agent cannot skip them.</summary>
public class CatalogWiringTests
{
    // Agents whose propensity is checked against an independent Monte Carlo of their posterior (below), by id.
    private static readonly string[] IndependentlyChecked = ["stdts", "stdts-contextual", "po", "fo", "blended"];

    // Agents whose propensities are not Monte Carlo over posterior draws, and why.
    private static readonly Dictionary<string, string> PropensityExempt = new()
    {
        ["ens-po"] = "the propensity is the exact share of members over this decision's treatment draws, not a Monte Carlo estimate",
        ["ens-fo"] = "the propensity is the exact share of members over this decision's treatment draws, not a Monte Carlo estimate",
    };

    // Agents without learnt per-(prompt, context) models, and why.
    private static readonly Dictionary<string, string> NoCellModels = new()
    {
        ["po"] = "its only per-cell model is the offline treatment model, fixed before deployment",
        ["ens-po"] = "its only per-cell model is the offline treatment model, fixed before deployment",
    };

    public static TheoryData<string> AllAgents()
    {
        var data = new TheoryData<string>();
        foreach (AgentSpec a in AgentCatalog.All) data.Add(a.Id);
        return data;
    }

    private static AgentOptions Small => new()
    {
        PropensityDraws = 50, EnsembleMembers = 8, EnsembleHidden = 8, EnsembleBatch = 16, EnsembleBurnIn = 0, MonteCarloDraws = 10, OfflineDraws = 20,
    };

    private static GambitAgent Trained(AgentSpec spec, GambitWorld world, AgentOptions options, int steps)
    {
        var run = new RunContext(0, 77);
        GambitAgent agent = spec.Create(world, run, options);
        var env = new GambitEnvironment(world, run);
        for (int t = 0; t < steps; t++)
        {
            GambitContext x = env.NextContext();
            GambitDecision d = agent.Decide(x);
            agent.Learn(x, d, env.Respond(x, d));
        }
        return agent;
    }

    [Fact]
    public void EveryCatalogAgent_IsCheckedOrExemptWithAReason()
    {
        foreach (AgentSpec a in AgentCatalog.All)
        {
            Assert.True(IndependentlyChecked.Contains(a.Id) ^ PropensityExempt.ContainsKey(a.Id), $"{a.Id}: neither checked against an independent Monte Carlo nor exempt (or both)");
        }
        Assert.All(IndependentlyChecked, id => Assert.NotNull(AgentCatalog.Find(id)));
    }

    /// <summary>P(A = a | history) by an independent Monte Carlo of the agent's posterior, read through its public
    /// posterior parameters and sampled with MathNet (closed-form marginals: Student t for the Normal-Inverse-Gamma
    /// mean and the Normal-Inverse-Wishart mean in one dimension, Gaussian for the regression coefficients).</summary>
    private static double[] IndependentPropensities(GambitAgent agent, GambitContext x, int draws, Random rng)
    {
        int k = agent.ArmCount;
        var counts = new double[k];
        var scores = new double[k];
        for (int m = 0; m < draws; m++)
        {
            switch (agent)
            {
                case StandardThompson s:
                    for (int a = 0; a < k; a++)
                    {
                        NormalInverseGamma p = s.Posterior(a, x);
                        scores[a] = StudentT.Sample(rng, p.Mean, Math.Sqrt(p.Beta / (p.Alpha * p.Kappa)), 2 * p.Alpha);
                    }
                    break;
                case PartiallyOnlineGambitts po:
                {
                    double[] beta = Coefficients(po.RewardModel, rng);
                    for (int a = 0; a < k; a++) scores[a] = beta[0] + beta[1] * po.TreatmentModel.Mean(a, x)[0];
                    break;
                }
                case FullyOnlineGambitts fo:
                {
                    double[] beta = Coefficients(fo.RewardModel, rng);
                    for (int a = 0; a < k; a++)
                    {
                        NormalInverseWishart t = fo.TreatmentModel(a, x);
                        double mean = StudentT.Sample(rng, t.Mean[0], Math.Sqrt(t.Scale[0] / (t.Kappa * t.Nu)), t.Nu);
                        scores[a] = beta[0] + beta[1] * mean;
                    }
                    break;
                }
                default:
                    throw new InvalidOperationException($"No independent sampler for {agent.Name}.");
            }
            counts[Array.IndexOf(scores, scores.Max())]++;
        }
        return counts.Select(c => c / draws).ToArray();
    }

    private static double[] Coefficients(BayesianLinearRegression model, Random rng)
    {
        int n = model.Dimension;
        var cov = Matrix<double>.Build.Dense(n, n, (i, j) => model.Covariance[i * n + j]);
        var g = Vector<double>.Build.Dense(n, _ => Normal.Sample(rng, 0, 1));
        var mean = Vector<double>.Build.DenseOfArray(model.Mean.ToArray());
        return (mean + cov.Cholesky().Factor * g).ToArray();
    }

    public static TheoryData<string> Checked()
    {
        var data = new TheoryData<string>();
        foreach (string id in IndependentlyChecked) data.Add(id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Checked))]
    public void StatedPropensities_MatchAnIndependentMonteCarloOfThePosterior_InEveryContext(string id)
    {
        // Catches a propensity computed from another context's or another prompt's model, or from a stale posterior:
        // the agent's own choices cannot reveal those, since they share the mistake.
        GambitWorld world = TestWorlds.Illustrative();
        GambitAgent agent = Trained(AgentCatalog.Find(id)!, world, Small with { PropensityDraws = 2000 }, 15);
        var rng = new Random(5);
        foreach (int c in new[] { 0, 5, 11 })
        {
            GambitContext x = new(c);
            double[] independent = IndependentPropensities(agent, x, 100_000, rng);
            var stated = new double[agent.ArmCount];
            const int decisions = 25;
            for (int i = 0; i < decisions; i++)
            {
                GambitDecision d = agent.Decide(x);
                for (int a = 0; a < stated.Length; a++) stated[a] += d.Probabilities[a] / decisions;
            }
            // Monte Carlo sd: agent ≤ √(0.25 / 50,000) = 0.0022, independent ≤ 0.0016; tolerance 0.012 ≈ 4 sds of the difference.
            for (int a = 0; a < stated.Length; a++)
                Assert.True(Math.Abs(stated[a] - independent[a]) < 0.012, $"{id}, context {c}, prompt {a}: stated {stated[a]:F4}, independent {independent[a]:F4}");
        }
    }

    [Theory]
    [MemberData(nameof(Checked))]
    public void TheChosenArmsPropensity_ExcludesTheDecisionsOwnDraw(string id)
    {
        // With M draws including the deciding one, E[p̂_A] = (1 + (M − 1) Σ p_a²)/M; independent draws give Σ p_a².
        // With M = 4 the two differ by (1 − Σ p²)/4, at least 0.1 for the posterior after 6 steps.
        GambitWorld world = TestWorlds.Illustrative();
        GambitAgent agent = Trained(AgentCatalog.Find(id)!, world, Small with { PropensityDraws = 4 }, 6);
        GambitContext x = new(3);
        double[] p = IndependentPropensities(agent, x, 100_000, new Random(9));
        double sumSquares = p.Sum(v => v * v);
        const int decisions = 6000;
        double mean = 0;
        for (int i = 0; i < decisions; i++) mean += agent.Decide(x).Propensity / decisions;
        double counted = (1 + 3 * sumSquares) / 4;
        Assert.True(counted - sumSquares > 0.1, $"{id}: the posterior is too concentrated to tell (Σp² = {sumSquares:F3})");
        // sd of the mean ≤ √(0.25 / 6000) ≈ 0.0065 (p̂_A ∈ [0, 1]); tolerance 0.03.
        Assert.True(Math.Abs(mean - sumSquares) < 0.03, $"{id}: mean chosen propensity {mean:F4}, Σp² = {sumSquares:F4}, own-draw-counting value {counted:F4}");
    }

    public static TheoryData<string> CellAgents()
    {
        var data = new TheoryData<string>();
        foreach (AgentSpec a in AgentCatalog.All) if (!NoCellModels.ContainsKey(a.Id)) data.Add(a.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(CellAgents))]
    public void LearningOneOutcome_ChangesOnlyTheModelOfThePromptAndContextItCameFrom(string id)
    {
        // Catches an agent updating another context's or another prompt's treatment model (or posterior). Read from the
        // exported state, so it needs no accessor per agent: the per-cell array is "cells" (standard TS) or "treatment".
        GambitWorld world = TestWorlds.ThreeD();
        AgentSpec spec = AgentCatalog.Find(id)!;
        GambitAgent agent = Trained(spec, world, Small with { ContextTerms = true }, 3);
        var env = new GambitEnvironment(world, new RunContext(1, 5));
        GambitContext x = new(7);
        GambitDecision d = agent.Decide(x);
        JsonElement[] before = Cells(agent);
        agent.Learn(x, d, env.Respond(x, d));
        JsonElement[] after = Cells(agent);
        Assert.Equal(before.Length, after.Length);
        int contexts = world.Contexts.Count;
        int expected = before.Length == world.PromptCount ? d.Arm : d.Arm * contexts + x.Index;
        for (int i = 0; i < before.Length; i++)
        {
            bool changed = before[i].GetRawText() != after[i].GetRawText();
            Assert.True(changed == (i == expected), $"{spec.Name}: learning (prompt {d.Arm}, context {x.Index}) {(changed ? "changed" : "left")} cell {i} (prompt {i / contexts}, context {i % contexts}){(changed ? "" : " unchanged")}");
        }
    }

    private static JsonElement[] Cells(GambitAgent agent)
    {
        JsonElement model = agent.ExportState().Data.GetProperty("model");
        JsonElement cells = model.TryGetProperty("cells", out JsonElement c) ? c : model.GetProperty("treatment");
        return cells.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    public static TheoryData<string> EnsembleAgents()
    {
        var data = new TheoryData<string>();
        foreach (AgentSpec a in AgentCatalog.All)
            if (a.Create(TestWorlds.ThreeD(), new RunContext(0, 1), Small) is EnsembleGambitts) data.Add(a.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(EnsembleAgents))]
    public void EnsembleMembers_StartFromDifferentWeights_AndTrainOnTheirOwnPerturbations(string id)
    {
        // Catches members sharing one initialisation or one reward perturbation (the ensemble then collapses to one
        // network and stops exploring).
        GambitWorld world = TestWorlds.ThreeD();
        var agent = (EnsembleGambitts)Trained(AgentCatalog.Find(id)!, world, Small with { ContextTerms = true }, 4);
        var initial = (EnsembleGambitts)AgentCatalog.Find(id)!.Create(world, new RunContext(0, 77), Small with { ContextTerms = true });
        for (int i = 0; i < initial.Members.Count; i++)
            for (int j = 0; j < i; j++)
                Assert.False(initial.Members[i].Parameters.SequenceEqual(initial.Members[j].Parameters), $"members {i} and {j} start from the same weights");

        JsonElement buffer = agent.ExportState().Data.GetProperty("model").GetProperty("buffer");
        double[] targets = buffer.GetProperty("targets").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        int members = Small.EnsembleMembers;
        for (int row = 0; row < 4; row++)
        {
            double[] perMember = targets.Skip(row * members).Take(members).ToArray();
            Assert.Equal(members, perMember.Distinct().Count());
            // The perturbations' sd is the options' (0.7098); eight N(0, 0.71²) draws spread by more than 0.1 but far less than 100.
            Assert.InRange(perMember.Max() - perMember.Min(), 0.1, 100);
        }
    }
}
