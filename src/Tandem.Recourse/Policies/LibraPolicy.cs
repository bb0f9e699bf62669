using Tandem.Core.Abstractions;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Policies;

/// <summary>LIBRA options.</summary>
public sealed record LibraOptions
{
    /// <summary>Confidence threshold Δ: the advisor is consulted while UCB − LCB &gt; Δ (seed 000 Algorithm 3).
    /// Range: Δ ≥ 0. Default 1.</summary>
    public double Delta { get; init; } = 1.0;

    /// <summary>Throws naming the first option out of range.</summary>
    public void Validate()
    {
        if (!double.IsFinite(Delta) || Delta < 0) throw new ArgumentOutOfRangeException(nameof(Delta), Delta, "Δ must be finite and ≥ 0.");
    }
}

/// <summary>Counts of what the advisor did inside one policy instance.</summary>
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
}

/// <summary>
/// LIBRA (seed 000 Algorithm 3): a gate around GLRB. It computes GLRB's pair; if the confidence width
/// UCB − LCB = 2 L_μ ρ ‖x̃‖_{V⁻¹} exceeds Δ it asks the advisor and implements its (validated, projected)
/// pair, else the bandit's. An abstaining or failed advisor means the bandit pair is used. It always
/// learns from what was implemented.
/// </summary>
public sealed class LibraPolicy : IPolicy<double[], RecourseDecision, RecourseOutcome>
{
    private readonly GlrbPolicy _bandit;
    private readonly IRecourseAdvisor _advisor;
    private readonly AdviceGate _gate;
    private readonly double[] _advised;

    /// <summary>Create LIBRA around <paramref name="bandit"/>.</summary>
    public LibraPolicy(GlrbPolicy bandit, IRecourseAdvisor advisor, LibraOptions? options = null)
    {
        _bandit = bandit ?? throw new ArgumentNullException(nameof(bandit));
        _advisor = advisor ?? throw new ArgumentNullException(nameof(advisor));
        Options = options ?? new LibraOptions();
        Options.Validate();
        _gate = new AdviceGate(bandit.Problem);
        _advised = new double[bandit.Problem.Dimension];
    }

    /// <summary>The options.</summary>
    public LibraOptions Options { get; }

    /// <summary>What the advisor did.</summary>
    public AdvisorLedger Ledger { get; } = new();

    /// <summary>The GLRB inside.</summary>
    public GlrbPolicy Bandit => _bandit;

    /// <inheritdoc />
    public string Name => "LIBRA";

    /// <inheritdoc />
    public async ValueTask<RecourseDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default)
    {
        RecourseDecision proposal = _bandit.Decide(context);
        if (!(proposal.ConfidenceWidth > Options.Delta)) return proposal;

        (bool followed, int arm, DecisionNotes notes) = await _gate.ConsultAsync(_advisor, context, _advised, Ledger, cancellationToken).ConfigureAwait(false);
        return followed
            ? new RecourseDecision(arm, _advised, double.NaN, notes, proposal.ConfidenceWidth)
            : proposal with { Notes = proposal.Notes | notes };
    }

    /// <inheritdoc />
    public void Learn(double[] context, RecourseDecision decision, RecourseOutcome outcome) => _bandit.Learn(context, decision, outcome);
}

/// <summary>
/// LLM-only (seed 000 §5.3): always the advisor's pair, validated and projected. When the advisor
/// abstains it falls back to a uniformly random treatment without recourse (propensity 1/K). Learns nothing.
/// </summary>
public sealed class LlmOnlyPolicy : IPolicy<double[], RecourseDecision, RecourseOutcome>
{
    private readonly RecourseProblem _problem;
    private readonly IRecourseAdvisor _advisor;
    private readonly AdviceGate _gate;
    private readonly Random _random;
    private readonly double[] _decision;

    /// <summary>Create it; <paramref name="random"/> draws the fallback treatment.</summary>
    public LlmOnlyPolicy(RecourseProblem problem, IRecourseAdvisor advisor, Random random)
    {
        _problem = problem ?? throw new ArgumentNullException(nameof(problem));
        _advisor = advisor ?? throw new ArgumentNullException(nameof(advisor));
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _gate = new AdviceGate(problem);
        _decision = new double[problem.Dimension];
    }

    /// <summary>What the advisor did.</summary>
    public AdvisorLedger Ledger { get; } = new();

    /// <inheritdoc />
    public string Name => "LLM-only";

    /// <inheritdoc />
    public async ValueTask<RecourseDecision> DecideAsync(double[] context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        _problem.ValidateContext(context, nameof(context));
        (bool followed, int arm, DecisionNotes notes) = await _gate.ConsultAsync(_advisor, context, _decision, Ledger, cancellationToken).ConfigureAwait(false);
        if (followed) return new RecourseDecision(arm, _decision, double.NaN, notes, double.NaN);
        context.CopyTo(_decision, 0);
        return new RecourseDecision(_random.Next(_problem.ArmCount), _decision, 1.0 / _problem.ArmCount, notes, double.NaN);
    }

    /// <inheritdoc />
    public void Learn(double[] context, RecourseDecision decision, RecourseOutcome outcome)
    {
    }
}
