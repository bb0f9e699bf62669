using Tandem.Core.Ports;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Simulation;

namespace Tandem.Rmab.Tests.Dlm;

/// <summary>A scripted designer with callback properties (no mocking library).</summary>
internal sealed class ScriptedDesigner : IRewardDesigner
{
    public Func<ProposalRequest, PortAnswer<RewardProposal>> OnPropose { get; init; } = r => RewardProposal.Proposed(r.Task.Base);

    public Func<ReflectionRequest, PortAnswer<int>> OnSelect { get; init; } = _ => PortAnswer<int>.Given(0);

    public List<ProposalRequest> Proposals { get; } = [];

    public string Name => "scripted";

    public ValueTask<PortAnswer<RewardProposal>> ProposeAsync(ProposalRequest request, CancellationToken cancellationToken = default)
    {
        lock (Proposals) Proposals.Add(request);
        return ValueTask.FromResult(OnPropose(request));
    }

    public ValueTask<PortAnswer<int>> SelectAsync(ReflectionRequest request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(OnSelect(request));
}

public class DlmTests
{
    private static readonly DlmExperimentOptions Small = new() { Seeds = 4, Arms = 24, Budget = 6, Stages = 2, Candidates = 2, Trials = 5, Steps = 5, Tasks = [0, 7, 8], MaxDegreeOfParallelism = 2 };

    private static RmabInstance Instance() => CohortGenerator.Sample(Fixtures.Generator.Population(1), 24, 6, 3);

    [Fact]
    public async Task BaseDesigner_ScoresExactlyOne_AndRandomExactlyZero()
    {
        DlmExperimentResult r = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new BaseDesigner(), Small);

        foreach (DlmTaskResult t in r.Tasks)
        {
            Assert.All(t.Mnr[DlmMethods.Base], v => Assert.Equal(1.0, v));
            Assert.All(t.Mnr[DlmMethods.Random], v => Assert.Equal(0.0, v));
            Assert.All(t.Mnr[DlmMethods.NoReflection], v => Assert.Equal(1.0, v));
            Assert.All(t.Mnr[DlmMethods.Reflection], v => Assert.Equal(1.0, v));
            Assert.Equal(1.0, t.Precision);
            Assert.Equal(1.0, t.Recall);
            Assert.True(double.IsNaN(t.LogicRecall) || t.LogicRecall == 1.0, $"logic recall {t.LogicRecall}");
        }
        Assert.Equal(1.0, r.AverageMnr(DlmMethods.Base).Iqm);
    }

