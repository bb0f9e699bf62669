using Tandem.Core.State;
using System.Numerics.Tensors;

namespace Tandem.Core.Numerics;

/// <summary>
/// One arm's regularised GLM estimate and design matrix (seed 000 §2.2, Lemma 2):
/// θ̂ = argmin_θ Σ_s ℓ(r_s, x_sᵀθ) + (λ/2)‖θ‖² with ℓ(r, z) = −r z + m(z), m′ = μ, and
/// V = λI + Σ_s x_s x_sᵀ, kept as V⁻¹ by Sherman–Morrison updates.
/// </summary>
/// <remarks>
/// <para>The seed prints ℓ(r, z) = r z + m(z); the sign of r z is a typo for a loss that is minimised
/// (its proof in A.2 uses the gradient Σ (μ(x_sᵀθ) − r_s) x_s + λθ, which is the −r z form).</para>
/// <para>Identity link: θ̂ = V⁻¹ b with b = Σ r_s x_s (the ridge solution), O(d²) per update, no allocation.</para>
/// <para>Logistic link: the loss only needs b and the past x_s, since Σ ℓ = −bᵀθ + Σ m(x_sᵀθ). The most
/// recent <see cref="Window"/> observations (x_s, r_s) are kept in a ring buffer (growing by doubling up
/// to the window, so allocation is amortised O(d) per update) and θ̂ is refitted on them by damped Newton
/// steps warm-started at the previous θ̂, O(W d² + d³) per iteration, usually a few iterations. Up to W
/// observations this is the seed's full regularised MLE; beyond, it is the MLE of the last W, while V
/// keeps every observation (docs/glm-arm-state.md explains the choice). The state is therefore bounded:
/// O(W d + d²). Not thread-safe.</para>
/// </remarks>
public sealed class GlmArm
{
    /// <summary>The Newton iterations stop once the Newton decrement √(gᵀH⁻¹g) falls below this.</summary>
    public const double NewtonDecrementTolerance = 1e-10;

    /// <summary>At most this many Newton iterations per update.</summary>
    public const int MaxNewtonIterations = 25;

    /// <summary>The default number of recent observations the logistic fit keeps (above any default
    /// study's per-arm count, so those studies fit the full MLE).</summary>
    public const int DefaultWindow = 1024;

    // Below this squared decrement the iterate is inside Newton's region of quadratic convergence and the
    // full step is taken; the Armijo test would only see rounding noise there.
    private const double FullStepDecrementSquared = 1e-8;
    private const int MaxStepHalvings = 40;
    private const double ArmijoFraction = 0.25;

    private readonly int _d;
    private readonly double[] _theta;
    private readonly double[] _inverseDesign;
    private readonly double[] _b;
    private readonly double[] _workspace;
    // Logistic fit only; null for the identity link.
    private readonly double[]? _gradient;
    private readonly double[]? _hessian;
    private readonly double[]? _step;
    private readonly double[]? _trial;
    // Logistic: the window's contexts (row-major) and rewards; rows 0.._filled-1 are used, _next is the
    // row the next observation overwrites once the window is full.
    private double[] _history;
    private double[] _rewards;
    private int _filled;
    private int _next;

