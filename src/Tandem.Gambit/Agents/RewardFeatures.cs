using Tandem.Gambit.Model;

namespace Tandem.Gambit.Agents;

/// <summary>The reward model's features φ(z, x) = [1, z, (terms(x))] (seed 002 App. F.2.2); in the paper's space
/// terms(x) = [work, home, steps bin].</summary>
public static class RewardFeatures
{
    /// <summary>Number of context terms φ carries: the space's <see cref="ContextSpace.TermCount"/> when
    /// <paramref name="contextTerms"/>, else 0.</summary>
    public static int ContextWidth(ContextSpace contexts, bool contextTerms)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        return contextTerms ? contexts.TermCount : 0;
    }

    /// <summary>Width of φ: 1 + d_z (+ the space's term count with context terms).</summary>
    public static int Width(int embeddingDimension, ContextSpace contexts, bool contextTerms) => 1 + embeddingDimension + ContextWidth(contexts, contextTerms);

    /// <summary>Write φ(z, x).</summary>
    public static void Write(ReadOnlySpan<double> z, GambitContext context, bool contextTerms, Span<double> destination)
    {
        destination[0] = 1;
        WriteInputs(z, context, contextTerms, destination[1..]);
    }

    /// <summary>Write φ without the intercept, [z, (terms(x))]: the input of the ensemble's networks.</summary>
    public static void WriteInputs(ReadOnlySpan<double> z, GambitContext context, bool contextTerms, Span<double> destination)
    {
        z.CopyTo(destination);
        if (!contextTerms) return;
        context.Terms.CopyTo(destination[z.Length..]);
    }
}
