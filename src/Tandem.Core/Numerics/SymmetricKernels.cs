using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tandem.Core.Numerics;

/// <summary>
/// Small dense kernels for symmetric row-major d×d matrices (inverse design matrices, d ≤ 100). Span in,
/// span out, caller-owned destination, no allocation. Symmetry lets a matrix–vector product run as a
/// sum of scaled rows, so every operation is a full-width SIMD fused multiply-add with no horizontal
/// reduction; at d = 20 this is several times faster than one dot product per row.
/// </summary>
/// <remarks>Unchecked: callers validate lengths (d·d, d) once at their public edge (STYLE 5).</remarks>
public static class SymmetricKernels
{
    /// <summary>y = A x for symmetric A (d×d, row-major), d = x.Length. y must not overlap A or x.
    /// y is computed as Σ_j x_j·row_j (row j = column j by symmetry) in register blocks of four SIMD
    /// vectors; every y_k is the same fused multiply-add chain over j = 0..d−1 whichever path computes
    /// it, so results do not depend on the block a coordinate falls in.</summary>
    public static void Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> x, Span<double> y)
    {
        int d = x.Length;
        ref double yRef = ref MemoryMarshal.GetReference(y[..d]);
        ref double aRef = ref MemoryMarshal.GetReference(a[..(d * d)]);
        ref double xRef = ref MemoryMarshal.GetReference(x);
        int w = Vector<double>.Count;
        int k = 0;
        for (; k + 4 * w <= d; k += 4 * w)
        {
            Vector<double> acc0 = Vector<double>.Zero, acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int j = 0; j < d; j++)
            {
                var xv = new Vector<double>(Unsafe.Add(ref xRef, j));
                ref double row = ref Unsafe.Add(ref aRef, j * d + k);
                acc0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref row), xv, acc0);
                acc1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref row, (nuint)w), xv, acc1);
                acc2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref row, (nuint)(2 * w)), xv, acc2);
                acc3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref row, (nuint)(3 * w)), xv, acc3);
            }
            acc0.StoreUnsafe(ref yRef, (nuint)k);
            acc1.StoreUnsafe(ref yRef, (nuint)(k + w));
            acc2.StoreUnsafe(ref yRef, (nuint)(k + 2 * w));
            acc3.StoreUnsafe(ref yRef, (nuint)(k + 3 * w));
        }
        for (; k + w <= d; k += w)
        {
            Vector<double> acc = Vector<double>.Zero;
            for (int j = 0; j < d; j++)
                acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref Unsafe.Add(ref aRef, j * d + k)), new Vector<double>(Unsafe.Add(ref xRef, j)), acc);
            acc.StoreUnsafe(ref yRef, (nuint)k);
        }
        for (; k < d; k++)
        {
            double sum = 0;
            for (int j = 0; j < d; j++) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref aRef, j * d + k), Unsafe.Add(ref xRef, j), sum);
            Unsafe.Add(ref yRef, k) = sum;
        }
    }

    /// <summary>xᵀ A x for symmetric A, using <paramref name="workspace"/> (length ≥ d) for A x, which it
    /// leaves there.</summary>
    public static double QuadraticForm(ReadOnlySpan<double> a, ReadOnlySpan<double> x, Span<double> workspace)
    {
        Multiply(a, x, workspace);
        return Dot(x, workspace[..x.Length]);
    }

    /// <summary>A ← A − w wᵀ on the full matrix. Every entry is one fused multiply-add of the same exact
    /// product, so an exactly symmetric A stays exactly symmetric.</summary>
    public static void SubtractOuter(Span<double> a, ReadOnlySpan<double> w)
    {
        int d = w.Length;
        ref double aRef = ref MemoryMarshal.GetReference(a[..(d * d)]);
        ref double wRef = ref MemoryMarshal.GetReference(w);
        int width = Vector<double>.Count;
        int vectorEnd = d - d % width;
        for (int i = 0; i < d; i++)
        {
            double wi = -w[i];
            ref double row = ref Unsafe.Add(ref aRef, i * d);
            var wv = new Vector<double>(wi);
            int k = 0;
            for (; k < vectorEnd; k += width)
            {
                Vector<double> r = Vector.LoadUnsafe(ref row, (nuint)k);
                r = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref wRef, (nuint)k), wv, r);
                r.StoreUnsafe(ref row, (nuint)k);
            }
            for (; k < d; k++) Unsafe.Add(ref row, k) = Math.FusedMultiplyAdd(Unsafe.Add(ref wRef, k), wi, Unsafe.Add(ref row, k));
        }
    }

    /// <summary>xᵀy for short vectors (one SIMD accumulator, then the tail).</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int d = x.Length;
        ref double xRef = ref MemoryMarshal.GetReference(x);
        ref double yRef = ref MemoryMarshal.GetReference(y[..d]);
        int width = Vector<double>.Count;
        int vectorEnd = d - d % width;
        Vector<double> acc = Vector<double>.Zero;
        int k = 0;
        for (; k < vectorEnd; k += width)
            acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xRef, (nuint)k), Vector.LoadUnsafe(ref yRef, (nuint)k), acc);
        double sum = Vector.Sum(acc);
        for (; k < d; k++) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref xRef, k), Unsafe.Add(ref yRef, k), sum);
        return sum;
    }
}
