using Tandem.Core.Randomness;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Simulation;

/// <summary>How a policy is evaluated: trials of a few steps each, discounted.</summary>
/// <param name="Trials">Independent trials (≥ 1; authors: 50).</param>
/// <param name="Steps">Steps per trial (≥ 1; authors: 10).</param>
/// <param name="Discount">Discount of the return, in [0, 1] (authors: 0.9).</param>
public sealed record EvaluationOptions(int Trials = 50, int Steps = 10, double Discount = 0.9)
{
    /// <summary>The most evaluation trials per seed (the authors ran 50).</summary>
    public const int MaxTrials = 100_000;

    /// <summary>The most steps per trial (the authors ran 10; a discounted return of γ^t beyond 10^4 steps is negligible
    /// for any γ a study uses).</summary>
    public const int MaxSteps = 10_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad field (sizes bounded by <see cref="MaxTrials"/> and <see cref="MaxSteps"/>).</summary>
    public EvaluationOptions Validated()
    {
        if (Trials < 1) throw new ArgumentOutOfRangeException(nameof(Trials), Trials, "At least one trial.");
        if (Trials > MaxTrials) throw new ArgumentOutOfRangeException(nameof(Trials), Trials, $"At most {MaxTrials} trials.");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "At least one step.");
        if (Steps > MaxSteps) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"At most {MaxSteps} steps.");
        if (!(Discount >= 0 && Discount <= 1)) throw new ArgumentOutOfRangeException(nameof(Discount), Discount, "The discount must lie in [0, 1].");
        return this;
    }
}

/// <summary>The outcome of simulating one policy.</summary>
/// <param name="MeanReturn">Mean over trials of Σ_t γ^t Σ_n R_n(s_n,t+1) under the scoring reward.</param>
/// <param name="EngagedCount">Per arm, the number of (trial, step) pairs that ended in state 1 (Algorithm 2's
/// accumulated positive states).</param>
/// <param name="RewardAccrued">Per arm, the undiscounted scoring reward it accrued over all trials and steps.</param>
public sealed record SimulationResult(double MeanReturn, long[] EngagedCount, double[] RewardAccrued);

/// <summary>Sees every simulated step (e.g. to write a decision log). Called from one thread per simulation.</summary>
public interface IRmabStepObserver
{
    /// <summary>One step: the arms called (<paramref name="actions"/>[n] = 1), whether the choice drew nothing from the
    /// policy's stream (no tie-break at the budget boundary, so it was deterministic), and the step's scoring reward Σ_n R_n(s').</summary>
    void OnStep(int trial, int step, ReadOnlySpan<byte> actions, bool deterministic, double reward);
}

/// <summary>
/// Seeded simulation of an RMAB under a policy (seed 001 §5: 50 trials of 10 steps). Trial i draws its start
/// states and transitions from a stream derived from (seed, i) with one uniform per arm and step, and the policy
/// gets a separate stream, so every policy sees the same random numbers (common random numbers): differences
/// between methods come from their actions only.
/// </summary>
public static class RmabSimulator
{
    /// <summary>Simulate <paramref name="policy"/> on <paramref name="instance"/>, scoring with <paramref name="scoring"/>.</summary>
    /// <param name="instance">Arms and budget.</param>
    /// <param name="policy">The policy simulated.</param>
    /// <param name="scoring">The reward that scores the states.</param>
    /// <param name="options">Trials, steps and discount.</param>
    /// <param name="seed">Seed of the environment and policy streams.</param>
    /// <param name="observer">Sees every step (null: none); observing changes no number.</param>
    public static SimulationResult Run(RmabInstance instance, IRmabPolicy policy, RewardTable scoring, EvaluationOptions options, ulong seed, IRmabStepObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        if (scoring.ArmCount != instance.ArmCount) throw new ArgumentException($"The scoring table has {scoring.ArmCount} arms, the instance {instance.ArmCount}.", nameof(scoring));
        int n = instance.ArmCount;
        var states = new byte[n];
        var actions = new byte[n];
        var engaged = new long[n];
        var accrued = new double[n];
        double total = 0;
        ArmDynamics[] dyn = instance.Dynamics;
        for (int trial = 0; trial < options.Trials; trial++)
        {
            var env = new Xoshiro256(Seeds.Derive(Seeds.Derive(seed, "environment"), trial));
            var own = new Xoshiro256(Seeds.Derive(Seeds.Derive(seed, "policy"), trial));
            for (int i = 0; i < n; i++) states[i] = env.NextDouble() < instance.InitialEngaged[i] ? (byte)1 : (byte)0;
            double discount = 1, trialReturn = 0;
            for (int t = 0; t < options.Steps; t++)
            {
                ulong[]? before = observer is null ? null : own.GetState(); // only when observed: two small arrays a step
                policy.Act(states, actions, own);
                int calls = 0;
                for (int i = 0; i < n; i++) calls += actions[i];
                if (calls > instance.Budget) throw new InvalidOperationException($"The policy called {calls} arms with a budget of {instance.Budget}.");
                double stepReward = 0;
                for (int i = 0; i < n; i++)
                {
                    double p = dyn[i].ToEngaged(states[i], actions[i]);
                    byte s = env.NextDouble() < p ? (byte)1 : (byte)0;
                    states[i] = s;
                    double r = s == 0 ? scoring.State0[i] : scoring.State1[i];
                    stepReward += r;
                    accrued[i] += r;
                    engaged[i] += s;
                }
                observer?.OnStep(trial, t, actions, before.AsSpan().SequenceEqual(own.GetState()), stepReward);
                trialReturn += discount * stepReward;
                discount *= options.Discount;
            }
            total += trialReturn;
        }
        return new SimulationResult(total / options.Trials, engaged, accrued);
    }
}
