using BenchmarkDotNet.Attributes;
using Tandem.Core.Randomness;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;
using Tandem.Recourse.Policies;

namespace Tandem.Benchmarks;

/// <summary>
/// Decide + learn rounds of LinUCB and GLRB at d = 20, K = 10 (issue 2 targets: LinUCB ≥ 1,000,000
/// rounds/s, GLRB (Algorithm 2, L2) ≥ 200,000 rounds/s on one thread, no allocation per round).
/// One benchmark operation is <see cref="RoundsPerInvoke"/> rounds over a pre-drawn bank of contexts and
/// rewards, so the environment's cost is not measured.
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    public const int RoundsPerInvoke = 1000;
    private const int Bank = 4096;
    private double[][] _contexts = [];
    private double[] _rewards = [];
    private LinUcbPolicy _linUcb = null!;
    private GlrbPolicy _glrb = null!;
    private int _cursor;

    [Params(20)]
    public int Dimension { get; set; }

    [Params(10)]
    public int Arms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var scenario = new SyntheticScenario(Dimension, Arms);
        RecourseProblem problem = scenario.CreateProblem(RecourseNorm.L2, 3);
        var random = Seeds.CreateRandom(1);
        _contexts = Enumerable.Range(0, Bank).Select(_ => { var x = new double[Dimension]; random.FillGaussian(x); return x; }).ToArray();
        _rewards = Enumerable.Range(0, Bank).Select(_ => random.NextGaussian()).ToArray();
        _linUcb = new LinUcbPolicy(problem);
        _glrb = new GlrbPolicy(problem, new GlrbOptions { Radius = ConfidenceRadiusRule.Constant(0.5) });
        // Warm up: a few thousand rounds so every arm has data and buffers exist.
        for (int i = 0; i < 2000; i++)
        {
            LinUcbRound();
            GlrbRound();
        }
    }

    private void LinUcbRound()
    {
        int i = _cursor++ & (Bank - 1);
        double[] x = _contexts[i];
        RecourseDecision d = _linUcb.DecideAsync(x).Result;
        _linUcb.LearnAsync(x, d, new RecourseOutcome(_rewards[i], 0, d.Recourse)).GetAwaiter().GetResult();
    }

    private void GlrbRound()
    {
        int i = _cursor++ & (Bank - 1);
        double[] x = _contexts[i];
        RecourseDecision d = _glrb.Decide(x);
        _glrb.Learn(d, new RecourseOutcome(_rewards[i], 0, d.Recourse));
    }

    [Benchmark(OperationsPerInvoke = RoundsPerInvoke)]
    public void LinUcbDecideLearn()
    {
        for (int r = 0; r < RoundsPerInvoke; r++) LinUcbRound();
    }

    [Benchmark(OperationsPerInvoke = RoundsPerInvoke)]
    public void GlrbDecideLearn()
    {
        for (int r = 0; r < RoundsPerInvoke; r++) GlrbRound();
    }
}
