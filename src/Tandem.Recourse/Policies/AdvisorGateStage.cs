using Tandem.Core.Abstractions;
using Tandem.Core.Composition;
using Tandem.Core.Decisions;
using Tandem.Core.State;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Policies;

/// <summary>Options of <see cref="AdvisorGateStage"/>.</summary>
public sealed record AdvisorGateOptions
{
    /// <summary>Confidence threshold Δ: the advisor is consulted while UCB − LCB &gt; Δ (seed 000 Algorithm 3).
    /// Range: Δ ≥ 0. Default 1.</summary>
    public double Delta { get; init; } = 1.0;

    /// <summary>The safe gate (beyond the seed; docs/libra-safe-gate.md): decline advice that the inner policy is
    /// confident is worse than its own pair, UCB_t(x̃^L, a^L) &lt; LCB_t(x̃^B, a^B), and implement the inner pair
    /// instead, counted as the fallback reason <see cref="AdvisorGateStage.SafeGateReason"/>. Needs an inner policy
    /// that states its bounds (<see cref="IConfidenceBounds"/>). Default false (the seed's Algorithm 3).</summary>
    public bool SafeGate { get; init; }

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Delta) || Delta < 0) throw new ArgumentOutOfRangeException(nameof(Delta), Delta, "Δ must be finite and ≥ 0.");
    }
}

/// <summary>Counts of what the advisor did inside one gate.</summary>
public sealed class AdvisorLedger
{
    private readonly Dictionary<string, int> _fallbacks = new(StringComparer.Ordinal);

    /// <summary>Times the advisor was asked.</summary>
    public int Queries { get; private set; }

    /// <summary>Times its pair was implemented as given.</summary>
    public int Followed { get; private set; }

    /// <summary>Times its recourse was projected onto the feasible set first.</summary>
    public int Projected { get; private set; }

    /// <summary>Fallbacks by reason.</summary>
    public IReadOnlyDictionary<string, int> Fallbacks => _fallbacks;

    // Advice already counted as followed is declined afterwards (the safe gate): it becomes a fallback.
    internal void Decline(bool projected, string reason)
    {
        if (projected) Projected--;
        else Followed--;
        _fallbacks[reason] = _fallbacks.GetValueOrDefault(reason) + 1;
    }

    internal void Record(bool followed, bool projected, string? reason)
    {
        Queries++;
        if (followed && !projected) Followed++;
        if (projected) Projected++;
        if (!followed)
        {
            string key = reason ?? "unknown";
            _fallbacks[key] = _fallbacks.GetValueOrDefault(key) + 1;
        }
    }

    internal AdvisorLedgerState Export() => new(Queries, Followed, Projected, new Dictionary<string, int>(_fallbacks, StringComparer.Ordinal));

    internal static void Validate(AdvisorLedgerState? state)
    {
        PolicyStates.Require(state is not null, "The state has no advisor ledger.");
        PolicyStates.Require(state!.Queries >= 0 && state.Followed >= 0 && state.Projected >= 0 && state.Fallbacks is not null,
            "The advisor ledger has negative or missing counts.");
        long fallbacks = state.Fallbacks!.Values.Sum(v => (long)v);
        PolicyStates.Require(state.Fallbacks.Values.All(v => v > 0) && state.Followed + state.Projected + fallbacks == state.Queries,
            $"The advisor ledger is inconsistent: {state.Followed} followed + {state.Projected} projected + {fallbacks} fallbacks ≠ {state.Queries} queries.");
    }

    internal void Import(AdvisorLedgerState state)
    {
        Queries = state.Queries;
        Followed = state.Followed;
        Projected = state.Projected;
        _fallbacks.Clear();
        foreach (var (reason, count) in state.Fallbacks) _fallbacks[reason] = count;
    }
}

/// <summary>An <see cref="AdvisorLedger"/>'s counts.</summary>
internal sealed record AdvisorLedgerState(int Queries, int Followed, int Projected, Dictionary<string, int> Fallbacks);

