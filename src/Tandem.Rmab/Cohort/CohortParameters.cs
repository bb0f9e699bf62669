using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Cohort;

/// <summary>A logistic model's coefficients: an intercept per use, an individual random-effect sd, and
/// per-feature coefficients keyed by feature index.</summary>
public sealed record LogitModel
{
    /// <summary>Effect only: intercept c of log δ.</summary>
    public double Intercept { get; init; }

    /// <summary>Passive only: intercept of logit P[0, 0, 1].</summary>
    public double Intercept0 { get; init; }

    /// <summary>Passive only: intercept of logit P[1, 0, 1] (at least <see cref="Intercept0"/>, so engaged is sticky).</summary>
    public double Intercept1 { get; init; }

    /// <summary>Effect only: extra logit lift of a call from the not-engaged state (re-engagement), ≥ 0.</summary>
    public double State0Extra { get; init; }

    /// <summary>Sd ≥ 0 of the per-arm normal random effect.</summary>
    public double IndividualSd { get; init; }

    /// <summary>Coefficients by feature index (JSON keys are the indices as strings).</summary>
    public Dictionary<string, double> Coefficients { get; init; } = [];

    /// <summary>Σ_k β_k f_k.</summary>
    public double Linear(double[] features)
    {
        double sum = 0;
        foreach (var (key, beta) in Coefficients) sum += beta * features[int.Parse(key, CultureInfo.InvariantCulture)];
        return sum;
    }
}

/// <summary>
/// The historical study ARMMAN's transition matrices were estimated from (seed 001 App. B: 7,668 mothers over 7 weeks, 20%
/// of them allocated at least one live call; App. C: the simulator uses only the estimated matrix of each beneficiary).
/// The generator simulates that study on its true transitions and ships the estimates, smoothed towards the population
/// frequencies: P̂[s, a, 1] = (k₁ + m·p̄) / (k + m), with k observations of (s, a), k₁ of them followed by engagement,
/// p̄ the population frequency of (s, a) → 1 and m the prior weight. A mother never called has P̂[s, 1, 1] = p̄, so her
/// estimated call effect is p̄ − P̂[s, 0, 1], negative when she engages more than the called population.
/// </summary>
public sealed record HistoryStudy
{
    /// <summary>Transitions observed per beneficiary (≥ 1; seed 001: 7 weeks).</summary>
    public int Weeks { get; init; } = 7;

    /// <summary>Share of beneficiaries given one live call in the study, at a uniformly drawn week (in [0, 1]; seed 001: 20%).</summary>
    public double CalledShare { get; init; } = 0.2;

    /// <summary>True: the called share are the beneficiaries at the highest risk of drop-out, those with the lowest
    /// stationary engagement of their true passive chain (seed 001 §5.1: ARMMAN's health workers call "beneficiaries with
    /// a higher risk of program drop-out"); false: drawn uniformly at random.</summary>
    public bool CallsTargetRisk { get; init; } = true;

    /// <summary>Prior weight m ≥ 0 of the population frequency, in pseudo-observations.</summary>
    public double PriorWeight { get; init; } = 2;

    /// <summary>Throws <see cref="FormatException"/> naming the first invalid field.</summary>
    public void Validate(string source)
    {
        if (Weeks < 1) throw new FormatException($"{source}: history.weeks must be at least 1.");
        if (!(CalledShare >= 0 && CalledShare <= 1)) throw new FormatException($"{source}: history.calledShare must lie in [0, 1].");
        if (!(PriorWeight >= 0 && double.IsFinite(PriorWeight))) throw new FormatException($"{source}: history.priorWeight must be ≥ 0.");
    }
}

/// <summary>
/// Parameters of the ARMMAN-like cohort generator (specs/DLM.md; documented in docs/dlm-cohort.md and shipped as
/// data/dlm/cohort.json). Group marginals are probabilities summing to 1; education and income are cut from a
/// shared latent socio-economic score so that they correlate.
/// </summary>
public sealed record CohortParameters
{
    /// <summary>Size of the generated population each seed samples its N arms from (the real study: 7,668).</summary>
    public int PopulationSize { get; init; } = 7668;

    /// <summary>Marginals of the age bins 10-20 ... 51-60 (features 7-11).</summary>
    public double[] Age { get; init; } = [];

    /// <summary>Marginals of Hindi, Marathi, Gujarati, Kannada (features 12-15).</summary>
    public double[] Language { get; init; } = [];

    /// <summary>Marginals of education levels 1/7 ... 7/7 (features 16-22).</summary>
    public double[] Education { get; init; } = [];

    /// <summary>Marginals of phone owner woman / husband / family (features 23-25).</summary>
    public double[] PhoneOwner { get; init; } = [];

