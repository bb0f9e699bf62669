using System.Collections.Immutable;
using Tandem.Core.Abstractions;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Core.Numerics;
using Tandem.Recourse.Model;
using Tandem.Recourse.Solvers;

namespace Tandem.Recourse.Policies;

/// <summary>Which solver of (ORO-Arm) GLRB uses.</summary>
public enum OroSolverKind
{
    /// <summary>Algorithm 2, two-block coordinate descent (any norm; a critical point, Lemma 3).</summary>
    CoordinateDescent,

    /// <summary>Proposition 1, the global optimum (L2 or Mahalanobis norm without bounds).</summary>
    Global,
}

/// <summary>How GLRB guards against patients who do not follow the recourse (seed 000 §4).</summary>
public enum NonComplianceGuard
{
    /// <summary>Assume full compliance (§2).</summary>
    None,

    /// <summary>robust-ORO with the empirical mean of observed deviations per arm (§4.1, Remark 1).
    /// Exact for the identity link; for the logistic link the mean shift is a first-order approximation
    /// of E_ε[μ(·)].</summary>
    Random,

    /// <summary>ORO-NC by Algorithm 4 with Lemma 4 (§4.2), within ε in the recourse norm.</summary>
    Adversarial,
}

/// <summary>GLRB options. Immutable; validated by <see cref="Validate"/>.</summary>
public sealed record GlrbOptions
{
    /// <summary>Ridge λ of the regularised MLE and the design matrix V = λI + Σ x̄ x̄ᵀ. Range: λ &gt; 0, finite and
    /// normal (a subnormal λ makes V⁻¹ = I/λ infinite). Default 1.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>The confidence radius ρ_{t,a}, in reward units. Default: constant 1.</summary>
    public ConfidenceRadiusRule Radius { get; init; } = ConfidenceRadiusRule.Constant(1.0);

    /// <summary>Shrink every arm's intercept toward the mean of all rewards seen so far instead of toward 0, so an
    /// untried arm does not look worse than the first one tried (identity link, problems with a constant feature;
    /// docs/confidence-radius.md). Default true.</summary>
    public bool PooledInterceptPrior { get; init; } = true;

    /// <summary>L_μ, the Lipschitz constant of the link in CI = UCB − LCB = 2 L_μ ρ ‖x̃‖_{V⁻¹} (seed §3.1); null = the
    /// link's own (1 identity, 1/4 logistic). Range: L_μ &gt; 0, finite.</summary>
    public double? Lipschitz { get; init; }

    /// <summary>Solver of (ORO-Arm). Default Algorithm 2.</summary>
    public OroSolverKind Solver { get; init; } = OroSolverKind.CoordinateDescent;

    /// <summary>Iteration limit and tolerance of Algorithm 2/4.</summary>
    public OroSolverOptions SolverOptions { get; init; } = new();

    /// <summary>Non-compliance guard. Default none.</summary>
    public NonComplianceGuard Guard { get; init; } = NonComplianceGuard.None;

    /// <summary>ε of the adversarial guard (same norm as the recourse). Range: ε ≥ 0.</summary>
    public double Epsilon { get; init; }

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (!double.IsNormal(Lambda) || Lambda < 0) throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "λ must be finite, > 0 and not subnormal (V⁻¹ = I/λ must be finite).");
        ArgumentNullException.ThrowIfNull(Radius, nameof(Radius));
        if (Lipschitz is { } l && (!double.IsFinite(l) || !(l > 0))) throw new ArgumentOutOfRangeException(nameof(Lipschitz), l, "L_μ must be finite and > 0.");
        ArgumentNullException.ThrowIfNull(SolverOptions, nameof(SolverOptions));
        if (!double.IsFinite(Epsilon) || Epsilon < 0) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must be finite and ≥ 0.");
        if (Guard == NonComplianceGuard.Adversarial && Solver == OroSolverKind.Global)
            throw new ArgumentException("The adversarial guard uses Algorithm 4; choose the coordinate-descent solver.", nameof(Solver));
        // Issue 11: robust-ORO's mean shift is solved by Algorithm 2; with Solver = Global it used to run Algorithm 2
        // silently while the summary said "global". Refuse instead of pretending.
        if (Guard == NonComplianceGuard.Random && Solver == OroSolverKind.Global)
            throw new ArgumentException("The random non-compliance guard (robust-ORO) is solved by Algorithm 2; choose the coordinate-descent solver.", nameof(Solver));
    }
}

