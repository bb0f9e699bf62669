using System.Globalization;
using System.Text;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Dlm;

/// <summary>One feature's share of the accumulated positive states.</summary>
/// <param name="Feature">Feature index.</param>
/// <param name="Label">Its display name.</param>
/// <param name="Percent">Share in percent of all positive states, accrued by arms with this feature set.</param>
public sealed record FeatureShare(int Feature, string Label, double Percent);

/// <summary>A feature group's shares.</summary>
public sealed record GroupShares(string Group, IReadOnlyList<FeatureShare> Shares);

/// <summary>
/// The state-feature distribution of seed 001 Algorithm 2 (Appendix D): simulate the policy, accumulate each arm's
/// positive (engaged) states, and report, per feature group (age bins, languages, education, phone owner, call
/// slots, organisation, income), the percentage of all positive states accrued by each group member. The integer
/// features 0-6 are sensitive and never shown to a designer, so they are left out.
/// </summary>
public sealed record StateFeatureDistribution(IReadOnlyList<GroupShares> Groups)
{
    /// <summary>Build from per-arm positive-state counts and the arms' features.</summary>
    public static StateFeatureDistribution From(IReadOnlyList<long> positiveStates, IReadOnlyList<double[]> features)
    {
        ArgumentNullException.ThrowIfNull(positiveStates);
        ArgumentNullException.ThrowIfNull(features);
        double total = positiveStates.Sum();
        var groups = new List<GroupShares>();
        foreach (FeatureGroup g in Model.Features.Groups)
        {
            var shares = new List<FeatureShare>();
            foreach (int f in g.Indices)
            {
                double sum = 0;
                for (int n = 0; n < features.Count; n++) if (features[n][f] > 0) sum += positiveStates[n];
                shares.Add(new FeatureShare(f, Model.Features.Names[f], total > 0 ? 100 * sum / total : 0));
            }
            groups.Add(new GroupShares(g.Name, shares));
        }
        return new StateFeatureDistribution(groups);
    }

    /// <summary>Percent for feature <paramref name="feature"/> (0 when it is not in a group).</summary>
    public double PercentOf(int feature) =>
        Groups.SelectMany(g => g.Shares).FirstOrDefault(s => s.Feature == feature)?.Percent ?? 0;

    /// <summary>The text the reflector reads (Appendix L style), one line per group.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (GroupShares g in Groups)
        {
            sb.Append("Category: ").Append(g.Group).Append(" — ");
            sb.AppendJoin(", ", g.Shares.Select(s => $"{s.Label}: {s.Percent.ToString("0.00", CultureInfo.InvariantCulture)}%"));
            sb.Append('\n');
        }
        return sb.ToString().TrimEnd();
    }
}
