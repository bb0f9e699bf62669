using System.Diagnostics;
using Tandem.Core.Randomness;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Benchmarks;

/// <summary>
/// `-- policy-timing`: decide + learn rounds per second of LinUCB and GLRB at d = 20, K = 10 in a steady-state loop
/// (a few seconds each, one thread, after 20,000 warm-up rounds), the same work as <see cref="PolicyBenchmarks"/>
/// (contexts and rewards drawn up front from pure noise), and GLRB once more on the synthetic study's own rewards,
/// where Algorithm 2 needs fewer iterations. BenchmarkDotNet's figures for the same work are somewhat slower
/// (docs/benchmarks.md); both are reported.
/// </summary>
public static class PolicyTiming
{
    public static void Print()
    {
        var scenario = new SyntheticScenario(20, 10);
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        var random = Seeds.CreateRandom(1);
        double[][] contexts = Enumerable.Range(0, 4096).Select(_ => { var x = new double[20]; random.FillGaussian(x); return x; }).ToArray();
        double[] rewards = Enumerable.Range(0, 4096).Select(_ => random.NextGaussian()).ToArray();

        var linUcb = new LinUcbPolicy(problem);
        Report("LinUCB (noise rewards)", i =>
        {
            RecourseDecision d = linUcb.DecideAsync(contexts[i & 4095]).Result;
            linUcb.LearnAsync(contexts[i & 4095], d, new RecourseOutcome(rewards[i & 4095], 0, d.Recourse)).GetAwaiter().GetResult();
        });

        var glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(0.5) });
        Report("GLRB, Algorithm 2, L2 (noise rewards)", i =>
        {
            RecourseDecision d = glrb.Decide(contexts[i & 4095]);
            glrb.Learn(d, new RecourseOutcome(rewards[i & 4095], 0, d.Recourse));
        });

        var world = scenario.CreateWorld(problem, new Tandem.Core.Running.RunContext(0, 1));
        var environment = new RecourseEnvironment(world.Truth, world.Sampler, world.NoiseSd, null, 1);
        double[][] studyContexts = Enumerable.Range(0, 4096).Select(_ => environment.NextContext()).ToArray();
        var studyGlrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(1) });
        Report("GLRB, Algorithm 2, L2 (the study's rewards, environment included)", i =>
        {
            double[] x = studyContexts[i & 4095];
            RecourseDecision d = studyGlrb.Decide(x);
            studyGlrb.Learn(d, environment.Respond(x, d));
        });
    }

    private static void Report(string name, Action<int> round)
    {
        int i = 0;
        for (; i < 20_000; i++) round(i);
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuStart = process.TotalProcessorTime;
        long bytesStart = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        int rounds = 0;
        while (clock.Elapsed.TotalSeconds < 4)
        {
            for (int k = 0; k < 1000; k++) round(i++);
            rounds += 1000;
        }
        double microseconds = clock.Elapsed.TotalMicroseconds / rounds;
        double bytes = (GC.GetAllocatedBytesForCurrentThread() - bytesStart) / (double)rounds;
        process.Refresh();
        // On a shared machine the wall clock also counts time the thread waited for a core; the process's CPU time
        // does not (it does count the runtime's own threads, GC included), so both are printed.
        double cpuMicroseconds = (process.TotalProcessorTime - cpuStart).TotalMicroseconds / rounds;
        Console.WriteLine($"{name}: {microseconds:F3} µs per round, {1e6 / microseconds:N0} rounds/s over {rounds:N0} rounds "
            + $"(CPU {cpuMicroseconds:F3} µs per round, {1e6 / cpuMicroseconds:N0} rounds/s; {bytes:F0} B allocated per round)");
    }
}
