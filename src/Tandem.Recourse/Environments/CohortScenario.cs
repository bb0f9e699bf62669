using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using Tandem.Core.Numerics;
using Tandem.Core.Randomness;
using Tandem.Core.Running;
using Tandem.Recourse.Advisors;
using Tandem.Recourse.Geometry;
using Tandem.Recourse.Model;

namespace Tandem.Recourse.Environments;

/// <summary>How a cohort (a table of patients) becomes a LIBRA environment (seed 000 Appendix D): which column is the
/// treatment, which the outcome, which features are mutable, their bounds, the link of the per-treatment outcome
/// model, and the outcome noise each run adds before fitting. Pure data.</summary>
public sealed record CohortOptions
{
    /// <summary>The treatment column; its distinct values are the arms (sorted numerically if all are numbers,
    /// else ordinally).</summary>
    public string Treatment { get; init; } = "";

    /// <summary>The outcome column (numeric; 0/1 for the logistic link).</summary>
    public string Outcome { get; init; } = "";

    /// <summary>The mutable features (at least one); every other column except treatment and outcome is an
    /// immutable feature.</summary>
    public IReadOnlyList<string> Mutable { get; init; } = [];

    /// <summary>Bounds on mutable features in the file's units (e.g. alcohol 0.2..1.0), so recommended values stay on
    /// the coded scale. Lower ≤ Upper.</summary>
    public IReadOnlyDictionary<string, CohortBounds> Bounds { get; init; } = new Dictionary<string, CohortBounds>();

    /// <summary>The per-treatment outcome model: identity (linear regression, Appendix D) or logistic.</summary>
    public GlmLink Link { get; init; } = GlmLink.Identity;

    /// <summary>τ ≥ 0: each run draws outcome + N(0, τ²) per row and refits (Appendix D draws N(·, 1)); 0 = fit the
    /// column once. Identity link only.</summary>
    public double OutcomeNoise { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Treatment)) throw new ArgumentException("A cohort needs a treatment column.", nameof(Treatment));
        if (string.IsNullOrWhiteSpace(Outcome)) throw new ArgumentException("A cohort needs an outcome column.", nameof(Outcome));
        ArgumentNullException.ThrowIfNull(Mutable, nameof(Mutable));
        ArgumentNullException.ThrowIfNull(Bounds, nameof(Bounds));
        if (Mutable.Count == 0) throw new ArgumentException("A cohort needs at least one mutable column.", nameof(Mutable));
        if (Mutable.Contains(Treatment, StringComparer.Ordinal) || Mutable.Contains(Outcome, StringComparer.Ordinal))
            throw new ArgumentException("The treatment and outcome columns cannot be mutable features.", nameof(Mutable));
        if (Treatment == Outcome) throw new ArgumentException("The treatment and outcome columns must differ.", nameof(Outcome));
        foreach (var (name, bounds) in Bounds)
        {
            ArgumentNullException.ThrowIfNull(bounds, nameof(Bounds));
            (double lo, double hi) = (bounds.Lower, bounds.Upper);
            if (!Mutable.Contains(name, StringComparer.Ordinal)) throw new ArgumentException($"Bounds on '{name}', which is not a mutable column.", nameof(Bounds));
            if (double.IsNaN(lo) || double.IsNaN(hi) || lo > hi) throw new ArgumentException($"Bounds on '{name}' need lower ≤ upper.", nameof(Bounds));
        }
        if (Link is not (GlmLink.Identity or GlmLink.Logistic)) throw new ArgumentException("The link must be identity or logistic.", nameof(Link));
        if (!double.IsFinite(OutcomeNoise) || OutcomeNoise < 0) throw new ArgumentOutOfRangeException(nameof(OutcomeNoise), OutcomeNoise, "The outcome noise must be finite and ≥ 0.");
        if (OutcomeNoise > 0 && Link != GlmLink.Identity) throw new ArgumentException("Outcome noise applies to the identity link only.", nameof(OutcomeNoise));
    }
}

