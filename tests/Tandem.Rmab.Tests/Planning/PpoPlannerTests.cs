using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Simulation;
using Xunit.Abstractions;

namespace Tandem.Rmab.Tests.Planning;

public class PpoPlannerTests(ITestOutputHelper output)
{
    // Small generated instances: 16 arms from the ARMMAN-like cohort's true transitions (calls never hurt), 5 calls, the
    // Base reward of a task.
    private static readonly CohortGenerator TrueCohort = new(Fixtures.Parameters with { History = null, EducationShiftByAge = [] });

    private static (RmabInstance Instance, RewardTable Base) SmallInstance(int task, ulong seed)
    {
        RmabInstance instance = CohortGenerator.Sample(TrueCohort.Population(1), 16, 5, seed);
        return (instance, Fixtures.Tasks.Tasks[task].BaseExpression.Tabulate(instance.FeatureRows));
    }

    [Fact]
    public void PpoPolicy_ReachesNinetyPercentOfWhittle_OnSmallGeneratedInstances()
    {
        var evaluation = new EvaluationOptions(Trials: 200, Steps: 10, Discount: 0.9);
        double ppoTotal = 0, whittleTotal = 0, randomTotal = 0;
        foreach ((int task, ulong seed) in new[] { (0, 11UL), (2, 12UL), (8, 13UL), (10, 14UL) })
        {
            (RmabInstance instance, RewardTable table) = SmallInstance(task, seed);
            var problem = new PlanningProblem(instance.Dynamics, table, instance.Budget, 0.9);
            double whittle = RmabSimulator.Run(instance, new WhittlePlanner().Plan(problem), table, evaluation, 5).MeanReturn;
            double ppo = RmabSimulator.Run(instance, new PpoPlanner(new PpoOptions(), Seeds.Derive(seed, "ppo")).Plan(problem), table, evaluation, 5).MeanReturn;
            double random = RmabSimulator.Run(instance, new RandomPlanner().Plan(problem), table, evaluation, 5).MeanReturn;
            output.WriteLine($"task {task}: Whittle {whittle:F3}, PPO {ppo:F3} ({ppo / whittle:P1}), Random {random:F3}");
            Assert.True(ppo >= 0.9 * whittle, $"task {task}: PPO {ppo} < 90% of Whittle {whittle}");
            ppoTotal += ppo;
            whittleTotal += whittle;
            randomTotal += random;
        }
        // The returns include the large no-call baseline; the lift over Random is the sharper check.
        output.WriteLine($"lift over Random: PPO {ppoTotal - randomTotal:F3}, Whittle {whittleTotal - randomTotal:F3}");
        Assert.True(ppoTotal - randomTotal >= 0.5 * (whittleTotal - randomTotal), "PPO keeps at least half of Whittle's lift over Random");
    }

    [Fact]
    public void Lambda_KeepsTheExpectedCallsOfTheFrozenEpochsNearTheBudget_AtTheStudySize()
    {
        // The `tandem dlm --planner ppo` setting (shipped cohort, N = 48, B = 16, true transitions, default options), ten
        // fixed trainings: the first ten of `-- ppo-budget` (bench/Tandem.Benchmarks/PpoBudget.cs). The measure is the
        // expected stationary calls per step in the frozen epochs over B. Issue 12 item 5 asks for ±10 % in 80 % of
        // trainings; the λ update reaches it in about half (docs/dlm-ppo.md "Keeping the budget"), and this test holds
        // that state: a λ that does not move (calls → N) or runs away (calls → 0) fails both assertions.
        var ratios = new List<double>();
        Beneficiary[] population = Fixtures.Generator.Population(1);
        for (int k = 0; k < 10; k++)
        {
            RmabInstance instance = CohortGenerator.Sample(population, 48, 16, (ulong)(k / 16 + 1));
            RewardTable table = Fixtures.Tasks.Tasks[k % 16].BaseExpression.Tabulate(instance.FeatureRows);
            PpoTrainingResult r = new PpoPlanner(new PpoOptions(), Seeds.Derive((ulong)k, "ppo")).Train(new PlanningProblem(instance.Dynamics, table, 16, 0.9));
            double calls = r.Epochs.Skip(r.Epochs.Count - new PpoOptions().FinalFrozenEpochs).Average(e => e.ExpectedCalls);
            output.WriteLine($"task {k % 16}: λ {r.Lambda:F3}, expected calls in the frozen epochs {calls:F2} (budget 16); λ path "
                + string.Join(" ", r.Epochs.Where(e => e.LambdaUpdated).Select(e => e.Lambda.ToString("F3"))));
            ratios.Add(calls / 16);
        }
        int within = ratios.Count(x => Math.Abs(x - 1) <= 0.1);
        double median = ratios.Order().Skip(4).Take(2).Average();
        output.WriteLine($"within ±10 %: {within}/10; median calls / budget {median:F3}");
        Assert.True(within >= 5, $"only {within} of 10 trainings within ±10 % of the budget");
        Assert.InRange(median, 0.85, 1.15);
    }

