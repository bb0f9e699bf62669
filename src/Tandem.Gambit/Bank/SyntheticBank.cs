using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Bank;

/// <summary>Settings of the synthetic response bank. Immutable; <see cref="Validate"/> names the first setting out of range.</summary>
public sealed record SyntheticBankOptions
{
    /// <summary>Seed of the bank (its structure and every response). Default 2025.</summary>
    public ulong Seed { get; init; } = 2025;

    /// <summary>Responses per (prompt, context) cell. Range: ≥ 1. Default 1,000 (as the authors generated, seed 002 App. F).</summary>
    public int ResponsesPerCell { get; init; } = 1000;

    /// <summary>How far a prompt moves its own dimension (and, through the correlations, the others), in
    /// within-cell standard deviations. Range: ≥ 0. Default 1.2 ("mildly" high or low, App. F.1).</summary>
    public double PromptShift { get; init; } = 1.2;

    /// <summary>Sd of a prompt's idiosyncratic shift on every dimension, in within-cell sds. Range: ≥ 0. Default 0.3.</summary>
    public double PromptJitterSd { get; init; } = 0.3;

    /// <summary>Sd of a context's shift on every dimension, in within-cell sds. Range: ≥ 0. Default 0.25.</summary>
    public double ContextShiftSd { get; init; } = 0.25;

    /// <summary>Sd of a (prompt, context) interaction shift, in within-cell sds. Range: ≥ 0. Default 0.1.</summary>
    public double CellShiftSd { get; init; } = 0.1;

    /// <summary>How much a prompt's effect depends on the context: in context x, prompt p shifts the mean by
    /// g(p, x) times its average shift, g(p, x) = 1 + ContextInteractionSd·u(p, x) with u(p, x) standard normal
    /// (docs/gambitts-contexts.md, "Context that matters"). Range: ≥ 0; 0 = every context gets the same prompt effect.
    /// Default 0.5: one sd of the gain is half the prompt's effect (a stated round value, not fitted to any result).</summary>
    public double ContextInteractionSd { get; init; } = 0.5;

    /// <summary>The context space of the bank. Default the paper's (<see cref="ContextSpace.Paper"/>, 12 contexts).</summary>
    public ContextSpace Contexts { get; init; } = ContextSpace.Paper;

    /// <summary>Target summed variance of optimism, formality and severity over the whole bank, measured as
    /// <see cref="BankCalibration.SummedVariance"/> does. Range: &gt; <see cref="OptimismVariance"/>. Default the authors'
    /// 0.7098 (<see cref="BankCalibration.AuthorsThreeD"/>).</summary>
    public double ThreeDSummedVariance { get; init; } = BankCalibration.AuthorsThreeD;

    /// <summary>Target variance of optimism over the whole bank. Range: &gt; 0. Default the authors' 0.3757
    /// (<see cref="BankCalibration.AuthorsOneD"/>).</summary>
    public double OptimismVariance { get; init; } = BankCalibration.AuthorsOneD;

    /// <summary>Whether Table 1's correlations hold pooled over the whole bank, as App. F reports them ("in response_db"):
    /// after generation the five primary dimensions are moved by the smallest linear map that gives their pooled
    /// covariance Table 1's correlations (their pooled variances kept). Default true. false = Table 1 holds within each
    /// cell only (the bank of earlier versions; pooled over cells the strongest pairs are diluted, optimism–encouragement
    /// ≈ −0.82 instead of −0.96).</summary>
    public bool PooledTable1 { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Contexts);
        if (ResponsesPerCell < 1) throw new ArgumentOutOfRangeException(nameof(ResponsesPerCell), ResponsesPerCell, "At least one response per cell is needed.");
        foreach (var (name, v) in new[] { (nameof(PromptShift), PromptShift), (nameof(PromptJitterSd), PromptJitterSd), (nameof(ContextShiftSd), ContextShiftSd), (nameof(CellShiftSd), CellShiftSd), (nameof(ContextInteractionSd), ContextInteractionSd) })
            if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentOutOfRangeException(name, v, "Must be finite and ≥ 0.");
        if (!(OptimismVariance > 0) || !double.IsFinite(OptimismVariance))
            throw new ArgumentOutOfRangeException(nameof(OptimismVariance), OptimismVariance, "Must be finite and > 0.");
        if (!(ThreeDSummedVariance > OptimismVariance) || !double.IsFinite(ThreeDSummedVariance))
            throw new ArgumentOutOfRangeException(nameof(ThreeDSummedVariance), ThreeDSummedVariance, $"Must be finite and > OptimismVariance ({OptimismVariance}): it includes optimism's variance plus formality's and severity's.");
    }
}

