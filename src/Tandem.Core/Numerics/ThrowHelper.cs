using System.Diagnostics.CodeAnalysis;

namespace Tandem.Core.Numerics;

/// <summary>Throw sites kept out of the kernels so the validated fast paths stay small and inlinable
/// (STYLE 5, dotnet/runtime's ThrowHelper). Shared by every Tandem project's public edges.</summary>
public static class ThrowHelper
{
    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="paramName"/>.</summary>
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming <paramref name="paramName"/> and the actual value.</summary>
    [DoesNotReturn]
    public static void OutOfRange(string paramName, object? actual, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actual, message);

    /// <summary>Throws unless <paramref name="length"/> = n² (an n×n row-major matrix).</summary>
    public static void SquareLength(int length, int n, string paramName)
    {
        if (length != n * n) Argument(paramName, $"Expected an {n}×{n} row-major matrix ({n * n} values); got {length} values.");
    }

    /// <summary>Throws unless <paramref name="length"/> ≥ <paramref name="required"/>.</summary>
    public static void AtLeast(int length, int required, string paramName)
    {
        if (length < required) Argument(paramName, $"Needs at least {required} values; got {length}.");
    }

    /// <summary>Throws unless <paramref name="length"/> = <paramref name="required"/>.</summary>
    public static void Exactly(int length, int required, string paramName)
    {
        if (length != required) Argument(paramName, $"Expected {required} values; got {length}.");
    }

    /// <summary>Throws naming the first non-finite element.</summary>
    public static void AllFinite(ReadOnlySpan<double> values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i])) Argument(paramName, $"Element {i} is {values[i]}; every element must be finite.");
        }
    }

    /// <summary>Throws when <paramref name="output"/> overlaps <paramref name="input"/> other than exactly.</summary>
    public static void NoPartialOverlap(ReadOnlySpan<double> input, ReadOnlySpan<double> output, string paramName)
    {
        if (input.Overlaps(output, out int offset) && (offset != 0 || input.Length != output.Length))
            Argument(paramName, "The destination partially overlaps an input; use a separate buffer or exactly the same one.");
    }

    /// <summary>Throws when <paramref name="output"/> overlaps <paramref name="input"/> at all.</summary>
    public static void NoOverlap(ReadOnlySpan<double> input, ReadOnlySpan<double> output, string paramName)
    {
        if (input.Overlaps(output)) Argument(paramName, "The destination must not overlap an input.");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    public static void FiniteNonNegative(double value, string paramName)
    {
        if (!double.IsFinite(value) || value < 0) Argument(paramName, $"Must be finite and ≥ 0, got {value}.");
    }
}
