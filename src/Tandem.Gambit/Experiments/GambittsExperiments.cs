using System.Globalization;
using Tandem.Gambit.Agents;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;

namespace Tandem.Gambit.Experiments;

/// <summary>One setting of an experiment: the world the agents meet and their options.</summary>
/// <param name="Label">"K=5", "sd=6.68", ...; null when the experiment varies nothing.</param>
/// <param name="Value">The varied value as the summary figure's x axis plots it (log10 M for simulator access); 0 when nothing varies.</param>
/// <param name="World">Ground truth.</param>
/// <param name="Options">Agent settings.</param>
public sealed record ExperimentSetting(string? Label, double Value, GambitWorld World, AgentOptions Options);

/// <summary>An experiment of the seed (specs/GAMBITTS.md, "Experiments the CLI must reproduce").</summary>
/// <param name="Id">CLI id.</param>
/// <param name="Section">Where the seed reports it ("§6.1, Fig 2").</param>
/// <param name="Title">What it shows.</param>
/// <param name="Varied">What the settings vary ("K", "noise sd", ...), or null.</param>
/// <param name="DefaultAgents">Agent ids run when --agents is not given.</param>
/// <param name="SeedFinding">What the seed reports, to compare against (not to tune toward).</param>
/// <param name="Settings">Builds the settings from a bank.</param>
public sealed record ExperimentDefinition(
    string Id,
    string Section,
    string Title,
    string? Varied,
    IReadOnlyList<string> DefaultAgents,
    string SeedFinding,
    Func<ResponseBank, IReadOnlyList<ExperimentSetting>> Settings);