/// <summary>
/// The LIBRA gate (seed 000 Algorithm 3) as a stage over any recourse policy whose decisions state a
/// confidence width: if the inner decision's UCB − LCB exceeds Δ it asks the advisor and implements its
/// (validated, projected) pair, else the inner pair. An abstaining or failed advisor means the inner pair
/// is used. The decision keeps the inner decision's id, so the inner policy learns from what was
/// implemented. Followed advice states no probabilities (NaN, <see cref="DecisionNotes.PropensityUnknownAdvice"/>):
/// the chance that a language model picks an arm cannot be known.
/// </summary>
/// <remarks>LIBRA is this gate over GLRB (<see cref="Libra"/>); LLM-only is the gate with Δ = 0 over
/// <see cref="UniformRecoursePolicy"/> (<see cref="LlmOnly"/>). A NaN width (a policy that states none)
/// never consults. The advisor's state is part of the gate's when the advisor is <see cref="IStateful"/>, and the state
/// always records which advisor it was (<c>advisorDescription</c>: its display name, kind "simulated" with its quality q,
/// "clinician", or "external" for a language model or any other port, and whether it always gives applicable advice),
/// so a reader can tell whether the gate can be rebuilt without the advisor (off-policy evaluation does).</remarks>
public sealed class AdvisorGateStage : DelegatingPolicy<double[], RecourseDecision, RecourseOutcome>
{
    private const string Kind = "advisor-gate";
    private const int Version = 3; // 3: records which advisor the gate had (AdvisorDescription)

    /// <summary>The fallback reason of advice the safe gate declined.</summary>
    public const string SafeGateReason = "safe gate: advice's UCB below the bandit pair's LCB";

    /// <summary>The note of a decision whose advice the safe gate declined.</summary>
    public static DecisionNotes SafeGateDeclined { get; } = DecisionNotes.Of("safe-gate-declined");

    private readonly IConfidenceBounds? _bounds;
    private readonly RecourseProblem _problem;
    private readonly IRecourseAdvisor _advisor;
    private readonly AdviceGate _gate;
    private readonly double[] _advised;
    private readonly string _name;

