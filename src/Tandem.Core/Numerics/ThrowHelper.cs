using System.Diagnostics.CodeAnalysis;

namespace Tandem.Core.Numerics;

// Throw sites kept out of the kernels so the validated fast paths stay small and inlinable (STYLE 5).
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void OutOfRange(string paramName, object? actual, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actual, message);

    public static void SquareLength(int length, int n, string paramName)
    {
        if (length != n * n) Argument(paramName, $"Expected an {n}×{n} row-major matrix ({n * n} values); got {length} values.");
    }

    public static void AtLeast(int length, int required, string paramName)
    {
        if (length < required) Argument(paramName, $"Needs at least {required} values; got {length}.");
    }

    public static void Exactly(int length, int required, string paramName)
    {
        if (length != required) Argument(paramName, $"Expected {required} values; got {length}.");
    }

    public static void AllFinite(ReadOnlySpan<double> values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i])) Argument(paramName, $"Element {i} is {values[i]}; every element must be finite.");
        }
    }

    public static void NoPartialOverlap(ReadOnlySpan<double> input, ReadOnlySpan<double> output, string paramName)
    {
        if (input.Overlaps(output, out int offset) && (offset != 0 || input.Length != output.Length))
            Argument(paramName, "The destination partially overlaps an input; use a separate buffer or exactly the same one.");
    }

    public static void NoOverlap(ReadOnlySpan<double> input, ReadOnlySpan<double> output, string paramName)
    {
        if (input.Overlaps(output)) Argument(paramName, "The destination must not overlap an input.");
    }
}