/// <summary>
/// A seeded synthetic stand-in for the authors' private response_db (seed 002 App. F): 40 prompts (each of the
/// 20 style dimensions × {high, low}) × the contexts of <see cref="SyntheticBankOptions.Contexts"/> (the paper's 12 by default), each cell a pool of responses scored on 20 dimensions.
/// <para>Within a cell, scores are Gaussian with correlation C. The 5 × 5 block of the primary dimensions is
/// App. F Table 1 (optimism–encouragement −0.96, optimism–severity 0.79, formality–severity −0.57, ...); each
/// of the other 15 dimensions loads on the primary ones and on one of four latent clusters, so C is positive
/// definite. Prompt "dimension k, high/low" shifts the cell mean by ±<see cref="SyntheticBankOptions.PromptShift"/>·C[:, k]
/// (its own dimension most, correlated ones in proportion — "spills into correlated dimensions"), plus small
/// prompt, context and cell shifts, all in within-cell standard deviations. A prompt's whole shift is multiplied in
/// each context by its own gain 1 + <see cref="SyntheticBankOptions.ContextInteractionSd"/>·u, so the best prompt can
/// differ between contexts, as it may in a real response database.</para>
/// <para>Table 1 is reported pooled over the whole database (App. F); with <see cref="SyntheticBankOptions.PooledTable1"/>
/// (default) the primary five are then moved by the smallest linear map that makes their pooled correlations Table 1's.</para>
/// <para>Calibration (docs/gambitts-calibration.md): the scores are then rescaled per dimension, as the authors define
/// σ₀ (<see cref="BankCalibration"/>: summed variance over the whole bank), so that the whole bank's summed variance of
/// optimism, formality and severity is <see cref="SyntheticBankOptions.ThreeDSummedVariance"/> (0.7098) and optimism's
/// alone is <see cref="SyntheticBankOptions.OptimismVariance"/> (0.3757): optimism by its own factor, formality and
/// severity by one common factor (keeping their ratio), every other dimension by the factor that brings the three
/// together to 0.7098 before the split. Correlations are unchanged by this.</para>
/// </summary>
public static class SyntheticBank
{
    /// <summary>Build the bank.</summary>
    public static ResponseBank Create(SyntheticBankOptions? options = null)
    {
        options ??= new SyntheticBankOptions();
        options.Validate();
        IReadOnlyList<string> dims = StyleDimensions.All;
        int d = dims.Count;
        double[] correlation = Correlation(options.Seed);
        var lower = new double[d * d];
        if (!Cholesky.TryFactor(correlation, lower, d)) throw new InvalidOperationException("The style correlation matrix is not positive definite.");

        Random structure = Seeds.CreateRandom(Seeds.Derive(options.Seed, "bank-shifts"));
        int prompts = 2 * d;
        var promptMean = new double[prompts * d];
        for (int p = 0; p < prompts; p++)
        {
            int k = p / 2;
            double sign = p % 2 == 0 ? 1 : -1;
            for (int j = 0; j < d; j++)
                promptMean[p * d + j] = (sign * options.PromptShift * correlation[j * d + k] + options.PromptJitterSd * structure.NextGaussian());
        }
        ContextSpace space = options.Contexts;
        int x = space.Count;
        var contextMean = new double[x * d];
        for (int i = 0; i < contextMean.Length; i++) contextMean[i] = options.ContextShiftSd * structure.NextGaussian();
        // Drawn after the shifts above, so a bank with no interaction has the same prompt and context shifts.
        var gain = new double[prompts * x];
        for (int i = 0; i < gain.Length; i++) gain[i] = 1 + options.ContextInteractionSd * structure.NextGaussian();

        var cells = new double[prompts * x][];
        int n = options.ResponsesPerCell;
        Parallel.For(0, cells.Length, cell =>
        {
            int p = cell / x, c = cell % x;
            Random random = Seeds.CreateRandom(Seeds.Derive(Seeds.Derive(options.Seed, "bank-responses"), cell));
            var mean = new double[d];
            for (int j = 0; j < d; j++) mean[j] = gain[cell] * promptMean[p * d + j] + contextMean[c * d + j] + options.CellShiftSd * random.NextGaussian();
            var scores = new double[n * d];
            Span<double> g = stackalloc double[d];
            for (int r = 0; r < n; r++)
            {
                random.FillGaussian(g);
                Span<double> row = scores.AsSpan(r * d, d);
                for (int i = 0; i < d; i++)
                {
                    double s = 0;
                    for (int j = 0; j <= i; j++) s += lower[i * d + j] * g[j];
                    row[i] = mean[i] + s;
                }
            }
            cells[cell] = scores;
        });
        if (options.PooledTable1) ImposePooledTable1(cells, d);
        Calibrate(cells, d, options);
        string[] names = new string[prompts];
        for (int p = 0; p < prompts; p++) names[p] = dims[p / 2] + (p % 2 == 0 ? ":high" : ":low");
        return new ResponseBank(names, dims, cells, contexts: space);
    }

