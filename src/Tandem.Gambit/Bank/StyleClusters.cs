using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Randomness;

namespace Tandem.Gambit.Bank;

/// <summary>
/// How the authors chose the working dimensions of the dimension experiment (seed 002 App. E.4, footnote 12: "we
/// clustered the style dimensions by their correlation in response_db. For each d_z, we used k-means clustering and
/// randomly sampled one dimension from each cluster"). Their notebook (mb208/GAMBITTS,
/// <c>notebooks/Cluster_Style_Dimensions.ipynb</c>; facts only) measures the distance of two dimensions as 1 − r² with r
/// their correlation pooled over the whole response database, places the dimensions in two coordinates by
/// multidimensional scaling of those distances, runs k-means with k = d_z there, and samples one dimension per cluster.
/// </summary>
/// <remarks>Two documented departures: the scaling is classical (Torgerson) MDS, the closed form, where the authors used
/// scikit-learn's iterative SMACOF; k-means is Lloyd's algorithm from seeded k-means++ starts (best of
/// <see cref="Restarts"/>), as scikit-learn's default. Everything is seeded, so the same bank and seed give the same choice.</remarks>
public static class StyleClusters
{
    /// <summary>k-means restarts; the clustering with the smallest within-cluster sum of squares is kept.</summary>
    public const int Restarts = 10;

