using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;

namespace Tandem.Gambit.Environment;

/// <summary>
/// The ground truth shared by every run of a study (immutable, thread-safe): the response bank restricted to
/// the K prompts in play, the outcome model, which dimensions the agents see (the working embedding Z), and
/// f(z, x) of every response, so μ(x, a) — the mean over a cell's responses — and the best prompt per
/// context are exact (seed 002 §3: μ(x, a) = ∫ f(z, x) p(z | x, a) dz with p the bank's empirical law).
/// </summary>
public sealed class GambitWorld
{
    private readonly double[][] _responseMeans; // per cell, f(z_i, x) of each response
    private readonly double[] _expected;        // per cell, μ(x, a)
    private readonly double[] _optimal;         // per context

    private readonly double[]? _noMessage;      // per context, when the no-message arm exists

    private GambitWorld(ResponseBank bank, IOutcomeModel outcome, int[] outcomeDims, int[] workingDims, double[][] responseMeans, double[]? noMessage)
    {
        Bank = bank;
        Outcome = outcome;
        OutcomeDimensions = outcomeDims;
        WorkingDimensions = workingDims;
        _noMessage = noMessage;
        _responseMeans = responseMeans;
        _expected = responseMeans.Select(r => r.Average()).ToArray();
        int x = bank.Contexts.Count;
        _optimal = new double[x];
        for (int c = 0; c < x; c++)
        {
            double best = noMessage?[c] ?? double.NegativeInfinity;
            for (int a = 0; a < bank.PromptCount; a++) best = Math.Max(best, _expected[a * x + c]);
            _optimal[c] = best;
        }
    }

    /// <summary>The bank, holding exactly the K prompts in play.</summary>
    public ResponseBank Bank { get; }

    /// <summary>The context space X (the bank's).</summary>
    public ContextSpace Contexts => Bank.Contexts;

    /// <summary>The true outcome model.</summary>
    public IOutcomeModel Outcome { get; }

    /// <summary>Indices into the bank's dimensions of what the outcome reads.</summary>
    public IReadOnlyList<int> OutcomeDimensions { get; }

    /// <summary>Indices into the bank's dimensions of the working embedding the agents observe (d_z of them).</summary>
    public IReadOnlyList<int> WorkingDimensions { get; }

    /// <summary>Names of the working dimensions.</summary>
    public IReadOnlyList<string> WorkingDimensionNames => WorkingDimensions.Select(i => Bank.Dimensions[i]).ToArray();

    /// <summary>K, the prompts in play.</summary>
    public int PromptCount => Bank.PromptCount;

    /// <summary>d_z, the working embedding's dimension.</summary>
    public int EmbeddingDimension => WorkingDimensions.Count;

    /// <summary>Whether "send nothing" (arm K) is allowed, for optional prompting (seed 002 App. A).</summary>
    public bool AllowNoMessage => _noMessage is not null;

    /// <summary>Arms the environment accepts: K, or K + 1 with the no-message arm.</summary>
    public int ArmCount => PromptCount + (AllowNoMessage ? 1 : 0);

    /// <summary>μ(x, a), exact: the mean of f over the cell's responses.</summary>
    public double ExpectedReward(int prompt, GambitContext context) =>
        prompt == PromptCount && AllowNoMessage ? NoMessageReward(context) : _expected[Cell(prompt, context)];

    /// <summary>max over arms of μ(x, a).</summary>
    public double OptimalReward(GambitContext context)
    {
        Contexts.Require(context, nameof(context));
        return _optimal[context.Index];
    }

    /// <summary>f(z_i, x) of response i of a cell.</summary>
    public double ResponseMean(int prompt, GambitContext context, int response) => _responseMeans[Cell(prompt, context)][response];

    /// <summary>The expected reward of a day without a message: the outcome model at the bank's mean style
    /// (averaged over all prompts and responses) in the context. Used only with <see cref="AllowNoMessage"/>.</summary>
    public double NoMessageReward(GambitContext context)
    {
        Contexts.Require(context, nameof(context));
        return _noMessage?[context.Index] ?? double.NaN;
    }

    /// <summary>How much the context matters for the choice of prompt (arms 0..K−1, no-message arm aside): in how many
    /// contexts the best prompt differs from the prompt best on average over contexts (what a non-contextual agent
    /// converges to), and the regret per step of playing that prompt, μ(x, best in x) − μ(x, best on average), averaged
    /// over contexts (uniform, as contexts are drawn) and at its largest.</summary>
    public ContextDependence MeasureContextDependence()
    {
        int x = Contexts.Count, k = PromptCount;
        int overall = 0;
        double bestAverage = double.NegativeInfinity;
        for (int a = 0; a < k; a++)
        {
            double v = 0;
            for (int c = 0; c < x; c++) v += _expected[a * x + c] / x;
            if (v > bestAverage) (bestAverage, overall) = (v, a);
        }
        int differs = 0;
        double sumGap = 0, maxGap = 0;
        for (int c = 0; c < x; c++)
        {
            double best = double.NegativeInfinity;
            int arg = 0;
            for (int a = 0; a < k; a++) if (_expected[a * x + c] > best) (best, arg) = (_expected[a * x + c], a);
            double gap = best - _expected[overall * x + c];
            if (arg != overall) differs++;
            sumGap += gap;
            maxGap = Math.Max(maxGap, gap);
        }
        return new ContextDependence(differs, x, sumGap / x, maxGap);
    }

    private int Cell(int prompt, GambitContext context)
    {
        if ((uint)prompt >= (uint)PromptCount) throw new ArgumentOutOfRangeException(nameof(prompt), prompt, $"Prompts lie in [0, {PromptCount}).");
        Contexts.Require(context, nameof(context));
        return prompt * Contexts.Count + context.Index;
    }

