using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tandem.Core.Neural;

// Hand-vectorised kernels for the short vectors of small networks (widths of tens): the call overhead of
// TensorPrimitives dominates at these sizes, so the loops are written once here with Vector<double>.
internal static class SmallKernels
{
    // y += a·x
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int n = y.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = new Vector<double>(a);
            ReadOnlySpan<Vector<double>> vx = MemoryMarshal.Cast<double, Vector<double>>(x[..n]);
            Span<Vector<double>> vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int k = 0; k < vy.Length; k++) vy[k] += va * vx[k];
            i = vy.Length * Vector<double>.Count;
        }
        for (; i < n; i++) y[i] += a * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length;
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            ReadOnlySpan<Vector<double>> vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            ReadOnlySpan<Vector<double>> vy = MemoryMarshal.Cast<double, Vector<double>>(y[..n]);
            Vector<double> acc = Vector<double>.Zero;
            for (int k = 0; k < vx.Length; k++) acc += vx[k] * vy[k];
            sum = Vector.Sum(acc);
            i = vx.Length * Vector<double>.Count;
        }
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    // y = max(y, 0)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Relu(Span<double> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            Span<Vector<double>> vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            for (int k = 0; k < vy.Length; k++) vy[k] = Vector.Max(vy[k], Vector<double>.Zero);
            i = vy.Length * Vector<double>.Count;
        }
        for (; i < y.Length; i++) if (!(y[i] > 0)) y[i] = 0;
    }
}
