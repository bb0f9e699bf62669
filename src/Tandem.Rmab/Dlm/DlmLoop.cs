using Tandem.Core.Ports;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Rewards;
using Tandem.Rmab.Simulation;

namespace Tandem.Rmab.Dlm;

/// <summary>Settings of one DLM run (seed 001 Algorithm 1).</summary>
/// <param name="Stages">Reflection stages R ≥ 1 (authors: 5; "No Reflection": 1).</param>
/// <param name="Candidates">Candidates K ≥ 1 per stage (authors: 3; "No Reflection": 1).</param>
/// <param name="MaxRetries">Retries per candidate after a refusal, 0-100 (seed: 10).</param>
/// <param name="Reflection">How each candidate's policy is simulated for its state-feature distribution.</param>
public sealed record DlmLoopOptions(int Stages = 5, int Candidates = 3, int MaxRetries = 10, EvaluationOptions? Reflection = null)
{
    /// <summary>The simulation used for reflection.</summary>
    public EvaluationOptions ReflectionEvaluation => Reflection ?? new EvaluationOptions();

    /// <summary>The most reflection stages (the authors ran 5).</summary>
    public const int MaxStages = 100;

    /// <summary>The most candidates per stage (the authors asked for 3; every candidate is a designer call and a plan).</summary>
    public const int MaxCandidates = 100;

    /// <summary>Throws naming the bad field (sizes are bounded by <see cref="MaxStages"/> and <see cref="MaxCandidates"/>).</summary>
    public DlmLoopOptions Validated()
    {
        if (Stages < 1) throw new ArgumentOutOfRangeException(nameof(Stages), Stages, "At least one stage.");
        if (Stages > MaxStages) throw new ArgumentOutOfRangeException(nameof(Stages), Stages, $"At most {MaxStages} stages.");
        if (Candidates < 1) throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, "At least one candidate.");
        if (Candidates > MaxCandidates) throw new ArgumentOutOfRangeException(nameof(Candidates), Candidates, $"At most {MaxCandidates} candidates.");
        if (MaxRetries is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "Must lie in [0, 100].");
        ReflectionEvaluation.Validated();
        return this;
    }
}

/// <summary>One proposed candidate and what happened to it.</summary>
/// <param name="Expression">The accepted expression, or null when every attempt was refused or abstained.</param>
/// <param name="Refusals">Refused attempts, in order.</param>
/// <param name="FeaturesUsed">Features the accepted expression reads.</param>
/// <param name="Distribution">Its state-feature distribution, when accepted.</param>
public sealed record CandidateRecord(string? Expression, IReadOnlyList<RefusedAttempt> Refusals, IReadOnlyList<int> FeaturesUsed, StateFeatureDistribution? Distribution);

/// <summary>One stage: its candidates and the reflector's choice.</summary>
/// <param name="Stage">Stage index.</param>
/// <param name="Candidates">Candidates in proposal order.</param>
/// <param name="Selected">Index into <paramref name="Candidates"/> of the selected one, or −1 when none was valid.</param>
/// <param name="Note">Abstention reason, when the reflector abstained.</param>
public sealed record StageRecord(int Stage, IReadOnlyList<CandidateRecord> Candidates, int Selected, string? Note);

/// <summary>The outcome of a DLM run: the last selected reward (or null if none was ever valid), its tabulation and
/// the full history.</summary>
public sealed record DlmRunResult(RewardExpression? Selected, RewardTable? SelectedTable, IReadOnlyList<StageRecord> Stages);

