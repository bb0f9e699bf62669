using MathNet.Numerics.Distributions;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.History;

/// <summary>How transitions are estimated from history (`tandem rmab estimate`). Immutable; <see cref="Validate"/>
/// names the first bad field.</summary>
public sealed record HistoryEstimateOptions
{
    /// <summary>Largest cluster count of feature clusters allowed.</summary>
    public const int MaxClusters = 1000;

    /// <summary>Largest prior strength allowed (pseudo-transitions).</summary>
    public const double MaxPriorStrength = 1e6;

    /// <summary>Clusters k of the k-means on features. Range 1..<see cref="MaxClusters"/>. Default 10 (not tuned;
    /// docs/rmab-history.md). Ignored when <see cref="ClusterColumn"/> is given.</summary>
    public int Clusters { get; init; } = 10;

    /// <summary>A history column that labels each beneficiary's cluster (instead of k-means), or null.</summary>
    public string? ClusterColumn { get; init; }

    /// <summary>Prior strength κ: the cluster's pooled rate counts as κ pseudo-transitions of each (state, action)
    /// pair. Range (0, <see cref="MaxPriorStrength"/>]. Default 2 (the pseudo-count of the DLM experiment's simulated
    /// estimate, <see cref="Simulation.TransitionEstimator"/>).</summary>
    public double PriorStrength { get; init; } = 2.0;

    /// <summary>Central posterior interval reported. Range (0, 1). Default 0.9.</summary>
    public double Interval { get; init; } = 0.9;

    /// <summary>Seed of the k-means++ start. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> (or its out-of-range kind) naming the first bad field.</summary>
    public void Validate()
    {
        if (Clusters < 1 || Clusters > MaxClusters) throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters, $"The cluster count must lie in [1, {MaxClusters}].");
        if (ClusterColumn is not null && string.IsNullOrWhiteSpace(ClusterColumn)) throw new ArgumentException("The cluster column name is empty.", nameof(ClusterColumn));
        if (!(PriorStrength > 0 && PriorStrength <= MaxPriorStrength))
            throw new ArgumentOutOfRangeException(nameof(PriorStrength), PriorStrength, $"The prior strength must lie in (0, {MaxPriorStrength:0e0}].");
        if (!(Interval > 0 && Interval < 1)) throw new ArgumentOutOfRangeException(nameof(Interval), Interval, "The interval must lie in (0, 1).");
    }
}

/// <summary>One beneficiary's estimated transitions: posterior means (the dynamics a plan uses), central posterior
/// intervals and the counts behind them. Arrays are indexed by pair 2·action + state (<see cref="BeneficiaryHistory.Pair"/>).</summary>
/// <param name="History">The beneficiary's history.</param>
/// <param name="Cluster">Its cluster (index into <see cref="HistoryEstimate.Clusters"/>).</param>
/// <param name="Mean">Posterior means P(engaged next | state, action).</param>
/// <param name="Lower">Lower ends of the central intervals.</param>
/// <param name="Upper">Upper ends of the central intervals.</param>
public sealed record BeneficiaryEstimate(BeneficiaryHistory History, int Cluster, ArmDynamics Mean, double[] Lower, double[] Upper);

/// <summary>A cluster's pooled prior.</summary>
/// <param name="Label">Its label (the column's text, or "k-means i").</param>
/// <param name="Members">Beneficiaries in it.</param>
/// <param name="Visits">Transitions its members made from each pair.</param>
/// <param name="PriorMean">The prior mean of each pair, (engaged + 1) / (visits + 2) over the members.</param>
public sealed record ClusterPrior(string Label, int Members, long[] Visits, double[] PriorMean);

/// <summary>Estimates of every beneficiary and the clusters' priors.</summary>
/// <param name="Options">The settings used.</param>
/// <param name="Method">"column NAME" or "k-means on N feature columns (k = K)" or "one pool (no feature columns)".</param>
/// <param name="Clusters">The clusters' priors.</param>
/// <param name="Beneficiaries">Per-beneficiary estimates, in the history's order.</param>
public sealed record HistoryEstimate(HistoryEstimateOptions Options, string Method, IReadOnlyList<ClusterPrior> Clusters, IReadOnlyList<BeneficiaryEstimate> Beneficiaries);