    [Fact]
    public void ExpectedCalls_MatchTheSampledCallsOfALongRollout()
    {
        // One epoch of 20,000 steps: the rollout's sampled calls per step estimate the stationary expectation that
        // PpoEpoch.ExpectedCalls computes in closed form (the start from uniform states fades within a few steps). A
        // formula that swapped the engaged and disengaged shares, or read the passive row for the active one, is off by
        // far more than the 0.2 calls allowed (about four standard errors).
        foreach ((int task, ulong seed) in new[] { (0, 11UL), (9, 71UL) })
        {
            (RmabInstance instance, RewardTable table) = SmallInstance(task, seed);
            var options = new PpoOptions { Epochs = 1, FinalFrozenEpochs = 0, StepsPerEpoch = 20_000, InitialLambda = 0.05 };
            PpoEpoch e = new PpoPlanner(options, seed).Train(new PlanningProblem(instance.Dynamics, table, instance.Budget, 0.9)).Epochs[0];
            output.WriteLine($"task {task}: expected {e.ExpectedCalls:F3}, sampled {e.MeanCalls:F3}");
            Assert.InRange(e.ExpectedCalls, 0.5, instance.ArmCount - 0.5);
            Assert.Equal(e.ExpectedCalls, e.MeanCalls, 0.2);
        }
    }

    [Fact]
    public void Lambda_IsFrozenInTheFinalEpochs_AndUpdatedEveryPeriod()
    {
        (RmabInstance instance, RewardTable table) = SmallInstance(3, 31);
        var options = new PpoOptions { Epochs = 14, LambdaUpdatePeriod = 4, FinalFrozenEpochs = 3 };
        PpoTrainingResult r = new PpoPlanner(options, 1).Train(new PlanningProblem(instance.Dynamics, table, instance.Budget, 0.9));
        Assert.Equal([4, 8], r.Epochs.Where(e => e.LambdaUpdated).Select(e => e.Epoch).ToArray());
        Assert.Equal(r.Lambda, r.Epochs[^1].Lambda);
        Assert.Equal(r.Epochs[9].Lambda, r.Epochs[^1].Lambda);
        Assert.NotEqual(r.Epochs[0].Lambda, r.Epochs[^1].Lambda);
        // Entropy: 0.5 at epoch 0, cooling to 0 within each period, none in the frozen epochs.
        Assert.Equal(0.5, r.Epochs[0].EntropyCoefficient, 12);
        Assert.Equal(0.0, r.Epochs[3].EntropyCoefficient, 12);
        Assert.All(r.Epochs.Skip(11), e => Assert.Equal(0.0, e.EntropyCoefficient));
    }

    [Fact]
    public void SameSeed_GivesIdenticalTraining_AndAnotherSeedDiffers()
    {
        (RmabInstance instance, RewardTable table) = SmallInstance(1, 41);
        var problem = new PlanningProblem(instance.Dynamics, table, instance.Budget, 0.9);
        var options = new PpoOptions { Epochs = 12 };
        PpoTrainingResult a = new PpoPlanner(options, 7).Train(problem);
        PpoTrainingResult b = new PpoPlanner(options, 7).Train(problem);
        PpoTrainingResult c = new PpoPlanner(options, 8).Train(problem);
        Assert.Equal(a.Lambda, b.Lambda);
        Assert.Equal(a.ActProbability0, b.ActProbability0);
        Assert.Equal(a.ActProbability1, b.ActProbability1);
        Assert.Equal(a.Epochs, b.Epochs);
        Assert.NotEqual(a.ActProbability1, c.ActProbability1);

        // The same planner object plans twice to the same policy (every Plan starts from the seed).
        var planner = new PpoPlanner(options, 7);
        var p1 = (IIndexRmabPolicy)planner.Plan(problem);
        var p2 = (IIndexRmabPolicy)planner.Plan(problem);
        Assert.Equal(p1.Index0, p2.Index0);
        Assert.Equal(p1.Index1, p2.Index1);
    }

