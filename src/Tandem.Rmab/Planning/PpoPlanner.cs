using Tandem.Core.Neural;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Planning;

/// <summary>What one training epoch of <see cref="PpoPlanner"/> did.</summary>
/// <param name="Epoch">Epoch index, from 0.</param>
/// <param name="Lambda">Action charge λ used in this epoch's rollout.</param>
/// <param name="MeanCalls">Mean number of arms acted on per step in the rollout (the stochastic policy; no budget is enforced while training).</param>
/// <param name="MeanReward">Mean over steps of Σ_n R_n(s') in the rollout (the reward, without the charge).</param>
/// <param name="EntropyCoefficient">Entropy coefficient of this epoch's policy update.</param>
/// <param name="LambdaUpdated">True when λ was updated at the end of this epoch.</param>
/// <param name="ExpectedCalls">Expected number of arms acted on per step by the rollout's policy in its stationary regime,
/// Σ_n Σ_s μ_n(s) P(act | s, λ), μ_n the stationary distribution of arm n's two-state chain under that policy (exact, from
/// the planner's transitions; <see cref="MeanCalls"/> is its sampled counterpart).</param>
public readonly record struct PpoEpoch(int Epoch, double Lambda, double MeanCalls, double MeanReward, double EntropyCoefficient, bool LambdaUpdated, double ExpectedCalls);

/// <summary>The outcome of one training: the test-time policy, the final (frozen) action charge and the epochs.</summary>
/// <param name="Policy">Acts on the B arms with the largest P(act | state, λ) (ranked by its log-odds, which does not saturate).</param>
/// <param name="Lambda">The final action charge λ.</param>
/// <param name="ActProbability0">Per arm, P(act | state 0, λ) of the trained actor.</param>
/// <param name="ActProbability1">Per arm, P(act | state 1, λ).</param>
/// <param name="Epochs">One record per epoch.</param>
public sealed record PpoTrainingResult(PpoPolicy Policy, double Lambda, double[] ActProbability0, double[] ActProbability1, IReadOnlyList<PpoEpoch> Epochs);

/// <summary>
/// The seed's planner (seed 001 Appendix F, Algorithm 1 lines 5-13): Lagrangian PPO. The action charge λ decouples
/// the arms (Eq. 1), so one actor-critic, shared by all arms, is trained on the per-arm reward r − λ·cost with PPO
/// (clipped surrogate, GAE advantages, an annealed entropy bonus), and λ follows the Appendix F rule
/// λ ← max(0, λ − α (B/(1−γ) − C)) every few epochs, C the discounted number of calls, so that the discounted cost is
/// held at the budget (by default C is the expected discounted calls of the just-updated actor, Tandem's choice; see
/// <see cref="PpoOptions.LambdaFromExpectedCalls"/>); λ is frozen for the last epochs. The network input of arm n is [one-hot state, λ, P_n[s, a, 1]
/// for (s, a) = (0,0), (0,1), (1,0), (1,1), R_n(0), R_n(1)]: the authors' 2026 re-implementation (the flattened
/// transition matrix without its redundant last axis) plus the arm's two rewards, without which a shared network
/// cannot tell a target-group arm from another with the same transitions (docs/dlm-ppo.md); λ and the rewards are
/// divided by max |R|. At test time it acts on the B arms with the largest P(act).
/// </summary>
/// <remarks>
/// <para>Seeds: the planner holds one seed and every <see cref="Plan"/> call trains from a fresh generator on it, so the
/// policy is a function of (seed, problem) and different rewards planned with one planner see common random numbers.</para>
/// <para>Speed (docs/dlm-ppo.md): within an epoch λ and the transitions are fixed, so the 2N distinct inputs
/// (arm, state) are the only ones the networks ever see. Each iteration runs the actor and critic once on those 2N
/// rows, and the rollout's samples are merged per row (<see cref="ClippedSurrogate"/>, exact). Nothing allocates
/// inside the epoch loop.</para>
/// </remarks>
public sealed class PpoPlanner : IRmabPlanner
{
    private const int InputWidth = PpoPolicy.InputWidth;

    /// <summary>The largest reward magnitude PPO trains on. Training works in reward units (λ's step, the critic's
    /// targets, squared advantages summed over up to 10^9 samples), so |R| is bounded to keep
    /// samples · (|R| / (1 − γ)²)² finite for every γ &lt; 1 (1e100 · 1e32 squared is 1e264); a larger reward is refused
    /// rather than trained into NaN (issue 15, defect 9). Whittle has no such bound: its index is solved scale-free.</summary>
    public const double MaxRewardMagnitude = 1e100;