/// <summary>The eight experiments of seed 002 (§6 and App. E) and one of Tandem's (ensemble-options). All use 5 prompts unless K varies and the 3-D outcome with
/// context terms from §6.3 on (App. E: "optimism, formality and severity as predictors"), except the dimension experiment,
/// whose outcome is refitted on d_z clustered dimensions as the authors ran it (App. E.4; <see cref="StyleClusters"/>,
/// <see cref="LinearOutcomeModel.Refit"/>). The noise sd, unless it
/// varies, is the bank's σ₀ measured as the authors define it (<see cref="BankCalibration"/>): the summed variance of
/// the outcome's style scores over the whole bank — optimism's for the 1-D outcome (0.3757 on the synthetic bank), the
/// three dimensions' for the 3-D outcome (0.7098); the noise grid runs from that σ₀ to the training RMSE.</summary>
public static class GambittsExperiments
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] ThreeD = [StyleDimensions.Optimism, StyleDimensions.Formality, StyleDimensions.Severity];

    /// <summary>The dimension experiment's d_z values, the authors' (App. E.4: 3, 5, 10, 15 and all 20).</summary>
    public static IReadOnlyList<int> DimensionCounts { get; } = [3, 5, 10, 15, 20];

    /// <summary>Seed of the dimension experiment's clustering and within-cluster sampling (<see cref="StyleClusters.Select"/>):
    /// 323, the authors' simulation seed. Part of the design, fixed for every study (the bank varies with --seed).</summary>
    public const ulong DimensionSelectionSeed = 323;

    /// <summary>Options for the 3-D outcome with context: context terms in the reward model, perturbation sd = noise sd.</summary>
    private static AgentOptions Contextual(double noiseSd) => new() { ContextTerms = true, PerturbationSd = noiseSd };

    /// <summary>All experiments, in the order of the spec's table.</summary>
    public static IReadOnlyList<ExperimentDefinition> All { get; } =
    [
        new("illustrative", "§6.1, Fig 2", "1-D optimism outcome", null, ["stdts", "stdts-contextual", "fo", "po"],
            "GAMBITTS agents beat standard TS, poGAMBITTS most; StdTS beats StdTS:Contextual.",
            bank =>
            {
                double sd = OneDSigma(bank);
                return [new(null, 0, GambitWorld.Create(bank, LinearOutcomeModel.OneD(sd), [StyleDimensions.Optimism], 5), NoContextOptions(sd))];
            }),

        new("misspecification", "§6.2, Fig 3", "working embedding = another dimension (1-D optimism outcome)", "|correlation of the working dimension with optimism| in the bank", ["stdts", "fo", "po"],
            "GAMBITTS degrades as the working embedding's correlation with optimism falls, below StdTS when it is low.",
            bank =>
            {
                double sd = OneDSigma(bank);
                var dims = new[] { StyleDimensions.Optimism, StyleDimensions.Encouragement, StyleDimensions.Severity, StyleDimensions.Clarity, StyleDimensions.Formality };
                foreach (string dim in dims)
                    if (bank.DimensionIndex(dim) < 0)
                        throw new ArgumentException($"The bank has no '{dim}' scores; the misspecification experiment needs {string.Join(", ", dims)}.");
                // The axis is the bank's realised correlation, pooled over all its responses; the label gives Table 1's beside it.
                return dims.Select(dim =>
                {
                    double r = BankCalibration.PooledCorrelation(bank, StyleDimensions.Optimism, dim);
                    return new ExperimentSetting(string.Create(Inv, $"z={dim} (bank r={r:0.###}, Table 1 r={Table1Correlation(dim):0.###})"), Math.Abs(r),
                        GambitWorld.Create(bank, LinearOutcomeModel.OneD(sd), [dim], 5), NoContextOptions(sd));
                }).ToArray();
            }),

        new("arms", "§6.3, Fig 4", "number of prompts K, 3-D outcome", "K", ["stdts", "fo", "po", "ens-po"],
            "Linear poGAMBITTS regret is flat in K; ens-poGAMBITTS grows slightly; foGAMBITTS is worse than StdTS when K is large.",
            bank =>
            {
                double sd = ThreeDSigma(bank);
                return new[] { 3, 5, 15, 30, 40 }.Where(k => k <= bank.PromptCount).Select(k => new ExperimentSetting($"K={k}", k,
                    GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(sd), ThreeD, k), Contextual(sd))).ToArray();
            }),

        new("variance", "App. E.1, Fig 5", "outcome noise sd, 3-D outcome", "noise sd", ["stdts", "fo", "po", "ens-po"],
            "Linear GAMBITTS beats StdTS at every noise level; all deteriorate and converge as the noise grows.",
            bank => BankCalibration.NoiseGrid(ThreeDSigma(bank)).Select(sd => new ExperimentSetting(Sd(sd), sd,
                GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(sd), ThreeD, 5), Contextual(sd))).ToArray()),

        new("nonlinear", "App. E.2, Fig 6", "MLP outcome over the noise grid", "noise sd", ["stdts", "fo", "po", "ens-po"],
            "ens-poGAMBITTS is volatile; linear poGAMBITTS does relatively well despite the misspecification.",
            bank =>
            {
                MlpOutcomeModel mlp = MlpOutcomeModel.Fit(bank);
                return BankCalibration.NoiseGrid(ThreeDSigma(bank), MlpGridTop).Select(sd => new ExperimentSetting(Sd(sd), sd,
                    GambitWorld.Create(bank, mlp.WithNoise(sd), ThreeD, 5), Contextual(sd))).ToArray();
            }),

        new("simulator-access", "App. E.3, Fig 7", "offline draws per (context, prompt) for poGAMBITTS", "log10 of offline draws M", ["stdts", "po", "ens-po"],
            "Regret falls as offline draws grow and levels off after about 50.",
            bank =>
            {
                double sd = ThreeDSigma(bank);
                GambitWorld world = GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(sd), ThreeD, 5);
                return new[] { 1, 5, 10, 50, 100, 500 }.Select(m => new ExperimentSetting($"M={m}", Math.Log10(m), world, Contextual(sd) with { OfflineDraws = m })).ToArray();
            }),

        new("dimension", "App. E.4, Fig 8", "working embedding dimension d_z: an outcome refitted on d_z clustered dimensions, agents correctly specified", "d_z", ["stdts", "fo", "po", "ens-po"],
            "foGAMBITTS degrades relative to StdTS as d_z grows; linear poGAMBITTS stays competitive.",
            bank =>
            {
                var missing = StyleDimensions.All.Where(d => bank.DimensionIndex(d) < 0).ToArray();
                if (missing.Length > 0)
                    throw new ArgumentException($"The bank has {bank.DimensionCount} style dimension(s); the dimension experiment needs the 20 of the seed ({string.Join(", ", StyleDimensions.All)}).");
                LinearOutcomeModel full = LinearOutcomeModel.AuthorsFull();
                return DimensionCounts.Select(d =>
                {
                    IReadOnlyList<string> dims = StyleClusters.Select(bank, StyleDimensions.All, d, DimensionSelectionSeed);
                    double sd = BankCalibration.SummedVariance(bank, dims);
                    LinearOutcomeModel outcome = full.Refit(bank, dims, sd);
                    string label = d == StyleDimensions.All.Count ? $"d={d} (all)" : $"d={d} ({string.Join(", ", dims)})";
                    // The refitted outcome ignores the context, as the authors' dimension outcomes do; so does the agents' reward model.
                    return new ExperimentSetting(label, d, GambitWorld.Create(bank, outcome, dims, 5), NoContextOptions(sd));
                }).ToArray();
            }),

        new("fo-vs-contextual", "App. E.5, Fig 9", "foGAMBITTS vs StdTS:Contextual over the noise grid, K = 40 (the authors ran T = 10,000: --horizon 10000)", "noise sd", ["stdts", "stdts-contextual", "fo"],
            "foGAMBITTS gains on StdTS as the noise grows and beats StdTS:Contextual even at small noise; regret has not levelled off by 10,000 steps.",
            bank =>
            {
                if (bank.PromptCount < FoVsContextualPrompts)
                    throw new ArgumentException($"The bank has {bank.PromptCount} prompt(s); the fo-vs-contextual experiment needs the authors' K = {FoVsContextualPrompts}.");
                return BankCalibration.NoiseGrid(ThreeDSigma(bank)).Select(sd => new ExperimentSetting(Sd(sd), sd,
                    GambitWorld.Create(bank, LinearOutcomeModel.ThreeDWithContext(sd), ThreeD, FoVsContextualPrompts), Contextual(sd))).ToArray();
            }),

        new("ensemble-options", "App. F.2.3", "ensemble training choices: reward centring × optimizer reset (illustrative world; docs/gambitts-ensembles.md)", "centring, Adam", ["ens-po"],
            "Not in the seed: the paper does not state these choices; the authors' code trains on raw rewards with a fresh Adam per update.",
            bank =>
            {
                double sd = OneDSigma(bank);
                GambitWorld world = GambitWorld.Create(bank, LinearOutcomeModel.OneD(sd), [StyleDimensions.Optimism], 5);
                double tandem = new AgentOptions().EnsembleTargetOffset;
                (double Centring, bool Reset, string Label)[] choices =
                [
                    (tandem, false, $"{tandem}, kept (Tandem)"),
                    (0, false, "0, kept"),
                    (tandem, true, $"{tandem}, reset"),
                    (0, true, "0, reset (authors')"),
                ];
                return choices.Select((c, i) => new ExperimentSetting(c.Label, i, world,
                    NoContextOptions(sd) with { EnsembleTargetOffset = c.Centring, EnsembleResetOptimizer = c.Reset })).ToArray();
            }),
    ];

    /// <summary>K of the fo-vs-contextual experiment: the authors' 40 (<c>configs</c> of App. E.5, all 40 prompts).</summary>
    public const int FoVsContextualPrompts = 40;

    /// <summary>The top of the nonlinear experiment's noise grid: the authors' MLP outcome's largest sd,
    /// 24.3797 (<c>configs/environment/ihs_3comps_mlp_outcome_model_sd_4.yaml</c>).</summary>
    public const double MlpGridTop = 24.379724364549272;

    /// <summary>σ₀ of the 3-D outcome on <paramref name="bank"/>: the summed variance of optimism, formality and severity
    /// over the whole bank (the authors' definition; 0.7098 on the synthetic bank).</summary>
    public static double ThreeDSigma(ResponseBank bank) => BankCalibration.SummedVariance(bank, ThreeD);

    /// <summary>σ₀ of the 1-D outcome on <paramref name="bank"/>: optimism's variance over the whole bank (0.3757 on the
    /// synthetic bank).</summary>
    public static double OneDSigma(ResponseBank bank) => BankCalibration.SummedVariance(bank, [StyleDimensions.Optimism]);

    /// <summary>Options for an outcome without context terms (1-D, the dimension experiment's refits): perturbation sd = noise sd.</summary>
    private static AgentOptions NoContextOptions(double noiseSd) => new() { PerturbationSd = noiseSd };

    /// <summary>Experiment ids.</summary>
    public static IReadOnlyList<string> Ids => All.Select(e => e.Id).ToArray();

    /// <summary>The experiment of an id (case-insensitive), or null.</summary>
    public static ExperimentDefinition? Find(string id) => All.FirstOrDefault(e => string.Equals(e.Id, id.Trim(), StringComparison.OrdinalIgnoreCase));

    private static string Sd(double sd) => "sd=" + sd.ToString("0.####", Inv);

    private static double Table1Correlation(string dimension)
    {
        int i = StyleDimensions.Table1Order.ToList().IndexOf(StyleDimensions.Optimism);
        int j = StyleDimensions.Table1Order.ToList().IndexOf(dimension);
        return StyleDimensions.Table1[i, j];
    }
}