    /// <summary>The pooled correlation matrix of <paramref name="dimensions"/> over every response of the bank (row-major,
    /// in the given order), as App. F Table 1 reports correlations.</summary>
    /// <exception cref="ArgumentException">A dimension is not in the bank.</exception>
    public static double[] PooledCorrelations(ResponseBank bank, IReadOnlyList<string> dimensions)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(dimensions);
        int m = dimensions.Count;
        var idx = new int[m];
        for (int j = 0; j < m; j++)
        {
            idx[j] = bank.DimensionIndex(dimensions[j]);
            if (idx[j] < 0) throw new ArgumentException($"The bank has no dimension '{dimensions[j]}'.", nameof(dimensions));
        }
        int d = bank.DimensionCount;
        var mean = new double[m];
        long n = 0;
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
            {
                ReadOnlySpan<double> cell = bank.Cell(p, bank.Contexts[c], out int r);
                for (int i = 0; i < r; i++) for (int j = 0; j < m; j++) mean[j] += cell[i * d + idx[j]];
                n += r;
            }
        for (int j = 0; j < m; j++) mean[j] /= n;
        var cov = new double[m * m];
        var x = new double[m];
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
            {
                ReadOnlySpan<double> cell = bank.Cell(p, bank.Contexts[c], out int r);
                for (int i = 0; i < r; i++)
                {
                    for (int j = 0; j < m; j++) x[j] = cell[i * d + idx[j]] - mean[j];
                    for (int a = 0; a < m; a++) for (int b = 0; b <= a; b++) cov[a * m + b] += x[a] * x[b];
                }
            }
        var corr = new double[m * m];
        for (int a = 0; a < m; a++)
            for (int b = 0; b <= a; b++)
                corr[a * m + b] = corr[b * m + a] = a == b ? 1 : cov[a * m + b] / Math.Sqrt(cov[a * m + a] * cov[b * m + b]);
        return corr;
    }

    /// <summary>
    /// Choose <paramref name="count"/> of <paramref name="dimensions"/>: one, sampled uniformly, from each of
    /// <paramref name="count"/> k-means clusters of the dimensions in the classical MDS plane of the distances 1 − r².
    /// Returned in the order of <paramref name="dimensions"/>.
    /// </summary>
    /// <param name="bank">The bank whose pooled correlations define the distances.</param>
    /// <param name="dimensions">The candidates (the seed's 20).</param>
    /// <param name="count">d_z. Range: 1 ≤ d_z ≤ the number of candidates; all candidates when equal.</param>
    /// <param name="seed">Seeds the k-means starts and the sampling within clusters.</param>
    public static IReadOnlyList<string> Select(ResponseBank bank, IReadOnlyList<string> dimensions, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        int m = dimensions.Count;
        if (count < 1 || count > m) throw new ArgumentOutOfRangeException(nameof(count), count, $"d_z must lie in [1, {m}] (the candidate dimensions).");
        if (count == m) return dimensions.ToArray();
        double[] coords = Scale(PooledCorrelations(bank, dimensions), m);
        Random random = Seeds.CreateRandom(Seeds.Derive(seed, $"style-clusters:{count}"));
        int[] labels = KMeans(coords, m, count, random);
        var chosen = new List<int>(count);
        for (int k = 0; k < count; k++)
        {
            int[] members = Enumerable.Range(0, m).Where(i => labels[i] == k).ToArray();
            chosen.Add(members[random.Next(members.Length)]);
        }
        chosen.Sort();
        return chosen.Select(i => dimensions[i]).ToArray();
    }

    /// <summary>Classical MDS of the distances 1 − r² into two coordinates (row-major m × 2): the top two eigenvectors of
    /// B = −½ J D⁽²⁾ J scaled by the square roots of their (non-negative part of the) eigenvalues.</summary>
    internal static double[] Scale(double[] correlation, int m)
    {
        var sq = Matrix<double>.Build.Dense(m, m, (i, j) => { double dist = 1 - correlation[i * m + j] * correlation[i * m + j]; return dist * dist; });
        Matrix<double> centring = Matrix<double>.Build.DenseIdentity(m) - Matrix<double>.Build.Dense(m, m, 1.0 / m);
        Matrix<double> b = -0.5 * centring * sq * centring;
        b = 0.5 * (b + b.Transpose());
        var evd = b.Evd(Symmetricity.Symmetric);
        int[] order = Enumerable.Range(0, m).OrderByDescending(i => evd.EigenValues[i].Real).ThenBy(i => i).ToArray();
        var coords = new double[m * 2];
        for (int axis = 0; axis < 2; axis++)
        {
            int e = order[axis];
            double scale = Math.Sqrt(Math.Max(0, evd.EigenValues[e].Real));
            Vector<double> v = evd.EigenVectors.Column(e);
            // An eigenvector's sign is arbitrary; fix it (largest |component| positive) so the coordinates are reproducible.
            int big = 0;
            for (int i = 1; i < m; i++) if (Math.Abs(v[i]) > Math.Abs(v[big])) big = i;
            double sign = v[big] < 0 ? -1 : 1;
            for (int i = 0; i < m; i++) coords[i * 2 + axis] = sign * scale * v[i];
        }
        return coords;
    }

    /// <summary>Lloyd's k-means in two coordinates from k-means++ starts, best of <see cref="Restarts"/> by the
    /// within-cluster sum of squares; every cluster non-empty.</summary>
    internal static int[] KMeans(double[] points, int n, int k, Random random)
    {
        int[]? best = null;
        double bestInertia = double.PositiveInfinity;
        var centres = new double[k * 2];
        var labels = new int[n];
        var weight = new double[n];
        for (int restart = 0; restart < Restarts; restart++)
        {
            // k-means++: the first centre uniformly, then each with probability ∝ squared distance to the nearest centre.
            var taken = new bool[n];
            int first = random.Next(n);
            taken[first] = true;
            centres[0] = points[first * 2];
            centres[1] = points[first * 2 + 1];
            for (int c = 1; c < k; c++)
            {
                double total = 0;
                for (int i = 0; i < n; i++)
                {
                    weight[i] = taken[i] ? 0 : Nearest(points, i, centres, c).Distance;
                    total += weight[i];
                }
                int pick = -1;
                if (total > 0)
                {
                    double u = random.NextDouble() * total;
                    for (int i = 0; i < n && pick < 0; i++) { u -= weight[i]; if (u <= 0 && !taken[i]) pick = i; }
                }
                if (pick < 0) // coincident points: any point not yet a centre
                {
                    int[] free = Enumerable.Range(0, n).Where(i => !taken[i]).ToArray();
                    pick = free[random.Next(free.Length)];
                }
                taken[pick] = true;
                centres[c * 2] = points[pick * 2];
                centres[c * 2 + 1] = points[pick * 2 + 1];
            }
            for (int iteration = 0; iteration < 300; iteration++)
            {
                bool changed = iteration == 0;
                for (int i = 0; i < n; i++)
                {
                    int label = Nearest(points, i, centres, k).Index;
                    if (label != labels[i] || iteration == 0) { changed |= label != labels[i]; labels[i] = label; }
                }
                if (!changed) break;
                for (int c = 0; c < k; c++)
                {
                    double sx = 0, sy = 0;
                    int count = 0;
                    for (int i = 0; i < n; i++) if (labels[i] == c) { sx += points[i * 2]; sy += points[i * 2 + 1]; count++; }
                    if (count > 0) { centres[c * 2] = sx / count; centres[c * 2 + 1] = sy / count; }
                }
            }
            var sizes = new int[k];
            double inertia = 0;
            for (int i = 0; i < n; i++)
            {
                sizes[labels[i]]++;
                double dx = points[i * 2] - centres[labels[i] * 2], dy = points[i * 2 + 1] - centres[labels[i] * 2 + 1];
                inertia += dx * dx + dy * dy;
            }
            if (sizes.Any(s => s == 0) || !(inertia < bestInertia)) continue;
            bestInertia = inertia;
            best = (int[])labels.Clone();
        }
        return best ?? throw new InvalidOperationException($"k-means found no clustering of {n} points into {k} non-empty clusters.");
    }

    private static (int Index, double Distance) Nearest(double[] points, int i, double[] centres, int count)
    {
        int index = 0;
        double distance = double.PositiveInfinity;
        for (int c = 0; c < count; c++)
        {
            double dx = points[i * 2] - centres[c * 2], dy = points[i * 2 + 1] - centres[c * 2 + 1];
            double s = dx * dx + dy * dy;
            if (s < distance) (index, distance) = (c, s);
        }
        return (index, distance);
    }
}