/// <summary>Bounds of a mutable cohort column, in the file's units.</summary>
/// <param name="Lower">Smallest allowed recommended value.</param>
/// <param name="Upper">Largest allowed recommended value.</param>
public sealed record CohortBounds(double Lower, double Upper);

/// <summary>A cohort in memory: raw feature values, each row's arm, and its outcome.</summary>
/// <param name="Source">Where it came from (file path), for messages.</param>
/// <param name="FeatureNames">Feature columns, in order.</param>
/// <param name="Rows">Raw feature values per row.</param>
/// <param name="ArmNames">Treatment levels, in arm order.</param>
/// <param name="Arms">Each row's arm index.</param>
/// <param name="Outcomes">Each row's outcome.</param>
public sealed record CohortData(string Source, IReadOnlyList<string> FeatureNames, double[][] Rows, IReadOnlyList<string> ArmNames, int[] Arms, double[] Outcomes)
{
    /// <summary>Arms from treatment labels: the distinct labels sorted numerically when all parse as numbers, else
    /// ordinally. Throws <see cref="FormatException"/> when there is only one level.</summary>
    public static (IReadOnlyList<string> Names, int[] Arms) Levels(string source, string column, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        string[] distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        bool numeric = distinct.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        string[] sorted = numeric
            ? distinct.OrderBy(l => double.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray()
            : distinct.OrderBy(l => l, StringComparer.Ordinal).ToArray();
        if (sorted.Length < 2)
            throw new FormatException($"{source}: treatment column '{column}' has one level ('{(sorted.Length == 1 ? sorted[0] : "")}'); a study needs at least two.");
        var index = sorted.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        return (sorted, labels.Select(l => index[l]).ToArray());
    }
}

/// <summary>One per-treatment outcome fit: coefficients (intercept first, standardised features) with their
/// standard errors, and the pooled residual sd.</summary>
/// <param name="Theta">θ̂_a per arm.</param>
/// <param name="StandardErrors">Standard error of every coefficient per arm (OLS: s_a√((XᵀX)⁻¹)_jj; logistic:
/// √((XᵀWX)⁻¹)_jj).</param>
/// <param name="ResidualSd">Pooled residual sd over arms (identity link); NaN for logistic.</param>
public sealed record CohortFit(double[][] Theta, double[][] StandardErrors, double ResidualSd);

/// <summary>
/// A semi-synthetic LIBRA environment built from a cohort as seed 000 Appendix D does: features are
/// standardised over the cohort (mean and sample sd, n − 1); a model of the outcome is fitted separately for each
/// treatment on that treatment's rows (linear regression with intercept; logistic regression by IRLS for 0/1
/// outcomes); those fits are the ground truth; patients are bootstrapped from the standardised rows; rewards are the
/// fit plus Gaussian noise with the pooled residual sd (identity) or Bernoulli (logistic). With outcome noise τ > 0
/// each run draws outcome + N(0, τ²) and refits, as Appendix D simulates its outcomes.
/// </summary>
public sealed class CohortScenario : IRecourseScenario
{
    private readonly CohortData _data;
    private readonly CohortOptions _options;
    private readonly double[] _mean;
    private readonly double[] _sd;
    private readonly double[][] _standardised;
    private readonly string[] _descriptions;
    private readonly CohortFit _columnFit;