    /// <summary>
    /// Build the world: pick K prompts of the bank "evenly distributed by expected outcome" (seed 002 App. F.1,
    /// footnote 17: rank prompts by their mean μ over contexts and take ranks round(i (P − 1)/(K − 1))), and
    /// resolve the outcome's and the agents' dimensions by name.
    /// </summary>
    /// <param name="bank">All prompts available.</param>
    /// <param name="outcome">The true model; its dimensions must be in the bank.</param>
    /// <param name="workingDimensions">Names of the dimensions the agents observe; in the bank; at least one.</param>
    /// <param name="promptCount">K. Range: 1 ≤ K ≤ bank.PromptCount.</param>
    /// <param name="allowNoMessage">Add the no-message arm K (optional prompting).</param>
    public static GambitWorld Create(ResponseBank bank, IOutcomeModel outcome, IReadOnlyList<string> workingDimensions, int promptCount, bool allowNoMessage = false)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(workingDimensions);
        if (promptCount < 1 || promptCount > bank.PromptCount)
            throw new ArgumentOutOfRangeException(nameof(promptCount), promptCount, $"K must lie in [1, {bank.PromptCount}] (the prompts in the bank).");
        if (workingDimensions.Count < 1) throw new ArgumentException("The working embedding needs at least one dimension.", nameof(workingDimensions));
        int[] outcomeDims = Resolve(bank, outcome.Dimensions, "the outcome model");
        int[] workingDims = Resolve(bank, workingDimensions, "the working embedding");
        ContextSpace space = bank.Contexts;
        int x = space.Count;
        if (outcome.ContextTermCount != 0 && outcome.ContextTermCount != space.TermCount)
            throw new ArgumentException($"The outcome model '{outcome.Name}' reads {outcome.ContextTermCount} context term(s); the bank's context space has {space.TermCount} ([{string.Join(", ", space.TermNames)}]).", nameof(outcome));

        double[][] means = ResponseMeans(bank, outcome, outcomeDims);
        var promptValue = new double[bank.PromptCount];
        for (int p = 0; p < bank.PromptCount; p++)
            for (int c = 0; c < x; c++) promptValue[p] += means[p * x + c].Average() / x;
        int[] ranked = Enumerable.Range(0, bank.PromptCount).OrderBy(p => promptValue[p]).ThenBy(p => p).ToArray();
        int[] chosen = promptCount == 1
            ? [ranked[(ranked.Length - 1) / 2]]
            : Enumerable.Range(0, promptCount).Select(i => ranked[(int)Math.Round(i * (ranked.Length - 1.0) / (promptCount - 1), MidpointRounding.AwayFromZero)]).ToArray();
        ResponseBank selected = bank.SelectPrompts(chosen);
        var selectedMeans = new double[selected.PromptCount * x][];
        for (int k = 0; k < chosen.Length; k++)
            for (int c = 0; c < x; c++) selectedMeans[k * x + c] = means[chosen[k] * x + c];

        double[]? noMessage = null;
        if (allowNoMessage)
        {
            var centre = new double[outcomeDims.Length];
            long n = 0;
            for (int p = 0; p < bank.PromptCount; p++)
                for (int c = 0; c < x; c++)
                {
                    ReadOnlySpan<double> cell = bank.Cell(p, space[c], out int r);
                    for (int i = 0; i < r; i++) for (int j = 0; j < outcomeDims.Length; j++) centre[j] += cell[i * bank.DimensionCount + outcomeDims[j]];
                    n += r;
                }
            for (int j = 0; j < centre.Length; j++) centre[j] /= n;
            noMessage = Enumerable.Range(0, x).Select(c => outcome.Mean(centre, space[c])).ToArray();
        }
        return new GambitWorld(selected, outcome, outcomeDims, workingDims, selectedMeans, noMessage);
    }

    private static int[] Resolve(ResponseBank bank, IReadOnlyList<string> names, string what)
    {
        var idx = new int[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            idx[i] = bank.DimensionIndex(names[i]);
            if (idx[i] < 0)
                throw new ArgumentException($"The bank has {bank.DimensionCount} style dimension(s) ({string.Join(", ", bank.Dimensions)}); {what} needs '{names[i]}' (all of: {string.Join(", ", names)}).");
        }
        return idx;
    }

    private static double[][] ResponseMeans(ResponseBank bank, IOutcomeModel outcome, int[] dims)
    {
        int x = bank.Contexts.Count;
        var means = new double[bank.PromptCount * x][];
        var z = new double[dims.Length];
        for (int p = 0; p < bank.PromptCount; p++)
        {
            for (int c = 0; c < x; c++)
            {
                GambitContext ctx = bank.Contexts[c];
                ReadOnlySpan<double> cell = bank.Cell(p, ctx, out int n);
                var m = new double[n];
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < dims.Length; j++) z[j] = cell[i * bank.DimensionCount + dims[j]];
                    m[i] = outcome.Mean(z, ctx);
                }
                means[p * x + c] = m;
            }
        }
        return means;
    }
}

/// <summary>How much the context matters for the choice of prompt in a world (<see cref="GambitWorld.MeasureContextDependence"/>).</summary>
/// <param name="ContextsWhereBestDiffers">Contexts whose best prompt is not the prompt best on average.</param>
/// <param name="ContextCount">|X|.</param>
/// <param name="MeanGap">Mean over contexts of μ(x, best in x) − μ(x, best on average): the per-step regret of the best
/// non-contextual choice.</param>
/// <param name="MaxGap">The largest such gap.</param>
public sealed record ContextDependence(int ContextsWhereBestDiffers, int ContextCount, double MeanGap, double MaxGap);
