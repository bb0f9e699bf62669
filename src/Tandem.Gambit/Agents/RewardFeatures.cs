using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>The reward model's features φ(z, x) = [1, z, (work, home, steps bin)] (seed 002 App. F.2.2).</summary>
public static class RewardFeatures
{
    /// <summary>Number of context terms when present.</summary>
    public const int ContextWidth = 3;

    /// <summary>Width of φ: 1 + d_z (+ 3 with context terms).</summary>
    public static int Width(int embeddingDimension, bool contextTerms) => 1 + embeddingDimension + (contextTerms ? ContextWidth : 0);

    /// <summary>Write φ(z, x).</summary>
    public static void Write(ReadOnlySpan<double> z, GambitContext context, bool contextTerms, Span<double> destination)
    {
        destination[0] = 1;
        WriteInputs(z, context, contextTerms, destination[1..]);
    }

    /// <summary>Write φ without the intercept, [z, (work, home, bin)]: the input of the ensemble's networks.</summary>
    public static void WriteInputs(ReadOnlySpan<double> z, GambitContext context, bool contextTerms, Span<double> destination)
    {
        z.CopyTo(destination);
        if (!contextTerms) return;
        int d = z.Length;
        destination[d] = context.Location == Location.Work ? 1 : 0;
        destination[d + 1] = context.Location == Location.Home ? 1 : 0;
        destination[d + 2] = context.StepsBin;
    }
}