    /// <summary>A fresh arm: n = 0, θ̂ = 0, V⁻¹ = I/λ.</summary>
    /// <param name="dimension">d. Range: d ≥ 1.</param>
    /// <param name="lambda">λ, the ridge weight. Range: finite, λ &gt; 0. Default 1.</param>
    /// <param name="link">The inverse link μ. Default <see cref="GlmLink.Identity"/>.</param>
    /// <param name="window">W, how many recent observations the logistic fit keeps (ignored by the
    /// identity link). Range: W ≥ 1. Default <see cref="DefaultWindow"/>.</param>
    public GlmArm(int dimension, double lambda = 1.0, GlmLink link = GlmLink.Identity, int window = DefaultWindow)
    {
        if (dimension < 1) ThrowHelper.OutOfRange(nameof(dimension), dimension, "The dimension must be at least 1.");
        if (!(lambda > 0) || !double.IsFinite(lambda)) ThrowHelper.OutOfRange(nameof(lambda), lambda, "λ must be finite and greater than 0.");
        if (link is not (GlmLink.Identity or GlmLink.Logistic)) ThrowHelper.OutOfRange(nameof(link), link, "Unknown link.");
        if (window < 1) ThrowHelper.OutOfRange(nameof(window), window, "The window must hold at least 1 observation.");

        _d = dimension;
        Lambda = lambda;
        Link = link;
        Window = window;
        _theta = new double[dimension];
        _inverseDesign = new double[dimension * dimension];
        _b = new double[dimension];
        _workspace = new double[dimension];
        _history = [];
        _rewards = [];
        if (link == GlmLink.Logistic)
        {
            _gradient = new double[dimension];
            _hessian = new double[dimension * dimension];
            _step = new double[dimension];
            _trial = new double[dimension];
        }
        Reset();
    }

    private GlmArm(GlmArm other)
    {
        _d = other._d;
        Lambda = other.Lambda;
        Link = other.Link;
        Window = other.Window;
        Count = other.Count;
        LastFitIterations = other.LastFitIterations;
        _theta = (double[])other._theta.Clone();
        _inverseDesign = (double[])other._inverseDesign.Clone();
        _b = (double[])other._b.Clone();
        _workspace = new double[_d];
        _history = [];
        _rewards = [];
        if (other.Link == GlmLink.Logistic)
        {
            // Only the logistic fit keeps the past contexts.
            _history = other._history.AsSpan(0, other._filled * _d).ToArray();
            _rewards = other._rewards.AsSpan(0, other._filled).ToArray();
            _filled = other._filled;
            _next = other._next;
            _gradient = new double[_d];
            _hessian = new double[_d * _d];
            _step = new double[_d];
            _trial = new double[_d];
        }
    }

    /// <summary>d, the feature dimension.</summary>
    public int Dimension => _d;

    /// <summary>n, the number of observations so far.</summary>
    public int Count { get; private set; }

    /// <summary>λ, the ridge weight.</summary>
    public double Lambda { get; }

    /// <summary>The inverse link μ.</summary>
    public GlmLink Link { get; }

    /// <summary>W, the number of recent observations the logistic fit keeps.</summary>
    public int Window { get; }

    /// <summary>θ̂, length d. Valid until the next <see cref="Update"/> or <see cref="Reset"/>.</summary>
    public ReadOnlySpan<double> Theta => _theta;

    /// <summary>V⁻¹ = (λI + Σ x xᵀ)⁻¹, d×d row-major, exactly symmetric.</summary>
    public ReadOnlySpan<double> InverseDesign => _inverseDesign;

    /// <summary>Newton iterations the last logistic update used (0 for the identity link and after a reset).</summary>
    public int LastFitIterations { get; private set; }

    /// <summary>Add the observation (x, r) and refit θ̂. On invalid input throws and leaves the arm unchanged.</summary>
    /// <param name="x">The context, length d, finite.</param>
    /// <param name="reward">The reward r, finite; in [0, 1] for the logistic link.</param>
    /// <exception cref="ArgumentException"><paramref name="x"/> has the wrong length or a non-finite
    /// element or is so large that xᵀV⁻¹x overflows, or <paramref name="reward"/> is out of range
    /// (ParamName says which).</exception>
    public void Update(ReadOnlySpan<double> x, double reward)
    {
        ThrowHelper.Exactly(x.Length, _d, nameof(x));
        ThrowHelper.AllFinite(x, nameof(x));
        if (!double.IsFinite(reward)) ThrowHelper.Argument(nameof(reward), $"The reward must be finite; got {reward}.");
        if (Link == GlmLink.Logistic && !(reward >= 0 && reward <= 1))
            ThrowHelper.Argument(nameof(reward), $"A logistic arm needs rewards in [0, 1]; got {reward}.");

        // The first mutation; it refuses (and changes nothing) only when xᵀV⁻¹x overflows.
        if (!ShermanMorrison.TryUpdateUnchecked(_inverseDesign, x, _workspace, out double leverage))
            ThrowHelper.Argument(nameof(x), $"xᵀV⁻¹x = {leverage}: the context is too large to update with.");
        Count++;
        if (Link == GlmLink.Identity)
        {
            TensorPrimitives.MultiplyAdd(x, reward, _b, _b);
            SymmetricKernels.Multiply(_inverseDesign, _b, _theta);
            return;
        }
        if (AppendHistory(x, reward)) RecomputeWindowSum();
        else TensorPrimitives.MultiplyAdd(x, reward, _b, _b);
        LastFitIterations = FitLogistic();
    }

