using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Simulation;

namespace Tandem.Benchmarks;

/// <summary>
/// `-- ppo-budget [trainings]`: how well Lagrangian PPO's action charge keeps the budget (issue 12 item 5). Trains PPO on
/// the Base reward of task k mod 16 of data/dlm/tasks.json, on N = 48 arms with B = 16 drawn from the shipped cohort
/// with instance seed k / 16 + 1 (the `tandem dlm --planner ppo` setting: true transitions, discount 0.9), planner seed
/// Seeds.Derive(k, "ppo"), with the default cost in the λ update (the updated actor's expected calls) and with the
/// authors' (the sampled calls), and prints, sorted, the expected stationary calls per step in the frozen epochs divided
/// by B (their mean over the frozen epochs), how many lie within ±10 % of B (also for the last frozen epoch alone and for
/// the sampled calls), and the PPO policy's share of Whittle's lift over Random on the Base reward (100 trials × 10 steps).
/// </summary>
public static class PpoBudget
{
    /// <summary>Print the distributions (default 32 trainings).</summary>
    public static void Print(int trainings)
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data", "dlm");
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(data, "cohort.json")));
        DlmTaskSet tasks = DlmTaskSet.Load(Path.Combine(data, "tasks.json"));
        Beneficiary[] population = generator.Population(1);
        var evaluation = new EvaluationOptions(Trials: 100, Steps: 10, Discount: 0.9);
        foreach ((string label, PpoOptions options) in new[] { ("C = expected calls of the updated actor (default)", new PpoOptions()), ("C = sampled rollout calls (authors')", new PpoOptions { LambdaFromExpectedCalls = false }) })
        {
            var ratios = new List<double>();
            var sampled = new List<double>();
            var last = new List<double>();
            var lifts = new List<double>();
            for (int k = 0; k < trainings; k++)
            {
                int task = k % tasks.Tasks.Count;
                RmabInstance instance = CohortGenerator.Sample(population, 48, 16, (ulong)(k / tasks.Tasks.Count + 1));
                RewardTable table = tasks.Tasks[task].BaseExpression.Tabulate(instance.FeatureRows);
                var problem = new PlanningProblem(instance.Dynamics, table, 16, 0.9);
                PpoTrainingResult r = new PpoPlanner(options, Seeds.Derive((ulong)k, "ppo")).Train(problem);
                var frozen = r.Epochs.Skip(r.Epochs.Count - options.FinalFrozenEpochs).ToArray();
                ratios.Add(frozen.Average(e => e.ExpectedCalls) / 16);
                sampled.Add(frozen.Average(e => e.MeanCalls) / 16);
                last.Add(frozen[^1].ExpectedCalls / 16);
                ulong evalSeed = Seeds.Derive((ulong)k, "evaluation");
                double ppo = RmabSimulator.Run(instance, r.Policy, table, evaluation, evalSeed).MeanReturn;
                double whittle = RmabSimulator.Run(instance, new WhittlePlanner().Plan(problem), table, evaluation, evalSeed).MeanReturn;
                double random = RmabSimulator.Run(instance, new RandomPlanner().Plan(problem), table, evaluation, evalSeed).MeanReturn;
                lifts.Add((ppo - random) / (whittle - random));
            }
            Console.WriteLine($"{label}: frozen-epoch expected calls / B, sorted: {string.Join(" ", ratios.Order().Select(x => x.ToString("F2")))}");
            Console.WriteLine($"  within ±10 %: {ratios.Count(x => Math.Abs(x - 1) <= 0.1)}/{ratios.Count}; median {Median(ratios):F3}; sampled calls within ±10 %: {sampled.Count(x => Math.Abs(x - 1) <= 0.1)}/{sampled.Count}");
            Console.WriteLine($"  last frozen epoch alone: within ±10 %: {last.Count(x => Math.Abs(x - 1) <= 0.1)}/{last.Count}; median {Median(last):F3}");
            Console.WriteLine($"  PPO's share of Whittle's lift over Random (Base reward): median {Median(lifts):F3}, mean {lifts.Average():F3}, min {lifts.Min():F3}");
        }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