/// <summary>
/// GLRB, the Generalized Linear Recourse Bandit (seed 000 Algorithm 1): per arm a regularised GLM
/// estimate θ̂_a and design matrix V_a; for each arm solve (ORO-Arm) for the optimistic recourse and
/// implement the arm with the largest optimistic value. Learns from the realized context x̄ (§4).
/// One allocation per decision (the owned recourse copy) with the identity link.
/// </summary>
public sealed class GlrbPolicy : IPolicy<double[], RecourseDecision, RecourseOutcome>, IStateful, IConfidenceBounds
{
    private const string Kind = "glrb";
    private const int Version = 2;
    // Merging notes allocates (a sorted set); GLRB's are always these two.
    private static readonly DecisionNotes DecideNotes = DecisionNotes.RecourseRecommended | DecisionNotes.Deterministic;
    private readonly RecourseProblem _problem;
    private readonly GlmArm[] _arms;
    private readonly IOroSolver _solver;
    private readonly CoordinateDescentOroSolver? _robustSolver;
    private readonly CoordinateDescentOroSolver? _coordinateDescent; // _solver when it is Algorithm 2
    private readonly double[][] _candidates;
    private readonly double[] _work;
    private readonly ImmutableArray<double>[] _oneHot;
    private readonly double[] _rhos;
    private readonly OroSolution[] _solutions;
    private readonly double[][] _meanDeviation;
    private readonly int[] _deviationCount;
    private readonly double _lipschitz;
    private readonly PooledInterceptPrior _prior;
    private readonly double[][] _shifted;
    private readonly DecisionIssuer _issuer;

