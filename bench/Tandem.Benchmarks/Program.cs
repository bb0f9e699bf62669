using BenchmarkDotNet.Running;
using Tandem.Benchmarks;

// `-- ppo-timing` prints the wall time of one PPO training (N = 48); `-- ppo-budget` how well PPO's λ keeps the budget; `-- effect-calibration [budget] [seeds]` the call-effect intercept against a field study's drop reduction; `-- policy-timing` LinUCB's and GLRB's
// rounds per second in a steady-state loop; `-- solver-stats` prints how many Algorithm 2
// iterations GLRB needs per arm and decision; `-- replay-speed` times a LIBRA study on a replay cassette against the
// simulated advisor; `-- service-load` drives a running `tandem serve` (docs/service.md); anything
// else goes to BenchmarkDotNet (e.g. `-- --filter '*'`).
if (args.Length > 0 && args[0] == "ppo-timing")
{
    PpoTiming.Print();
    return;
}
if (args.Length > 0 && args[0] == "ppo-budget")
{
    PpoBudget.Print(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 32);
    return;
}
if (args.Length > 0 && args[0] == "effect-calibration")
{
    // The call-effect intercept calibrated against a field study's reduction in drops (docs/dlm-cohort.md).
    EffectCalibrationRun.Print(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 219,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return;
}
if (args.Length > 0 && args[0] == "policy-timing")
{
    PolicyTiming.Print();
    return;
}
if (args.Length > 0 && args[0] == "solver-stats")
{
    SolverStats.Print();
    return;
}
if (args.Length > 0 && args[0] == "log-timing")
{
    await Tandem.Benchmarks.LogTiming.PrintAsync();
    return;
}
if (args.Length > 0 && args[0] == "service-load")
{
    // A running `tandem serve` on loopback (docs/service.md "Performance").
    Environment.ExitCode = await ServiceLoad.RunAsync(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "replay-speed")
{
    await ReplaySpeed.PrintAsync(args.Length > 2 && args[1] == "--keep" ? args[2] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(PolicyBenchmarks).Assembly).Run(args);
