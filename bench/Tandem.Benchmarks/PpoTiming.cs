using System.Diagnostics;
using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Benchmarks;

/// <summary>
/// `-- ppo-timing`: wall time of one Lagrangian PPO training (issue 6 target: N = 48 arms with the authors' settings in
/// at most 2 s on one thread), on the calling thread, for the default options and for the authors' 100-epoch variant.
/// </summary>
public static class PpoTiming
{
    /// <summary>Print the median and mean training time over a few tasks' Base rewards.</summary>
    public static void Print()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data", "dlm");
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(data, "cohort.json")));
        DlmTaskSet tasks = DlmTaskSet.Load(Path.Combine(data, "tasks.json"));
        RmabInstance instance = CohortGenerator.Sample(generator.Population(1), 48, 16, 7);
        foreach ((string label, PpoOptions options) in new[] { ("default (40 epochs)", new PpoOptions()), ("100 epochs", new PpoOptions { Epochs = 100 }) })
        {
            var times = new List<double>();
            for (int rep = 0; rep < 18; rep++)
            {
                var table = tasks.Tasks[rep % tasks.Tasks.Count].BaseExpression.Tabulate(instance.FeatureRows);
                var problem = new PlanningProblem(instance.Dynamics, table, 16, 0.9);
                var clock = Stopwatch.StartNew();
                new PpoPlanner(options, Seeds.Derive(1, rep)).Train(problem);
                if (rep >= 2) times.Add(clock.Elapsed.TotalMilliseconds); // the first two warm up the JIT
            }
            times.Sort();
            Console.WriteLine($"PPO training, N = 48, B = 16, {label}: median {times[times.Count / 2]:F1} ms, mean {times.Average():F1} ms, min {times[0]:F1} ms over {times.Count} trainings (one thread)");
        }
    }
}