    /// <summary>xᵀθ̂.</summary>
    /// <param name="x">Length d.</param>
    public double LinearPredictor(ReadOnlySpan<double> x)
    {
        ThrowHelper.Exactly(x.Length, _d, nameof(x));
        return SymmetricKernels.Dot(x, _theta);
    }

    /// <summary>‖x‖_{V⁻¹} = √(xᵀV⁻¹x), the width factor of the confidence ellipsoid in direction x.</summary>
    /// <param name="x">Length d.</param>
    /// <param name="workspace">Scratch of length ≥ d; must not overlap <paramref name="x"/>.</param>
    public double ConfidenceNorm(ReadOnlySpan<double> x, Span<double> workspace)
    {
        ThrowHelper.Exactly(x.Length, _d, nameof(x));
        ThrowHelper.AtLeast(workspace.Length, _d, nameof(workspace));
        ThrowHelper.NoOverlap(x, workspace, nameof(workspace));
        return Math.Sqrt(Math.Max(0.0, ShermanMorrison.QuadraticFormUnchecked(_inverseDesign, x, workspace[.._d])));
    }

    /// <summary>Forget all observations: n = 0, θ̂ = 0, V⁻¹ = I/λ. Keeps the history buffer's capacity.</summary>
    public void Reset()
    {
        Count = 0;
        LastFitIterations = 0;
        _filled = 0;
        _next = 0;
        Array.Clear(_theta);
        Array.Clear(_b);
        Array.Clear(_inverseDesign);
        for (int i = 0; i < _d; i++) _inverseDesign[i * _d + i] = 1.0 / Lambda;
    }

    /// <summary>A deep copy that evolves independently.</summary>
    public GlmArm Clone() => new(this);

    // Returns true when an old observation was overwritten (the window sum b must then be recomputed).
    private bool AppendHistory(ReadOnlySpan<double> x, double reward)
    {
        if (_filled < Window)
        {
            int rows = _filled + 1;
            if (_rewards.Length < rows)
            {
                // Doubling (capped at the window) keeps the cost amortised O(d) per update.
                int capacity = Math.Min(Window, Math.Max(rows, Math.Max(16, 2 * _rewards.Length)));
                Array.Resize(ref _history, capacity * _d);
                Array.Resize(ref _rewards, capacity);
            }
            x.CopyTo(_history.AsSpan(_filled * _d, _d));
            _rewards[_filled] = reward;
            _filled = rows;
            _next = rows % Window;
            return false;
        }
        x.CopyTo(_history.AsSpan(_next * _d, _d));
        _rewards[_next] = reward;
        _next = (_next + 1) % Window;
        return true;
    }

    // b = Σ_window r_s x_s, summed afresh (no drift from subtracting evicted observations).
    private void RecomputeWindowSum()
    {
        Array.Clear(_b);
        ReadOnlySpan<double> history = _history.AsSpan(0, _filled * _d);
        for (int s = 0; s < _filled; s++) TensorPrimitives.MultiplyAdd(history.Slice(s * _d, _d), _rewards[s], _b, _b);
    }