    /// <summary>Build the environment. Throws <see cref="FormatException"/> naming the source when the data cannot
    /// support it (a constant feature, too few rows per treatment, collinear features, non-0/1 outcomes for the
    /// logistic link) and <see cref="ArgumentException"/> for bad options.</summary>
    /// <param name="name">Environment name ("fertility", "csv").</param>
    /// <param name="data">The cohort.</param>
    /// <param name="options">Columns, bounds, link, outcome noise.</param>
    /// <param name="descriptions">Optional description per feature (what its coding means); null: generated.</param>
    /// <param name="advisor">Default advisor spec.</param>
    /// <param name="rewardLabel">What the reward means.</param>
    /// <param name="rho">Default ρ in units of σ: 1, the conventional LinUCB α, unless a scan of this cohort showed GLRB
    /// needs more (docs/confidence-radius.md; fertility: 2).</param>
    public CohortScenario(string name, CohortData data, CohortOptions options, IReadOnlyList<string>? descriptions = null, string advisor = "simulated:q=0.4", string? rewardLabel = null, double rho = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = name;
        _data = data;
        _options = options;
        int p = data.FeatureNames.Count;
        foreach (string m in options.Mutable)
            if (!data.FeatureNames.Contains(m, StringComparer.Ordinal)) throw new FormatException($"{data.Source}: mutable column '{m}' not found.");
        _mean = new double[p];
        _sd = new double[p];
        int n = data.Rows.Length;
        for (int j = 0; j < p; j++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += data.Rows[i][j];
            mean /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (data.Rows[i][j] - mean) * (data.Rows[i][j] - mean);
            double sd = n > 1 ? Math.Sqrt(ss / (n - 1)) : 0;
            if (!(sd > 0)) throw new FormatException($"{data.Source}: column '{data.FeatureNames[j]}' is constant; it cannot be standardised.");
            _mean[j] = mean;
            _sd[j] = sd;
        }
        _standardised = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var row = new double[p + 1];
            row[0] = 1;
            for (int j = 0; j < p; j++) row[j + 1] = (data.Rows[i][j] - _mean[j]) / _sd[j];
            _standardised[i] = row;
        }
        for (int a = 0; a < data.ArmNames.Count; a++)
        {
            int count = data.Arms.Count(x => x == a);
            if (count < p + 3)
                throw new FormatException($"{data.Source}: treatment '{data.ArmNames[a]}' has {count} rows; fitting {p + 1} coefficients needs at least {p + 3}.");
        }
        if (options.Link == GlmLink.Logistic && data.Outcomes.Any(y => y is not (0 or 1)))
            throw new FormatException($"{data.Source}: outcome column '{options.Outcome}' must be 0 or 1 for the logistic link.");
        _descriptions = Enumerable.Range(0, p).Select(j =>
            (descriptions is not null ? descriptions[j] + "; " : $"column '{data.FeatureNames[j]}' of the cohort; ")
            + string.Create(CultureInfo.InvariantCulture, $"standardised: (value − {_mean[j]:G4}) / {_sd[j]:G4}")).ToArray();
        _columnFit = Fit(data.Outcomes);
        double sigma = options.Link == GlmLink.Logistic ? 0.5 : Math.Sqrt(_columnFit.ResidualSd * _columnFit.ResidualSd + options.OutcomeNoise * options.OutcomeNoise);
        if (!(rho > 0) || !double.IsFinite(rho)) throw new ArgumentOutOfRangeException(nameof(rho), rho, "ρ must be finite and > 0.");
        Defaults = new ScenarioDefaults(Horizon: 500, Runs: 10, Gamma: 1, Delta: 1, Advisor: advisor, Rho: rho, Lambda: 1, NoiseScale: sigma);
        RewardLabel = rewardLabel ?? $"outcome '{options.Outcome}' (fitted per treatment)";
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Defaults: T = 500, R = 10, γ = 1 (one standard deviation of the mutable features in total), Δ = 1σ,
    /// ρ as given (1σ unless a scan says otherwise; docs/confidence-radius.md), λ = 1, and σ = √(s² + τ²) with s the pooled residual sd of the fit of the
    /// outcome column as given and τ the outcome noise: the noise the simulator adds, known from the data before any
    /// bandit runs (0.5 for the logistic link, the sub-Gaussian scale of a 0/1 reward). See docs/libra-cohort.md.</summary>
    public ScenarioDefaults Defaults { get; }

