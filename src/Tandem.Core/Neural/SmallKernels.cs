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

    // y = b + Σ_i x_i W[i, :] with W input-major (nIn × nOut). Each block of Vector<double>.Count outputs is summed
    // over the inputs in a register, in the same order and with the same operations as b.CopyTo(y) followed by
    // Axpy(x_i, W[i, :], y) for i = 0, 1, ..., so the results are bitwise those of that loop, without its stores.
    public static void DenseForward(ReadOnlySpan<double> x, ReadOnlySpan<double> w, ReadOnlySpan<double> b, Span<double> y)
    {
        int nIn = x.Length, nOut = y.Length;
        if (w.Length < nIn * nOut || b.Length < nOut) throw new ArgumentException("The weights or biases are too short.", nameof(w));
        int j = 0;
        if (Vector.IsHardwareAccelerated && nOut >= Vector<double>.Count)
        {
            int width = Vector<double>.Count;
            ref double rw = ref MemoryMarshal.GetReference(w);
            ref double rb = ref MemoryMarshal.GetReference(b);
            ref double ry = ref MemoryMarshal.GetReference(y);
            for (; j <= nOut - width; j += width)
            {
                Vector<double> acc = Vector.LoadUnsafe(ref rb, (nuint)j);
                for (int i = 0; i < nIn; i++) acc += new Vector<double>(x[i]) * Vector.LoadUnsafe(ref rw, (nuint)(i * nOut + j));
                acc.StoreUnsafe(ref ry, (nuint)j);
            }
        }
        for (; j < nOut; j++)
        {
            double acc = b[j];
            for (int i = 0; i < nIn; i++) acc += x[i] * w[i * nOut + j];
            y[j] = acc;
        }
    }

    // Backward of a dense layer for one sample: gW[i, :] += x_i δ for every i and, when down is not empty,
    // down[i] = Σ_j W[i, j] δ_j. Bitwise the same arithmetic as Axpy(x_i, δ, gW[i, :]) and Dot(W[i, :], δ) per row,
    // in one pass over the rows.
    public static void DenseBackward(ReadOnlySpan<double> x, ReadOnlySpan<double> w, ReadOnlySpan<double> delta, Span<double> gw, Span<double> down)
    {
        int nIn = x.Length, nOut = delta.Length;
        if (w.Length < nIn * nOut || gw.Length < nIn * nOut) throw new ArgumentException("The weights or their gradients are too short.", nameof(w));
        bool wantDown = !down.IsEmpty;
        if (wantDown && down.Length < nIn) throw new ArgumentException("The input gradient is too short.", nameof(down));
        int width = Vector<double>.Count;
        int blocks = Vector.IsHardwareAccelerated && nOut >= width ? nOut / width : 0;
        int tail = blocks * width;
        ref double rw = ref MemoryMarshal.GetReference(w);
        ref double rgw = ref MemoryMarshal.GetReference(gw);
        ref double rd = ref MemoryMarshal.GetReference(delta);
        for (int i = 0; i < nIn; i++)
        {
            int row = i * nOut;
            var xi = new Vector<double>(x[i]);
            Vector<double> acc = Vector<double>.Zero;
            for (int k = 0; k < blocks; k++)
            {
                nuint at = (nuint)(row + k * width);
                Vector<double> d = Vector.LoadUnsafe(ref rd, (nuint)(k * width));
                (Vector.LoadUnsafe(ref rgw, at) + xi * d).StoreUnsafe(ref rgw, at);
                if (wantDown) acc += Vector.LoadUnsafe(ref rw, at) * d;
            }
            double sum = blocks > 0 ? Vector.Sum(acc) : 0;
            for (int j = tail; j < nOut; j++)
            {
                gw[row + j] += x[i] * delta[j];
                if (wantDown) sum += w[row + j] * delta[j];
            }
            if (wantDown) down[i] = sum;
        }
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

    // One sample of a squared-error step on y = b2 + w2ᵀ relu(b1 + W1ᵀx) in one pass: the forward pass keeps the
    // pre-activations in `pre` (the same arithmetic, in the same order, as ReluLayerDot), then with
    // g = scale · (y − target) the backward pass reads them: gb2 += g (by the caller); gw2 += g·h; δ = g·w2 ⊙ [h > 0];
    // gb1 += δ; gW1[i, :] += x_i δ. Returns the residual y − target, bitwise b2 + ReluLayerDot(x) − target.
    public static double ReluLayerSquaredErrorStep(ReadOnlySpan<double> x, ReadOnlySpan<double> w1, ReadOnlySpan<double> b1, ReadOnlySpan<double> w2,
        double b2, double target, double scale, Span<double> pre, Span<double> gw1, Span<double> gb1, Span<double> gw2)
    {
        int hidden = b1.Length, nIn = x.Length;
        if (w1.Length < nIn * hidden || w2.Length < hidden || pre.Length < hidden || gw1.Length < nIn * hidden || gb1.Length < hidden || gw2.Length < hidden)
            throw new ArgumentException("Spans too short for the layer.");
        int width = Vector<double>.Count;
        bool vectorized = Vector.IsHardwareAccelerated && hidden >= width;
        int j = 0;
        double sum = 0;
        if (vectorized)
        {
            ref double rw1 = ref MemoryMarshal.GetReference(w1);
            ref double rb1 = ref MemoryMarshal.GetReference(b1);
            ref double rw2 = ref MemoryMarshal.GetReference(w2);
            ref double rpre = ref MemoryMarshal.GetReference(pre);
            Vector<double> acc = Vector<double>.Zero;
            for (; j <= hidden - width; j += width)
            {
                Vector<double> h = Vector.LoadUnsafe(ref rb1, (nuint)j);
                for (int i = 0; i < nIn; i++) h += new Vector<double>(x[i]) * Vector.LoadUnsafe(ref rw1, (nuint)(i * hidden + j));
                h.StoreUnsafe(ref rpre, (nuint)j);
                acc += Vector.Max(h, Vector<double>.Zero) * Vector.LoadUnsafe(ref rw2, (nuint)j);
            }
            sum = Vector.Sum(acc);
        }
        int tail = j;
        for (; j < hidden; j++)
        {
            double h = b1[j];
            for (int i = 0; i < nIn; i++) h += x[i] * w1[i * hidden + j];
            pre[j] = h;
            if (h > 0) sum += h * w2[j];
        }
        double residual = b2 + sum - target, g = scale * residual;

        j = 0;
        if (vectorized)
        {
            ref double rw2 = ref MemoryMarshal.GetReference(w2);
            ref double rpre = ref MemoryMarshal.GetReference(pre);
            ref double rgw1 = ref MemoryMarshal.GetReference(gw1);
            ref double rgb1 = ref MemoryMarshal.GetReference(gb1);
            ref double rgw2 = ref MemoryMarshal.GetReference(gw2);
            var vg = new Vector<double>(g);
            for (; j < tail; j += width)
            {
                Vector<double> p = Vector.LoadUnsafe(ref rpre, (nuint)j);
                Vector<double> h = Vector.Max(p, Vector<double>.Zero);
                (Vector.LoadUnsafe(ref rgw2, (nuint)j) + vg * h).StoreUnsafe(ref rgw2, (nuint)j);
                Vector<double> delta = Vector.ConditionalSelect(Vector.GreaterThan(p, Vector<double>.Zero), vg * Vector.LoadUnsafe(ref rw2, (nuint)j), Vector<double>.Zero);
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
            double p = pre[j];
            if (!(p > 0)) continue;
            gw2[j] += g * p;
            double delta = g * w2[j];
            gb1[j] += delta;
            for (int i = 0; i < nIn; i++) gw1[i * hidden + j] += x[i] * delta;
        }
        return residual;
    }

}