    /// <summary>Wrap <paramref name="inner"/>, consulting <paramref name="advisor"/> about <paramref name="problem"/>.</summary>
    /// <param name="inner">The policy whose decisions are gated.</param>
    /// <param name="problem">The problem (its feasible set projects the advice).</param>
    /// <param name="advisor">The advisor port.</param>
    /// <param name="options">Δ.</param>
    /// <param name="name">Display name; default "inner+advisor".</param>
    public AdvisorGateStage(IPolicy<double[], RecourseDecision, RecourseOutcome> inner, RecourseProblem problem, IRecourseAdvisor advisor,
        AdvisorGateOptions? options = null, string? name = null)
        : base(inner)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        _advisor = advisor ?? throw new ArgumentNullException(nameof(advisor));
        Options = options ?? new AdvisorGateOptions();
        Options.Validate();
        if (Options.SafeGate)
        {
            _bounds = inner as IConfidenceBounds
                ?? throw new ArgumentException($"The safe gate needs an inner policy that states its confidence bounds; '{inner.Name}' does not.", nameof(options));
        }
        _gate = new AdviceGate(problem);
        _advised = new double[problem.Dimension];
        _name = name ?? inner.Name + "+advisor";
    }

    /// <summary>LIBRA (seed 000 Algorithm 3): the gate over <paramref name="bandit"/>, named <paramref name="name"/>
    /// (default "LIBRA").</summary>
    public static AdvisorGateStage Libra(GlrbPolicy bandit, IRecourseAdvisor advisor, AdvisorGateOptions? options = null, string name = "LIBRA")
    {
        ArgumentNullException.ThrowIfNull(bandit);
        return new AdvisorGateStage(bandit, bandit.Problem, advisor, options, name);
    }

    /// <summary>LLM-only (seed 000 §5.3): always the advisor's pair (Δ = 0 over a uniform policy whose width
    /// is +∞); when the advisor abstains, a uniformly random treatment without recourse (propensity 1/K).
    /// <paramref name="random"/> draws the uniform arm at every step.</summary>
    public static AdvisorGateStage LlmOnly(RecourseProblem problem, IRecourseAdvisor advisor, Random random, TimeProvider? timeProvider = null) =>
        new(new UniformRecoursePolicy(problem, random, timeProvider), problem, advisor, new AdvisorGateOptions { Delta = 0 }, "LLM-only");

    /// <summary>The options.</summary>
    public AdvisorGateOptions Options { get; }

    /// <summary>What the advisor did.</summary>
    public AdvisorLedger Ledger { get; } = new();

    /// <inheritdoc />
    public override string Name => _name;

    /// <inheritdoc />
    public override async ValueTask<RecourseDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default)
    {
        RecourseDecision proposal = await Inner.DecideAsync(context, cancellationToken).ConfigureAwait(false);
        if (!(proposal.ConfidenceWidth > Options.Delta)) return proposal;

        (bool followed, int arm, DecisionNotes notes) = await _gate.ConsultAsync(_advisor, context, _advised, Ledger, cancellationToken).ConfigureAwait(false);
        if (!followed) return proposal with { Notes = proposal.Notes | notes };
        if (_bounds is not null)
        {
            // Safe gate: the advice is declined only when the bandit is confident it is worse than its own pair.
            double adviceUpper = _bounds.ConfidenceBounds(_advised, arm).Upper;
            double banditLower = _bounds.ConfidenceBounds(proposal.Recourse.AsSpan(), proposal.Arm).Lower;
            if (adviceUpper < banditLower)
            {
                Ledger.Decline(notes.Contains(DecisionNotes.AdviceProjected), SafeGateReason);
                return proposal with { Notes = proposal.Notes | DecisionNotes.AdvisorConsulted | DecisionNotes.AdvisorFallback | SafeGateDeclined };
            }
        }
        return proposal with
        {
            Arm = arm,
            Recourse = RecourseDecision.Copy(_advised),
            Probabilities = ProbabilityVectors.Unknown(_problem.ArmCount),
            Notes = notes | DecisionNotes.PropensityUnknownAdvice,
        };
    }

    /// <inheritdoc />
    public override PolicyState ExportState() => PolicyStates.Pack(Kind, Version, new GateState(
        Options.Delta, Options.SafeGate, Describe(_advisor), Ledger.Export(), (_advisor as IStateful)?.ExportState(), InnerStateful.ExportState()));

    // Simulated advisors never abstain and their advice is always applicable (a valid arm, finite values, projected
    // when outside the feasible set); a language model or any other port may abstain or fail.
    private static AdvisorDescription Describe(IRecourseAdvisor advisor) => advisor switch
    {
        SimulatedQualityAdvisor q => new(advisor.Name, "simulated", q.Quality, AlwaysAdvises: true),
        SimulatedClinicianAdvisor => new(advisor.Name, "clinician", null, AlwaysAdvises: true),
        _ => new(advisor.Name, "external", null, AlwaysAdvises: false),
    };

    /// <inheritdoc />
    public override void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<GateState>(state, Kind, Version);
        PolicyStates.Require(data.Delta == Options.Delta, $"The state was saved with Δ = {data.Delta}; this gate has Δ = {Options.Delta}.");
        PolicyStates.Require(data.SafeGate == Options.SafeGate, $"The state was saved with safe gate {data.SafeGate}; this gate has {Options.SafeGate}.");
        PolicyStates.Require(data.AdvisorDescription is not null, "The state does not record which advisor the gate had.");
        AdvisorLedger.Validate(data.Ledger);
        PolicyStates.Require(data.Inner is not null, "The state has no inner policy state.");
        var statefulAdvisor = _advisor as IStateful;
        PolicyStates.Require((statefulAdvisor is null) == (data.Advisor is null), statefulAdvisor is null
            ? $"The state holds an advisor state ('{data.Advisor?.Kind}'); this gate's advisor '{_advisor.Name}' keeps none."
            : $"The state holds no advisor state; this gate's advisor '{_advisor.Name}' needs one.");

        // Each part validates fully before it changes; if the inner part refuses, the advisor is put back.
        PolicyState? advisorBefore = statefulAdvisor?.ExportState();
        statefulAdvisor?.ImportState(data.Advisor!);
        try
        {
            InnerStateful.ImportState(data.Inner!);
        }
        catch
        {
            statefulAdvisor?.ImportState(advisorBefore!);
            throw;
        }
        Ledger.Import(data.Ledger);
    }

    private sealed record GateState(double Delta, bool SafeGate, AdvisorDescription AdvisorDescription, AdvisorLedgerState Ledger, PolicyState? Advisor, PolicyState Inner);

    /// <summary>Which advisor a gate had: display name, kind ("simulated", "clinician", "external"), q of a simulated
    /// advisor, and whether every answer is applicable advice (never an abstention or a fallback).</summary>
    private sealed record AdvisorDescription(string Name, string Kind, double? Quality, bool AlwaysAdvises);
}