/// <summary>
/// Pooled Beta–Binomial estimates of each beneficiary's four transition probabilities, as deployed programmes pool
/// sparse histories by feature cluster: each (state, action) pair of a cluster has prior Beta(κ·m, κ·(1−m)), m the
/// cluster's pooled rate with a Laplace correction, κ the prior strength; a beneficiary that moved from the pair v
/// times, e of them to engaged, has posterior Beta(κ·m + e, κ·(1−m) + v − e), whose mean is the estimate and whose
/// central quantiles are the interval. No ordering ("acting never hurts") is imposed: the estimates are the data's.
/// </summary>
public static class HistoryEstimator
{
    /// <summary>Estimate every beneficiary of <paramref name="histories"/>.</summary>
    public static HistoryEstimate Estimate(HistorySet histories, HistoryEstimateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IReadOnlyList<BeneficiaryHistory> people = histories.Beneficiaries;
        int[] assignment;
        string[] labels;
        string method;
        if (options.ClusterColumn is not null)
        {
            (assignment, labels) = FeatureClusters.ByLabel(people);
            method = $"column {options.ClusterColumn}";
        }
        else
        {
            assignment = FeatureClusters.KMeans(people, histories.FeatureColumns, options.Clusters, options.Seed);
            int count = assignment.Length == 0 ? 0 : assignment.Max() + 1;
            labels = Enumerable.Range(0, count).Select(c => $"k-means {c}").ToArray();
            method = histories.FeatureColumns.Count == 0 ? "one pool (no feature columns)" : $"k-means on {histories.FeatureColumns.Count} feature columns (k = {options.Clusters}, {count} found)";
        }
        cancellationToken.ThrowIfCancellationRequested();

        int k = labels.Length;
        var visits = new long[k, BeneficiaryHistory.Pairs];
        var engaged = new long[k, BeneficiaryHistory.Pairs];
        var members = new int[k];
        for (int i = 0; i < people.Count; i++)
        {
            int c = assignment[i];
            members[c]++;
            for (int p = 0; p < BeneficiaryHistory.Pairs; p++) { visits[c, p] += people[i].Visits[p]; engaged[c, p] += people[i].Engaged[p]; }
        }
        var clusters = new ClusterPrior[k];
        for (int c = 0; c < k; c++)
        {
            var v = new long[BeneficiaryHistory.Pairs];
            var m = new double[BeneficiaryHistory.Pairs];
            for (int p = 0; p < BeneficiaryHistory.Pairs; p++) { v[p] = visits[c, p]; m[p] = (engaged[c, p] + 1.0) / (visits[c, p] + 2.0); }
            clusters[c] = new ClusterPrior(labels[c], members[c], v, m);
        }

        // Quantiles depend only on (cluster, pair, visits, engaged): computed once per distinct key.
        var quantiles = new Dictionary<(int, int, int, int), (double, double)>();
        double tail = (1 - options.Interval) / 2, kappa = options.PriorStrength;
        var result = new BeneficiaryEstimate[people.Count];
        for (int i = 0; i < people.Count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            BeneficiaryHistory b = people[i];
            int c = assignment[i];
            var mean = new double[BeneficiaryHistory.Pairs];
            var lower = new double[BeneficiaryHistory.Pairs];
            var upper = new double[BeneficiaryHistory.Pairs];
            for (int p = 0; p < BeneficiaryHistory.Pairs; p++)
            {
                double prior = clusters[c].PriorMean[p];
                double alpha = kappa * prior + b.Engaged[p], beta = kappa * (1 - prior) + b.Visits[p] - b.Engaged[p];
                mean[p] = alpha / (alpha + beta);
                var key = (c, p, b.Visits[p], b.Engaged[p]);
                if (!quantiles.TryGetValue(key, out var q))
                    quantiles.Add(key, q = (Beta.InvCDF(alpha, beta, tail), Beta.InvCDF(alpha, beta, 1 - tail)));
                (lower[p], upper[p]) = q;
            }
            result[i] = new BeneficiaryEstimate(b, c, new ArmDynamics(mean[0], mean[1], mean[2], mean[3]), lower, upper);
        }
        return new HistoryEstimate(options, method, clusters, result);
    }
}
