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

        CrossFittedRidge? model = null;
        long n = 0;
        int arms = -1, dimension = 0;
        foreach (LoggedDecision line in source.Read())
        {
            if ((++n & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (model is null) (arms, dimension) = (line.ArmCount, line.Features?.Length ?? 0);
            model ??= new CrossFittedRidge(line.ArmCount, line.RewardFeatures?.Length ?? 0, line.Cell is not null, options.Folds, options.Ridge, Seeds.Derive(options.Seed, "folds"));
            model.Add(line);
        }
        if (model is null) throw new ArgumentException("The decision log has no valid line to evaluate.", nameof(source));
        model.Fit();
        var policies = targets.Select(t => t.Create(arms, dimension, model)).ToList();
        return Evaluate(source, policies, model, options, cancellationToken);
    }

    /// <summary>Evaluate <paramref name="targets"/> on <paramref name="source"/> with a given reward model (e.g. a fixed one in tests).</summary>
    public static OpeSummary Evaluate(IDecisionSource source, IReadOnlyList<ITargetPolicy> targets, IRewardModel model, OpeOptions options, CancellationToken cancellationToken = default)
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
        // Replicate i draws its Poisson counts from its own stream, so the replicates can be accumulated in
        // parallel and the numbers do not depend on the thread count.
        ulong bootstrapSeed = Seeds.Derive(options.Seed, "bootstrap");
        var streams = new Xoshiro256[b];
        for (int i = 0; i < b; i++) streams[i] = new Xoshiro256(Seeds.Derive(bootstrapSeed, i));
        var block = new double[b > 0 ? BootstrapBlock * j : 0]; // slot-major: block[slot * BootstrapBlock + line]
        int[] slots = [.. Enumerable.Range(0, p).SelectMany(k => options.Estimators.SelectMany(e => new[] { k * Slots + 2 * (int)e, k * Slots + 2 * (int)e + 1 }))];
        int inBlock = 0;
        var policy = new PolicyTally[p];
        for (int i = 0; i < p; i++) policy[i] = new PolicyTally();
        double[] q = [], pi = [];
        int arms = -1, dimension = 0;
        bool cells = false, loggingUniform = true;
        long lines = 0, withPropensity = 0, belowFloor = 0, advisorUnstated = 0, estimated = 0, recourseLines = 0;
        int minDraws = 0, maxDraws = 0;
        double lambda = options.ShrinkageLambda, clip = options.Clip, tau = options.SwitchThreshold;

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
                double dm = TensorPrimitives.Dot<double>(pi, q);
                c[0] = dm; // direct method, over every line
                c[1] = 1;
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
                    double residual = r - q[line.Arm];
                    c[2] = wc * r; // IPS
                    c[3] = 1;
                    c[4] = wc * r; // SNIPS
                    c[5] = wc;
                    c[6] = dm + wc * residual; // DR
                    c[7] = 1;
                    c[8] = dm + (w <= tau ? wc * residual : 0); // switch-DR (Wang et al. 2017, eq. 8)
                    c[9] = 1;
                    double shrunk = double.IsPositiveInfinity(lambda) ? wc : wc == 0 ? 0 : lambda * wc / (wc * wc + lambda); // Su et al. 2020, optimistic shrinkage
                    c[10] = dm + shrunk * residual;
                    c[11] = 1;
                    // A Monte Carlo propensity p̂ from M draws has Var p̂ ≈ p(1 − p)/M, so the weight's relative variance
                    // is ≈ (1 − p)/(M p) (delta method): the extra variance of w·r it adds to IPS.
                    if (monteCarlo && line.PropensityDraws > 0)
                        t.DrawVariance += wc * r * wc * r * (1 - mu) / (line.PropensityDraws * mu);
                    t.SumWeight += wc;
                    t.SumWeightSquared += wc * wc;
                    t.SumRawWeight += w;
                    t.MaxWeight = Math.Max(t.MaxWeight, w);
                    if (w > clip) t.Clipped++;
                    if (w > tau) t.Switched++;
                    double unsupportedMass = 0;
                    for (int a = 0; a < arms; a++)
                        if (!(line.Probabilities[a] > 0)) unsupportedMass += pi[a];
                    t.UnsupportedMass += unsupportedMass;
                }
                else
                {
                    c[2..12].Clear();
                }
            }
            TensorPrimitives.Add(totals, contribution, totals);
            if (b > 0)
            {
                foreach (int slot in slots) block[slot * BootstrapBlock + inBlock] = contribution[slot];
                if (++inBlock == BootstrapBlock)
                {
                    Resample(block, inBlock, slots, streams, boot, j);
                    inBlock = 0;
                }
            }
        }
        if (inBlock > 0) Resample(block, inBlock, slots, streams, boot, j);
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

    // Add a block of lines' contributions to every replicate, each line counted Poisson(1) times; replicates are
    // independent (own stream, own accumulator), so they run in parallel with the same result. The block is
    // slot-major, so a replicate's sum over the block is one dot product per slot.
    private static void Resample(double[] block, int lines, int[] slots, Xoshiro256[] streams, double[] boot, int j)
    {
        const int chunk = 25;
        int chunks = (streams.Length + chunk - 1) / chunk;
        Parallel.For(0, chunks, () => new double[BootstrapBlock], (c, _, counts) =>
        {
            Span<double> k = counts.AsSpan(0, lines);
            for (int i = c * chunk, stop = Math.Min(streams.Length, i + chunk); i < stop; i++)
            {
                PoissonCounts(streams[i], k);
                foreach (int s in slots)
                    boot[i * j + s] += TensorPrimitives.Dot<double>(k, block.AsSpan(s * BootstrapBlock, lines));
            }
            return counts;
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
        public double SumWeight, SumWeightSquared, SumRawWeight, MaxWeight, UnsupportedMass, TruthSum, DrawVariance;
        public long Clipped, Switched, ReplayMatches, TruthLines;
        public bool Deterministic = true;
    }
}
