using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Tandem.Core.Running;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Experiments;
using Tandem.Gambit.Model;

namespace Tandem.Benchmarks;

/// <summary>
/// Issue 4 target: one ens-poGAMBITTS step — 60 networks d → 64 → 1, a minibatch of 100 and one Adam step each,
/// 100 Monte Carlo treatment draws per prompt, propensities over all members — in at most 2 ms on one thread.
/// A step is a decision plus learning from its outcome, after the burn-in (the networks train every step).
/// d = 3 (the 3-D working embedding) or 6 (with the context terms, as in §6.3 and App. E).
/// </summary>
[MemoryDiagnoser]
public class EnsembleStepBenchmarks
{
    private EnsembleGambitts _agent = null!;
    private GambitEnvironment _environment = null!;

    [Params(false, true)]
    public bool ContextTerms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ResponseBank bank = SyntheticBank.Create(new SyntheticBankOptions { ResponsesPerCell = 500 });
        GambitWorld world = GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(), [StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity], 5);
        var run = new RunContext(0, 1);
        _agent = EnsembleGambitts.PartiallyOnline(new BankTreatmentGenerator(world), new AgentOptions { ContextTerms = ContextTerms }, run.CreateRandom("agent"), run.CreateRandom("offline"));
        _environment = new GambitEnvironment(world, run);
        for (int t = 0; t < 300; t++) Step(); // past the 100-step burn-in: every step below trains
    }

    [Benchmark]
    public int Step()
    {
        GambitContext x = _environment.NextContext();
        GambitDecision d = _agent.Decide(x);
        _agent.Learn(x, d, _environment.Respond(x, d));
        return d.Arm;
    }

    /// <summary>The decision alone (scoring every member on the Monte Carlo draws), without training.</summary>
    [Benchmark]
    public int DecideOnly() => _agent.Decide(_environment.NextContext()).Arm;
}

/// <summary>
/// Issue 4 target: the illustrative experiment (§6.1: 250 runs × 1,000 steps, StdTS, StdTS:Contextual, foGAMBITTS,
/// poGAMBITTS, 100 propensity draws per decision) in at most 20 s wall on this 2-core machine. One operation is
/// the whole experiment on the default synthetic bank (built once in setup).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 3)]
public class IllustrativeExperimentBenchmarks
{
    private ExperimentDefinition _experiment = null!;
    private IReadOnlyList<ExperimentSetting> _settings = [];
    private AgentSpec[] _agents = [];

    [GlobalSetup]
    public void Setup()
    {
        _experiment = GambittsExperiments.Find("illustrative")!;
        _settings = _experiment.Settings(SyntheticBank.Create());
        _agents = _experiment.DefaultAgents.Select(id => AgentCatalog.Find(id)!).ToArray();
    }

    [Benchmark]
    public async Task<double> Illustrative250x1000()
    {
        ExperimentResult result = await GambittsStudy.RunAsync(_experiment, _settings, _agents, new RunnerOptions { Runs = 250, Horizon = 1000, Seed = 1 });
        return result.Settings[0].Result.Policies[0].FinalCumulativeRegret()[0];
    }
}
