using Tandem.Core.Randomness;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Benchmarks;

/// <summary>Iterations of Algorithm 2 per arm and decision in GLRB on the synthetic study (d = 20, K = 10).</summary>
internal static class SolverStats
{
    public static void Print()
    {
        var scenario = new SyntheticScenario();
        foreach (string norm in new[] { "l2", "linf", "l1", "mahalanobis" })
        {
            RecourseProblem problem = scenario.CreateProblem(RecourseNorm.Parse(norm, 20), 3);
            var world = scenario.CreateWorld(problem, new Tandem.Core.Running.RunContext(0, 1));
            var env = new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, null, 1);
            var glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(1) });
            var histogram = new SortedDictionary<int, int>();
            long total = 0;
            const int steps = 2000;
            for (int t = 0; t < steps; t++)
            {
                double[] x = env.NextContext();
                RecourseDecision d = glrb.Decide(x);
                total += glrb.LastIterations;
                int perArm = (int)Math.Round(glrb.LastIterations / 10.0);
                histogram[perArm] = histogram.GetValueOrDefault(perArm) + 1;
                glrb.Learn(d, env.Respond(x, d));
            }
            Console.WriteLine($"{norm}: mean {total / (double)steps / 10:F2} iterations per arm; per-decision mean per arm histogram: {string.Join(", ", histogram.Select(kv => $"{kv.Key}:{kv.Value}"))}");
        }
    }
}
