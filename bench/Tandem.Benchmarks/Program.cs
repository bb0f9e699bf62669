using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Tandem.Benchmarks.PolicyBenchmarks).Assembly).Run(args);
