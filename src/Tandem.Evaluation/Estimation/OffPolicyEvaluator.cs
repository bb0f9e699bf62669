using System.Numerics.Tensors;
using Tandem.Core.Randomness;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Models;
using Tandem.Evaluation.Targets;

namespace Tandem.Evaluation.Estimation;

/// <summary>
/// Off-policy evaluation of target policies from a decision log (issue 17): the direct method, IPS, SNIPS, DR,
/// switch-DR, DR with optimistic shrinkage and replay, with diagnostics and seeded Poisson-bootstrap intervals.
/// Two streaming passes: the first fits the cross-fitted ridge reward model, the second estimates. Memory is the
/// model plus (replicates × policies × 14) numbers, whatever the log's length.
/// </summary>
public static class OffPolicyEvaluator
{
    private const int Slots = 14; // (numerator, denominator) for each of the 7 estimators, in enum order
    private const int MaxPoisson = 20;
    private const int BootstrapBlock = 1024; // lines whose contributions are resampled together
    private static readonly uint[] PoissonThresholds = BuildPoissonThresholds();
    private static readonly byte[] PoissonTable = BuildPoissonTable();

    /// <summary>Evaluate <paramref name="targets"/> on <paramref name="source"/> with a cross-fitted ridge reward model.</summary>
    /// <exception cref="ArgumentException">An option is out of range, the log has no valid line, or a target does not
    /// fit the log (the message names both).</exception>
    /// <exception cref="DecisionLogException">A log line is invalid (and skipping is off).</exception>
    public static OpeSummary Evaluate(IDecisionSource source, IReadOnlyList<ITargetSource> targets, OpeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (targets.Count == 0) throw new ArgumentException("Give at least one target policy.", nameof(targets));

        // Bootstrap replicate b refits the reward model on its own Poisson counts (drawn from the same streams, block by
        // block, as the estimation pass draws them), so the intervals of the estimators that lean on the model carry the
        // model's own error; DM, switch-DR and DR-OS take their replicates from these refits.
        bool refit = RefitsModel(options);
        CrossFittedRidge? model = null;
        CrossFittedRidge[] replicas = [];
        Xoshiro256[] streams = refit ? BootstrapStreams(options) : [];
        var held = new LoggedDecision[refit ? BootstrapBlock : 0];
        int inBlock = 0;
        long n = 0;
        int arms = -1, dimension = 0;
        foreach (LoggedDecision line in source.Read())
        {
            if ((++n & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (model is null)
            {
                (arms, dimension) = (line.ArmCount, line.Features?.Length ?? 0);
                model = NewModel(line, options);
                if (refit) replicas = [.. Enumerable.Range(0, options.BootstrapReplicates).Select(_ => NewModel(line, options))];
            }
            model.Add(line);
            if (refit)
            {
                held[inBlock++] = line;
                if (inBlock == BootstrapBlock)
                {
                    AddToReplicas(held, inBlock, streams, replicas);
                    inBlock = 0;
                }
            }
        }
        if (model is null) throw new ArgumentException("The decision log has no valid line to evaluate.", nameof(source));
        if (inBlock > 0) AddToReplicas(held, inBlock, streams, replicas);
        model.Fit();
        Parallel.ForEach(replicas, r => r.Fit());
        var policies = targets.Select(t => t.Create(arms, dimension, model)).ToList();
        return Estimate(source, policies, model, refit ? replicas : null, options, cancellationToken);
    }

    private static CrossFittedRidge NewModel(LoggedDecision line, OpeOptions options) =>
        new(line.ArmCount, line.RewardFeatures?.Length ?? 0, line.Cell is not null, options.Folds, options.Ridge, Seeds.Derive(options.Seed, "folds"));

    private static bool RefitsModel(OpeOptions options) =>
        options.BootstrapReplicates > 0 && options.RefitBootstrap && options.Estimators.Any(e => e is OpeEstimator.DirectMethod or OpeEstimator.SwitchDoublyRobust or OpeEstimator.DoublyRobustShrinkage);

    // Replicate i's stream is seeded from the seed and i alone, so any pass that draws a block's counts in log order
    // gets the same counts, and the replicates can run in parallel with the same numbers on any core count.
    private static Xoshiro256[] BootstrapStreams(OpeOptions options)
    {
        ulong bootstrapSeed = Seeds.Derive(options.Seed, "bootstrap");
        var streams = new Xoshiro256[options.BootstrapReplicates];
        for (int i = 0; i < streams.Length; i++) streams[i] = new Xoshiro256(Seeds.Derive(bootstrapSeed, i));
        return streams;
    }

    // Add a block of lines to every replicate's model, each line counted by the replicate's Poisson(1) draw.
    private static void AddToReplicas(LoggedDecision[] lines, int count, Xoshiro256[] streams, CrossFittedRidge[] replicas)
    {
        Parallel.For(0, streams.Length, () => new double[BootstrapBlock], (i, _, counts) =>
        {
            Span<double> k = counts.AsSpan(0, count);
            PoissonCounts(streams[i], k);
            for (int l = 0; l < count; l++)
                if (k[l] > 0) replicas[i].Add(lines[l], k[l]);
            return counts;
        }, _ => { });
    }

    /// <summary>Evaluate <paramref name="targets"/> on <paramref name="source"/> with a given reward model (e.g. a fixed one in tests).</summary>
    /// <remarks>The model is fixed: bootstrap replicates resample the lines' contributions but do not refit it.</remarks>
    public static OpeSummary Evaluate(IDecisionSource source, IReadOnlyList<ITargetPolicy> targets, IRewardModel model, OpeOptions options, CancellationToken cancellationToken = default) =>
        Estimate(source, targets, model, null, options, cancellationToken);

    private static OpeSummary Estimate(IDecisionSource source, IReadOnlyList<ITargetPolicy> targets, IRewardModel model, CrossFittedRidge[]? replicas, OpeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int p = targets.Count;
        if (p == 0) throw new ArgumentException("Give at least one target policy.", nameof(targets));
        int b = options.BootstrapReplicates, j = p * Slots;
        var totals = new double[j];
        var contribution = new double[j];
        var boot = new double[b * j];
        Xoshiro256[] streams = BootstrapStreams(options);
        var block = new double[b > 0 ? BootstrapBlock * j : 0]; // slot-major: block[slot * BootstrapBlock + line]
        // With refitted replicas, DM, switch-DR and DR-OS take their replicates from the refits, not from this block.
        bool Refitted(OpeEstimator e) => replicas is not null && e is OpeEstimator.DirectMethod or OpeEstimator.SwitchDoublyRobust or OpeEstimator.DoublyRobustShrinkage;
        int[] slots = [.. Enumerable.Range(0, p).SelectMany(k => options.Estimators.Where(e => !Refitted(e)).SelectMany(e => new[] { k * Slots + 2 * (int)e, k * Slots + 2 * (int)e + 1 }))];
        int inBlock = 0;
        var heldLines = new LoggedDecision[replicas is null ? 0 : BootstrapBlock];
        double[] heldPi = [];
        (double[] taus, double[] lambdas) = Thresholds(source, targets, model, options, cancellationToken);
        var policy = new PolicyTally[p];
        for (int i = 0; i < p; i++) policy[i] = new PolicyTally();
        double[] q = [], pi = [];
        int arms = -1, dimension = 0;
        bool cells = false, loggingUniform = true;
        long lines = 0, withPropensity = 0, belowFloor = 0, advisorUnstated = 0, estimated = 0, recourseLines = 0;
        int minDraws = 0, maxDraws = 0;
        double clip = options.Clip;

        foreach (LoggedDecision line in source.Read())
        {
            if ((++lines & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (arms < 0)
            {
                arms = line.ArmCount;
                dimension = line.Features?.Length ?? 0;
                cells = line.Cell is not null;
                q = new double[arms];
                pi = new double[arms];
                if (replicas is not null) heldPi = new double[BootstrapBlock * p * arms];
            }
            else if (line.ArmCount != arms)
            {
                throw new DecisionLogException(line.Line, "probabilities", $"has {line.ArmCount} arms; the log's first line has {arms}");
            }
            model.Predict(line, q);
            bool supported = line.HasPropensity;
            if (!supported && line.Flags.HasFlag(LineFlags.AdvisorFollowed)) advisorUnstated++;
            if (line.Recourse is not null) recourseLines++;
            bool monteCarlo = supported && line.Flags.HasFlag(LineFlags.PropensityEstimated);
            if (monteCarlo)
            {
                estimated++;
                if (line.PropensityDraws > 0)
                {
                    minDraws = minDraws == 0 ? line.PropensityDraws : Math.Min(minDraws, line.PropensityDraws);
                    maxDraws = Math.Max(maxDraws, line.PropensityDraws);
                }
            }
            double mu = line.Propensity, r = line.Reward;
            if (supported)
            {
                withPropensity++;
                if (mu < options.PropensityFloor) belowFloor++;
            }
            if (loggingUniform)
            {
                foreach (double lp in line.Probabilities)
                    if (!(Math.Abs(lp - 1.0 / arms) < 1e-9)) { loggingUniform = false; break; }
            }
            for (int k = 0; k < p; k++)
            {
                targets[k].Probabilities(line, pi);
                PolicyTally t = policy[k];
                Span<double> c = contribution.AsSpan(k * Slots, Slots);
                if (replicas is not null) pi.CopyTo(heldPi.AsSpan((inBlock * p + k) * arms, arms));
                if (double.IsNaN(pi[0]))
                {
                    // The target states no probability here (it followed an advisor): the line counts for none of
                    // its estimators, and the notes say how many.
                    t.Unstated++;
                    c.Clear();
                    continue;
                }
                ModelSlots(pi, q, line, clip, taus[k], lambdas[k], c); // DM, DR, switch-DR, DR-OS
                int chosen = TensorPrimitives.IndexOfMax<double>(pi);
                bool deterministic = pi[chosen] >= 1 - 1e-12;
                if (!deterministic) t.Deterministic = false;
                bool match = deterministic && chosen == line.Arm; // Li et al. 2011, Algorithm 3 (replay): keep the line iff the target agrees
                c[12] = match ? r : 0;
                c[13] = match ? 1 : 0;
                if (match) t.ReplayMatches++;
                if (line.ExpectedRewards is { } truth)
                {
                    t.TruthSum += TensorPrimitives.Dot<double>(pi, truth);
                    t.TruthLines++;
                }
                if (supported)
                {
                    double w = pi[line.Arm] / mu;
                    double wc = Math.Min(w, clip);
                    c[2] = wc * r; // IPS
                    c[3] = 1;
                    c[4] = wc * r; // SNIPS
                    c[5] = wc;
                    // A Monte Carlo propensity p̂ from M draws has Var p̂ ≈ p(1 − p)/M, so the weight's relative variance
                    // is ≈ (1 − p)/(M p) (delta method): the extra variance of w·r it adds to IPS.
                    // The same for a target whose π̂ is a fresh estimate from M draws: Var π̂ ≈ π(1 − π)/M adds
                    // (r/μ)² π̂(1 − π̂)/M to the variance of the line's IPS term (unclipped weights only).
                    if (targets[k].ProbabilityDraws is > 0 and int m && w < clip)
                        t.TargetDrawVariance += r / mu * (r / mu) * pi[line.Arm] * (1 - pi[line.Arm]) / m;
                    if (monteCarlo && line.PropensityDraws > 0)
                        t.DrawVariance += wc * r * wc * r * (1 - mu) / (line.PropensityDraws * mu);
                    t.SumWeight += wc;
                    t.SumWeightSquared += wc * wc;
                    t.SumRawWeight += w;
                    t.MaxWeight = Math.Max(t.MaxWeight, w);
                    if (w > clip) t.Clipped++;
                    if (w > taus[k]) t.Switched++;
                    double unsupportedMass = 0;
                    for (int a = 0; a < arms; a++)
                        if (!(line.Probabilities[a] > 0)) unsupportedMass += pi[a];
                    t.UnsupportedMass += unsupportedMass;
                }
                else
                {
                    c[2..6].Clear();
                }
            }
            TensorPrimitives.Add(totals, contribution, totals);
            if (b > 0)
            {
                foreach (int slot in slots) block[slot * BootstrapBlock + inBlock] = contribution[slot];
                if (replicas is not null) heldLines[inBlock] = line;
                if (++inBlock == BootstrapBlock)
                {
                    Resample(block, inBlock, slots, streams, boot, j, new Refits(replicas, heldLines, heldPi, p, arms, clip, taus, lambdas));
                    inBlock = 0;
                }
            }
        }
        if (inBlock > 0) Resample(block, inBlock, slots, streams, boot, j, new Refits(replicas, heldLines, heldPi, p, arms, clip, taus, lambdas));
        if (lines == 0) throw new ArgumentException("The decision log has no valid line to evaluate.", nameof(source));

        DecisionLogTally tally = source.Tally;
        var evaluations = new List<PolicyEvaluation>(p);
        var replicate = new double[b];
        for (int k = 0; k < p; k++)
        {
            PolicyTally t = policy[k];
            var estimates = new List<OpeEstimate>();
            foreach (OpeEstimator e in options.Estimators)
            {
                int s = k * Slots + 2 * (int)e;
                double value = Ratio(totals[s], totals[s + 1]);
                for (int i = 0; i < b; i++) replicate[i] = Ratio(boot[i * j + s], boot[i * j + s + 1]);
                (double lower, double upper) = b > 0 ? Percentiles(replicate, options.Confidence) : (double.NaN, double.NaN);
                double used = e == OpeEstimator.SelfNormalizedIps ? totals[k * Slots + 3] : totals[s + 1];
                string? note = Note(e, t, lines, withPropensity, loggingUniform);
                if (e == OpeEstimator.Replay && !t.Deterministic) (value, lower, upper) = (double.NaN, double.NaN, double.NaN);
                estimates.Add(new OpeEstimate(OpeEstimators.Id(e), value, lower, upper, (long)used, note));
            }
            double ess = t.SumWeightSquared > 0 ? t.SumWeight * t.SumWeight / t.SumWeightSquared : 0;
            var diagnostics = new OpeDiagnostics(
                EffectiveSampleSize: ess,
                MaxWeight: withPropensity > 0 ? t.MaxWeight : double.NaN,
                MeanWeight: withPropensity > 0 ? t.SumRawWeight / withPropensity : double.NaN,
                ClippedWeights: t.Clipped,
                SwitchedToModel: t.Switched,
                UnsupportedTargetMass: withPropensity > 0 ? t.UnsupportedMass / withPropensity : double.NaN,
                ReplayMatches: t.ReplayMatches,
                TargetDeterministic: t.Deterministic)
            {
                PropensityNoiseStandardError = minDraws > 0 && withPropensity > 0 ? Math.Sqrt(t.DrawVariance) / withPropensity : double.NaN,
                TargetUnstatedLines = t.Unstated,
                TargetDraws = targets[k].ProbabilityDraws,
                TargetDrawStandardError = targets[k].ProbabilityDraws > 0 && withPropensity > 0 ? Math.Sqrt(t.TargetDrawVariance) / withPropensity : double.NaN,
                SwitchThreshold = taus[k],
                SwitchThresholdTuned = options.SwitchThreshold is null && options.Estimators.Contains(OpeEstimator.SwitchDoublyRobust),
                ShrinkageLambda = lambdas[k],
                ShrinkageLambdaTuned = options.ShrinkageLambda is null && options.Estimators.Contains(OpeEstimator.DoublyRobustShrinkage),
            };
            bool truth = t.TruthLines == lines;
            evaluations.Add(new PolicyEvaluation(targets[k].Name, truth ? t.TruthSum / lines : double.NaN, t.TruthLines, diagnostics, estimates));
        }
        return new OpeSummary
        {
            LinesRead = tally.Lines,
            Lines = lines,
            SkippedLines = tally.Skipped,
            FirstSkipped = tally.FirstSkipped,
            Arms = arms,
            Context = cells ? "cell" : "numeric",
            Dimension = dimension,
            LinesWithoutPropensity = lines - withPropensity,
            LinesBelowFloor = belowFloor,
            AdvisorLinesWithoutPropensity = advisorUnstated,
            LinesWithEstimatedPropensity = estimated,
            MinPropensityDraws = minDraws,
            MaxPropensityDraws = maxDraws,
            LinesWithRecourse = recourseLines,
            LoggingUniform = loggingUniform,
            Options = OpeSettings.From(options),
            Policies = evaluations,
        };
    }

    private static string? Note(OpeEstimator e, PolicyTally t, long lines, long withPropensity, bool loggingUniform)
    {
        var notes = new List<string>();
        if (t.Unstated > 0)
            notes.Add($"on {t.Unstated} of {lines} lines the target states no probability (it followed an advisor) and they are left out: this estimates the target where it decided itself");
        bool weighted = e is not (OpeEstimator.DirectMethod or OpeEstimator.Replay);
        if (weighted && withPropensity < lines)
            notes.Add($"{lines - withPropensity} of {lines} lines have no propensity and cannot support it; estimated on the other {withPropensity}");
        if (weighted && t.UnsupportedMass > 0)
            notes.Add("the target puts mass on arms the logger gave probability 0 or did not state: biased");
        if (e == OpeEstimator.Replay && !t.Deterministic) notes.Add("the target is not deterministic: replay does not apply");
        else if (e == OpeEstimator.Replay && !loggingUniform) notes.Add("logging was not uniform: replay is biased (Li et al. 2011 assume uniform logging)");
        return notes.Count == 0 ? null : string.Join("; ", notes);
    }

    private static double Ratio(double numerator, double denominator) => denominator > 0 ? numerator / denominator : double.NaN;

    /// <summary>Percentile interval of the finite replicates (linear interpolation); NaN when fewer than half are finite.</summary>
    internal static (double Lower, double Upper) Percentiles(double[] replicates, double confidence)
    {
        double[] finite = replicates.Where(double.IsFinite).ToArray();
        if (finite.Length * 2 < replicates.Length || finite.Length < 2) return (double.NaN, double.NaN);
        Array.Sort(finite);
        double alpha = (1 - confidence) / 2;
        return (Quantile(finite, alpha), Quantile(finite, 1 - alpha));
    }

    private static double Quantile(double[] sorted, double level)
    {
        double h = (sorted.Length - 1) * level;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>The candidates of switch-DR's τ and DR-OS's λ when they are tuned: 1-2-5 steps from 0.1 to 10⁵ and +∞
    /// (DR itself). Fixed, not fitted to any log.</summary>
    internal static readonly double[] TuningGrid = [.. Enumerable.Range(-1, 6).SelectMany(e => new[] { 1.0, 2, 5 }.Select(m => m * Math.Pow(10, e))).Where(v => v <= 1e5), double.PositiveInfinity];

    // Switch-DR's τ and DR-OS's λ per target: the option when it is given; else (when the estimator is asked for) the
    // candidate of TuningGrid with the least estimated MSE, B̂² + V̂/n, where V̂ is the sample variance of the
    // estimator's per-line terms and B̂ = mean((w − ŵ)(r − q̂(x, a))) is the direct estimate of its bias against DR
    // (Su, Dimakopoulou, Krishnamurthy and Dudík 2020, §5 and p. 17). One extra pass over the log (the spill, for a
    // file); ties go to the larger value, the less biased one.
    private static (double[] Taus, double[] Lambdas) Thresholds(IDecisionSource source, IReadOnlyList<ITargetPolicy> targets, IRewardModel model, OpeOptions options, CancellationToken cancellationToken)
    {
        int p = targets.Count;
        bool tuneTau = options.SwitchThreshold is null && options.Estimators.Contains(OpeEstimator.SwitchDoublyRobust);
        bool tuneLambda = options.ShrinkageLambda is null && options.Estimators.Contains(OpeEstimator.DoublyRobustShrinkage);
        double[] taus = [.. Enumerable.Repeat(options.SwitchThreshold ?? double.PositiveInfinity, p)];
        double[] lambdas = [.. Enumerable.Repeat(options.ShrinkageLambda ?? double.PositiveInfinity, p)];
        if (!tuneTau && !tuneLambda) return (taus, lambdas);
        double[] grid = TuningGrid;
        int g = grid.Length;
        // Per target, per family (0: switch, 1: shrinkage), per candidate: Σv, Σv², Σ(w − ŵ)(r − q̂).
        var sums = new double[p * 2 * g * 3];
        double[] q = [], pi = [];
        long n = 0, lines = 0;
        double clip = options.Clip;
        foreach (LoggedDecision line in source.Read())
        {
            if ((++lines & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (q.Length == 0)
            {
                q = new double[line.ArmCount];
                pi = new double[line.ArmCount];
            }
            if (!line.HasPropensity) continue;
            n++;
            model.Predict(line, q);
            for (int k = 0; k < p; k++)
            {
                targets[k].Probabilities(line, pi);
                if (double.IsNaN(pi[0])) continue;
                double dm = TensorPrimitives.Dot<double>(pi, q);
                double w = pi[line.Arm] / line.Propensity;
                double wc = Math.Min(w, clip);
                double residual = line.Reward - q[line.Arm];
                for (int family = 0; family < 2; family++)
                {
                    Span<double> at = sums.AsSpan((k * 2 + family) * g * 3, g * 3);
                    for (int c = 0; c < g; c++)
                    {
                        double shrunk = family == 0 ? (w <= grid[c] ? wc : 0) : Shrunk(wc, grid[c]);
                        double v = dm + shrunk * residual;
                        at[3 * c] += v;
                        at[3 * c + 1] += v * v;
                        at[3 * c + 2] += (wc - shrunk) * residual;
                    }
                }
            }
        }
        if (n == 0) return (taus, lambdas);
        for (int k = 0; k < p; k++)
        {
            if (tuneTau) taus[k] = grid[LeastMse(sums.AsSpan(k * 2 * g * 3, g * 3), n)];
            if (tuneLambda) lambdas[k] = grid[LeastMse(sums.AsSpan((k * 2 + 1) * g * 3, g * 3), n)];
        }
        return (taus, lambdas);
    }

    /// <summary>The candidate with the least estimated MSE B̂² + V̂/n from its (Σv, Σv², Σ bias terms); the last of equals.</summary>
    internal static int LeastMse(ReadOnlySpan<double> sums, long n)
    {
        int best = 0;
        double bestMse = double.PositiveInfinity;
        for (int c = 0; c < sums.Length / 3; c++)
        {
            double mean = sums[3 * c] / n;
            double variance = Math.Max(sums[3 * c + 1] / n - mean * mean, 0);
            double bias = sums[3 * c + 2] / n;
            double mse = bias * bias + variance / n;
            if (mse <= bestMse)
            {
                bestMse = mse;
                best = c;
            }
        }
        return best;
    }

    // DM, DR, switch-DR and DR-OS of one line from the reward model's q̂ (slots 0-1 and 6-11); the DR family only where
    // the propensity is stated (zeros elsewhere, so those lines count in neither numerator nor denominator).
    private static void ModelSlots(ReadOnlySpan<double> pi, ReadOnlySpan<double> q, LoggedDecision line, double clip, double tau, double lambda, Span<double> c)
    {
        double dm = TensorPrimitives.Dot(pi, q);
        c[0] = dm; // direct method, over every line
        c[1] = 1;
        if (!line.HasPropensity)
        {
            c[6..12].Clear();
            return;
        }
        double w = pi[line.Arm] / line.Propensity;
        double wc = Math.Min(w, clip);
        double residual = line.Reward - q[line.Arm];
        c[6] = dm + wc * residual; // DR (Dudík et al. 2011)
        c[7] = 1;
        c[8] = dm + (w <= tau ? wc * residual : 0); // switch-DR (Wang et al. 2017, eq. 8)
        c[9] = 1;
        c[10] = dm + Shrunk(wc, lambda) * residual; // DR-OS
        c[11] = 1;
    }

    // Su et al. 2020, optimistic shrinkage: w → λw/(w² + λ); λ = +∞ keeps w (DR), λ = 0 gives 0 (DM).
    private static double Shrunk(double wc, double lambda) => double.IsPositiveInfinity(lambda) ? wc : wc == 0 ? 0 : lambda * wc / (wc * wc + lambda);

    /// <summary>What a block's refitted replicas need: the lines, the targets' probabilities on them (line-major, then
    /// target, then arm), and the estimators' settings; <see cref="Replicas"/> null when the model is fixed.</summary>
    private readonly record struct Refits(CrossFittedRidge[]? Replicas, LoggedDecision[] Lines, double[] Pi, int Targets, int Arms, double Clip, double[] Taus, double[] Lambdas);

    // Add a block of lines' contributions to every replicate, each line counted Poisson(1) times; replicates are
    // independent (own stream, own accumulator), so they run in parallel with the same result. The block is
    // slot-major, so a replicate's sum over the block is one dot product per slot. With refits, replicate i also
    // recomputes DM, switch-DR and DR-OS on each line it draws with its own refitted model (same counts).
    private static void Resample(double[] block, int lines, int[] slots, Xoshiro256[] streams, double[] boot, int j, Refits refits)
    {
        const int chunk = 25;
        int chunks = (streams.Length + chunk - 1) / chunk;
        Parallel.For(0, chunks, () => new double[BootstrapBlock + Slots + Math.Max(refits.Arms, 0)], (c, _, scratch) =>
        {
            Span<double> k = scratch.AsSpan(0, lines);
            Span<double> slotValues = scratch.AsSpan(BootstrapBlock, Slots);
            Span<double> q = scratch.AsSpan(BootstrapBlock + Slots, Math.Max(refits.Arms, 0));
            for (int i = c * chunk, stop = Math.Min(streams.Length, i + chunk); i < stop; i++)
            {
                PoissonCounts(streams[i], k);
                foreach (int s in slots)
                    boot[i * j + s] += TensorPrimitives.Dot<double>(k, block.AsSpan(s * BootstrapBlock, lines));
                if (refits.Replicas is not { } replicas) continue;
                for (int l = 0; l < lines; l++)
                {
                    if (k[l] == 0) continue;
                    LoggedDecision line = refits.Lines[l];
                    replicas[i].Predict(line, q);
                    for (int t = 0; t < refits.Targets; t++)
                    {
                        ReadOnlySpan<double> pi = refits.Pi.AsSpan((l * refits.Targets + t) * refits.Arms, refits.Arms);
                        if (double.IsNaN(pi[0])) continue; // the target stated no probability on this line
                        ModelSlots(pi, q, line, refits.Clip, refits.Taus[t], refits.Lambdas[t], slotValues);
                        int at = i * j + t * Slots;
                        boot[at] += k[l] * slotValues[0];
                        boot[at + 1] += k[l] * slotValues[1];
                        for (int s = 8; s < 12; s++) boot[at + s] += k[l] * slotValues[s];
                    }
                }
            }
            return scratch;
        }, _ => { });
    }

    // Poisson(1) counts make each replicate a resample of the log without holding it (the "Poisson bootstrap",
    // Hanley and MacGibbon 2006; Chamandy et al. 2012): each line enters replicate b with an independent count.
    // Inversion of 32-bit uniforms (two per 64-bit draw) through a 16-bit lookup table: the probabilities are
    // Poisson(1)'s to within 2⁻³² each.
    internal static void PoissonCounts(Xoshiro256 random, Span<double> destination)
    {
        for (int i = 0; i < destination.Length; i += 2)
        {
            ulong bits = random.NextUInt64();
            destination[i] = PoissonCount((uint)bits);
            if (i + 1 < destination.Length) destination[i + 1] = PoissonCount((uint)(bits >> 32));
        }
    }

    private static int PoissonCount(uint u)
    {
        byte k = PoissonTable[u >> 16];
        if (k != byte.MaxValue) return k;
        int count = 0;
        while (count < PoissonThresholds.Length && u >= PoissonThresholds[count]) count++;
        return count;
    }

    // T_k = round(2³² P(X ≤ k)), X ~ Poisson(1): the count of u is the number of thresholds at or below u.
    private static uint[] BuildPoissonThresholds()
    {
        var thresholds = new List<uint>();
        double term = Math.Exp(-1), sum = 0;
        for (int k = 0; k < MaxPoisson; k++)
        {
            sum += term;
            term /= k + 1;
            double t = Math.Round(sum * 4294967296.0);
            if (t >= uint.MaxValue) break;
            thresholds.Add((uint)t);
        }
        return [.. thresholds];
    }

    // The count of every u whose top 16 bits are h, or 255 when a threshold falls inside that bucket.
    private static byte[] BuildPoissonTable()
    {
        var table = new byte[1 << 16];
        for (int h = 0; h < table.Length; h++)
        {
            uint low = (uint)h << 16, high = low | 0xFFFF;
            int a = 0, z = 0;
            while (a < PoissonThresholds.Length && low >= PoissonThresholds[a]) a++;
            while (z < PoissonThresholds.Length && high >= PoissonThresholds[z]) z++;
            table[h] = a == z ? (byte)a : byte.MaxValue;
        }
        return table;
    }

    private sealed class PolicyTally
    {
        public double SumWeight, SumWeightSquared, SumRawWeight, MaxWeight, UnsupportedMass, TruthSum, DrawVariance, TargetDrawVariance;
        public long Clipped, Switched, ReplayMatches, TruthLines, Unstated;
        public bool Deterministic = true;
    }
}
