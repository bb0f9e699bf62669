using System.Diagnostics;
using System.Text.Json;
using Tandem.Core.Logging;
using Tandem.Core.Running;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Experiments;
using Tandem.Recourse.Model;

namespace Tandem.Benchmarks;

/// <summary>
/// `log-timing`: what the decision log costs a LIBRA study (issue 10: at most 20% of the study's wall time).
/// Runs the synthetic study (four policies, 10 runs × 1,000 steps) without a log, with an observer that only asks the
/// environment for every arm's expected reward, and with the whole log, and prints the simulation wall time of each.
/// </summary>
public static class LogTiming
{
    /// <summary>Print the three timings, median of <paramref name="repetitions"/>.</summary>
    public static async Task PrintAsync(int repetitions = 5)
    {
        IRecourseScenario scenario = Scenarios.Create("synthetic");
        LibraStudyPlan plan = LibraStudy.Create(scenario, new LibraStudyOptions());
        var runner = new RunnerOptions { Horizon = 1000, Runs = 10, Seed = 1 };
        string dir = Directory.CreateTempSubdirectory("tandem-log-timing-").FullName;
        try
        {
            await StudyRunner.RunAsync(plan.Study, runner); // warm-up (JIT)
            var times = new Dictionary<string, List<double>> { ["no log"] = [], ["truth only"] = [], ["log"] = [] };
            long lines = 0, bytes = 0;
            for (int r = 0; r < repetitions; r++)
            {
                times["no log"].Add((await StudyRunner.RunAsync(plan.Study, runner)).SimulationWallTime.TotalSeconds);
                times["truth only"].Add((await StudyRunner.RunAsync(plan.Study, runner, [new TruthOnly()])).SimulationWallTime.TotalSeconds);
                string path = Path.Combine(dir, "log.jsonl");
                var clock = Stopwatch.StartNew();
                using (DecisionLogFile log = DecisionLogFile.Create(path))
                {
                    await StudyRunner.RunAsync(plan.Study, runner, [log.Observer<double[], RecourseDecision, RecourseOutcome>("libra-synthetic", DecisionLogFile.WriteVector)]);
                    log.Complete();
                    lines = log.Lines;
                }
                times["log"].Add(clock.Elapsed.TotalSeconds);
                bytes = new FileInfo(path).Length;
            }
            double baseline = Median(times["no log"]);
            foreach (var (mode, list) in times)
                Console.WriteLine($"{mode,-11} median {Median(list):F3} s over {repetitions} (min {list.Min():F3}); {Median(list) / baseline:F2}× the study without a log");
            Console.WriteLine($"log: {lines} lines, {bytes / 1e6:F1} MB ({(double)bytes / lines:F0} bytes a line), {(Median(times["log"]) - baseline) / lines * 1e6:F1} µs a line beyond the study");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed class TruthOnly : IStepObserver<double[], RecourseDecision, RecourseOutcome>
    {
        public bool OnStep(in StepRecord<double[], RecourseDecision, RecourseOutcome> step)
        {
            double sum = 0;
            for (int a = 0; a < step.Environment.ArmCount; a++)
                sum += step.Environment.ExpectedReward(step.Context, step.Decision with { Arm = a });
            return !double.IsNaN(sum) || true;
        }
    }
}
