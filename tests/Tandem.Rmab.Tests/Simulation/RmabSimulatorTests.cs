using Tandem.Core.Randomness;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Simulation;

namespace Tandem.Rmab.Tests.Simulation;

public class RmabSimulatorTests
{
    private static RmabInstance Deterministic(int budget) => new(
        [new ArmDynamics(0, 1, 1, 1), new ArmDynamics(0, 0, 1, 1), new ArmDynamics(0, 0, 0, 0)],
        [new double[43], new double[43], new double[43]],
        [0, 0, 0],
        budget);

    [Fact]
    public void DeterministicDynamics_GiveTheClosedFormReturn()
    {
        // Arm 0 is engaged forever once called; arm 1 only while called; arm 2 never. Rewards 1 per engaged arm.
        var instance = Deterministic(1);
        var scoring = RewardTable.EngagementOnly(3);
        var options = new EvaluationOptions(Trials: 3, Steps: 10, Discount: 0.9);

        double noAction = RmabSimulator.Run(instance, new NoActionPlanner().Plan(new PlanningProblem(instance.Dynamics, scoring, 1, 0.9)), scoring, options, 1).MeanReturn;
        var whittle = new WhittlePlanner().Plan(new PlanningProblem(instance.Dynamics, scoring, 1, 0.9));
        SimulationResult w = RmabSimulator.Run(instance, whittle, scoring, options, 1);

        Assert.Equal(0.0, noAction);
        // The Whittle policy calls arm 0 (it stays engaged), then arm 1 every step: 1 + 2·(0.9 + … + 0.9⁹).
        double expected = 1 + 2 * Enumerable.Range(1, 9).Sum(t => Math.Pow(0.9, t));
        Assert.Equal(expected, w.MeanReturn, 12);
        Assert.Equal([30L, 27L, 0L], w.EngagedCount);
    }

    [Theory]
    [InlineData(48, 16)]
    [InlineData(10, 1)]
    [InlineData(5, 5)]
    [InlineData(3, 7)]
    public void RandomPolicy_CallsExactlyTheBudget_EveryStep_AndEveryArmIsReachable(int arms, int budget)
    {
        // Catches Random calling B − 1 (an off-by-one in the partial shuffle) or favouring some arms.
        var dynamics = Enumerable.Range(0, arms).Select(_ => new ArmDynamics(0.3, 0.6, 0.5, 0.8)).ToArray();
        IRmabPolicy random = new RandomPlanner().Plan(new PlanningProblem(dynamics, RewardTable.EngagementOnly(arms), budget, 0.9));
        var rng = new Xoshiro256(9);
        var states = new byte[arms];
        var actions = new byte[arms];
        var called = new int[arms];
        const int steps = 4000;
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < arms; i++) states[i] = (byte)((t + i) & 1);
            random.Act(states, actions, rng);
            Assert.Equal(Math.Min(budget, arms), actions.Count(a => a == 1));
            Assert.All(actions, a => Assert.True(a <= 1));
            for (int i = 0; i < arms; i++) called[i] += actions[i];
        }
        double expected = steps * (double)Math.Min(budget, arms) / arms;
        // Binomial sd ≤ sqrt(steps / 4) ≈ 32; 6 sd either side.
        Assert.All(called, c => Assert.InRange(c, expected - 190, expected + 190));
    }

    [Fact]
    public void RandomPolicy_RespectsTheBudget_AndIsSeeded()
    {
        var instance = CohortSample();
        var scoring = RewardTable.EngagementOnly(instance.ArmCount);
        var random = new RandomPlanner().Plan(new PlanningProblem(instance.Dynamics, scoring, instance.Budget, 0.9));
        var options = new EvaluationOptions(20, 10, 0.9);
        double a = RmabSimulator.Run(instance, random, scoring, options, 5).MeanReturn;
        double b = RmabSimulator.Run(instance, new RandomPlanner().Plan(new PlanningProblem(instance.Dynamics, scoring, instance.Budget, 0.9)), scoring, options, 5).MeanReturn;
        Assert.Equal(a, b);
    }

    [Fact]
    public void ActingNeverHurts_SoRandomBeatsNoAction_AndWhittleBeatsRandom_OnAverage()
    {
        var instance = CohortSample();
        var scoring = RewardTable.EngagementOnly(instance.ArmCount);
        var problem = new PlanningProblem(instance.Dynamics, scoring, instance.Budget, 0.9);
        var options = new EvaluationOptions(200, 10, 0.9);
        double none = RmabSimulator.Run(instance, new NoActionPlanner().Plan(problem), scoring, options, 3).MeanReturn;
        double random = RmabSimulator.Run(instance, new RandomPlanner().Plan(problem), scoring, options, 3).MeanReturn;
        double whittle = RmabSimulator.Run(instance, new WhittlePlanner().Plan(problem), scoring, options, 3).MeanReturn;
        Assert.True(none < random && random < whittle, $"{none} < {random} < {whittle}");
    }

    [Fact]
    public void EstimatedTransitions_AreValid_Structured_AndCloseOnAverage()
    {
        var instance = CohortSample();
        ArmDynamics[] est = TransitionEstimator.Estimate(instance, 9, weeks: 200);
        Assert.All(est, d => Assert.True(d.IsValid && d.ActingNeverHurts && d.EngagedIsSticky));
        double error = est.Zip(instance.Dynamics, (e, t) => Math.Abs(e.Passive1 - t.Passive1)).Average();
        Assert.True(error < 0.1, $"mean |error| of P[1,0,1] = {error}");
    }

    private static RmabInstance CohortSample() =>
        Tandem.Rmab.Cohort.CohortGenerator.Sample(Fixtures.Generator.Population(1), 48, 16, 2);
}
