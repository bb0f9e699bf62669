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

    // Σ_j w2[j] · max(0, b1[j] + Σ_i x[i] W1[i, j]) with W1 input-major (nIn × hidden), fused over hidden in registers.
    public static double ReluLayerDot(ReadOnlySpan<double> x, ReadOnlySpan<double> w1, ReadOnlySpan<double> b1, ReadOnlySpan<double> w2)
    {
        int hidden = b1.Length, nIn = x.Length;
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && hidden >= Vector<double>.Count && w1.Length >= nIn * hidden && w2.Length >= hidden)
        {
            int width = Vector<double>.Count;
            ref double rw1 = ref MemoryMarshal.GetReference(w1);
            ref double rb1 = ref MemoryMarshal.GetReference(b1);
            ref double rw2 = ref MemoryMarshal.GetReference(w2);
            Vector<double> acc = Vector<double>.Zero;
            for (; j <= hidden - width; j += width)
            {
                Vector<double> h = Vector.LoadUnsafe(ref rb1, (nuint)j);
                for (int i = 0; i < nIn; i++) h += new Vector<double>(x[i]) * Vector.LoadUnsafe(ref rw1, (nuint)(i * hidden + j));
                acc += Vector.Max(h, Vector<double>.Zero) * Vector.LoadUnsafe(ref rw2, (nuint)j);
            }
            sum = Vector.Sum(acc);
        }
        for (; j < hidden; j++)
        {
            double h = b1[j];
            for (int i = 0; i < nIn; i++) h += x[i] * w1[i * hidden + j];
            if (h > 0) sum += h * w2[j];
        }
        return sum;
    }

    // Backward of y = b2 + w2ᵀ relu(b1 + W1ᵀx) for one sample with ∂L/∂y = g, accumulating into the gradients:
    // gb2 += g; gw2 += g·h; δ = g·w2 ⊙ [h > 0]; gb1 += δ; gW1[i, :] += x_i δ. h is recomputed in registers.
    public static void ReluLayerBackward(ReadOnlySpan<double> x, ReadOnlySpan<double> w1, ReadOnlySpan<double> b1, ReadOnlySpan<double> w2, double g,
        Span<double> gw1, Span<double> gb1, Span<double> gw2)
    {
        int hidden = b1.Length, nIn = x.Length;
        int j = 0;
        if (Vector.IsHardwareAccelerated && hidden >= Vector<double>.Count && w1.Length >= nIn * hidden && w2.Length >= hidden
            && gw1.Length >= nIn * hidden && gb1.Length >= hidden && gw2.Length >= hidden)
        {
            int width = Vector<double>.Count;
            ref double rw1 = ref MemoryMarshal.GetReference(w1);
            ref double rb1 = ref MemoryMarshal.GetReference(b1);
            ref double rw2 = ref MemoryMarshal.GetReference(w2);
            ref double rgw1 = ref MemoryMarshal.GetReference(gw1);
            ref double rgb1 = ref MemoryMarshal.GetReference(gb1);
            ref double rgw2 = ref MemoryMarshal.GetReference(gw2);
            var vg = new Vector<double>(g);
            for (; j <= hidden - width; j += width)
            {
                Vector<double> pre = Vector.LoadUnsafe(ref rb1, (nuint)j);
                for (int i = 0; i < nIn; i++) pre += new Vector<double>(x[i]) * Vector.LoadUnsafe(ref rw1, (nuint)(i * hidden + j));
                Vector<double> h = Vector.Max(pre, Vector<double>.Zero);
                (Vector.LoadUnsafe(ref rgw2, (nuint)j) + vg * h).StoreUnsafe(ref rgw2, (nuint)j);
                Vector<double> delta = Vector.ConditionalSelect(Vector.GreaterThan(pre, Vector<double>.Zero), vg * Vector.LoadUnsafe(ref rw2, (nuint)j), Vector<double>.Zero);
                (Vector.LoadUnsafe(ref rgb1, (nuint)j) + delta).StoreUnsafe(ref rgb1, (nuint)j);
                for (int i = 0; i < nIn; i++)
                {
                    nuint at = (nuint)(i * hidden + j);
                    (Vector.LoadUnsafe(ref rgw1, at) + new Vector<double>(x[i]) * delta).StoreUnsafe(ref rgw1, at);
                }
            }
        }
        for (; j < hidden; j++)
        {
            double pre = b1[j];
            for (int i = 0; i < nIn; i++) pre += x[i] * w1[i * hidden + j];
            if (!(pre > 0)) continue;
            gw2[j] += g * pre;
            double delta = g * w2[j];
            gb1[j] += delta;
            for (int i = 0; i < nIn; i++) gw1[i * hidden + j] += x[i] * delta;
        }
    }
}