    [Fact]
    public async Task WholeTable_IsDeterministicForASeed_WhateverTheParallelism()
    {
        DlmExperimentResult a = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Small);
        DlmExperimentResult b = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Small with { MaxDegreeOfParallelism = 1 });
        DlmExperimentResult c = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new SimulatedDesigner(), Small with { Seed = 2 });

        for (int t = 0; t < a.Tasks.Count; t++)
        {
            foreach (string m in DlmMethods.All) Assert.Equal(a.Tasks[t].Returns[m], b.Tasks[t].Returns[m]);
            Assert.Equal(a.Tasks[t].Selected, b.Tasks[t].Selected);
            Assert.Equal(a.Tasks[t].Precision, b.Tasks[t].Precision);
        }
        Assert.NotEqual(a.Tasks[0].Returns[DlmMethods.Default], c.Tasks[0].Returns[DlmMethods.Default]);
    }

    [Fact]
    public async Task Refusals_AreFedBackOnRetry_AndTheValidRetryIsUsed()
    {
        DlmTask task = Fixtures.Tasks.Tasks[0];
        var designer = new ScriptedDesigner
        {
            OnPropose = r => r.EarlierAttempts.Count switch
            {
                0 => RewardProposal.Proposed("System.IO.File.Exists(\"x\") ? 1.0 : state"),
                1 => RewardProposal.Abstain("timeout"),
                _ => RewardProposal.Proposed("state * (1.0 + 5.0 * feats[11])"),
            },
        };

        DlmRunResult result = await DlmLoop.RunAsync(task, Instance(), Instance().Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(1, 1, 10, new EvaluationOptions(3, 3)), 1, 0.9);

        Assert.Equal("state * (1.0 + 5.0 * feats[11])", result.Selected!.Text);
        CandidateRecord c = result.Stages[0].Candidates[0];
        Assert.Equal(2, c.Refusals.Count);
        Assert.Contains("call to 'System.IO.File.Exists'", c.Refusals[0].Refusal);
        Assert.Equal("abstained: timeout", c.Refusals[1].Refusal);
        ProposalRequest third = designer.Proposals[2];
        Assert.Equal(c.Refusals, third.EarlierAttempts);
    }

    [Fact]
    public async Task DesignerThatNeverSucceeds_YieldsNoSelection_AfterMaxRetries()
    {
        var designer = new ScriptedDesigner { OnPropose = _ => RewardProposal.Proposed("feats[99]") };

        DlmRunResult result = await DlmLoop.RunAsync(Fixtures.Tasks.Tasks[1], Instance(), Instance().Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(2, 1, 3, new EvaluationOptions(2, 2)), 1, 0.9);

        Assert.Null(result.Selected);
        Assert.Equal(8, designer.Proposals.Count);
        Assert.All(result.Stages, s => Assert.Equal(-1, s.Selected));
    }

    [Fact]
    public async Task RewardDecreasingWithState_IsRefused()
    {
        var designer = new ScriptedDesigner { OnPropose = r => RewardProposal.Proposed(r.EarlierAttempts.Count == 0 ? "1.0 - state" : "state") };
        DlmRunResult result = await DlmLoop.RunAsync(Fixtures.Tasks.Tasks[1], Instance(), Instance().Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(1, 1, 3, new EvaluationOptions(2, 2)), 1, 0.9);
        Assert.Contains("must increase with state", result.Stages[0].Candidates[0].Refusals[0].Refusal);
        Assert.Equal("state", result.Selected!.Text);
    }

    [Fact]
    public async Task Reflector_SeesEveryValidCandidateWithItsDistribution_AndItsChoiceIsCarriedForward()
    {
        string[] texts = ["state", "state * (1.0 + 10.0 * feats[11])", "state * (1.0 + 10.0 * feats[12])"];
        var seen = new List<ReflectionRequest>();
        var designer = new ScriptedDesigner
        {
            OnPropose = r => RewardProposal.Proposed(texts[r.Candidate]),
            OnSelect = r => { seen.Add(r); return PortAnswer<int>.Given(1); },
        };

        DlmRunResult result = await DlmLoop.RunAsync(Fixtures.Tasks.Tasks[0], Instance(), Instance().Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(2, 3, 0, new EvaluationOptions(5, 5)), 1, 0.9);

        Assert.Equal(texts[1], result.Selected!.Text);
        Assert.Equal(2, seen.Count);
        Assert.All(seen, r => Assert.Equal(3, r.Candidates.Count));
        Assert.All(seen[0].Candidates, c => Assert.Equal(100.0, c.Distribution.Groups[0].Shares.Sum(s => s.Percent), 9));
        Assert.Equal(texts[1], designer.Proposals.Last().History[^1].Expression);
        Assert.Contains("Category: Age", designer.Proposals.Last().History[^1].Distribution);
    }

    [Fact]
    public async Task ReflectorAbstention_KeepsCandidateZero()
    {
        var designer = new ScriptedDesigner
        {
            OnPropose = r => RewardProposal.Proposed(r.Candidate == 0 ? "state" : "state * 2.0"),
            OnSelect = _ => PortAnswer<int>.Abstain("rate limited"),
        };
        DlmRunResult result = await DlmLoop.RunAsync(Fixtures.Tasks.Tasks[0], Instance(), Instance().Dynamics, new WhittlePlanner(), designer, new DlmLoopOptions(1, 2, 0, new EvaluationOptions(2, 2)), 1, 0.9);
        Assert.Equal("state", result.Selected!.Text);
        Assert.Equal("rate limited", result.Stages[0].Note);
    }

    [Fact]
    public async Task OracleDesigner_ZeroShotPrecisionAndRecall_AreNearTable1()
    {
        DlmExperimentResult r = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new OracleDesigner(),
            new DlmExperimentOptions { Seeds = 8, Arms = 24, Budget = 6, Stages = 1, Candidates = 3, Trials = 2, Steps = 2, MaxDegreeOfParallelism = 2 });
        double precision = r.Tasks.Average(t => t.Precision), recall = r.Tasks.Average(t => t.Recall);
        Assert.InRange(precision, 0.45, 0.8);
        Assert.InRange(recall, 0.6, 0.9);
    }

    [Fact]
    public void Options_AreValidated_NamingTheField()
    {
        Assert.Equal("Budget", Assert.Throws<ArgumentOutOfRangeException>(() => new DlmExperimentOptions { Arms = 4, Budget = 5 }.Validated(16)).ParamName);
        Assert.Equal("Seeds", Assert.Throws<ArgumentOutOfRangeException>(() => new DlmExperimentOptions { Seeds = 0 }.Validated(16)).ParamName);
        Assert.Equal("Tasks", Assert.Throws<ArgumentOutOfRangeException>(() => new DlmExperimentOptions { Tasks = [16] }.Validated(16)).ParamName);
    }

    [Fact]
    public void DistributionText_ListsEveryGroup_InAppendixLStyle()
    {
        RmabInstance instance = Instance();
        var dist = StateFeatureDistribution.From(Enumerable.Range(0, instance.ArmCount).Select(i => (long)i).ToArray(), instance.FeatureRows);
        string text = dist.ToText();
        foreach (FeatureGroup g in Features.Groups) Assert.Contains("Category: " + g.Name, text);
        Assert.Matches(@"Ages 51-60: \d+\.\d\d%", text);
    }
}

public class DlmEstimatedTransitionsTests
{
    [Fact]
    public async Task EstimatedTransitions_RunAndStillScoreBaseAtOne()
    {
        DlmExperimentResult r = await DlmExperiment.RunAsync(Fixtures.Tasks, Fixtures.Generator, new BaseDesigner(),
            new DlmExperimentOptions { Seeds = 2, Arms = 24, Budget = 6, Stages = 1, Candidates = 1, Trials = 3, Steps = 3, Tasks = [2], Planner = new PlannerSpec { Name = RmabPlanners.WhittleEstimated } });
        Assert.All(r.Tasks[0].Mnr[DlmMethods.Reflection], v => Assert.Equal(1.0, v));
        Assert.All(r.Tasks[0].Returns[DlmMethods.Default], v => Assert.True(double.IsFinite(v)));
    }
}
