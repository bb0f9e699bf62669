using Tandem.Gambit.Model;

namespace Tandem.Gambit.Bank;

/// <summary>
/// The response database (seed 002 App. F, "response_db"): for every (prompt, context) cell a pool of
/// generated responses, each scored on the same style dimensions. The environment samples a cell's pool
/// uniformly, so a cell's mean is the exact expectation of anything computed per response. Immutable.
/// </summary>
public sealed class ResponseBank
{
    private readonly double[][] _cells; // [prompt * |X| + context] -> n × D scores
    private readonly string?[][]? _texts;

    /// <summary>Create a bank. Every prompt needs responses in every context of <paramref name="contexts"/>.</summary>
    /// <param name="prompts">Prompt names, K ≥ 1.</param>
    /// <param name="dimensions">Style dimension names, D ≥ 1.</param>
    /// <param name="cells">Per cell (prompt·|X| + context) the row-major n × D scores, n ≥ 1, all finite.</param>
    /// <param name="texts">Optional response texts per cell (n each).</param>
    /// <param name="contexts">The context space X; null = the paper's (<see cref="ContextSpace.Paper"/>).</param>
    public ResponseBank(IReadOnlyList<string> prompts, IReadOnlyList<string> dimensions, double[][] cells, string?[][]? texts = null, ContextSpace? contexts = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(cells);
        contexts ??= ContextSpace.Paper;
        int x = contexts.Count;
        if (prompts.Count < 1) throw new ArgumentException("A bank needs at least one prompt.", nameof(prompts));
        if (dimensions.Count < 1) throw new ArgumentException("A bank needs at least one style dimension.", nameof(dimensions));
        if (cells.Length != prompts.Count * x) throw new ArgumentException($"Expected {prompts.Count * x} cells ({prompts.Count} prompt(s) × {x} context(s)); got {cells.Length}.", nameof(cells));
        for (int c = 0; c < cells.Length; c++)
        {
            if (cells[c] is null || cells[c].Length == 0 || cells[c].Length % dimensions.Count != 0)
                throw new ArgumentException($"Prompt '{prompts[c / x]}' has no responses (or a ragged row) in context {contexts.Name(c % x)}.", nameof(cells));
            foreach (double v in cells[c]) if (!double.IsFinite(v)) throw new ArgumentException($"Cell {c} holds a non-finite score.", nameof(cells));
        }
        Prompts = prompts.ToArray();
        Dimensions = dimensions.ToArray();
        Contexts = contexts;
        _cells = cells;
        _texts = texts;
    }

    /// <summary>The context space X the cells are indexed by.</summary>
    public ContextSpace Contexts { get; }

    /// <summary>Prompt names (K).</summary>
    public IReadOnlyList<string> Prompts { get; }

    /// <summary>Style dimension names (D).</summary>
    public IReadOnlyList<string> Dimensions { get; }

    /// <summary>K.</summary>
    public int PromptCount => Prompts.Count;

    /// <summary>D.</summary>
    public int DimensionCount => Dimensions.Count;

    /// <summary>Index of a dimension by name (case-insensitive), or −1.</summary>
    public int DimensionIndex(string name)
    {
        for (int i = 0; i < Dimensions.Count; i++) if (string.Equals(Dimensions[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>The fewest responses of any cell: the most offline draws a cell can give without replacement.</summary>
    public int SmallestCell => _cells.Min(c => c.Length) / DimensionCount;

    /// <summary>Responses in a cell.</summary>
    public int ResponseCount(int prompt, GambitContext context) => _cells[Cell(prompt, context)].Length / DimensionCount;

    /// <summary>All scores of a cell, row-major n × D.</summary>
    public ReadOnlySpan<double> Cell(int prompt, GambitContext context, out int responses)
    {
        double[] cell = _cells[Cell(prompt, context)];
        responses = cell.Length / DimensionCount;
        return cell;
    }

    /// <summary>The D scores of response i of a cell.</summary>
    public ReadOnlySpan<double> Response(int prompt, GambitContext context, int i) =>
        _cells[Cell(prompt, context)].AsSpan(i * DimensionCount, DimensionCount);

    /// <summary>The text of response i, when the bank has texts.</summary>
    public string? Text(int prompt, GambitContext context, int i) => _texts?[Cell(prompt, context)][i];

    /// <summary>A bank holding only the given prompts, in the given order (cells are shared, not copied).</summary>
    public ResponseBank SelectPrompts(IReadOnlyList<int> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        int x = Contexts.Count;
        var cells = new double[prompts.Count * x][];
        string?[][]? texts = _texts is null ? null : new string?[cells.Length][];
        for (int k = 0; k < prompts.Count; k++)
        {
            if ((uint)prompts[k] >= (uint)PromptCount) throw new ArgumentOutOfRangeException(nameof(prompts), prompts[k], $"Prompts lie in [0, {PromptCount}).");
            for (int c = 0; c < x; c++)
            {
                cells[k * x + c] = _cells[prompts[k] * x + c];
                if (texts is not null) texts[k * x + c] = _texts![prompts[k] * x + c];
            }
        }
        return new ResponseBank(prompts.Select(p => Prompts[p]).ToArray(), Dimensions, cells, texts, Contexts);
    }

    private int Cell(int prompt, GambitContext context)
    {
        if ((uint)prompt >= (uint)PromptCount) throw new ArgumentOutOfRangeException(nameof(prompt), prompt, $"Prompts lie in [0, {PromptCount}).");
        Contexts.Require(context, nameof(context));
        return prompt * Contexts.Count + context.Index;
    }
}
