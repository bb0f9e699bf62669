using BenchmarkDotNet.Running;
using Tandem.Benchmarks;

// `-- solver-stats` prints how many Algorithm 2 iterations GLRB needs per arm and decision; anything
// else goes to BenchmarkDotNet (e.g. `-- --filter '*'`).
if (args.Length > 0 && args[0] == "solver-stats")
{
    SolverStats.Print();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(PolicyBenchmarks).Assembly).Run(args);
