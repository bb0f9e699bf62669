using BenchmarkDotNet.Attributes;
using Tandem.Core.Randomness;
using Tandem.Rmab.Cohort;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Rewards;

namespace Tandem.Benchmarks;

/// <summary>
/// Whittle indices of many arms on one thread (issue 3 target: 100,000 arms in at most 1 s; a vectorized numpy
/// version measured here takes 0.8 s for 1,000 arms at discount 0.95). Arms come from the cohort generator,
/// rewards are the Default reward (0, 1).
/// </summary>
[MemoryDiagnoser]
public class WhittleBenchmarks
{
    private ArmDynamics[] _arms = [];
    private double[] _r0 = [], _r1 = [], _i0 = [], _i1 = [];
    private bool[] _ok = [];

    [Params(1_000, 100_000)]
    public int Arms { get; set; }

    [Params(0.95)]
    public double Discount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "cohort.json")));
        var rng = new Xoshiro256(1);
        _arms = Enumerable.Range(0, Arms).Select(_ => generator.Draw(rng).Dynamics).ToArray();
        _r0 = new double[Arms];
        _r1 = Enumerable.Repeat(1.0, Arms).ToArray();
        _i0 = new double[Arms];
        _i1 = new double[Arms];
        _ok = new bool[Arms];
    }

    [Benchmark]
    public double Indices()
    {
        WhittleIndex.Compute(_arms, _r0, _r1, Discount, _i0, _i1, _ok);
        return _i0[0];
    }
}

/// <summary>
/// Reward tabulation of 48 arms: the whitelisted-tree interpreter vs a Roslyn-compiled delegate (cached), for the
/// Base reward of task 8 (the values are identical; see RewardSandboxTests).
/// </summary>
public class RewardTabulationBenchmarks
{
    private double[][] _features = [];
    private RewardExpression _expression = null!;
    private Func<double, double[], double> _compiled = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "cohort.json")));
        var rng = new Xoshiro256(2);
        _features = Enumerable.Range(0, 48).Select(_ => generator.Draw(rng).Features).ToArray();
        _expression = RewardSandbox.Parse("state * 0.1 + (state > 0 && (feats[13] > 0 && (feats[9] > 0 || feats[10] > 0)) ? 2.0 : 0.0)");
        _compiled = RoslynRewardCompiler.Compile(_expression);
    }

    [Benchmark(Baseline = true)]
    public RewardTable Interpreter() => _expression.Tabulate(_features);

    [Benchmark]
    public RewardTable Compiled() => RewardTabulation.TryTabulate(_features, _compiled, out RewardTable? t, out _) ? t : throw new InvalidOperationException();

    [Benchmark]
    public RewardExpression ParseAndCheck() => RewardSandbox.Parse("state * (1.0 + 2.0 * feats[11] + 0.5 * feats[36] + 5.0 * feats[13] * (feats[9] + feats[10]))");
}

/// <summary>
/// The full Table 4 reproduction (16 tasks × 200 seeds, every method, 5 stages × 3 candidates, 50 trials × 10 steps,
/// Whittle planner, simulated designer), all cores (issue 3 target: at most 120 s wall on the 2-core machine).
/// One iteration is the whole table, so run it with a single iteration: <c>--filter *Table4* --job dry</c> or
/// the default short run.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class Table4Benchmarks
{
    private DlmTaskSet _tasks = null!;
    private CohortGenerator _generator = null!;

    [GlobalSetup]
    public void Setup()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data", "dlm");
        _tasks = DlmTaskSet.Load(Path.Combine(data, "tasks.json"));
        _generator = new CohortGenerator(CohortParameters.Load(Path.Combine(data, "cohort.json")));
    }

    [Benchmark]
    public async Task<double> FullTable()
    {
        DlmExperimentResult r = await DlmExperiment.RunAsync(_tasks, _generator, new SimulatedDesigner(), new DlmExperimentOptions());
        return r.AverageMnr(DlmMethods.Reflection).Iqm;
    }
}

/// <summary>One Lagrangian PPO training of N = 48 arms with the default options (issue 6 target: ≤ 2 s on one thread;
/// about 0.19 s is what `tandem dlm --planner ppo --seeds 20` needs to finish in 10 minutes on two cores).</summary>
[MemoryDiagnoser]
public class PpoBenchmarks
{
    private PlanningProblem _problem = null!;

    [GlobalSetup]
    public void Setup()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "data", "dlm");
        var generator = new CohortGenerator(CohortParameters.Load(Path.Combine(data, "cohort.json")));
        RmabInstance instance = CohortGenerator.Sample(generator.Population(1), 48, 16, 7);
        RewardTable table = DlmTaskSet.Load(Path.Combine(data, "tasks.json")).Tasks[0].BaseExpression.Tabulate(instance.FeatureRows);
        _problem = new PlanningProblem(instance.Dynamics, table, 16, 0.9);
    }

    [Benchmark]
    public double TrainN48() => new PpoPlanner(new PpoOptions(), 1).Train(_problem).Lambda;
}
