using System.Diagnostics.CodeAnalysis;

namespace Tandem.Recourse.Geometry;

/// <summary>Argument checks shared by the public edges of Geometry and Solvers (STYLE 5).</summary>
internal static class Guard
{
    [DoesNotReturn]
    public static void Throw(string parameterName, string message) =>
        throw new ArgumentException(message, parameterName);

    public static void Length(int actual, int expected, string parameterName)
    {
        if (actual != expected)
            Throw(parameterName, $"Expected length {expected}, got {actual}.");
    }

    public static void Finite(ReadOnlySpan<double> values, string parameterName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                Throw(parameterName, $"Element {i} is {values[i]}; all elements must be finite.");
        }
    }

    public static void FiniteNonNegative(double value, string parameterName)
    {
        if (!double.IsFinite(value) || value < 0)
            Throw(parameterName, $"Must be finite and ≥ 0, got {value}.");
    }
}
