using Tandem.Rmab.Model;

namespace Tandem.Rmab.History;

/// <summary>
/// One beneficiary's engagement history reduced to what the transition estimate needs: for each (state, action)
/// pair, how often it was seen and how often the next week was engaged. Pair k = 2·action + state, the order of
/// <see cref="ArmDynamics"/>: (0, passive), (1, passive), (0, called), (1, called).
/// </summary>
/// <param name="Id">The beneficiary's id as written in the history file.</param>
/// <param name="Features">The 43 features (absent columns are 0).</param>
/// <param name="Visits">Transitions observed from each pair (length 4).</param>
/// <param name="Engaged">Of those, how many ended engaged (length 4).</param>
/// <param name="State">Engagement in the last week observed (the state a plan starts from).</param>
/// <param name="Weeks">Weeks observed (rows).</param>
/// <param name="Cluster">The cluster label given by a column, or null when clusters are computed.</param>
public sealed record BeneficiaryHistory(string Id, double[] Features, int[] Visits, int[] Engaged, byte State, int Weeks, string? Cluster = null)
{
    /// <summary>Number of (state, action) pairs.</summary>
    public const int Pairs = 4;

    /// <summary>Pair index of (state, action): 2·action + state.</summary>
    public static int Pair(int state, int action) => 2 * action + state;
}

/// <summary>Histories read from a file (or simulated), with the feature columns the file had.</summary>
/// <param name="Source">File name (or a description of the simulation).</param>
/// <param name="Beneficiaries">One entry per beneficiary, in order of first appearance.</param>
/// <param name="FeatureColumns">Feature indices the file had columns for, ascending.</param>
/// <param name="Rows">Data rows read.</param>
public sealed record HistorySet(string Source, IReadOnlyList<BeneficiaryHistory> Beneficiaries, IReadOnlyList<int> FeatureColumns, long Rows);
