using Tandem.Gambit.Model;

namespace Tandem.Gambit.Bank;

/// <summary>
/// The authors' calibration quantities of a response bank (seed 002 App. E.1; their code,
/// <c>scripts/gen_variance_exp_cfg.py</c> of mb208/GAMBITTS): the smallest noise sd σ₀ of the variance grid is the
/// summed variance of the outcome's style scores over the whole response database,
/// σ₀ = mean over responses of Σ_j (z_j − z̄_j)² with z̄ the database mean (population variance, every response of
/// every prompt and context counted once), and the grid runs linearly from σ₀ to the outcome model's training RMSE.
/// </summary>
public static class BankCalibration
{
    /// <summary>The authors' σ₀ for the 3-D outcome (optimism, formality, severity): 0.7097845902500587
    /// (<c>configs/environment/ihs_linear_outcome_3comps_sd_0.yaml</c>), printed 0.7098 in App. E.1.</summary>
    public const double AuthorsThreeD = 0.7097845902500587;

    /// <summary>The authors' σ₀ for the 1-D outcome (optimism alone): 0.3757056955243268
    /// (<c>configs/environment/ihs_linear_outcome_base_sd_0.yaml</c>).</summary>
    public const double AuthorsOneD = 0.3757056955243268;

    /// <summary>The top of the 3-D noise grid, the outcome model's training RMSE on the Intern Health Study as the authors'
    /// grid ends (App. E.1: 24.5712).</summary>
    public const double ThreeDGridTop = 24.5712;

    /// <summary>Pearson correlation of two dimensions over every response of the bank, pooled over prompts and contexts,
    /// as seed 002 App. F Table 1 reports its correlations ("in response_db"). Two-pass (means first) for accuracy.</summary>
    /// <exception cref="ArgumentException">A dimension is not in the bank.</exception>
    public static double PooledCorrelation(ResponseBank bank, string first, string second)
    {
        ArgumentNullException.ThrowIfNull(bank);
        int a = bank.DimensionIndex(first ?? throw new ArgumentNullException(nameof(first)));
        int b = bank.DimensionIndex(second ?? throw new ArgumentNullException(nameof(second)));
        if (a < 0) throw new ArgumentException($"The bank has no dimension '{first}'.", nameof(first));
        if (b < 0) throw new ArgumentException($"The bank has no dimension '{second}'.", nameof(second));
        int d = bank.DimensionCount;
        double sa = 0, sb = 0;
        long n = 0;
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
            {
                ReadOnlySpan<double> cell = bank.Cell(p, bank.Contexts[c], out int r);
                for (int i = 0; i < r; i++) { sa += cell[i * d + a]; sb += cell[i * d + b]; }
                n += r;
            }
        double ma = sa / n, mb = sb / n, cab = 0, caa = 0, cbb = 0;
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < bank.Contexts.Count; c++)
            {
                ReadOnlySpan<double> cell = bank.Cell(p, bank.Contexts[c], out int r);
                for (int i = 0; i < r; i++)
                {
                    double x = cell[i * d + a] - ma, y = cell[i * d + b] - mb;
                    cab += x * y; caa += x * x; cbb += y * y;
                }
            }
        return cab / Math.Sqrt(caa * cbb);
    }

    /// <summary>Summed variance of <paramref name="dimensions"/> over every response of the bank, the authors' way
    /// (population variance: divided by the number of responses).</summary>
    /// <exception cref="ArgumentException">A dimension is not in the bank, or none is given.</exception>
    public static double SummedVariance(ResponseBank bank, IReadOnlyList<string> dimensions)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Count == 0) throw new ArgumentException("At least one dimension is needed.", nameof(dimensions));
        var idx = new int[dimensions.Count];
        for (int j = 0; j < idx.Length; j++)
        {
            idx[j] = bank.DimensionIndex(dimensions[j]);
            if (idx[j] < 0)
                throw new ArgumentException($"The bank has {bank.DimensionCount} style dimension(s) ({string.Join(", ", bank.Dimensions)}); the outcome model needs '{dimensions[j]}' (all of: {string.Join(", ", dimensions)}).", nameof(dimensions));
        }
        var sum = new double[idx.Length];
        var sumSq = new double[idx.Length];
        long n = 0;
        int d = bank.DimensionCount;
        for (int p = 0; p < bank.PromptCount; p++)
        {
            for (int c = 0; c < bank.Contexts.Count; c++)
            {
                ReadOnlySpan<double> cell = bank.Cell(p, bank.Contexts[c], out int r);
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < idx.Length; j++)
                    {
                        double z = cell[i * d + idx[j]];
                        sum[j] += z;
                        sumSq[j] += z * z;
                    }
                n += r;
            }
        }
        double total = 0;
        for (int j = 0; j < idx.Length; j++)
        {
            double mean = sum[j] / n;
            total += Math.Max(0, sumSq[j] / n - mean * mean);
        }
        return total;
    }

    /// <summary>The authors' noise grid (App. E.1): <paramref name="count"/> values evenly spaced from σ₀ to
    /// <paramref name="top"/>. With σ₀ = 0.7098 and top 24.5712: 0.7098, 6.6751, 12.6405, 18.6058, 24.5712.</summary>
    public static double[] NoiseGrid(double sigma0, double top = ThreeDGridTop, int count = 5)
    {
        if (!(sigma0 > 0) || !double.IsFinite(sigma0)) throw new ArgumentOutOfRangeException(nameof(sigma0), sigma0, "σ₀ must be finite and > 0.");
        if (!(top >= sigma0) || !double.IsFinite(top)) throw new ArgumentOutOfRangeException(nameof(top), top, $"The grid top must be finite and ≥ σ₀ = {sigma0}.");
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "A grid needs at least two values.");
        var grid = new double[count];
        for (int i = 0; i < count; i++) grid[i] = sigma0 + (top - sigma0) * i / (count - 1);
        return grid;
    }
}
