using System.Collections.Immutable;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Evaluation.Estimation;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Models;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Tests.Estimation;

public class PolicyTargetTests
{
    private sealed record Outcome(double Reward, double ExpectedReward) : IOutcome;

    private sealed record FakeDecision : Decision;

    // Chooses arm (number of decisions it has made) mod 2: a copy that were reused or taught would drift.
    private sealed class CountingPolicy : IPolicy<double[], FakeDecision, Outcome>
    {
        private int _decisions;

        public string Name => "counting";

        public int Learned { get; private set; }

        public ValueTask<FakeDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default)
        {
            int arm = _decisions++ % 2;
            return ValueTask.FromResult(new FakeDecision { Id = new DecisionId(_decisions), Time = DateTimeOffset.UnixEpoch, Arm = arm, Probabilities = ProbabilityVectors.OneHot(2, arm) });
        }

        public ValueTask LearnAsync(double[] context, FakeDecision decision, Outcome outcome, CancellationToken cancellationToken = default)
        {
            Learned++;
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public void Probabilities_ComeFromAFreshCopyPerBlock_ThatNeverLearns()
    {
        var copies = new List<CountingPolicy>();
        var source = new PolicyTarget<FakeDecision, Outcome>("counting", 2, 1, () => { var p = new CountingPolicy(); copies.Add(p); return p; });
        ITargetPolicy target = source.Create(2, 1, new CrossFittedRidge(2, 1, false, 2, 1, 1));
        var line = new LoggedDecision(1, 0, 0, [0.5], null, 0, 0.5, [0.5, 0.5], 1, null);
        Span<double> pi = stackalloc double[2];
        int lines = 2 * PolicyTarget<FakeDecision, Outcome>.RestoreEvery + 1;
        var arms = new List<int>();

        for (int i = 0; i < lines; i++)
        {
            target.Probabilities(line, pi);
            arms.Add(pi[1] == 1 ? 1 : 0);
        }

        Assert.Equal(3, copies.Count);
        Assert.All(copies, c => Assert.Equal(0, c.Learned));
        Assert.Equal(0, arms[PolicyTarget<FakeDecision, Outcome>.RestoreEvery]); // a new copy starts over
    }

    [Fact]
    public void Create_OtherDimension_NamesTheTargetAndTheLog()
    {
        var source = new PolicyTarget<FakeDecision, Outcome>("snapshot:x.json", 2, 3, () => new CountingPolicy());

        var ex = Assert.Throws<ArgumentException>(() => source.Create(2, 4, new CrossFittedRidge(2, 4, false, 2, 1, 1)));

        Assert.Equal("policy", ex.ParamName);
        Assert.StartsWith("Target policy 'snapshot:x.json' has 3 features and 2 arms; the log has 4 features and 2 arms.", ex.Message);
    }
}
