using System.Runtime.InteropServices;
using Tandem.Core.Abstractions;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>
/// A recourse bandit environment: contexts from a sampler, rewards r = μ(θ*_aᵀ x̄) + ξ with the realized
/// context x̄ (seed 000 eq. GLM; §4 for non-compliance). Identity link: ξ ~ N(0, σ²). Logistic link:
/// r ~ Bernoulli(μ). Contexts and noise come from two separate seeded streams, so every policy of a run
/// meets the same patients.
/// </summary>
public sealed class RecourseEnvironment : IEnvironment<double[], RecourseDecision, RecourseOutcome>
{
    private readonly IContextSampler _sampler;
    private readonly Random _contextRandom;
    private readonly Random _noiseRandom;
    private readonly Random _complianceRandom;
    private readonly double[] _mutable;
    private readonly double[] _candidate;

    /// <summary>Create an environment.</summary>
    /// <param name="truth">θ* and the problem.</param>
    /// <param name="sampler">Where patients come from (dimension d).</param>
    /// <param name="noiseSd">σ of the Gaussian reward noise (identity link). Range: σ ≥ 0.</param>
    /// <param name="nonCompliance">How patients deviate; null = full compliance.</param>
    /// <param name="seed">Seed of the environment's streams.</param>
    public RecourseEnvironment(RecourseTruth truth, IContextSampler sampler, double noiseSd, INonCompliance? nonCompliance, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(sampler);
        if (sampler.Dimension != truth.Problem.Dimension)
            throw new ArgumentException($"The sampler draws {sampler.Dimension} features; the problem has {truth.Problem.Dimension}.", nameof(sampler));
        if (!double.IsFinite(noiseSd) || noiseSd < 0) throw new ArgumentOutOfRangeException(nameof(noiseSd), noiseSd, "σ must be finite and ≥ 0.");
        Truth = truth;
        _sampler = sampler;
        NoiseSd = noiseSd;
        NonCompliance = nonCompliance;
        _contextRandom = Seeds.CreateRandom(Seeds.Derive(seed, "contexts"));
        _noiseRandom = Seeds.CreateRandom(Seeds.Derive(seed, "noise"));
        _complianceRandom = Seeds.CreateRandom(Seeds.Derive(seed, "compliance"));
        _mutable = new double[truth.Problem.MutableIndices.Length];
        _candidate = new double[truth.Problem.MutableIndices.Length];
    }

    /// <summary>The ground truth.</summary>
    public RecourseTruth Truth { get; }

    /// <summary>The problem.</summary>
    public RecourseProblem Problem => Truth.Problem;

    /// <summary>σ.</summary>
    public double NoiseSd { get; }

    /// <summary>The non-compliance model, or null.</summary>
    public INonCompliance? NonCompliance { get; }

    /// <inheritdoc />
    public int ArmCount => Problem.ArmCount;

    /// <inheritdoc />
    public double[] NextContext()
    {
        var x = new double[Problem.Dimension];
        _sampler.Sample(_contextRandom, x);
        return x;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The decision's recourse changes an immutable feature or
    /// lies outside the feasible set: a policy bug, never silently accepted.</exception>
    public RecourseOutcome Respond(double[] context, RecourseDecision decision)
    {
        ReadOnlySpan<double> intended = CheckedRecourse(context, decision);
        var realized = new double[Problem.Dimension];
        if (NonCompliance is null) intended.CopyTo(realized);
        else NonCompliance.Realize(context, intended, decision.Arm, realized, _complianceRandom);

        double expected = Truth.ExpectedReward(decision.Arm, realized);
        double reward = Problem.Link switch
        {
            GlmLink.Logistic => _noiseRandom.NextDouble() < expected ? 1.0 : 0.0,
            _ => expected + NoiseSd * _noiseRandom.NextGaussian(),
        };
        // realized is fresh and never touched again: the outcome owns it.
        return new RecourseOutcome(reward, expected, ImmutableCollectionsMarshal.AsImmutableArray(realized));
    }

    /// <inheritdoc />
    public double OptimalExpectedReward(double[] context) => Truth.OptimalValue(context);

    /// <summary>μ(θ*_aᵀ x̃) of the decision's arm at its recommended recourse x̃, as if the patient complied
    /// fully (seed 000 eq. GLM). Draws nothing.</summary>
    /// <exception cref="InvalidOperationException">The recourse is infeasible (as in <see cref="Respond"/>).</exception>
    public double ExpectedReward(double[] context, RecourseDecision decision) =>
        Truth.ExpectedReward(decision.Arm, CheckedRecourse(context, decision));

    private ReadOnlySpan<double> CheckedRecourse(double[] context, RecourseDecision decision)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(decision);
        Problem.ValidateArm(decision.Arm, nameof(decision));
        if (decision.Recourse.IsDefault) throw new ArgumentException("The decision carries no recourse.", nameof(decision));
        ReadOnlySpan<double> intended = decision.Recourse.AsSpan();
        if (intended.Length != Problem.Dimension) throw new ArgumentException($"The recourse has {intended.Length} values; expected {Problem.Dimension}.", nameof(decision));
        foreach (int i in Problem.ImmutableIndices)
        {
            if (intended[i] != context[i])
                throw new InvalidOperationException($"The recourse changes immutable feature '{Problem.Features[i].Name}' from {context[i]} to {intended[i]}.");
        }
        Problem.GetMutable(context, _mutable);
        Problem.GetMutable(intended, _candidate);
        if (!Problem.Set.Contains(_mutable, _candidate, 1e-7))
            throw new InvalidOperationException($"The recourse lies outside the feasible set (distance {Problem.Set.Distance(_mutable, _candidate):G6} > γ = {Problem.Gamma} or outside its bounds).");
        return intended;
    }
}