    /// <summary>
    /// Make the pooled correlations of the five primary dimensions Table 1's: with S their covariance over every
    /// response (pooled over prompts and contexts) and T = D R D (R = Table 1, D = diag(√S_jj): the pooled variances
    /// kept), move every response by z ← z̄ + A(z − z̄) with A = S^{−½}(S^{½} T S^{½})^{½} S^{−½}, the symmetric map that
    /// takes covariance S to A S A = T while moving the scores least (the optimal-transport map between Gaussians of
    /// those covariances). The other fifteen dimensions are untouched; pooled means are kept.
    /// </summary>
    internal static void ImposePooledTable1(double[][] cells, int d)
    {
        const int p = 5; // the primary dimensions are the first five of StyleDimensions.All
        var mean = new double[p];
        long n = 0;
        foreach (double[] cell in cells)
        {
            for (int i = 0; i < cell.Length; i += d) for (int j = 0; j < p; j++) mean[j] += cell[i + j];
            n += cell.Length / d;
        }
        for (int j = 0; j < p; j++) mean[j] /= n;
        var cov = new double[p, p];
        foreach (double[] cell in cells)
            for (int i = 0; i < cell.Length; i += d)
                for (int a = 0; a < p; a++) for (int b = 0; b <= a; b++) cov[a, b] += (cell[i + a] - mean[a]) * (cell[i + b] - mean[b]);
        for (int a = 0; a < p; a++) for (int b = 0; b <= a; b++) cov[b, a] = cov[a, b] /= n;
        var s = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(cov);
        double[] r = Table1Matrix();
        var t = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(p, p, (a, b) => r[a * p + b] * Math.Sqrt(cov[a, a] * cov[b, b]));
        var sHalf = SymmetricPower(s, 0.5);
        var sInvHalf = SymmetricPower(s, -0.5);
        var map = sInvHalf * SymmetricPower(sHalf * t * sHalf, 0.5) * sInvHalf;
        var x = new double[p];
        foreach (double[] cell in cells)
            for (int i = 0; i < cell.Length; i += d)
            {
                for (int j = 0; j < p; j++) x[j] = cell[i + j] - mean[j];
                for (int a = 0; a < p; a++)
                {
                    double v = mean[a];
                    for (int b = 0; b < p; b++) v += map[a, b] * x[b];
                    cell[i + a] = v;
                }
            }
    }

    private static MathNet.Numerics.LinearAlgebra.Matrix<double> SymmetricPower(MathNet.Numerics.LinearAlgebra.Matrix<double> m, double power)
    {
        var sym = 0.5 * (m + m.Transpose());
        var evd = sym.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var values = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfDiagonalArray(evd.EigenValues.Select(e => Math.Pow(Math.Max(e.Real, 0), power)).ToArray());
        return evd.EigenVectors * values * evd.EigenVectors.Transpose();
    }

