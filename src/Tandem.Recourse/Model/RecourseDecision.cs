using Tandem.Core.Abstractions;

namespace Tandem.Recourse.Model;

/// <summary>
/// A treatment and a recourse: the arm a_t and the intended context x̃_t = (x_I, x̃_M).
/// </summary>
/// <param name="Arm">The treatment, 0-based.</param>
/// <param name="Recourse">The intended full context x̃ (length d). The buffer belongs to the policy
/// and stays valid until its next decision; copy it to keep it.</param>
/// <param name="Propensity">P(arm | context), NaN when it cannot be known (advice).</param>
/// <param name="Notes">How the decision was reached.</param>
/// <param name="ConfidenceWidth">UCB − LCB = 2 L_μ ρ ‖x̃‖_{V⁻¹} of the bandit's own pair (seed §3.1), NaN
/// for policies without one.</param>
public readonly record struct RecourseDecision(
    int Arm,
    double[] Recourse,
    double Propensity,
    DecisionNotes Notes,
    double ConfidenceWidth) : IDecision;

/// <summary>What happened after a decision: the realized context x̄ (equal to x̃ under full compliance)
/// and its reward.</summary>
/// <param name="Reward">Observed reward r_t.</param>
/// <param name="ExpectedReward">μ(θ*_aᵀ x̄), noise-free.</param>
/// <param name="Realized">x̄_t, what the patient actually implemented (seed §4). Owned by the environment.</param>
public readonly record struct RecourseOutcome(double Reward, double ExpectedReward, double[] Realized) : IOutcome;
