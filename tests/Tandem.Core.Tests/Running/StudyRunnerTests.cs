using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.Randomness;
using Tandem.Core.Running;

namespace Tandem.Core.Tests.Running;

public class StudyRunnerTests
{
    // Means 0.25 and 0.75 make the gap 0.5 and every partial sum of regrets exact in binary.
    private const double Gap = 0.5;

    [Fact]
    public async Task RunAsync_AlwaysArmZero_RegretIsHorizonTimesGap_InEveryRun()
    {
        var options = new RunnerOptions { Horizon = 100, Runs = 4, Seed = 1, MaxDegreeOfParallelism = 2 };

        StudyResult result = await StudyRunner.RunAsync(CreateStudy(), options);

        PolicyTrace trace = Assert.Single(result.Policies);
        Assert.Equal("always-0", trace.Name);
        Assert.All(trace.FinalCumulativeRegret(), r => Assert.Equal(options.Horizon * Gap, r));
        Assert.All(trace.Arms, arms => Assert.All(arms, a => Assert.Equal(0, a)));
        Assert.All(trace.ExpectedReward, row => Assert.All(row, e => Assert.Equal(0.25, e)));
        Assert.Equal(options.Runs * options.Horizon, result.Rounds);
    }

    [Fact]
    public async Task RunAsync_SameSeed_GivesIdenticalTraces()
    {
        var options = new RunnerOptions { Horizon = 50, Runs = 3, Seed = 99, MaxDegreeOfParallelism = 2 };

        StudyResult first = await StudyRunner.RunAsync(CreateStudy(), options);
        StudyResult second = await StudyRunner.RunAsync(CreateStudy(), options);

        Assert.Equal(first.Policies[0].Reward, second.Policies[0].Reward);
        Assert.Equal(first.Policies[0].Regret, second.Policies[0].Regret);
    }

    [Fact]
    public async Task RunAsync_DifferentSeed_ChangesTheNoisyRewards()
    {
        var options = new RunnerOptions { Horizon = 50, Runs = 2, Seed = 1, MaxDegreeOfParallelism = 2 };

        StudyResult first = await StudyRunner.RunAsync(CreateStudy(), options);
        StudyResult second = await StudyRunner.RunAsync(CreateStudy(), options with { Seed = 2 });

        Assert.NotEqual(first.Policies[0].Reward[0], second.Policies[0].Reward[0]);
        Assert.Equal(first.Policies[0].FinalCumulativeRegret(), second.Policies[0].FinalCumulativeRegret());
    }

    [Fact]
    public async Task RunAsync_ObserverReturnsFalse_StopsTheRunEarly()
    {
        var options = new RunnerOptions { Horizon = 100, Runs = 2, MaxDegreeOfParallelism = 2 };
        var observer = new CallbackObserver(step => step.Step < 4);

        StudyResult result = await StudyRunner.RunAsync(CreateStudy(), options, [observer]);

        Assert.All(result.Policies[0].Regret, row => Assert.Equal(5, row.Length));
        Assert.Equal(10, result.Rounds);
        Assert.All(result.Policies[0].FinalCumulativeRegret(), r => Assert.Equal(5 * Gap, r));
    }

    [Fact]
    public async Task RunAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var options = new RunnerOptions { Horizon = 1000, Runs = 2, MaxDegreeOfParallelism = 2 };
        var observer = new CallbackObserver(step =>
        {
            if (step.Step == 10) cts.Cancel();
            return true;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            StudyRunner.RunAsync(CreateStudy(), options, [observer], cancellationToken: cts.Token));
    }

    [Fact]
    public async Task RunAsync_ReportsProgressOnTheOnePercentMarks_EndingAtTheTotal()
    {
        var options = new RunnerOptions { Horizon = 200, Runs = 3, MaxDegreeOfParallelism = 2 };
        var reports = new System.Collections.Concurrent.ConcurrentQueue<StudyProgress>();

        await StudyRunner.RunAsync(CreateStudy(), options, progress: new Progress(reports.Enqueue));

        StudyProgress[] seen = [.. reports];
        Assert.All(seen, p => Assert.Equal(600, p.TotalSteps));
        Assert.All(seen, p => Assert.Equal(0, p.CompletedSteps % 6));
        Assert.InRange(seen.Length, 100, 102);
        Assert.Equal(new StudyProgress(600, 600), seen[^1]);
    }

    private sealed class Progress(Action<StudyProgress> report) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => report(value);
    }

    [Fact]
    public async Task RunAsync_HorizonZero_Throws_WithParamNameHorizon()
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            StudyRunner.RunAsync(CreateStudy(), new RunnerOptions { Horizon = 0 }));

        Assert.Equal("Horizon", ex.ParamName);
    }

    private static Study<int, ArmDecision, Outcome> CreateStudy() => new(
        run => new TwoArmedBandit(run.CreateRandom("environment")),
        [new PolicyFactory<int, ArmDecision, Outcome>("always-0", (_, _) => new AlwaysArmZero())]);

    private sealed record ArmDecision : Decision;

    private readonly record struct Outcome(double Reward, double ExpectedReward) : IOutcome;

    private sealed class TwoArmedBandit(Random random) : IEnvironment<int, ArmDecision, Outcome>
    {
        private static readonly double[] Means = [0.25, 0.75];
        private int _step;

        public int ArmCount => 2;

        public int NextContext() => _step++;

        public Outcome Respond(int context, ArmDecision decision) =>
            new(Means[decision.Arm] + random.NextGaussian(), Means[decision.Arm]);

        public double OptimalExpectedReward(int context) => Means[1];

        public double ExpectedReward(int context, ArmDecision decision) => Means[decision.Arm];
    }

    private sealed class AlwaysArmZero : IPolicy<int, ArmDecision, Outcome>
    {
        public string Name => "always-0";

        private readonly DecisionIssuer _issuer = new();

        public ValueTask<ArmDecision> DecideAsync(int context, CancellationToken cancellationToken = default)
        {
            DecisionStamp stamp = _issuer.Issue();
            return new(new ArmDecision { Id = stamp.Id, Time = stamp.Time, Arm = 0, Probabilities = ProbabilityVectors.OneHot(2, 0) });
        }

        public ValueTask LearnAsync(int context, ArmDecision decision, Outcome outcome, CancellationToken cancellationToken = default)
        {
            _issuer.EnsurePending(decision.Id);
            _issuer.Settle(decision.Id);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CallbackObserver(Func<StepRecord<int, ArmDecision, Outcome>, bool> onStep) : IStepObserver<int, ArmDecision, Outcome>
    {
        public bool OnStep(in StepRecord<int, ArmDecision, Outcome> step) => onStep(step);
    }
}