    /// <inheritdoc />
    public string RewardLabel { get; }

    /// <summary>The cohort.</summary>
    public CohortData Data => _data;

    /// <summary>The options it was built with.</summary>
    public CohortOptions Options => _options;

    /// <summary>Mean of each feature over the cohort (the standardisation's centre).</summary>
    public IReadOnlyList<double> FeatureMeans => _mean;

    /// <summary>Sample sd of each feature over the cohort (the standardisation's scale).</summary>
    public IReadOnlyList<double> FeatureSds => _sd;

    /// <summary>The standardised rows, intercept first (what the bandits see).</summary>
    public IReadOnlyList<double[]> StandardisedRows => _standardised;

    /// <summary>The fit of the outcome column as given (no simulated noise).</summary>
    public CohortFit ColumnFit => _columnFit;

    /// <inheritdoc />
    public RecourseProblem CreateProblem(RecourseNorm norm, double gamma)
    {
        var features = new List<Feature> { new("Intercept", "constant 1", Mutable: false, Constant: true) };
        for (int j = 0; j < _data.FeatureNames.Count; j++)
        {
            string f = _data.FeatureNames[j];
            bool mutable = _options.Mutable.Contains(f, StringComparer.Ordinal);
            FeatureBounds? bounds = _options.Bounds.TryGetValue(f, out var b) ? new FeatureBounds((b.Lower - _mean[j]) / _sd[j], (b.Upper - _mean[j]) / _sd[j]) : null;
            features.Add(new Feature(f, _descriptions[j], mutable, bounds));
        }
        return new RecourseProblem(Name, features, _data.ArmNames.Select(a => new Treatment(a, $"{_options.Treatment} = {a}")).ToArray(), norm, gamma, _options.Link,
            goal: "maximize " + RewardLabel);
    }

    /// <summary>Fit the per-treatment outcome model to <paramref name="outcomes"/> (one per row).</summary>
    public CohortFit Fit(IReadOnlyList<double> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        int arms = _data.ArmNames.Count, d = _data.FeatureNames.Count + 1;
        var theta = new double[arms][];
        var se = new double[arms][];
        double sse = 0;
        int dof = 0;
        for (int a = 0; a < arms; a++)
        {
            int[] rows = Enumerable.Range(0, _standardised.Length).Where(i => _data.Arms[i] == a).ToArray();
            if (_options.Link == GlmLink.Logistic)
            {
                (theta[a], se[a]) = FitLogistic(rows, outcomes, a);
                continue;
            }
            // Ordinary least squares by the normal equations (XᵀX is d × d; standardised columns keep it well conditioned).
            (Matrix<double> xtx, Vector<double> xty) = Gram(rows, outcomes);
            var cholesky = Factor(xtx, a);
            Vector<double> beta = cholesky.Solve(xty);
            double armSse = 0;
            foreach (int i in rows)
            {
                double r = outcomes[i] - Dot(beta, _standardised[i]);
                armSse += r * r;
            }
            Matrix<double> inverse = cholesky.Solve(Matrix<double>.Build.DenseIdentity(d));
            double s2 = armSse / (rows.Length - d);
            theta[a] = beta.ToArray();
            se[a] = Enumerable.Range(0, d).Select(j => Math.Sqrt(s2 * inverse[j, j])).ToArray();
            sse += armSse;
            dof += rows.Length - d;
        }
        return new CohortFit(theta, se, _options.Link == GlmLink.Logistic ? double.NaN : Math.Sqrt(sse / dof));
    }

