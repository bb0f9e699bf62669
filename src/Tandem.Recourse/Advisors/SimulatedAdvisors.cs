using System.Globalization;
using Tandem.Core.Ports;
using Tandem.Core.State;
using Tandem.Recourse.Environments;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Advisors;

/// <summary>
/// The seed's LLM behaviour model (000 §6): with probability q the optimal treatment–recourse pair
/// (from the environment's truth), otherwise a uniformly random treatment and a uniformly random point
/// of the feasible recourse set. A simulation, not a language model. Its state is its random source.
/// </summary>
public sealed class SimulatedQualityAdvisor : IRecourseAdvisor, IStateful
{
    private const string Kind = "simulated-advisor";
    private const int Version = 1;
    private readonly RecourseTruth _truth;
    private readonly Random _random;

    /// <summary>Create it. Range: q ∈ [0, 1].</summary>
    public SimulatedQualityAdvisor(RecourseTruth truth, double quality, Random random)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(random);
        if (!(quality >= 0 && quality <= 1)) throw new ArgumentOutOfRangeException(nameof(quality), quality, "q must lie in [0, 1].");
        _truth = truth;
        Quality = quality;
        _random = random;
    }

    /// <summary>q.</summary>
    public double Quality { get; }

    /// <inheritdoc />
    public string Name => string.Create(CultureInfo.InvariantCulture, $"simulated:q={Quality}");

    /// <inheritdoc />
    public ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RecourseProblem problem = _truth.Problem;
        var values = new double[problem.MutableIndices.Length];
        // One uniform draw decides good/bad so the stream advances the same way whatever the outcome.
        if (_random.NextDouble() < Quality)
        {
            var best = new double[problem.Dimension];
            int arm = _truth.OptimalPair(request.Context, best).Arm;
            problem.GetMutable(best, values);
            return ValueTask.FromResult(Advice.Give(arm, values));
        }
        int randomArm = _random.Next(problem.ArmCount);
        var current = new double[values.Length];
        problem.GetMutable(request.Context, current);
        problem.Set.SampleUniform(current, _random, values);
        return ValueTask.FromResult(Advice.Give(randomArm, values));
    }

    /// <inheritdoc />
    public PolicyState ExportState() => PolicyStates.Pack(Kind, Version, new AdvisorState(Quality, PolicyStates.ExportRandom(_random)));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<AdvisorState>(state, Kind, Version);
        PolicyStates.Require(data.Quality == Quality, $"The state was saved with q = {data.Quality}; this advisor has q = {Quality}.");
        PolicyStates.ValidateRandom(data.Random);
        PolicyStates.ImportRandom(_random, data.Random);
    }

    private sealed record AdvisorState(double Quality, ulong[] Random);
}

/// <summary>
/// A simulated clinician modelled on the seed's Figure 4a (GPT-3.5 on the hypertension study): the same
/// lifestyle change for everyone (there: DietScore +0.8, PhyActHours +1.1, in standard deviations) and a
/// simple treatment rule that ignores arm-specific effects. A documented simulation of generic advice,
/// not a language model.
/// </summary>
public sealed class SimulatedClinicianAdvisor : IRecourseAdvisor
{
    private readonly RecourseProblem _problem;
    private readonly double[] _change;
    private readonly Func<double[], int> _treatmentRule;

    /// <summary>Create it.</summary>
    /// <param name="problem">The problem.</param>
    /// <param name="change">Change of each mutable feature, in problem order.</param>
    /// <param name="treatmentRule">Maps a context to a treatment index.</param>
    /// <param name="description">What the rule does, for reports.</param>
    public SimulatedClinicianAdvisor(RecourseProblem problem, double[] change, Func<double[], int> treatmentRule, string description)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(treatmentRule);
        if (change.Length != problem.MutableIndices.Length || change.Any(v => !double.IsFinite(v)))
            throw new ArgumentException($"The change needs {problem.MutableIndices.Length} finite values.", nameof(change));
        _problem = problem;
        _change = (double[])change.Clone();
        _treatmentRule = treatmentRule;
        Description = description;
    }

    /// <summary>Plain-language description of the simulated behaviour.</summary>
    public string Description { get; }

    /// <inheritdoc />
    public string Name => "clinician";

    /// <inheritdoc />
    public ValueTask<PortAnswer<Advice>> AdviseAsync(AdviceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = new double[_change.Length];
        _problem.GetMutable(request.Context, values);
        for (int j = 0; j < values.Length; j++) values[j] += _change[j];
        return ValueTask.FromResult(Advice.Give(_treatmentRule(request.Context), values));
    }
}