/// <summary>
/// The DLM loop (seed 001 Algorithm 1): for each stage propose K candidates (validated in the sandbox, retried with the
/// refusal up to <see cref="DlmLoopOptions.MaxRetries"/> times), plan a policy for each under its own reward, simulate it
/// and build its state-feature distribution (Algorithm 2), ask the reflector for the best index, and carry that
/// candidate into the next stage's context. The result is the last selected reward.
/// </summary>
/// <remarks>A designer's abstention is a refusal fed back on the next attempt (proposal) or keeps candidate 0 (selection);
/// a <see cref="StudyStopException"/> from the designer propagates unchanged and stops the study.</remarks>
public static class DlmLoop
{
    /// <summary>Run the loop for <paramref name="task"/> on <paramref name="instance"/>.</summary>
    /// <param name="task">The language task.</param>
    /// <param name="instance">The arms (true transitions; used to simulate outcomes for reflection).</param>
    /// <param name="planningDynamics">Transitions the planner believes (true or estimated).</param>
    /// <param name="planner">Planner of each candidate's policy.</param>
    /// <param name="designer">Designer and reflector.</param>
    /// <param name="options">Stages, candidates, retries, reflection simulation.</param>
    /// <param name="seed">Seed of this run (designer requests and reflection simulations derive from it).</param>
    /// <param name="discount">Planning discount γ ∈ [0, 1).</param>
    /// <param name="cancellationToken">Cancels between steps.</param>
    public static async ValueTask<DlmRunResult> RunAsync(DlmTask task, RmabInstance instance, IReadOnlyList<ArmDynamics> planningDynamics,
        IRmabPlanner planner, IRewardDesigner designer, DlmLoopOptions options, ulong seed, double discount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(planningDynamics);
        ArgumentNullException.ThrowIfNull(planner);
        ArgumentNullException.ThrowIfNull(designer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        var history = new List<StageBest>();
        var stages = new List<StageRecord>();
        RewardExpression? selected = null;
        RewardTable? selectedTable = null;
        for (int r = 0; r < options.Stages; r++)
        {
            var records = new List<CandidateRecord>();
            var valid = new List<(RewardExpression Expr, RewardTable Table, StateFeatureDistribution Dist, int RecordIndex)>();
            for (int k = 0; k < options.Candidates; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var refusals = new List<RefusedAttempt>();
                RewardExpression? accepted = null;
                RewardTable? table = null;
                IRmabPolicy? policy = null;
                for (int attempt = 0; attempt <= options.MaxRetries && accepted is null; attempt++)
                {
                    ulong requestSeed = Seeds.Derive(Seeds.Derive(Seeds.Derive(seed, "propose"), r * 1000 + k), attempt);
                    PortAnswer<RewardProposal> answer = await designer.ProposeAsync(new ProposalRequest(task, r, k, history, refusals.ToArray(), requestSeed), cancellationToken).ConfigureAwait(false);
                    if (!answer.TryGetValue(out RewardProposal? proposal))
                    {
                        refusals.Add(new RefusedAttempt("", "abstained: " + answer.Reason));
                        continue;
                    }
                    if (!RewardSandbox.TryParse(proposal.Expression, out RewardExpression? expr, out string? refusal))
                    {
                        refusals.Add(new RefusedAttempt(proposal.Expression, refusal));
                        continue;
                    }
                    if (!expr.TryTabulate(instance.FeatureRows, out table, out string? error))
                    {
                        refusals.Add(new RefusedAttempt(proposal.Expression, error));
                        continue;
                    }
                    int decreasing = Enumerable.Range(0, table.ArmCount).FirstOrDefault(n => table.State1[n] < table.State0[n], -1);
                    if (decreasing >= 0)
                    {
                        refusals.Add(new RefusedAttempt(proposal.Expression, $"the reward must increase with state, but arm {decreasing} gets less when engaged"));
                        continue;
                    }
                    try
                    {
                        policy = planner.Plan(new PlanningProblem(planningDynamics, table, instance.Budget, discount), cancellationToken);
                    }
                    catch (ArgumentOutOfRangeException ex)
                    {
                        // A reward the planner cannot compute with (issue 15, defect 9: an overflowing index) is refused
                        // like any other, and the reason goes back to the designer.
                        refusals.Add(new RefusedAttempt(proposal.Expression, "the planner cannot use this reward: " + ex.Message));
                        continue;
                    }
                    accepted = expr;
                }
                if (accepted is null || table is null || policy is null)
                {
                    records.Add(new CandidateRecord(null, refusals, [], null));
                    continue;
                }
                SimulationResult sim = RmabSimulator.Run(instance, policy, table, options.ReflectionEvaluation, Seeds.Derive(Seeds.Derive(seed, "reflect"), r * 1000 + k));
                var dist = StateFeatureDistribution.From(sim.EngagedCount, instance.FeatureRows);
                valid.Add((accepted, table, dist, records.Count));
                records.Add(new CandidateRecord(accepted.Text, refusals, accepted.FeaturesUsed, dist));
            }
            if (valid.Count == 0)
            {
                stages.Add(new StageRecord(r, records, -1, "no valid candidate"));
                continue;
            }
            int choice = 0;
            string? note = null;
            if (valid.Count > 1)
            {
                PortAnswer<int> verdict = await designer.SelectAsync(
                    new ReflectionRequest(task, r, valid.Select(v => new ReflectionCandidate(v.Expr.Text, v.Dist)).ToArray(), Seeds.Derive(Seeds.Derive(seed, "select"), r)),
                    cancellationToken).ConfigureAwait(false);
                if (!verdict.TryGetValue(out int i)) note = verdict.Reason;
                else if (i >= 0 && i < valid.Count) choice = i;
                else note = $"index {i} out of range; kept candidate 0";
            }
            var chosen = valid[choice];
            selected = chosen.Expr;
            selectedTable = chosen.Table;
            history.Add(new StageBest(r, chosen.Expr.Text, chosen.Dist.ToText()));
            stages.Add(new StageRecord(r, records, chosen.RecordIndex, note));
        }
        return new DlmRunResult(selected, selectedTable, stages);
    }
}