    /// <summary>Table 1 in <see cref="StyleDimensions.All"/> order (5 × 5 row-major), shrunk towards the identity just enough
    /// to be positive definite should the three-decimal rounding have left it indefinite.</summary>
    internal static double[] Table1Matrix()
    {
        var r = new double[25];
        int[] map = new int[5];
        IReadOnlyList<string> dims = StyleDimensions.All;
        for (int i = 0; i < 5; i++) map[i] = StyleDimensions.Table1Order.ToList().IndexOf(dims[i]);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) r[i * 5 + j] = StyleDimensions.Table1[map[i], map[j]];
        var lower = new double[25];
        for (int step = 0; !Cholesky.TryFactor(r, lower, 5); step++)
        {
            double lambda = 0.005 * (step + 1);
            for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) r[i * 5 + j] = i == j ? 1 : (1 - lambda) * StyleDimensions.Table1[map[i], map[j]];
        }
        return r;
    }

    // Rescale each dimension (see the class remarks): the whole-bank variances, measured the authors' way, become the targets.
    private static void Calibrate(double[][] cells, int d, SyntheticBankOptions options)
    {
        var sum = new double[d];
        var sumSq = new double[d];
        long n = 0;
        foreach (double[] cell in cells)
        {
            for (int i = 0; i < cell.Length; i++)
            {
                sum[i % d] += cell[i];
                sumSq[i % d] += cell[i] * cell[i];
            }
            n += cell.Length / d;
        }
        var variance = new double[d];
        for (int j = 0; j < d; j++) variance[j] = Math.Max(0, sumSq[j] / n - (sum[j] / n) * (sum[j] / n));
        const int optimism = 0, formality = 1, severity = 3; // in StyleDimensions.All
        double three = variance[optimism] + variance[formality] + variance[severity];
        double rest = variance[formality] + variance[severity];
        if (!(variance[optimism] > 0) || !(rest > 0))
            throw new ArgumentException("The synthetic bank needs more than one response to calibrate (optimism, formality and severity have no spread).", nameof(options));
        var factor = new double[d];
        Array.Fill(factor, Math.Sqrt(options.ThreeDSummedVariance / three));
        factor[optimism] = Math.Sqrt(options.OptimismVariance / variance[optimism]);
        factor[formality] = factor[severity] = Math.Sqrt((options.ThreeDSummedVariance - options.OptimismVariance) / rest);
        foreach (double[] cell in cells)
            for (int i = 0; i < cell.Length; i++) cell[i] *= factor[i % d];
    }

    /// <summary>
    /// The 20 × 20 within-cell correlation C, row-major in <see cref="StyleDimensions.All"/> order: Table 1 for the
    /// primary five; each further dimension e_j = a_jᵀp + b·c_{cluster(j)} + s_j ε_j with small seeded loadings a_j
    /// on the primary scores p, b = 0.45 on one of four cluster factors and s_j making its variance 1.
    /// </summary>
    public static double[] Correlation(ulong seed)
    {
        IReadOnlyList<string> dims = StyleDimensions.All;
        int d = dims.Count, extra = d - 5;
        // Table 1 in StyleDimensions.All order.
        var r = new double[25];
        int[] map = new int[5];
        for (int i = 0; i < 5; i++) map[i] = StyleDimensions.Table1Order.ToList().IndexOf(dims[i]);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) r[i * 5 + j] = StyleDimensions.Table1[map[i], map[j]];

        // C = M Mᵀ with M = [[chol(R), 0, 0], [A chol(R), B, S]] over u = (g_p (5), clusters (4), ε (15)).
        var lr = new double[25];
        if (!Cholesky.TryFactor(r, lr, 5))
        {
            // Table 1 is rounded to three decimals; should that leave it indefinite, shrink towards I just enough.
            for (int step = 1; ; step++)
            {
                double lambda = 0.005 * step;
                for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) r[i * 5 + j] = (i == j ? 1 : (1 - lambda) * StyleDimensions.Table1[map[i], map[j]]);
                if (Cholesky.TryFactor(r, lr, 5)) break;
            }
        }
        const int clusters = 4;
        int width = 5 + clusters + extra;
        var m = new double[d * width];
        for (int i = 0; i < 5; i++) for (int j = 0; j <= i; j++) m[i * width + j] = lr[i * 5 + j];
        Random random = Seeds.CreateRandom(Seeds.Derive(seed, "bank-correlation"));
        const double b = 0.45;
        for (int e = 0; e < extra; e++)
        {
            int row = 5 + e;
            var a = new double[5];
            for (int k = 0; k < 5; k++) a[k] = 0.22 * random.NextGaussian();
            double explained = 0;
            for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) explained += a[i] * a[j] * r[i * 5 + j];
            if (explained > 0.5)
            {
                double shrink = Math.Sqrt(0.5 / explained);
                for (int k = 0; k < 5; k++) a[k] *= shrink;
                explained = 0.5;
            }
            // a ᵀ chol(R) gives the loadings on g_p.
            for (int j = 0; j < 5; j++)
            {
                double s = 0;
                for (int k = j; k < 5; k++) s += a[k] * lr[k * 5 + j];
                m[row * width + j] = s;
            }
            m[row * width + 5 + e % clusters] = b;
            m[row * width + 5 + clusters + e] = Math.Sqrt(1 - explained - b * b);
        }
        var c = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int k = 0; k < width; k++) s += m[i * width + k] * m[j * width + k];
                c[i * d + j] = c[j * d + i] = s;
            }
        }
        for (int i = 0; i < d; i++) c[i * d + i] = 1.0; // exact unit diagonal (equal up to rounding)
        return c;
    }
}
