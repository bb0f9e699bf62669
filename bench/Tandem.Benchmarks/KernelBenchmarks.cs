using BenchmarkDotNet.Attributes;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Solvers;

namespace Tandem.Benchmarks;

/// <summary>The pieces of a GLRB round at d = 20: the V⁻¹ product, one (ORO-Arm) solve by Algorithm 2,
/// the global solve of Proposition 1 and a Sherman–Morrison update.</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private const int D = 20;
    private readonly double[] _inverse = new double[D * D];
    private readonly double[] _x = new double[D];
    private readonly double[] _theta = new double[D];
    private readonly double[] _y = new double[D];
    private readonly double[] _work = new double[D];
    private CoordinateDescentOroSolver _cd = null!;
    private GlobalMahalanobisOroSolver _global = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = Seeds.CreateRandom(3);
        for (int i = 0; i < D; i++) _inverse[i * D + i] = 1;
        var v = new double[D];
        for (int n = 0; n < 200; n++)
        {
            random.FillGaussian(v);
            ShermanMorrison.Update(_inverse, v, _work);
        }
        random.FillGaussian(_x);
        random.FillGaussian(_theta);
        int[] all = Enumerable.Range(0, D).ToArray();
        var set = new RecourseSet(D, RecourseNorm.L2, 3);
        _cd = new CoordinateDescentOroSolver(D, all, set);
        _global = new GlobalMahalanobisOroSolver(D, all, set);
        Console.WriteLine($"// Algorithm 2 on this instance: {_cd.Solve(_x, _theta, _inverse, 1.0, _y)}");
    }

    [Benchmark]
    public void SymmetricMultiply() => SymmetricKernels.Multiply(_inverse, _x, _y);

    [Benchmark]
    public double Algorithm2Solve() => _cd.Solve(_x, _theta, _inverse, 1.0, _y).Value;

    [Benchmark]
    public double Proposition1GlobalSolve() => _global.Solve(_x, _theta, _inverse, 1.0, _y).Value;

    [Benchmark]
    public void ShermanMorrisonUpdate()
    {
        // Repeated updates with one x shrink V⁻¹ along x; the cost of an update does not depend on the values.
        ShermanMorrison.Update(_inverse, _x, _work);
    }
}