    private readonly IProgress<PpoEpoch>? _progress;

    /// <summary>A planner with the given settings and seed.</summary>
    /// <param name="options">Hyper-parameters; validated here.</param>
    /// <param name="seed">Seed of the network initialisation and the training rollouts.</param>
    /// <param name="progress">Receives a record after every epoch (may be null).</param>
    public PpoPlanner(PpoOptions options, ulong seed, IProgress<PpoEpoch>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Seed = seed;
        _progress = progress;
    }

    /// <summary>The hyper-parameters.</summary>
    public PpoOptions Options { get; }

    /// <summary>The seed every training starts from.</summary>
    public ulong Seed { get; }

    /// <inheritdoc />
    public string Name => "PPO";

    /// <inheritdoc />
    public IRmabPolicy Plan(PlanningProblem problem, CancellationToken cancellationToken = default) => Train(problem, cancellationToken).Policy;

    /// <summary>Train an actor-critic and an action charge for <paramref name="problem"/> (deterministic for the seed).</summary>
    /// <param name="problem">Arms, rewards (|R| ≤ <see cref="MaxRewardMagnitude"/>), budget and discount.</param>
    /// <param name="cancellationToken">Observed every simulated step of the rollout and every gradient step.</param>
    /// <exception cref="ArgumentOutOfRangeException">A reward exceeds <see cref="MaxRewardMagnitude"/> in magnitude.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public PpoTrainingResult Train(PlanningProblem problem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        RewardTable rewards = problem.Rewards;
        for (int n = 0; n < rewards.ArmCount; n++)
        {
            double top = Math.Max(Math.Abs(rewards.State0[n]), Math.Abs(rewards.State1[n]));
            if (top > MaxRewardMagnitude)
                throw new ArgumentOutOfRangeException(nameof(problem), FormattableString.Invariant(
                    $"Arm {n} has a reward of magnitude {top:G3}; PPO trains on rewards of magnitude at most {MaxRewardMagnitude:G3} (rescale the reward)."));
        }
        cancellationToken.ThrowIfCancellationRequested();
        return new Trainer(Options, problem, Seed).Run(_progress, cancellationToken);
    }

    private sealed class Trainer
    {
        private readonly PpoOptions _o;
        private readonly ArmDynamics[] _arms;
        private readonly double[] _r0, _r1;
        private readonly int _n, _rows, _budget;
        private readonly double _gamma;
        private readonly double _rewardScale;            // max |R|: rewards and λ enter the networks divided by it
        private readonly double _valueScale;             // the critic predicts V / valueScale (see UpdateCritic)
        private readonly Xoshiro256 _rng;
        private readonly Mlp _actor, _critic;
        private readonly Adam _actorOpt, _criticOpt;
        private readonly double[] _inputs;               // rows × 7, row g = 2n + s
        private readonly double[] _logits, _logitGrad;   // rows × 2
        private readonly double[] _oldLogp;              // rows × 2
        private readonly double[] _actProbability;       // rows: π_old(call | row)
        private readonly double[] _values, _valueGrad;   // rows
        private readonly double[] _pos, _neg, _count;    // rows × 2: merged advantages and counts per (row, action)
        private readonly double[] _retSum, _rowCount;    // rows: merged returns and counts for the critic
        private readonly byte[] _states, _visited, _acts; // N; steps × N; steps × N
        private readonly double[] _rewards, _adv;        // steps × N
        private readonly double[] _probe, _probeLogp;    // rows; rows × 2: the actor's P(call | row) at a probed λ
        private double _rolloutExpectedCalls;
        private CancellationToken _cancellation;

        public Trainer(PpoOptions options, PlanningProblem problem, ulong seed)
        {
            _o = options;
            _arms = problem.Dynamics as ArmDynamics[] ?? problem.Dynamics.ToArray();
            _r0 = problem.Rewards.State0;
            _r1 = problem.Rewards.State1;
            _n = _arms.Length;
            _rows = 2 * _n;
            _budget = problem.Budget;
            _gamma = problem.Discount;
            double top = 0;
            for (int n = 0; n < _n; n++) top = Math.Max(top, Math.Max(Math.Abs(_r0[n]), Math.Abs(_r1[n])));
            _rewardScale = top > 0 ? top : 1;
            _valueScale = _rewardScale / (1 - _gamma);
            _rng = new Xoshiro256(seed);
            int[] actorSizes = Sizes(options, 2), criticSizes = Sizes(options, 1);
            _actor = new Mlp(actorSizes, Activation.Tanh, maxBatch: _rows);
            _critic = new Mlp(criticSizes, Activation.Tanh, maxBatch: _rows);
            _actor.InitializeUniform(_rng);
            _critic.InitializeUniform(_rng);
            _actorOpt = new Adam(_actor.ParameterCount, new AdamOptions { LearningRate = options.PolicyLearningRate });
            _criticOpt = new Adam(_critic.ParameterCount, new AdamOptions { LearningRate = options.ValueLearningRate });
            _inputs = new double[_rows * InputWidth];
            for (int n = 0; n < _n; n++)
            {
                ArmDynamics d = _arms[n];
                for (int s = 0; s < 2; s++)
                {
                    Span<double> x = _inputs.AsSpan((2 * n + s) * InputWidth, InputWidth);
                    x[0] = s == 0 ? 1 : 0;
                    x[1] = s;
                    x[3] = d.Passive0; // P[0, 0, 1]
                    x[4] = d.Active0;  // P[0, 1, 1]
                    x[5] = d.Passive1; // P[1, 0, 1]
                    x[6] = d.Active1;  // P[1, 1, 1]
                    x[7] = _r0[n] / _rewardScale;
                    x[8] = _r1[n] / _rewardScale;
                }
            }
            _logits = new double[_rows * 2];
            _logitGrad = new double[_rows * 2];
            _oldLogp = new double[_rows * 2];
            _actProbability = new double[_rows];
            _probe = new double[_rows];
            _probeLogp = new double[_rows * 2];
            _values = new double[_rows];
            _valueGrad = new double[_rows];
            _pos = new double[_rows * 2];
            _neg = new double[_rows * 2];
            _count = new double[_rows * 2];
            _retSum = new double[_rows];
            _rowCount = new double[_rows];
            _states = new byte[_n];
            int samples = options.StepsPerEpoch * _n;
            _visited = new byte[samples];
            _acts = new byte[samples];
            _rewards = new double[samples];
            _adv = new double[samples];
        }

        private static int[] Sizes(PpoOptions o, int outputs)
        {
            var sizes = new int[o.HiddenLayers + 2];
            sizes[0] = InputWidth;
            for (int l = 1; l <= o.HiddenLayers; l++) sizes[l] = o.HiddenWidth;
            sizes[^1] = outputs;
            return sizes;
        }

        public PpoTrainingResult Run(IProgress<PpoEpoch>? progress, CancellationToken cancellationToken)
        {
            _cancellation = cancellationToken;
            int epochs = _o.Epochs, period = _o.LambdaUpdatePeriod;
            double lambda = _o.InitialLambda, lambdaRate = _o.LambdaLearningRate;
            var history = new PpoEpoch[epochs];
            for (int n = 0; n < _n; n++) _states[n] = _rng.NextDouble() < 0.5 ? (byte)0 : (byte)1;
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                SetLambda(lambda);
                // Authors' entropy schedule: a head coefficient falls linearly from start to end over the epochs, and
                // within each λ period the coefficient cools from the head to 0; none in the frozen final epochs.
                double entropy = 0;
                if (epochs - epoch > _o.FinalFrozenEpochs)
                {
                    double head = epochs == 1 ? _o.StartEntropy : _o.StartEntropy + (_o.EndEntropy - _o.StartEntropy) * epoch / (epochs - 1);
                    int phase = epoch % period;
                    entropy = period == 1 ? head : head * (1 - (double)phase / (period - 1));
                }
                (double calls, double reward) = Rollout(lambda);
                UpdatePolicy(entropy);
                UpdateCritic();
                // Appendix F: λ ← λ − α (B/(1−γ) − C), with C = (calls per step)/(1−γ), the discounted cost of the
                // stationary regime (the authors use the sampled cost-to-go from the epoch's first step; see docs).
                bool update = epoch % period == 0 && epoch > 0 && epochs - epoch > _o.FinalFrozenEpochs;
                var record = new PpoEpoch(epoch, lambda, calls, reward, entropy, update, _rolloutExpectedCalls);
                if (update)
                {
                    // Calls per step: by default (Tandem's) the expected stationary calls of the actor just updated, at
                    // the current λ (exact from the transitions, no sampling noise, and the policy the next rollout runs);
                    // otherwise the calls sampled in this epoch's rollout, i.e. of the policy before this epoch's update.
                    double cost = _o.LambdaFromExpectedCalls ? ExpectedCallsAt(lambda) : calls;
                    lambda = Math.Max(0, lambda - lambdaRate * (_budget - cost) / (1 - _gamma));
                    lambdaRate *= _o.LambdaLearningRateDecay;
                }
                history[epoch] = record;
                progress?.Report(record);
            }

            SetLambda(lambda);
            _actor.ForwardBatch(_inputs, _logits, _rows);
            if (!_logits.All(double.IsFinite))
                throw new ArgumentOutOfRangeException(nameof(PpoOptions.PolicyLearningRate), _o.PolicyLearningRate,
                    "PPO training diverged (the actor's outputs are not finite); lower the learning rate.");
            var policy = new PpoPolicy(_actor, [.. _inputs], _budget, lambda, _rewardScale);
            var p0 = new double[_n];
            var p1 = new double[_n];
            for (int n = 0; n < _n; n++)
            {
                p0[n] = 1 / (1 + Math.Exp(-policy.Index0[n]));
                p1[n] = 1 / (1 + Math.Exp(-policy.Index1[n]));
            }
            return new PpoTrainingResult(policy, lambda, p0, p1, history);
        }

        // Σ_n Σ_s μ_n(s) p[2n + s]: the expected calls per step of a policy acting on arm n in state s with probability
        // p[2n + s], in the stationary regime of each arm's two-state chain under that policy. An arm whose chain has no
        // unique stationary distribution (both states absorbing) counts its rollout start, half and half.
        private double StationaryCalls(ReadOnlySpan<double> p)
        {
            double total = 0;
            for (int n = 0; n < _n; n++)
            {
                double a0 = p[2 * n], a1 = p[2 * n + 1];
                ArmDynamics d = _arms[n];
                double up = (1 - a0) * d.ToEngaged(0, 0) + a0 * d.ToEngaged(0, 1);         // P(0 → 1)
                double down = 1 - ((1 - a1) * d.ToEngaged(1, 0) + a1 * d.ToEngaged(1, 1)); // P(1 → 0)
                double engaged = up + down > 0 ? up / (up + down) : 0.5;
                total += (1 - engaged) * a0 + engaged * a1;
            }
            return total;
        }

        // The current actor's expected stationary calls when given the charge λ (one forward pass on the 2N rows).
        private double ExpectedCallsAt(double lambda)
        {
            SetLambda(lambda);
            _actor.ForwardBatch(_inputs, _logits, _rows);
            for (int g = 0; g < _rows; g++)
            {
                Categorical.LogSoftmax(_logits.AsSpan(2 * g, 2), _probeLogp.AsSpan(2 * g, 2));
                _probe[g] = Math.Exp(_probeLogp[2 * g + 1]);
            }
            return StationaryCalls(_probe);
        }

        private void SetLambda(double lambda)
        {
            for (int g = 0; g < _rows; g++) _inputs[g * InputWidth + 2] = lambda / _rewardScale;
        }

        // Algorithm 1 lines 9-12: simulate every arm under the charge λ with actions drawn from the current policy
        // (independently per arm, as in training the relaxed problem), store the trajectories, then compute GAE
        // advantages and rewards-to-go on r − λ·a and merge them per (arm, state) row.
        private (double Calls, double Reward) Rollout(double lambda)
        {
            int steps = _o.StepsPerEpoch, n = _n;
            _actor.ForwardBatch(_inputs, _logits, _rows);
            _critic.ForwardBatch(_inputs, _values, _rows);
            for (int g = 0; g < _rows; g++) _values[g] *= _valueScale;
            for (int g = 0; g < _rows; g++)
            {
                Categorical.LogSoftmax(_logits.AsSpan(2 * g, 2), _oldLogp.AsSpan(2 * g, 2));
                _actProbability[g] = Math.Exp(_oldLogp[2 * g + 1]);
            }
            _rolloutExpectedCalls = StationaryCalls(_actProbability);
            long calls = 0;
            double reward = 0;
            for (int t = 0; t < steps; t++)
            {
                _cancellation.ThrowIfCancellationRequested();
                int o = t * n;
                for (int i = 0; i < n; i++)
                {
                    int s = _states[i];
                    byte a = _rng.NextDouble() < _actProbability[2 * i + s] ? (byte)1 : (byte)0;
                    byte next = _rng.NextDouble() < _arms[i].ToEngaged(s, a) ? (byte)1 : (byte)0;
                    double r = next == 0 ? _r0[i] : _r1[i];
                    _visited[o + i] = (byte)s;
                    _acts[o + i] = a;
                    _rewards[o + i] = r - lambda * a;
                    _states[i] = next;
                    calls += a;
                    reward += r;
                }
            }

            Array.Clear(_retSum);
            Array.Clear(_rowCount);
            double gamma = _gamma, gl = _gamma * _o.GaeLambda, sum = 0, sumSq = 0;
            for (int i = 0; i < n; i++)
            {
                // The epoch ends mid-trajectory: bootstrap both the advantage and the return with V(last state).
                double nextValue = _values[2 * i + _states[i]], adv = 0, ret = nextValue;
                for (int t = steps - 1; t >= 0; t--)
                {
                    int k = t * n + i, g = 2 * i + _visited[k];
                    double v = _values[g], r = _rewards[k];
                    adv = r + gamma * nextValue - v + gl * adv;
                    ret = r + gamma * ret;
                    nextValue = v;
                    _adv[k] = adv;
                    sum += adv;
                    sumSq += adv * adv;
                    _retSum[g] += ret;
                    _rowCount[g] += 1;
                }
            }
            // Advantage normalisation over the whole buffer (Spinning Up).
            int m = steps * n;
            double mean = sum / m, std = Math.Sqrt(Math.Max(sumSq / m - mean * mean, 0));
            double scale = std > 1e-12 ? 1 / std : 1;
            Array.Clear(_pos);
            Array.Clear(_neg);
            Array.Clear(_count);
            for (int t = 0; t < steps; t++)
            {
                for (int i = 0; i < n; i++)
                {
                    int k = t * n + i, cell = 2 * (2 * i + _visited[k]) + _acts[k];
                    double a = (_adv[k] - mean) * scale;
                    if (a > 0) _pos[cell] += a;
                    else _neg[cell] += a;
                    _count[cell] += 1;
                }
            }
            return ((double)calls / steps, reward / steps);
        }

        // Algorithm 1 line 13 (actor): PPO-clip steps with the entropy bonus on the merged rows.
        private void UpdatePolicy(double entropy)
        {
            double m = (double)_o.StepsPerEpoch * _n;
            for (int it = 0; it < _o.PolicyIterations; it++)
            {
                _cancellation.ThrowIfCancellationRequested();
                _actor.ForwardBatch(_inputs, _logits, _rows);
                ClippedSurrogate.LossAndGradient(_logits, _oldLogp, _pos, _neg, _count, 2, m, _o.ClipRatio, entropy, _logitGrad);
                _actor.ZeroGradients();
                _actor.BackwardBatch(_logitGrad, _rows);
                _actorOpt.Step(_actor.Parameters, _actor.Gradients);
            }
        }

        // Algorithm 1 line 13 (critic): mean squared error to the rewards-to-go, (1/M) Σ_i (V(x_i) − ret_i)², whose
        // gradient in the value of row g is (2/M)(n_g V_g − Σ_{i in g} ret_i). The network outputs V / c with
        // c = max |R| / (1 − γ), the largest possible value, so that its output lives on a unit scale whatever the
        // reward's units (returns reach tens here; an unscaled output would need thousands of Adam steps of 2e-3 to get there).
        private void UpdateCritic()
        {
            double scale = 2.0 / ((double)_o.StepsPerEpoch * _n), c = _valueScale;
            for (int it = 0; it < _o.ValueIterations; it++)
            {
                _cancellation.ThrowIfCancellationRequested();
                _critic.ForwardBatch(_inputs, _values, _rows);
                for (int g = 0; g < _rows; g++) _valueGrad[g] = scale * c * (_rowCount[g] * c * _values[g] - _retSum[g]);
                _critic.ZeroGradients();
                _critic.BackwardBatch(_valueGrad, _rows);
                _criticOpt.Step(_critic.Parameters, _critic.Gradients);
            }
        }
    }
}
