namespace Tandem.Gambit.Agents;

/// <summary>Choice helpers of the agents (the samplers live in <see cref="Tandem.Core.Distributions"/>).</summary>
public static class Sampling
{
    /// <summary>Index of the largest score; ties go to the lowest index (they have probability zero under continuous posteriors).</summary>
    public static int ArgMax(ReadOnlySpan<double> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++) if (scores[i] > scores[best]) best = i;
        return best;
    }
}
