using Tandem.Core.Reports;
using Tandem.Core.Running;
using Tandem.Core.Statistics;

namespace Tandem.Recourse.Experiments;

/// <summary>Mean and sd over runs, as the JSON contract writes them.</summary>
/// <param name="Mean">Mean over runs.</param>
/// <param name="Sd">Sample standard deviation over runs.</param>
public sealed record Stat(double Mean, double Sd)
{
    /// <summary>From per-run values.</summary>
    public static Stat Of(double[] values)
    {
        MeanSd s = MeanSd.Of(values);
        return new Stat(s.Mean, s.Sd);
    }
}

/// <summary>One policy in the summary.</summary>
/// <param name="Name">Display name.</param>
/// <param name="CumulativeRegret">Final cumulative recourse regret over runs.</param>
/// <param name="LlmQueries">Advisor queries per run.</param>
/// <param name="MeanReward">Mean observed reward per run.</param>
/// <param name="RegretCurve">Mean cumulative regret after each step.</param>
/// <param name="RobustCumulativeRegret">Under non-compliance: final cumulative regret against the seed's robust benchmark
/// (Appendix C.1 random, C.4 adversarial); null otherwise or where the benchmark is not exact.</param>
/// <param name="RobustRegretCurve">Its mean cumulative curve.</param>
/// <param name="SafeGateDeclines">Advice declined by the safe gate per run; null without the safe gate.</param>
public sealed record PolicySummary(string Name, Stat CumulativeRegret, Stat LlmQueries, Stat MeanReward, double[] RegretCurve,
    Stat? RobustCumulativeRegret = null, double[]? RobustRegretCurve = null, Stat? SafeGateDeclines = null)
{
    /// <summary>Summarise a trace.</summary>
    public static PolicySummary From(PolicyTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return new(trace.Name, Stat.Of(trace.FinalCumulativeRegret()), Stat.Of(trace.QueriesPerRun()), Stat.Of(trace.MeanRewardPerRun()),
            trace.MeanCumulativeRegretCurve());
    }
}

/// <summary>The summary object of a LIBRA study (<c>summary.json</c>, <c>--json</c>). The contract's fields come
/// first; the rest describe the resolved settings so a summary can be read on its own.</summary>
/// <param name="Command">"libra".</param>
/// <param name="Env">Environment name.</param>
/// <param name="Horizon">T.</param>
/// <param name="Runs">R.</param>
/// <param name="Seed">Study seed.</param>
/// <param name="WallSeconds">Simulation wall time.</param>
/// <param name="StepsPerSecond">Decide+learn rounds per second.</param>
/// <param name="Policies">One entry per policy, in study order.</param>
/// <param name="Advisor">The advisors, comma-separated.</param>
/// <param name="Norm">Recourse norm.</param>
/// <param name="Gamma">γ.</param>
/// <param name="Delta">Δ, in units of σ.</param>
/// <param name="Radius">The confidence radius spec ("constant:1" in units of σ, or "lemma2:...").</param>
/// <param name="Sigma">σ, the noise scale the bandits are told.</param>
/// <param name="Lambda">λ.</param>
/// <param name="Noncompliance">Non-compliance spec.</param>
/// <param name="Solver">"cd" or "global".</param>
/// <param name="RewardLabel">What the reward means.</param>
/// <param name="FittedMutableCoefficients">Cohort environments (fertility, csv:PATH): the fitted per-arm coefficients with
/// standard errors, beside the seed's for fertility.</param>
/// <param name="Llm">Model use over the study, attached by the host; null when no model was used.</param>
/// <param name="LlmByAdvisor">Model use per language-model advisor when there are several.</param>
/// <param name="SafeGate">Whether LIBRA's safe gate was on.</param>
/// <param name="Advisors">The measured suboptimality η of each advisor (and of the q = 0 control's).</param>
/// <param name="Claims">The seed's claims checked run by run.</param>
public sealed record LibraSummary(
    string Command,
    string Env,
    int Horizon,
    int Runs,
    ulong Seed,
    double WallSeconds,
    double StepsPerSecond,
    IReadOnlyList<PolicySummary> Policies,
    string Advisor,
    string Norm,
    double Gamma,
    double Delta,
    string Radius,
    double Sigma,
    double Lambda,
    string Noncompliance,
    string Solver,
    string RewardLabel,
    IReadOnlyList<FittedCoefficients>? FittedMutableCoefficients,
    ModelUse? Llm,
    IReadOnlyDictionary<string, ModelUse>? LlmByAdvisor = null,
    bool SafeGate = false,
    IReadOnlyList<AdvisorQuality>? Advisors = null,
    IReadOnlyList<ClaimCheck>? Claims = null);

/// <summary>A cohort environment (fertility, csv:PATH): the fitted outcome model of one arm (seed 000 Appendix D), on
/// standardised features, with standard errors, beside the seed's mutable coefficients where it reports them.</summary>
/// <param name="Treatment">Arm name.</param>
/// <param name="Features">Feature names, intercept first.</param>
/// <param name="Ours">Mean over runs of θ*_a (the per-run fits; one fit when the outcome is not redrawn).</param>
/// <param name="StandardErrors">Mean over runs of each coefficient's standard error.</param>
/// <param name="Seed">The seed's coefficients by mutable feature (fertility), else null.</param>
public sealed record FittedCoefficients(string Treatment, IReadOnlyList<string> Features, double[] Ours, double[] StandardErrors, IReadOnlyDictionary<string, double>? Seed);

/// <summary>One setting of an ablation.</summary>
/// <param name="Value">Δ or q.</param>
/// <param name="Setting">"Δ=0.5" or "q=0.8".</param>
/// <param name="CumulativeRegret">LIBRA's final cumulative regret.</param>
/// <param name="LlmQueries">LIBRA's queries per run.</param>
/// <param name="MeanReward">LIBRA's mean reward per run.</param>
/// <param name="RegretCurve">Mean cumulative regret after each step.</param>
public sealed record AblationSeries(double Value, string Setting, Stat CumulativeRegret, Stat LlmQueries, Stat MeanReward, double[] RegretCurve);

/// <summary>The summary object of a LIBRA ablation (seed 000 Fig 9).</summary>
/// <param name="Command">"libra ablation".</param>
/// <param name="Env">Environment name.</param>
/// <param name="Vary">"delta" or "q".</param>
/// <param name="Horizon">T.</param>
/// <param name="Runs">R.</param>
/// <param name="Seed">Study seed.</param>
/// <param name="WallSeconds">Simulation wall time, all settings.</param>
/// <param name="StepsPerSecond">Rounds per second.</param>
/// <param name="Policy">"LIBRA".</param>
/// <param name="Series">One per setting.</param>
/// <param name="Llm">Model use, attached by the host; null when no model was used.</param>
public sealed record AblationSummary(
    string Command,
    string Env,
    string Vary,
    int Horizon,
    int Runs,
    ulong Seed,
    double WallSeconds,
    double StepsPerSecond,
    string Policy,
    IReadOnlyList<AblationSeries> Series,
    ModelUse? Llm);