    [Fact]
    public void Policy_CallsExactlyTheBudget_RankingArmsByActProbability()
    {
        (RmabInstance instance, RewardTable table) = SmallInstance(6, 51);
        PpoTrainingResult r = new PpoPlanner(new PpoOptions { Epochs = 8 }, 3).Train(new PlanningProblem(instance.Dynamics, table, instance.Budget, 0.9));
        var rng = new Xoshiro256(9);
        var states = new byte[instance.ArmCount];
        var actions = new byte[instance.ArmCount];
        for (int trial = 0; trial < 20; trial++)
        {
            for (int i = 0; i < states.Length; i++) states[i] = (byte)rng.Next(2);
            r.Policy.Act(states, actions, rng);
            Assert.Equal(instance.Budget, actions.Sum(a => a));
            double P(int i) => states[i] == 0 ? r.ActProbability0[i] : r.ActProbability1[i];
            double lowestCalled = Enumerable.Range(0, states.Length).Where(i => actions[i] == 1).Min(P);
            double highestSkipped = Enumerable.Range(0, states.Length).Where(i => actions[i] == 0).Max(P);
            Assert.True(lowestCalled >= highestSkipped, "the called arms have the largest P(act)");
        }
    }

    [Theory]
    [InlineData(nameof(PpoOptions.PolicyLearningRate))]
    [InlineData(nameof(PpoOptions.ValueLearningRate))]
    [InlineData(nameof(PpoOptions.LambdaLearningRate))]
    [InlineData(nameof(PpoOptions.Epochs))]
    [InlineData(nameof(PpoOptions.StepsPerEpoch))]
    [InlineData(nameof(PpoOptions.HiddenWidth))]
    [InlineData(nameof(PpoOptions.ClipRatio))]
    [InlineData(nameof(PpoOptions.GaeLambda))]
    [InlineData(nameof(PpoOptions.FinalFrozenEpochs))]
    [InlineData(nameof(PpoOptions.StartEntropy))]
    public void OptionsOutOfRange_Throw_NamingTheOption(string name)
    {
        PpoOptions bad = name switch
        {
            nameof(PpoOptions.PolicyLearningRate) => new PpoOptions { PolicyLearningRate = 0 },
            nameof(PpoOptions.ValueLearningRate) => new PpoOptions { ValueLearningRate = -1e-3 },
            nameof(PpoOptions.LambdaLearningRate) => new PpoOptions { LambdaLearningRate = double.NaN },
            nameof(PpoOptions.Epochs) => new PpoOptions { Epochs = 0 },
            nameof(PpoOptions.StepsPerEpoch) => new PpoOptions { StepsPerEpoch = 0 },
            nameof(PpoOptions.HiddenWidth) => new PpoOptions { HiddenWidth = 0 },
            nameof(PpoOptions.ClipRatio) => new PpoOptions { ClipRatio = 0 },
            nameof(PpoOptions.GaeLambda) => new PpoOptions { GaeLambda = 1.5 },
            nameof(PpoOptions.FinalFrozenEpochs) => new PpoOptions { Epochs = 5, FinalFrozenEpochs = 5 },
            _ => new PpoOptions { StartEntropy = -0.1 },
        };
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => new PpoPlanner(bad, 1)).ParamName);
    }

    [Fact]
    public void BudgetAboveArms_Throws_NamingTheBudget()
    {
        (RmabInstance instance, RewardTable table) = SmallInstance(0, 61);
        var problem = new PlanningProblem(instance.Dynamics, table, instance.ArmCount + 1, 0.9);
        Assert.Equal("Budget", Assert.Throws<ArgumentOutOfRangeException>(() => new PpoPlanner(new PpoOptions(), 1).Plan(problem)).ParamName);
    }
}