    /// <summary>Marginals of the six call slots (features 26-31).</summary>
    public double[] CallSlot { get; init; } = [];

    /// <summary>Marginals of NGO / ARMMAN / PHC (features 32-34).</summary>
    public double[] Organisation { get; init; } = [];

    /// <summary>Marginals of the eight income brackets -1, 1, ..., 7 (features 35-42).</summary>
    public double[] Income { get; init; } = [];

    /// <summary>Loading ρ ∈ [0, 1) of education and income on the shared latent score: corr(latent_edu, latent_inc) = ρ².</summary>
    public double SocioeconomicLoading { get; init; } = 0.7;

    /// <summary>Mean shift of the education latent score per age bin 10-20 ... 51-60 (five values; empty: no shift). Negative
    /// values make an age bin less educated; the education cut points are taken from the resulting mixture so the
    /// education marginal stays exact (docs/dlm-cohort.md).</summary>
    public double[] EducationShiftByAge { get; init; } = [];

    /// <summary>The historical study the shipped transitions are estimated from (seed 001 App. B-C); null: the generator's
    /// true transitions are used directly.</summary>
    public HistoryStudy? History { get; init; }

    /// <summary>Passive engagement model: logit P[s, 0, 1] = Intercept_s + β·f + u_n.</summary>
    public LogitModel Passive { get; init; } = new();

    /// <summary>Call effect model: δ_n = exp(Intercept + γ·f + v_n) ≥ 0; logit P[s, 1, 1] = logit P[s, 0, 1] + δ_n (+ State0Extra when s = 0).</summary>
    public LogitModel Effect { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Read and validate parameters from a JSON file; errors name the file and field.</summary>
    /// <exception cref="FormatException">Malformed or invalid file.</exception>
    public static CohortParameters Load(string path)
    {
        CohortParameters? p;
        try { p = JsonSerializer.Deserialize<CohortParameters>(File.ReadAllText(path), Json); }
        catch (JsonException ex) { throw new FormatException($"{path}: {ex.Message}"); }
        if (p is null) throw new FormatException($"{path}: empty file.");
        p.Validate(path);
        return p;
    }

    /// <summary>Throws <see cref="FormatException"/> naming the first invalid field.</summary>
    public void Validate(string source = "cohort parameters")
    {
        Check(source, "age", Age, 5);
        Check(source, "language", Language, 4);
        Check(source, "education", Education, 7);
        Check(source, "phoneOwner", PhoneOwner, 3);
        Check(source, "callSlot", CallSlot, 6);
        Check(source, "organisation", Organisation, 3);
        Check(source, "income", Income, 8);
        if (PopulationSize < 1) throw new FormatException($"{source}: populationSize must be at least 1.");
        if (!(SocioeconomicLoading >= 0 && SocioeconomicLoading < 1)) throw new FormatException($"{source}: socioeconomicLoading must lie in [0, 1).");
        foreach (var (name, model) in new[] { ("passive", Passive), ("effect", Effect) })
        {
            if (!(model.IndividualSd >= 0)) throw new FormatException($"{source}: {name}.individualSd must be ≥ 0.");
            if (!(model.State0Extra >= 0)) throw new FormatException($"{source}: {name}.state0Extra must be ≥ 0.");
            foreach (var (key, value) in model.Coefficients)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i < 0 || i >= Features.Count)
                    throw new FormatException($"{source}: {name}.coefficients key '{key}' is not a feature index 0-{Features.Count - 1}.");
                if (!double.IsFinite(value)) throw new FormatException($"{source}: {name}.coefficients['{key}'] is not finite.");
            }
        }
        if (EducationShiftByAge.Length is not (0 or 5)) throw new FormatException($"{source}: educationShiftByAge needs 5 values (one per age bin) or none, found {EducationShiftByAge.Length}.");
        if (EducationShiftByAge.Any(x => !double.IsFinite(x))) throw new FormatException($"{source}: educationShiftByAge has a value that is not finite.");
        History?.Validate(source);
        if (!(Passive.Intercept1 >= Passive.Intercept0)) throw new FormatException($"{source}: passive.intercept1 must be ≥ passive.intercept0 (engaged is sticky).");
    }

    private static void Check(string source, string name, double[] p, int length)
    {
        if (p.Length != length) throw new FormatException($"{source}: {name} needs {length} probabilities, found {p.Length}.");
        if (p.Any(x => !(x >= 0 && x <= 1))) throw new FormatException($"{source}: {name} has a probability outside [0, 1].");
        if (Math.Abs(p.Sum() - 1) > 1e-6) throw new FormatException($"{source}: {name} sums to {p.Sum().ToString(CultureInfo.InvariantCulture)}, not 1.");
    }
}