    /// <summary>Create GLRB for <paramref name="problem"/>; <paramref name="timeProvider"/> stamps
    /// decisions (system clock when null).</summary>
    public GlrbPolicy(RecourseProblem problem, GlrbOptions? options = null, TimeProvider? timeProvider = null)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        Options = options ?? new GlrbOptions();
        Options.Validate();
        int d = problem.Dimension;
        _arms = Enumerable.Range(0, problem.ArmCount).Select(_ => new GlmArm(d, Options.Lambda, problem.Link)).ToArray();
        _solver = (Options.Guard, Options.Solver) switch
        {
            (NonComplianceGuard.Adversarial, _) => new AdversarialOroSolver(d, problem.MutableIndices, problem.Set, Options.Epsilon, Options.SolverOptions),
            (_, OroSolverKind.Global) => new GlobalMahalanobisOroSolver(d, problem.MutableIndices, problem.Set),
            _ => new CoordinateDescentOroSolver(d, problem.MutableIndices, problem.Set, Options.SolverOptions),
        };
        _coordinateDescent = _solver as CoordinateDescentOroSolver;
        if (Options.Guard == NonComplianceGuard.Random)
            _robustSolver = _coordinateDescent ?? new CoordinateDescentOroSolver(d, problem.MutableIndices, problem.Set, Options.SolverOptions);
        _candidates = Enumerable.Range(0, problem.ArmCount).Select(_ => new double[d]).ToArray();
        _work = new double[d];
        _rhos = new double[problem.ArmCount];
        _oneHot = [.. Enumerable.Range(0, problem.ArmCount).Select(a => ProbabilityVectors.OneHot(problem.ArmCount, a))];
        _solutions = new OroSolution[problem.ArmCount];
        _meanDeviation = Enumerable.Range(0, problem.ArmCount).Select(_ => new double[problem.MutableIndices.Length]).ToArray();
        _deviationCount = new int[problem.ArmCount];
        _lipschitz = Options.Lipschitz ?? Links.LipschitzConstant(problem.Link);
        _prior = new PooledInterceptPrior(problem, Options.Lambda, Options.PooledInterceptPrior, problem.Link);
        _shifted = _prior.Active ? Enumerable.Range(0, problem.ArmCount).Select(_ => new double[d]).ToArray() : [];
        _issuer = new DecisionIssuer(timeProvider);
    }

    /// <summary>The options.</summary>
    public GlrbOptions Options { get; }

    /// <summary>The problem.</summary>
    public RecourseProblem Problem => _problem;

    /// <inheritdoc />
    public string Name => "GLRB";

    /// <summary>The per-arm models (read-only use).</summary>
    public IReadOnlyList<GlmArm> Arms => _arms;

    /// <summary>Iterations of the solver in the last decision, summed over arms.</summary>
    public int LastIterations { get; private set; }

    /// <inheritdoc />
    public ValueTask<RecourseDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Decide(context));

    /// <summary>The synchronous decision (GLRB never waits on anything).</summary>
    public RecourseDecision Decide(double[] context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _problem.ValidateContext(context, nameof(context));
        int best = 0;
        double bestValue = double.NegativeInfinity, bestRho = 0;
        int iterations = 0;
        if (_robustSolver is null && !_prior.Active && _coordinateDescent is { } coordinateDescent)
        {
            // Algorithm 2 for every arm at once (in lockstep where the fused kernel applies); the same numbers as one
            // arm after the other. The context is validated above and each arm's θ̂ and V⁻¹ are its own.
            for (int a = 0; a < _arms.Length; a++) _rhos[a] = Options.Radius.Radius(_arms[a].Count);
            coordinateDescent.SolveArmsTrusted(context, _arms, _rhos, _candidates, _solutions);
            for (int a = 0; a < _arms.Length; a++)
            {
                iterations += _solutions[a].Iterations;
                if (_solutions[a].Value > bestValue)
                {
                    bestValue = _solutions[a].Value;
                    bestRho = _rhos[a];
                    best = a;
                }
            }
        }
        else
        {
            for (int a = 0; a < _arms.Length; a++)
            {
                GlmArm arm = _arms[a];
                double rho = Options.Radius.Radius(arm.Count);
                ReadOnlySpan<double> theta = arm.Theta;
                if (_prior.Active)
                {
                    _prior.Shift(arm, _shifted[a]);
                    theta = _shifted[a];
                }
                OroSolution solution = _robustSolver is not null
                    ? _robustSolver.SolveTrusted(context, theta, arm.InverseDesign, rho, _meanDeviation[a], _candidates[a])
                    : _solver.Solve(context, theta, arm.InverseDesign, rho, _candidates[a]);
                iterations += solution.Iterations;
                if (solution.Value > bestValue)
                {
                    bestValue = solution.Value;
                    bestRho = rho;
                    best = a;
                }
            }
        }
        LastIterations = iterations;
        double[] chosen = _candidates[best];
        // CI_t(x̃, a) = UCB − LCB = 2 L_μ ρ_{t,a} ‖x̃‖_{V⁻¹} (seed §3.1).
        double width = 2 * _lipschitz * bestRho * _arms[best].ConfidenceNorm(chosen, _work);
        DecisionStamp stamp = _issuer.Issue();
        return new RecourseDecision
        {
            Id = stamp.Id,
            Time = stamp.Time,
            Arm = best,
            Probabilities = _oneHot[best],
            Notes = DecideNotes,
            Recourse = RecourseDecision.Copy(chosen),
            ConfidenceWidth = width,
        };
    }

    /// <summary>LCB_t(x, a) and UCB_t(x, a) = μ(xᵀθ̂_{t,a}) ∓ L_μ ρ_{t,a} ‖x‖_{V_{t,a}⁻¹} (seed 000 §3.1) of a full
    /// context <paramref name="x"/> (recourse included) under <paramref name="arm"/>, with the current estimates.</summary>
    public (double Lower, double Upper) ConfidenceBounds(ReadOnlySpan<double> x, int arm)
    {
        if (x.Length != _problem.Dimension) throw new ArgumentException($"The context has {x.Length} values; expected {_problem.Dimension}.", nameof(x));
        _problem.ValidateArm(arm, nameof(arm));
        GlmArm model = _arms[arm];
        ReadOnlySpan<double> theta = model.Theta;
        if (_prior.Active)
        {
            _prior.Shift(model, _shifted[arm]);
            theta = _shifted[arm];
        }
        double z = 0;
        for (int i = 0; i < theta.Length; i++) z += theta[i] * x[i];
        double mean = Links.Mean(_problem.Link, z);
        double half = _lipschitz * Options.Radius.Radius(model.Count) * model.ConfidenceNorm(x, _work);
        return (mean - half, mean + half);
    }

    /// <inheritdoc />
    public ValueTask LearnAsync(double[] context, RecourseDecision decision, RecourseOutcome outcome, CancellationToken cancellationToken = default)
    {
        Learn(decision, outcome);
        return ValueTask.CompletedTask;
    }

    /// <summary>The synchronous update from <paramref name="decision"/> (its arm and recourse) and
    /// <paramref name="outcome"/>; see <see cref="LearnAsync"/>.</summary>
    public void Learn(RecourseDecision decision, RecourseOutcome outcome)
    {
        _problem.ValidateFeedback(decision, outcome);
        _issuer.EnsurePending(decision.Id, nameof(decision));
        ReadOnlySpan<double> realized = outcome.Realized.AsSpan();
        _arms[decision.Arm].Update(realized, outcome.Reward);
        _prior.Observe(outcome.Reward);
        if (_robustSolver is not null)
        {
            // Remark 1: the empirical distribution of ε_s = x̄_s − x̃_s per arm; its mean shifts (robust-ORO).
            // x̃_s is the decision's own recourse, so a late reward is learned as if it came at once.
            ReadOnlySpan<double> intended = decision.Recourse.AsSpan();
            double[] mean = _meanDeviation[decision.Arm];
            int n = ++_deviationCount[decision.Arm];
            int[] mutable = _problem.MutableIndices;
            for (int j = 0; j < mutable.Length; j++)
            {
                double deviation = realized[mutable[j]] - intended[mutable[j]];
                mean[j] += (deviation - mean[j]) / n;
            }
        }
        _issuer.Settle(decision.Id);
    }

    /// <inheritdoc />
    public PolicyState ExportState() => PolicyStates.Pack(Kind, Version, new GlrbState(
        Describe(Options), _problem.Dimension, _arms.Length, _problem.MutableIndices.Length,
        _arms.Select(a => a.Export()).ToArray(),
        _meanDeviation.Select(m => (double[])m.Clone()).ToArray(),
        (int[])_deviationCount.Clone(),
        _prior.Sum, _prior.Count,
        _issuer.Export()));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<GlrbState>(state, Kind, Version);
        string options = Describe(Options);
        PolicyStates.Require(data.Options == options, $"The state was saved with options {data.Options}; this policy has {options}.");
        PolicyStates.Require(data.Dimension == _problem.Dimension, $"The state has dimension {data.Dimension}; this policy has {_problem.Dimension}.");
        PolicyStates.Require(data.Arms == _arms.Length, $"The state has {data.Arms} arms; this policy has {_arms.Length}.");
        int m = _problem.MutableIndices.Length;
        PolicyStates.Require(data.Mutable == m, $"The state has {data.Mutable} mutable features; this policy has {m}.");
        PolicyStates.RequireLength(data.Models, _arms.Length, "arm models");
        PolicyStates.RequireLength(data.MeanDeviation, _arms.Length, "mean deviations");
        PolicyStates.RequireLength(data.DeviationCount, _arms.Length, "deviation counts");
        for (int a = 0; a < _arms.Length; a++)
        {
            _arms[a].Validate(data.Models[a]);
            PolicyStates.RequireLength(data.MeanDeviation[a], m, $"mean deviation of arm {a}");
            PolicyStates.RequireFinite(data.MeanDeviation[a], $"mean deviation of arm {a}");
            PolicyStates.Require(data.DeviationCount[a] >= 0, $"The deviation count of arm {a} is {data.DeviationCount[a]}; it must be ≥ 0.");
        }
        PolicyStates.Require(double.IsFinite(data.RewardSum) && data.RewardCount >= 0, "The pooled reward sum must be finite and its count ≥ 0.");
        DecisionIssuer.Validate(data.Issuer);
        _prior.Restore(data.RewardSum, data.RewardCount);
        for (int a = 0; a < _arms.Length; a++)
        {
            _arms[a].Import(data.Models[a]);
            data.MeanDeviation[a].CopyTo(_meanDeviation[a], 0);
            _deviationCount[a] = data.DeviationCount[a];
        }
        _issuer.Import(data.Issuer);
    }

    // The options that change what the state means, as one comparable string.
    private static string Describe(GlrbOptions o) => FormattableString.Invariant(
        $"λ={o.Lambda}; radius={o.Radius}; solver={o.Solver}; {o.SolverOptions}; guard={o.Guard}; ε={o.Epsilon}; pooled prior={o.PooledInterceptPrior}; L_μ={o.Lipschitz}");

    private sealed record GlrbState(string Options, int Dimension, int Arms, int Mutable, GlmArmState[] Models,
        double[][] MeanDeviation, int[] DeviationCount, double RewardSum, long RewardCount, DecisionIssuerState Issuer);
}
