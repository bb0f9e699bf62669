using System.Globalization;
using System.Text;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>
/// The shape of the rewards the simulated designers write (<see cref="SimulatedDesigner"/>, <see cref="OracleDesigner"/>):
/// <c>state * (1.0 + w·f + ... + w_p · Π_groups (Σ f in group))</c>, weights from one grid, and the invalid first
/// attempts that exercise the sandbox's refusals. One place, so both designers write the same language.
/// </summary>
internal static class DesignedExpression
{
    /// <summary>The weights a designer picks from, by index.</summary>
    public static readonly double[] WeightGrid = [0.5, 1, 2, 5, 10];

    /// <summary>Expressions the sandbox refuses (unknown feature, a method call, I/O, a variable index).</summary>
    public static readonly string[] InvalidExamples =
    [
        "state * (1.0 + 2.0 * feats[43])",
        "state * feats.Sum()",
        "System.IO.File.Exists(\"rewards.txt\") ? 1.0 : state",
        "state * (1.0 + 2.0 * feats[i])",
    ];

    /// <summary>The expression: <paramref name="additive"/> features each with its weight index, then, when
    /// <paramref name="product"/> is not empty, one weighted product over the groups of its features (features of one
    /// group summed inside the product).</summary>
    public static string Build(IEnumerable<(int Feature, int Weight)> additive, IReadOnlyCollection<int> product, int productWeight)
    {
        var sb = new StringBuilder("state * (1.0");
        foreach (var (f, w) in additive) sb.Append(" + ").Append(W(WeightGrid[w])).Append(" * ").Append(Feat(f));
        if (product.Count > 0)
        {
            sb.Append(" + ").Append(W(WeightGrid[productWeight]));
            foreach (var group in product.GroupBy(Features.GroupOf))
            {
                string[] terms = group.Select(Feat).ToArray();
                sb.Append(" * ").Append(terms.Length == 1 ? terms[0] : "(" + string.Join(" + ", terms) + ")");
            }
        }
        return sb.Append(')').ToString();
    }

    private static string Feat(int f) => "feats[" + f.ToString(CultureInfo.InvariantCulture) + "]";

    private static string W(double w) => w.ToString("0.0##", CultureInfo.InvariantCulture);
}
