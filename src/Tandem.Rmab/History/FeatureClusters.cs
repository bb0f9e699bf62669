using Tandem.Core.Randomness;

namespace Tandem.Rmab.History;

/// <summary>
/// Groups beneficiaries whose transitions are pooled: by a label column, or by k-means on their features (each
/// feature column standardised to unit variance over beneficiaries, so integer features such as gestational age do
/// not outweigh one-hot ones). k-means runs on the distinct feature vectors weighted by how many beneficiaries share
/// each (one-hot data has few), from a seeded k-means++ start, with Lloyd's iterations until no assignment changes
/// (at most <see cref="MaxIterations"/>).
/// </summary>
public static class FeatureClusters
{
    /// <summary>The most Lloyd iterations.</summary>
    public const int MaxIterations = 200;

    /// <summary>Cluster of each beneficiary by its label (<see cref="BeneficiaryHistory.Cluster"/>), clusters numbered
    /// in order of first appearance; returns the labels.</summary>
    public static (int[] Assignment, string[] Labels) ByLabel(IReadOnlyList<BeneficiaryHistory> people)
    {
        ArgumentNullException.ThrowIfNull(people);
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var assignment = new int[people.Count];
        for (int i = 0; i < people.Count; i++)
        {
            string label = people[i].Cluster ?? throw new ArgumentException($"Beneficiary '{people[i].Id}' has no cluster label.", nameof(people));
            if (!labels.TryGetValue(label, out int c)) labels.Add(label, c = labels.Count);
            assignment[i] = c;
        }
        return (assignment, labels.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray());
    }

    /// <summary>k-means cluster of each beneficiary on the feature indices <paramref name="columns"/>; fewer than
    /// <paramref name="k"/> clusters when there are fewer distinct feature vectors. Clusters are numbered by their
    /// smallest member.</summary>
    /// <param name="people">The beneficiaries.</param>
    /// <param name="columns">Feature indices to cluster on (none: one cluster).</param>
    /// <param name="k">Clusters wanted, ≥ 1.</param>
    /// <param name="seed">Seed of the k-means++ start.</param>
    public static int[] KMeans(IReadOnlyList<BeneficiaryHistory> people, IReadOnlyList<int> columns, int k, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(people);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int n = people.Count, d = columns.Count;
        var assignment = new int[n];
        if (d == 0 || k == 1 || n == 0) return assignment;

        // Standardise each column over beneficiaries (a constant column is left at scale 1).
        var mean = new double[d];
        var scale = new double[d];
        for (int j = 0; j < d; j++)
        {
            double s = 0, ss = 0;
            foreach (BeneficiaryHistory p in people) { double v = p.Features[columns[j]]; s += v; ss += v * v; }
            mean[j] = s / n;
            double variance = Math.Max(0, ss / n - mean[j] * mean[j]);
            scale[j] = variance > 1e-12 ? 1 / Math.Sqrt(variance) : 1;
        }

        // Distinct vectors with weights; beneficiaries point to their vector.
        var distinct = new Dictionary<VectorKey, int>();
        var points = new List<double[]>();
        var weight = new List<double>();
        var pointOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            var v = new double[d];
            for (int j = 0; j < d; j++) v[j] = (people[i].Features[columns[j]] - mean[j]) * scale[j];
            var key = new VectorKey(v);
            if (!distinct.TryGetValue(key, out int at))
            {
                distinct.Add(key, at = points.Count);
                points.Add(v);
                weight.Add(0);
            }
            weight[at]++;
            pointOf[i] = at;
        }
        int m = points.Count;
        int clusters = Math.Min(k, m);
        int[] label = Lloyd(points, weight, clusters, d, seed);

        // Number clusters by their smallest member so the numbering does not depend on the start.
        var renumber = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            int c = label[pointOf[i]];
            if (!renumber.TryGetValue(c, out int r)) renumber.Add(c, r = renumber.Count);
            assignment[i] = r;
        }
        return assignment;
    }

    private static int[] Lloyd(List<double[]> points, List<double> weight, int k, int d, ulong seed)
    {
        int m = points.Count;
        var rng = new Xoshiro256(Seeds.Derive(seed, "kmeans++"));
        var centers = new double[k][];
        var nearest = new double[m];
        Array.Fill(nearest, double.PositiveInfinity);
        int first = Draw(weight, null, rng);
        centers[0] = (double[])points[first].Clone();
        for (int c = 1; c < k; c++)
        {
            for (int i = 0; i < m; i++) nearest[i] = Math.Min(nearest[i], Distance(points[i], centers[c - 1]));
            centers[c] = (double[])points[Draw(weight, nearest, rng)].Clone();
        }
        var label = new int[m];
        Array.Fill(label, -1);
        var sums = new double[k, d];
        var mass = new double[k];
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            bool changed = false;
            for (int i = 0; i < m; i++)
            {
                int best = 0;
                double bestDistance = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    double dist = Distance(points[i], centers[c]);
                    if (dist < bestDistance) { bestDistance = dist; best = c; }
                }
                if (label[i] != best) { label[i] = best; changed = true; }
            }
            if (!changed) break;
            Array.Clear(sums);
            Array.Clear(mass);
            for (int i = 0; i < m; i++)
            {
                mass[label[i]] += weight[i];
                for (int j = 0; j < d; j++) sums[label[i], j] += weight[i] * points[i][j];
            }
            for (int c = 0; c < k; c++)
                if (mass[c] > 0) for (int j = 0; j < d; j++) centers[c][j] = sums[c, j] / mass[c];
        }
        return label;
    }

    // Index drawn with probability ∝ weight × (distance or 1); a zero total (every point is a center) falls back to
    // the first point not yet at distance 0, which cannot happen while k ≤ distinct points.
    private static int Draw(List<double> weight, double[]? distance, Xoshiro256 rng)
    {
        double total = 0;
        for (int i = 0; i < weight.Count; i++) total += weight[i] * (distance?[i] ?? 1);
        double u = rng.NextDouble() * total;
        int last = 0;
        for (int i = 0; i < weight.Count; i++)
        {
            double w = weight[i] * (distance?[i] ?? 1);
            if (w <= 0) continue;
            last = i;
            if ((u -= w) < 0) return i;
        }
        return last;
    }

    private static double Distance(double[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) { double t = a[j] - b[j]; s += t * t; }
        return s;
    }

    private readonly struct VectorKey(double[] values) : IEquatable<VectorKey>
    {
        private readonly double[] _values = values;

        public bool Equals(VectorKey other) => _values.AsSpan().SequenceEqual(other._values);

        public override bool Equals(object? obj) => obj is VectorKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (double v in _values) hash.Add(v);
            return hash.ToHashCode();
        }
    }
}