    /// <summary>The arm's whole state as data (a copy).</summary>
    public GlmArmState Export() => new(
        Link, Lambda, _d, Window, Count,
        (double[])_theta.Clone(), (double[])_inverseDesign.Clone(), (double[])_b.Clone(),
        Link == GlmLink.Logistic ? _history.AsSpan(0, _filled * _d).ToArray() : null,
        Link == GlmLink.Logistic ? _rewards.AsSpan(0, _filled).ToArray() : null,
        _next);

    /// <summary>Check <paramref name="state"/> against this arm without applying it; throws
    /// <see cref="PolicyStateException"/> naming the mismatch.</summary>
    public void Validate(GlmArmState state)
    {
        PolicyStates.Require(state is not null, "The arm state is missing.");
        PolicyStates.Require(state!.Link == Link, $"The arm state has the {state.Link} link; this arm has the {Link} link.");
        PolicyStates.Require(state.Dimension == _d, $"The arm state has dimension {state.Dimension}; this arm has {_d}.");
        PolicyStates.Require(state.Lambda == Lambda, $"The arm state has λ = {state.Lambda}; this arm has λ = {Lambda}.");
        PolicyStates.Require(state.Window == Window, $"The arm state has window {state.Window}; this arm has {Window}.");
        PolicyStates.Require(state.Count >= 0, $"The arm state has count {state.Count}; it must be ≥ 0.");
        PolicyStates.RequireLength(state.Theta, _d, "θ̂");
        PolicyStates.RequireLength(state.InverseDesign, _d * _d, "V⁻¹");
        PolicyStates.RequireLength(state.B, _d, "b");
        PolicyStates.RequireFinite(state.Theta, "θ̂");
        PolicyStates.RequireFinite(state.InverseDesign, "V⁻¹");
        PolicyStates.RequireFinite(state.B, "b");
        if (Link == GlmLink.Identity) return;
        int filled = Math.Min(state.Count, Window);
        PolicyStates.RequireLength(state.Rewards, filled, "window rewards");
        PolicyStates.RequireLength(state.History, filled * _d, "window contexts");
        PolicyStates.RequireFinite(state.History, "window contexts");
        foreach (double r in state.Rewards!)
            PolicyStates.Require(r >= 0 && r <= 1, $"The arm state has a logistic reward {r} outside [0, 1].");
        PolicyStates.Require(state.Next >= 0 && state.Next < Window && (filled == Window || state.Next == filled % Window),
            $"The arm state's next window row {state.Next} is inconsistent with {filled} kept observations.");
    }

    /// <summary>Replace the state by <paramref name="state"/> after <see cref="Validate"/>; the arm then
    /// evolves exactly as the one that exported it.</summary>
    public void Import(GlmArmState state)
    {
        Validate(state);
        Count = state.Count;
        LastFitIterations = 0;
        state.Theta.CopyTo(_theta, 0);
        state.InverseDesign.CopyTo(_inverseDesign, 0);
        state.B.CopyTo(_b, 0);
        if (Link == GlmLink.Identity) return;
        _filled = state.Rewards!.Length;
        _history = (double[])state.History!.Clone();
        _rewards = (double[])state.Rewards.Clone();
        _next = state.Next;
    }