/// <summary>
/// A uniformly random treatment without recourse: arm ~ U{0..K−1} (propensity 1/K), x̃ = x, confidence
/// width +∞ (it knows nothing). It learns nothing but settles the ids it issued. With the advisor gate at
/// Δ = 0 it is LLM-only's fallback (seed 000 §5.3).
/// </summary>
public sealed class UniformRecoursePolicy : IPolicy<double[], RecourseDecision, RecourseOutcome>, IStateful
{
    private const string Kind = "uniform-recourse";
    private const int Version = 1;
    private readonly RecourseProblem _problem;
    private readonly Random _random;
    private readonly DecisionIssuer _issuer;

    /// <summary>Create it; <paramref name="random"/> (a <c>Seeds.CreateRandom</c> source, to be saved) draws the arm.</summary>
    public UniformRecoursePolicy(RecourseProblem problem, Random random, TimeProvider? timeProvider = null)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _issuer = new DecisionIssuer(timeProvider);
    }

    /// <inheritdoc />
    public string Name => "Uniform";

    /// <inheritdoc />
    public ValueTask<RecourseDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        _problem.ValidateContext(context, nameof(context));
        int arm = _random.Next(_problem.ArmCount);
        DecisionStamp stamp = _issuer.Issue();
        return ValueTask.FromResult(new RecourseDecision
        {
            Id = stamp.Id,
            Time = stamp.Time,
            Arm = arm,
            Probabilities = ProbabilityVectors.Uniform(_problem.ArmCount),
            Recourse = RecourseDecision.Copy(context),
            ConfidenceWidth = double.PositiveInfinity,
        });
    }

    /// <inheritdoc />
    public ValueTask LearnAsync(double[] context, RecourseDecision decision, RecourseOutcome outcome, CancellationToken cancellationToken = default)
    {
        _problem.ValidateFeedback(decision, outcome);
        _issuer.EnsurePending(decision.Id, nameof(decision));
        _issuer.Settle(decision.Id);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public PolicyState ExportState() =>
        PolicyStates.Pack(Kind, Version, new UniformState(_problem.ArmCount, PolicyStates.ExportRandom(_random), _issuer.Export()));

    /// <inheritdoc />
    public void ImportState(PolicyState state)
    {
        var data = PolicyStates.Unpack<UniformState>(state, Kind, Version);
        PolicyStates.Require(data.Arms == _problem.ArmCount, $"The state has {data.Arms} arms; this policy has {_problem.ArmCount}.");
        PolicyStates.ValidateRandom(data.Random);
        DecisionIssuer.Validate(data.Issuer);
        PolicyStates.ImportRandom(_random, data.Random);
        _issuer.Import(data.Issuer);
    }

    private sealed record UniformState(int Arms, ulong[] Random, DecisionIssuerState Issuer);
}