    private (double[] Theta, double[] Se) FitLogistic(int[] rows, IReadOnlyList<double> outcomes, int arm)
    {
        // Iteratively reweighted least squares (Newton's method on the log-likelihood), from θ = 0.
        int d = _data.FeatureNames.Count + 1;
        var beta = Vector<double>.Build.Dense(d);
        MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double>? factor = null;
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var hessian = Matrix<double>.Build.Dense(d, d);
            var gradient = Vector<double>.Build.Dense(d);
            foreach (int i in rows)
            {
                double[] x = _standardised[i];
                double mu = Links.Mean(GlmLink.Logistic, Dot(beta, x));
                double w = Math.Max(mu * (1 - mu), 1e-12);
                for (int j = 0; j < d; j++)
                {
                    gradient[j] += (outcomes[i] - mu) * x[j];
                    for (int k = 0; k <= j; k++) hessian[j, k] += w * x[j] * x[k];
                }
            }
            for (int j = 0; j < d; j++) for (int k = 0; k < j; k++) hessian[k, j] = hessian[j, k];
            factor = Factor(hessian, arm);
            Vector<double> step = factor.Solve(gradient);
            beta += step;
            if (step.AbsoluteMaximum() < 1e-10) break;
            if (beta.AbsoluteMaximum() > 30)
                throw new FormatException($"{_data.Source}: the logistic fit for treatment '{_data.ArmNames[arm]}' diverges (the outcome is separated by the features).");
        }
        Matrix<double> inverse = factor!.Solve(Matrix<double>.Build.DenseIdentity(d));
        return (beta.ToArray(), Enumerable.Range(0, d).Select(j => Math.Sqrt(inverse[j, j])).ToArray());
    }

    private (Matrix<double> XtX, Vector<double> XtY) Gram(int[] rows, IReadOnlyList<double> outcomes)
    {
        int d = _data.FeatureNames.Count + 1;
        var xtx = new double[d, d];
        var xty = new double[d];
        foreach (int i in rows)
        {
            double[] x = _standardised[i];
            for (int j = 0; j < d; j++)
            {
                xty[j] += x[j] * outcomes[i];
                for (int k = 0; k <= j; k++) xtx[j, k] += x[j] * x[k];
            }
        }
        for (int j = 0; j < d; j++) for (int k = 0; k < j; k++) xtx[k, j] = xtx[j, k];
        return (Matrix<double>.Build.DenseOfArray(xtx), Vector<double>.Build.DenseOfArray(xty));
    }

    private MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double> Factor(Matrix<double> gram, int arm)
    {
        try
        {
            var cholesky = gram.Cholesky();
            if (cholesky.Determinant is var det && (!(det > 0) || !double.IsFinite(det))) throw new ArgumentException("singular");
            return cholesky;
        }
        catch (ArgumentException)
        {
            throw new FormatException($"{_data.Source}: the features are collinear on the rows of treatment '{_data.ArmNames[arm]}'; drop a redundant column.");
        }
    }

    private static double Dot(Vector<double> beta, double[] x)
    {
        double z = 0;
        for (int j = 0; j < x.Length; j++) z += beta[j] * x[j];
        return z;
    }

    /// <summary>The fit of one run: the outcome column refitted with the run's outcome noise, or the column fit.</summary>
    public CohortFit FitForRun(RunContext run)
    {
        if (_options.OutcomeNoise == 0) return _columnFit;
        Random random = run.CreateRandom("cohort-outcomes");
        double tau = _options.OutcomeNoise;
        return Fit(_data.Outcomes.Select(y => y + tau * random.NextGaussian()).ToArray());
    }

    /// <inheritdoc />
    public RecourseWorld CreateWorld(RecourseProblem problem, RunContext run)
    {
        ArgumentNullException.ThrowIfNull(problem);
        CohortFit fit = FitForRun(run);
        return new RecourseWorld(new RecourseTruth(problem, fit.Theta), new CohortSampler(_standardised), _options.Link == GlmLink.Logistic ? 0 : fit.ResidualSd);
    }

    /// <inheritdoc />
    public IRecourseAdvisor? CreateClinician(RecourseProblem problem) => null;
}