    // Damped Newton on L(θ) = −bᵀθ + Σ m(x_sᵀθ) + (λ/2)‖θ‖², warm-started at the current θ̂.
    private int FitLogistic()
    {
        double[] gradient = _gradient!, hessian = _hessian!, step = _step!, trial = _trial!;
        double loss = LogisticLoss(_theta);
        for (int iteration = 1; iteration <= MaxNewtonIterations; iteration++)
        {
            LogisticGradientAndHessian(gradient, hessian);
            if (!Cholesky.TryFactorUnchecked(hessian, hessian, _d)) return iteration;
            Cholesky.SolveUnchecked(hessian, gradient, step);
            double decrementSquared = TensorPrimitives.Dot(gradient, step);
            if (!(decrementSquared >= 0) || Math.Sqrt(decrementSquared) < NewtonDecrementTolerance) return iteration;

            if (decrementSquared < FullStepDecrementSquared)
            {
                TensorPrimitives.Subtract(_theta, step, _theta);
                loss = LogisticLoss(_theta);
                continue;
            }
            double t = 1.0;
            bool accepted = false;
            for (int halving = 0; halving < MaxStepHalvings; halving++, t *= 0.5)
            {
                TensorPrimitives.MultiplyAdd(step, -t, _theta, trial);
                double trialLoss = LogisticLoss(trial);
                if (trialLoss <= loss - ArmijoFraction * t * decrementSquared)
                {
                    trial.CopyTo(_theta, 0);
                    loss = trialLoss;
                    accepted = true;
                    break;
                }
            }
            if (!accepted) return iteration;
        }
        return MaxNewtonIterations;
    }

    private double LogisticLoss(ReadOnlySpan<double> theta)
    {
        double sum = 0.5 * Lambda * TensorPrimitives.Dot(theta, theta) - TensorPrimitives.Dot(_b, theta);
        ReadOnlySpan<double> history = _history.AsSpan(0, _filled * _d);
        for (int s = 0; s < _filled; s++)
        {
            sum += Links.Softplus(TensorPrimitives.Dot(history.Slice(s * _d, _d), theta));
        }
        return sum;
    }

    // g = Σ μ(z_s) x_s − b + λθ;  H = λI + Σ μ′(z_s) x_s x_sᵀ (upper triangle accumulated, then mirrored).
    private void LogisticGradientAndHessian(Span<double> gradient, Span<double> hessian)
    {
        int d = _d;
        TensorPrimitives.Multiply(_theta, Lambda, gradient);
        TensorPrimitives.Subtract(gradient, _b, gradient);
        hessian.Clear();
        for (int i = 0; i < d; i++) hessian[i * d + i] = Lambda;
        ReadOnlySpan<double> history = _history.AsSpan(0, _filled * d);
        for (int s = 0; s < _filled; s++)
        {
            ReadOnlySpan<double> x = history.Slice(s * d, d);
            double z = TensorPrimitives.Dot(x, _theta);
            TensorPrimitives.MultiplyAdd(x, Links.Sigmoid(z), gradient, gradient);
            double weight = Links.LogisticDerivative(z);
            for (int i = 0; i < d; i++)
            {
                Span<double> upper = hessian.Slice(i * d + i, d - i);
                TensorPrimitives.MultiplyAdd(x[i..], weight * x[i], upper, upper);
            }
        }
        ShermanMorrison.MirrorUpper(hessian, d);
    }
}

/// <summary>A <see cref="GlmArm"/>'s whole state (seed 000 §2.2: θ̂, V⁻¹ and the sufficient data of the fit).</summary>
/// <param name="Link">The link.</param>
/// <param name="Lambda">λ.</param>
/// <param name="Dimension">d.</param>
/// <param name="Window">W (logistic window).</param>
/// <param name="Count">n, observations so far.</param>
/// <param name="Theta">θ̂, length d.</param>
/// <param name="InverseDesign">V⁻¹, d×d row-major.</param>
/// <param name="B">b = Σ r x (identity: all observations; logistic: the window).</param>
/// <param name="History">Logistic: the window's contexts, min(n, W) rows of d, in buffer order; null for identity.</param>
/// <param name="Rewards">Logistic: the window's rewards, in buffer order; null for identity.</param>
/// <param name="Next">Logistic: the buffer row the next observation is written to.</param>
public sealed record GlmArmState(GlmLink Link, double Lambda, int Dimension, int Window, int Count,
    double[] Theta, double[] InverseDesign, double[] B, double[]? History, double[]? Rewards, int Next);
