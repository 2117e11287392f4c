using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Matrix times a few vectors for row-major float32 (attention's scores over cached keys): for a matrix W [rows, cols]
/// (row-major, the Hugging Face [out, in] layout) and a batch of input rows x[b],
/// <c>y[b, r] = Σ_i W[r, i]·x[b, i]</c>. Decoding is bound by the bytes of W read per step, so
/// the rows are walked in memory order (one long stream the prefetcher can follow), and each row is
/// read once for every input of the batch (four at a time in registers, the row staying in L1 for
/// the next four). Model weights are kept in panels and take <see cref="PanelMatVec"/>.
/// </summary>
/// <remarks>
/// Every output is the same sum in the same order whatever the row range, the batch size or the
/// input's place in the batch: two accumulators of <see cref="MatVecPaths.Lanes"/> lanes take
/// alternate blocks of columns (FMA), a last whole block goes to the first, the two are added,
/// halved down to four lanes, summed as (l0 + l2) + (l1 + l3), and the leftover columns are
/// fused in one by one. <see cref="Ordered"/> is that sum written as a scalar loop, the reference
/// each vector path is tested against bit for bit; <see cref="Reference"/> is the plain float64 loop.
/// </remarks>
public static class MatVec
{
    /// <summary>Rows [rowStart, rowEnd) of y = W·x for float32 weights.</summary>
    /// <param name="w">W, rows × <paramref name="cols"/> (at least rowEnd rows).</param>
    /// <param name="cols">Columns of W, the input width.</param>
    /// <param name="x">Inputs: <paramref name="batch"/> rows of stride <paramref name="ldx"/>.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of input vectors.</param>
    /// <param name="y">Outputs: batch rows of stride <paramref name="ldy"/>; column r gets row r of W.</param>
    /// <param name="ldy">Row stride of y.</param>
    /// <param name="rowStart">First row of W to use.</param>
    /// <param name="rowEnd">One past the last row.</param>
    public static void F32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd) =>
        F32(w, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, MatVecPaths.Best);

    /// <summary><see cref="F32(ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, int, Span{float}, int, int, int)"/> on a chosen path (tests and benchmarks).</summary>
    internal static void F32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd, MatVecPath path)
    {
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
        Dispatch<F32Weights, float>(path, ref MemoryMarshal.GetReference(w), cols, ref MemoryMarshal.GetReference(x), ldx, batch, ref MemoryMarshal.GetReference(y), ldy, rowStart, rowEnd);
    }

    /// <summary>The scalar loop (float64 sums), for tolerance checks. W is given widened to float.</summary>
    public static void Reference(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
    {
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
        for (int b = 0; b < batch; b++)
            for (int r = rowStart; r < rowEnd; r++)
            {
                double s = 0;
                for (int i = 0; i < cols; i++) s += (double)w[r * cols + i] * x[b * ldx + i];
                y[b * ldy + r] = (float)s;
            }
    }

    /// <summary>
    /// The vector paths' sum as a scalar loop over <paramref name="lanes"/> lanes (16 for
    /// <see cref="MatVecPath.Vector512"/>, 8 for <see cref="MatVecPath.Vector256"/> and the scalar path):
    /// the reference a vector path equals bit for bit. W is given widened to float.
    /// </summary>
    public static void Ordered(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd, int lanes)
    {
        if (lanes is not (8 or 16)) throw new ArgumentException("lanes must be 8 or 16", nameof(lanes));
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
        for (int b = 0; b < batch; b++)
            for (int r = rowStart; r < rowEnd; r++)
                y[b * ldy + r] = OrderedDot<F32Weights, float>(ref MemoryMarshal.GetReference(w.Slice(r * cols)), ref MemoryMarshal.GetReference(x.Slice(b * ldx)), cols, lanes);
    }

    private static void Check(long wLength, int cols, int xLength, int ldx, int batch, int yLength, int ldy, int rowStart, int rowEnd)
    {
        if (cols < 0 || batch < 0 || rowStart < 0 || rowEnd < rowStart) throw new ArgumentException("negative size or empty row range");
        if (batch == 0 || rowEnd == rowStart) return;
        if ((long)rowEnd * cols > wLength) throw new ArgumentException($"W holds {wLength} values, rows up to {rowEnd} of {cols} need more");
        if (ldx < cols || (long)(batch - 1) * ldx + cols > xLength) throw new ArgumentException("x is too short for the batch");
        if (ldy < rowEnd || (long)(batch - 1) * ldy + rowEnd > yLength) throw new ArgumentException("y is too short for the batch");
    }

    private static void Dispatch<TW, T>(MatVecPath path, ref T w, int cols, ref float x, int ldx, int batch, ref float y, int ldy, int rowStart, int rowEnd)
        where TW : struct, IWeights<T> where T : unmanaged
    {
        if (batch == 0 || rowEnd == rowStart) return;
        if (!MatVecPaths.IsSupported(path)) throw new PlatformNotSupportedException($"the {path} matrix-vector path needs hardware this machine lacks");
        switch (path)
        {
            case MatVecPath.Vector512: Rows<TW, T, Lanes512>(ref w, cols, ref x, ldx, batch, ref y, ldy, rowStart, rowEnd); break;
            case MatVecPath.Vector256: Rows<TW, T, Lanes256>(ref w, cols, ref x, ldx, batch, ref y, ldy, rowStart, rowEnd); break;
            default: Rows<TW, T, LanesScalar>(ref w, cols, ref x, ldx, batch, ref y, ldy, rowStart, rowEnd); break;
        }
    }

    // Rows in memory order; for each row (or pair of rows) the inputs in groups of four (the rows stay in L1 between groups).
    private static void Rows<TW, T, TL>(ref T w, int cols, ref float x, int ldx, int batch, ref float y, int ldy, int rowStart, int rowEnd)
        where TW : struct, IWeights<T> where T : unmanaged where TL : struct, ILanes
    {
        int r = rowStart;
        if (batch >= 4)
        {
            // Two rows against four inputs at a time: each loaded input block serves both rows.
            for (; r <= rowEnd - 2; r += 2)
            {
                ref T row = ref Unsafe.Add(ref w, (nint)r * cols);
                int b0 = 0;
                for (; b0 <= batch - 4; b0 += 4)
                {
                    ref float x0 = ref Unsafe.Add(ref x, (nint)b0 * ldx);
                    TL.Dot2x4<TW, T>(ref row, ref Unsafe.Add(ref row, cols), cols, ref x0, ref Unsafe.Add(ref x0, ldx), ref Unsafe.Add(ref x0, 2 * ldx), ref Unsafe.Add(ref x0, 3 * ldx),
                        out var s0, out var s1, out var s2, out var s3);
                    ref float y0 = ref Unsafe.Add(ref y, (nint)b0 * ldy + r);
                    y0 = s0.A;
                    Unsafe.Add(ref y0, 1) = s0.B;
                    Unsafe.Add(ref y0, ldy) = s1.A;
                    Unsafe.Add(ref y0, ldy + 1) = s1.B;
                    Unsafe.Add(ref y0, 2 * ldy) = s2.A;
                    Unsafe.Add(ref y0, 2 * ldy + 1) = s2.B;
                    Unsafe.Add(ref y0, 3 * ldy) = s3.A;
                    Unsafe.Add(ref y0, 3 * ldy + 1) = s3.B;
                }
                for (; b0 < batch; b0++)
                {
                    ref float xb = ref Unsafe.Add(ref x, (nint)b0 * ldx);
                    Unsafe.Add(ref y, (nint)b0 * ldy + r) = TL.Dot<TW, T>(ref row, cols, ref xb);
                    Unsafe.Add(ref y, (nint)b0 * ldy + r + 1) = TL.Dot<TW, T>(ref Unsafe.Add(ref row, cols), cols, ref xb);
                }
            }
        }
        for (; r < rowEnd; r++)
        {
            ref T row = ref Unsafe.Add(ref w, (nint)r * cols);
            int b0 = 0;
            for (; b0 <= batch - 4; b0 += 4)
            {
                ref float x0 = ref Unsafe.Add(ref x, (nint)b0 * ldx);
                TL.Dot4<TW, T>(ref row, cols, ref x0, ref Unsafe.Add(ref x0, ldx), ref Unsafe.Add(ref x0, 2 * ldx), ref Unsafe.Add(ref x0, 3 * ldx),
                    out float s0, out float s1, out float s2, out float s3);
                ref float y0 = ref Unsafe.Add(ref y, (nint)b0 * ldy + r);
                y0 = s0;
                Unsafe.Add(ref y0, ldy) = s1;
                Unsafe.Add(ref y0, 2 * ldy) = s2;
                Unsafe.Add(ref y0, 3 * ldy) = s3;
            }
            for (; b0 < batch; b0++)
                Unsafe.Add(ref y, (nint)b0 * ldy + r) = TL.Dot<TW, T>(ref row, cols, ref Unsafe.Add(ref x, (nint)b0 * ldx));
        }
    }

    // The order every path sums in, over `lanes` lanes, one element at a time.
    private static float OrderedDot<TW, T>(ref T w, ref float x, int n, int lanes) where TW : struct, IWeights<T> where T : unmanaged
    {
        Span<float> a0 = stackalloc float[16], a1 = stackalloc float[16];
        a0.Clear();
        a1.Clear();
        int i = 0;
        for (; i <= n - 2 * lanes; i += 2 * lanes)
            for (int k = 0; k < lanes; k++)
            {
                a0[k] = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref w, i + k)), Unsafe.Add(ref x, i + k), a0[k]);
                a1[k] = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref w, i + lanes + k)), Unsafe.Add(ref x, i + lanes + k), a1[k]);
            }
        if (i <= n - lanes)
        {
            for (int k = 0; k < lanes; k++) a0[k] = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref w, i + k)), Unsafe.Add(ref x, i + k), a0[k]);
            i += lanes;
        }
        for (int k = 0; k < lanes; k++) a0[k] += a1[k];
        for (int width = lanes; width > 4; width /= 2)
            for (int k = 0; k < width / 2; k++) a0[k] += a0[k + width / 2];
        float s = (a0[0] + a0[2]) + (a0[1] + a0[3]);
        for (; i < n; i++) s = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref w, i)), Unsafe.Add(ref x, i), s);
        return s;
    }

    private interface IWeights<T> where T : unmanaged
    {
        static abstract Vector512<float> Load16(ref T p);
        static abstract Vector256<float> Load8(ref T p);
        static abstract float Load1(T value);
    }

    private readonly struct F32Weights : IWeights<float>
    {
        public static Vector512<float> Load16(ref float p) => Vector512.LoadUnsafe(ref p);
        public static Vector256<float> Load8(ref float p) => Vector256.LoadUnsafe(ref p);
        public static float Load1(float value) => value;
    }

    // One implementation of the ordered dot product per path: one input, or four inputs sharing each widened block of the row.
    private interface ILanes
    {
        static abstract float Dot<TW, T>(ref T w, int n, ref float x) where TW : struct, IWeights<T> where T : unmanaged;

        static abstract void Dot4<TW, T>(ref T w, int n, ref float x0, ref float x1, ref float x2, ref float x3, out float s0, out float s1, out float s2, out float s3)
            where TW : struct, IWeights<T> where T : unmanaged;

        // Rows wa and wb against four inputs: s_k holds both rows' sums for input k.
        static abstract void Dot2x4<TW, T>(ref T wa, ref T wb, int n, ref float x0, ref float x1, ref float x2, ref float x3,
            out Vector2Sums s0, out Vector2Sums s1, out Vector2Sums s2, out Vector2Sums s3) where TW : struct, IWeights<T> where T : unmanaged;
    }

    // Two sums for one input: row a's and row b's.
    private readonly record struct Vector2Sums(float A, float B);

    private readonly struct LanesScalar : ILanes
    {
        public static float Dot<TW, T>(ref T w, int n, ref float x) where TW : struct, IWeights<T> where T : unmanaged => OrderedDot<TW, T>(ref w, ref x, n, 8);

        public static void Dot4<TW, T>(ref T w, int n, ref float x0, ref float x1, ref float x2, ref float x3, out float s0, out float s1, out float s2, out float s3)
            where TW : struct, IWeights<T> where T : unmanaged
        {
            s0 = OrderedDot<TW, T>(ref w, ref x0, n, 8);
            s1 = OrderedDot<TW, T>(ref w, ref x1, n, 8);
            s2 = OrderedDot<TW, T>(ref w, ref x2, n, 8);
            s3 = OrderedDot<TW, T>(ref w, ref x3, n, 8);
        }

        public static void Dot2x4<TW, T>(ref T wa, ref T wb, int n, ref float x0, ref float x1, ref float x2, ref float x3,
            out Vector2Sums s0, out Vector2Sums s1, out Vector2Sums s2, out Vector2Sums s3) where TW : struct, IWeights<T> where T : unmanaged
        {
            s0 = new(OrderedDot<TW, T>(ref wa, ref x0, n, 8), OrderedDot<TW, T>(ref wb, ref x0, n, 8));
            s1 = new(OrderedDot<TW, T>(ref wa, ref x1, n, 8), OrderedDot<TW, T>(ref wb, ref x1, n, 8));
            s2 = new(OrderedDot<TW, T>(ref wa, ref x2, n, 8), OrderedDot<TW, T>(ref wb, ref x2, n, 8));
            s3 = new(OrderedDot<TW, T>(ref wa, ref x3, n, 8), OrderedDot<TW, T>(ref wb, ref x3, n, 8));
        }
    }

    private readonly struct Lanes256 : ILanes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Dot<TW, T>(ref T w, int n, ref float x) where TW : struct, IWeights<T> where T : unmanaged
        {
            Vector256<float> a0 = default, a1 = default;
            int i = 0;
            for (; i <= n - 16; i += 16)
            {
                a0 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w, i)), Vector256.LoadUnsafe(ref x, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w, i + 8)), Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), a1);
            }
            if (i <= n - 8)
            {
                a0 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w, i)), Vector256.LoadUnsafe(ref x, (nuint)i), a0);
                i += 8;
            }
            float s = Reduce(a0 + a1);
            for (; i < n; i++) s = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref w, i)), Unsafe.Add(ref x, i), s);
            return s;
        }

        public static void Dot4<TW, T>(ref T w, int n, ref float x0, ref float x1, ref float x2, ref float x3, out float s0, out float s1, out float s2, out float s3)
            where TW : struct, IWeights<T> where T : unmanaged
        {
            Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
            int i = 0;
            for (; i <= n - 16; i += 16)
            {
                var w0 = TW.Load8(ref Unsafe.Add(ref w, i));
                var w1 = TW.Load8(ref Unsafe.Add(ref w, i + 8));
                a00 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x0, (nuint)i), a00);
                a01 = Vector256.FusedMultiplyAdd(w1, Vector256.LoadUnsafe(ref x0, (nuint)(i + 8)), a01);
                a10 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x1, (nuint)i), a10);
                a11 = Vector256.FusedMultiplyAdd(w1, Vector256.LoadUnsafe(ref x1, (nuint)(i + 8)), a11);
                a20 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x2, (nuint)i), a20);
                a21 = Vector256.FusedMultiplyAdd(w1, Vector256.LoadUnsafe(ref x2, (nuint)(i + 8)), a21);
                a30 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x3, (nuint)i), a30);
                a31 = Vector256.FusedMultiplyAdd(w1, Vector256.LoadUnsafe(ref x3, (nuint)(i + 8)), a31);
            }
            if (i <= n - 8)
            {
                var w0 = TW.Load8(ref Unsafe.Add(ref w, i));
                a00 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x0, (nuint)i), a00);
                a10 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x1, (nuint)i), a10);
                a20 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x2, (nuint)i), a20);
                a30 = Vector256.FusedMultiplyAdd(w0, Vector256.LoadUnsafe(ref x3, (nuint)i), a30);
                i += 8;
            }
            s0 = Reduce(a00 + a01);
            s1 = Reduce(a10 + a11);
            s2 = Reduce(a20 + a21);
            s3 = Reduce(a30 + a31);
            for (; i < n; i++)
            {
                float wi = TW.Load1(Unsafe.Add(ref w, i));
                s0 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x0, i), s0);
                s1 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x1, i), s1);
                s2 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x2, i), s2);
                s3 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x3, i), s3);
            }
        }
        public static void Dot2x4<TW, T>(ref T wa, ref T wb, int n, ref float x0, ref float x1, ref float x2, ref float x3,
            out Vector2Sums s0, out Vector2Sums s1, out Vector2Sums s2, out Vector2Sums s3) where TW : struct, IWeights<T> where T : unmanaged
        {
            // Accumulator {row}{input}{half}: sixteen registers, the same two per (row, input) as Dot.
            Vector256<float> a000 = default, a001 = default, a010 = default, a011 = default, a020 = default, a021 = default, a030 = default, a031 = default;
            Vector256<float> a100 = default, a101 = default, a110 = default, a111 = default, a120 = default, a121 = default, a130 = default, a131 = default;
            int i = 0;
            for (; i <= n - 16; i += 16)
            {
                var wa0 = TW.Load8(ref Unsafe.Add(ref wa, i));
                var wa1 = TW.Load8(ref Unsafe.Add(ref wa, i + 8));
                var wb0 = TW.Load8(ref Unsafe.Add(ref wb, i));
                var wb1 = TW.Load8(ref Unsafe.Add(ref wb, i + 8));
                var x00 = Vector256.LoadUnsafe(ref x0, (nuint)i);
                var x01 = Vector256.LoadUnsafe(ref x0, (nuint)(i + 8));
                a000 = Vector256.FusedMultiplyAdd(wa0, x00, a000);
                a001 = Vector256.FusedMultiplyAdd(wa1, x01, a001);
                a100 = Vector256.FusedMultiplyAdd(wb0, x00, a100);
                a101 = Vector256.FusedMultiplyAdd(wb1, x01, a101);
                var x10 = Vector256.LoadUnsafe(ref x1, (nuint)i);
                var x11 = Vector256.LoadUnsafe(ref x1, (nuint)(i + 8));
                a010 = Vector256.FusedMultiplyAdd(wa0, x10, a010);
                a011 = Vector256.FusedMultiplyAdd(wa1, x11, a011);
                a110 = Vector256.FusedMultiplyAdd(wb0, x10, a110);
                a111 = Vector256.FusedMultiplyAdd(wb1, x11, a111);
                var x20 = Vector256.LoadUnsafe(ref x2, (nuint)i);
                var x21 = Vector256.LoadUnsafe(ref x2, (nuint)(i + 8));
                a020 = Vector256.FusedMultiplyAdd(wa0, x20, a020);
                a021 = Vector256.FusedMultiplyAdd(wa1, x21, a021);
                a120 = Vector256.FusedMultiplyAdd(wb0, x20, a120);
                a121 = Vector256.FusedMultiplyAdd(wb1, x21, a121);
                var x30 = Vector256.LoadUnsafe(ref x3, (nuint)i);
                var x31 = Vector256.LoadUnsafe(ref x3, (nuint)(i + 8));
                a030 = Vector256.FusedMultiplyAdd(wa0, x30, a030);
                a031 = Vector256.FusedMultiplyAdd(wa1, x31, a031);
                a130 = Vector256.FusedMultiplyAdd(wb0, x30, a130);
                a131 = Vector256.FusedMultiplyAdd(wb1, x31, a131);
            }
            if (i <= n - 8)
            {
                var wa0 = TW.Load8(ref Unsafe.Add(ref wa, i));
                var wb0 = TW.Load8(ref Unsafe.Add(ref wb, i));
                var x00 = Vector256.LoadUnsafe(ref x0, (nuint)i);
                a000 = Vector256.FusedMultiplyAdd(wa0, x00, a000);
                a100 = Vector256.FusedMultiplyAdd(wb0, x00, a100);
                var x10 = Vector256.LoadUnsafe(ref x1, (nuint)i);
                a010 = Vector256.FusedMultiplyAdd(wa0, x10, a010);
                a110 = Vector256.FusedMultiplyAdd(wb0, x10, a110);
                var x20 = Vector256.LoadUnsafe(ref x2, (nuint)i);
                a020 = Vector256.FusedMultiplyAdd(wa0, x20, a020);
                a120 = Vector256.FusedMultiplyAdd(wb0, x20, a120);
                var x30 = Vector256.LoadUnsafe(ref x3, (nuint)i);
                a030 = Vector256.FusedMultiplyAdd(wa0, x30, a030);
                a130 = Vector256.FusedMultiplyAdd(wb0, x30, a130);
                i += 8;
            }
            float p0 = Reduce(a000 + a001), p1 = Reduce(a010 + a011), p2 = Reduce(a020 + a021), p3 = Reduce(a030 + a031);
            float q0 = Reduce(a100 + a101), q1 = Reduce(a110 + a111), q2 = Reduce(a120 + a121), q3 = Reduce(a130 + a131);
            for (; i < n; i++)
            {
                float wai = TW.Load1(Unsafe.Add(ref wa, i)), wbi = TW.Load1(Unsafe.Add(ref wb, i));
                float e0 = Unsafe.Add(ref x0, i), e1 = Unsafe.Add(ref x1, i), e2 = Unsafe.Add(ref x2, i), e3 = Unsafe.Add(ref x3, i);
                p0 = MathF.FusedMultiplyAdd(wai, e0, p0);
                p1 = MathF.FusedMultiplyAdd(wai, e1, p1);
                p2 = MathF.FusedMultiplyAdd(wai, e2, p2);
                p3 = MathF.FusedMultiplyAdd(wai, e3, p3);
                q0 = MathF.FusedMultiplyAdd(wbi, e0, q0);
                q1 = MathF.FusedMultiplyAdd(wbi, e1, q1);
                q2 = MathF.FusedMultiplyAdd(wbi, e2, q2);
                q3 = MathF.FusedMultiplyAdd(wbi, e3, q3);
            }
            s0 = new(p0, q0);
            s1 = new(p1, q1);
            s2 = new(p2, q2);
            s3 = new(p3, q3);
        }
    }

    private readonly struct Lanes512 : ILanes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Dot<TW, T>(ref T w, int n, ref float x) where TW : struct, IWeights<T> where T : unmanaged
        {
            Vector512<float> a0 = default, a1 = default;
            int i = 0;
            for (; i <= n - 32; i += 32)
            {
                a0 = Vector512.FusedMultiplyAdd(TW.Load16(ref Unsafe.Add(ref w, i)), Vector512.LoadUnsafe(ref x, (nuint)i), a0);
                a1 = Vector512.FusedMultiplyAdd(TW.Load16(ref Unsafe.Add(ref w, i + 16)), Vector512.LoadUnsafe(ref x, (nuint)(i + 16)), a1);
            }
            if (i <= n - 16)
            {
                a0 = Vector512.FusedMultiplyAdd(TW.Load16(ref Unsafe.Add(ref w, i)), Vector512.LoadUnsafe(ref x, (nuint)i), a0);
                i += 16;
            }
            float s = Reduce(a0 + a1);
            for (; i < n; i++) s = MathF.FusedMultiplyAdd(TW.Load1(Unsafe.Add(ref w, i)), Unsafe.Add(ref x, i), s);
            return s;
        }

        public static void Dot4<TW, T>(ref T w, int n, ref float x0, ref float x1, ref float x2, ref float x3, out float s0, out float s1, out float s2, out float s3)
            where TW : struct, IWeights<T> where T : unmanaged
        {
            Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
            int i = 0;
            for (; i <= n - 32; i += 32)
            {
                var w0 = TW.Load16(ref Unsafe.Add(ref w, i));
                var w1 = TW.Load16(ref Unsafe.Add(ref w, i + 16));
                a00 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x0, (nuint)i), a00);
                a01 = Vector512.FusedMultiplyAdd(w1, Vector512.LoadUnsafe(ref x0, (nuint)(i + 16)), a01);
                a10 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x1, (nuint)i), a10);
                a11 = Vector512.FusedMultiplyAdd(w1, Vector512.LoadUnsafe(ref x1, (nuint)(i + 16)), a11);
                a20 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x2, (nuint)i), a20);
                a21 = Vector512.FusedMultiplyAdd(w1, Vector512.LoadUnsafe(ref x2, (nuint)(i + 16)), a21);
                a30 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x3, (nuint)i), a30);
                a31 = Vector512.FusedMultiplyAdd(w1, Vector512.LoadUnsafe(ref x3, (nuint)(i + 16)), a31);
            }
            if (i <= n - 16)
            {
                var w0 = TW.Load16(ref Unsafe.Add(ref w, i));
                a00 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x0, (nuint)i), a00);
                a10 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x1, (nuint)i), a10);
                a20 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x2, (nuint)i), a20);
                a30 = Vector512.FusedMultiplyAdd(w0, Vector512.LoadUnsafe(ref x3, (nuint)i), a30);
                i += 16;
            }
            s0 = Reduce(a00 + a01);
            s1 = Reduce(a10 + a11);
            s2 = Reduce(a20 + a21);
            s3 = Reduce(a30 + a31);
            for (; i < n; i++)
            {
                float wi = TW.Load1(Unsafe.Add(ref w, i));
                s0 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x0, i), s0);
                s1 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x1, i), s1);
                s2 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x2, i), s2);
                s3 = MathF.FusedMultiplyAdd(wi, Unsafe.Add(ref x3, i), s3);
            }
        }
        public static void Dot2x4<TW, T>(ref T wa, ref T wb, int n, ref float x0, ref float x1, ref float x2, ref float x3,
            out Vector2Sums s0, out Vector2Sums s1, out Vector2Sums s2, out Vector2Sums s3) where TW : struct, IWeights<T> where T : unmanaged
        {
            // Accumulator {row}{input}{half}: sixteen registers, the same two per (row, input) as Dot.
            Vector512<float> a000 = default, a001 = default, a010 = default, a011 = default, a020 = default, a021 = default, a030 = default, a031 = default;
            Vector512<float> a100 = default, a101 = default, a110 = default, a111 = default, a120 = default, a121 = default, a130 = default, a131 = default;
            int i = 0;
            for (; i <= n - 32; i += 32)
            {
                var wa0 = TW.Load16(ref Unsafe.Add(ref wa, i));
                var wa1 = TW.Load16(ref Unsafe.Add(ref wa, i + 16));
                var wb0 = TW.Load16(ref Unsafe.Add(ref wb, i));
                var wb1 = TW.Load16(ref Unsafe.Add(ref wb, i + 16));
                var x00 = Vector512.LoadUnsafe(ref x0, (nuint)i);
                var x01 = Vector512.LoadUnsafe(ref x0, (nuint)(i + 16));
                a000 = Vector512.FusedMultiplyAdd(wa0, x00, a000);
                a001 = Vector512.FusedMultiplyAdd(wa1, x01, a001);
                a100 = Vector512.FusedMultiplyAdd(wb0, x00, a100);
                a101 = Vector512.FusedMultiplyAdd(wb1, x01, a101);
                var x10 = Vector512.LoadUnsafe(ref x1, (nuint)i);
                var x11 = Vector512.LoadUnsafe(ref x1, (nuint)(i + 16));
                a010 = Vector512.FusedMultiplyAdd(wa0, x10, a010);
                a011 = Vector512.FusedMultiplyAdd(wa1, x11, a011);
                a110 = Vector512.FusedMultiplyAdd(wb0, x10, a110);
                a111 = Vector512.FusedMultiplyAdd(wb1, x11, a111);
                var x20 = Vector512.LoadUnsafe(ref x2, (nuint)i);
                var x21 = Vector512.LoadUnsafe(ref x2, (nuint)(i + 16));
                a020 = Vector512.FusedMultiplyAdd(wa0, x20, a020);
                a021 = Vector512.FusedMultiplyAdd(wa1, x21, a021);
                a120 = Vector512.FusedMultiplyAdd(wb0, x20, a120);
                a121 = Vector512.FusedMultiplyAdd(wb1, x21, a121);
                var x30 = Vector512.LoadUnsafe(ref x3, (nuint)i);
                var x31 = Vector512.LoadUnsafe(ref x3, (nuint)(i + 16));
                a030 = Vector512.FusedMultiplyAdd(wa0, x30, a030);
                a031 = Vector512.FusedMultiplyAdd(wa1, x31, a031);
                a130 = Vector512.FusedMultiplyAdd(wb0, x30, a130);
                a131 = Vector512.FusedMultiplyAdd(wb1, x31, a131);
            }
            if (i <= n - 16)
            {
                var wa0 = TW.Load16(ref Unsafe.Add(ref wa, i));
                var wb0 = TW.Load16(ref Unsafe.Add(ref wb, i));
                var x00 = Vector512.LoadUnsafe(ref x0, (nuint)i);
                a000 = Vector512.FusedMultiplyAdd(wa0, x00, a000);
                a100 = Vector512.FusedMultiplyAdd(wb0, x00, a100);
                var x10 = Vector512.LoadUnsafe(ref x1, (nuint)i);
                a010 = Vector512.FusedMultiplyAdd(wa0, x10, a010);
                a110 = Vector512.FusedMultiplyAdd(wb0, x10, a110);
                var x20 = Vector512.LoadUnsafe(ref x2, (nuint)i);
                a020 = Vector512.FusedMultiplyAdd(wa0, x20, a020);
                a120 = Vector512.FusedMultiplyAdd(wb0, x20, a120);
                var x30 = Vector512.LoadUnsafe(ref x3, (nuint)i);
                a030 = Vector512.FusedMultiplyAdd(wa0, x30, a030);
                a130 = Vector512.FusedMultiplyAdd(wb0, x30, a130);
                i += 16;
            }
            float p0 = Reduce(a000 + a001), p1 = Reduce(a010 + a011), p2 = Reduce(a020 + a021), p3 = Reduce(a030 + a031);
            float q0 = Reduce(a100 + a101), q1 = Reduce(a110 + a111), q2 = Reduce(a120 + a121), q3 = Reduce(a130 + a131);
            for (; i < n; i++)
            {
                float wai = TW.Load1(Unsafe.Add(ref wa, i)), wbi = TW.Load1(Unsafe.Add(ref wb, i));
                float e0 = Unsafe.Add(ref x0, i), e1 = Unsafe.Add(ref x1, i), e2 = Unsafe.Add(ref x2, i), e3 = Unsafe.Add(ref x3, i);
                p0 = MathF.FusedMultiplyAdd(wai, e0, p0);
                p1 = MathF.FusedMultiplyAdd(wai, e1, p1);
                p2 = MathF.FusedMultiplyAdd(wai, e2, p2);
                p3 = MathF.FusedMultiplyAdd(wai, e3, p3);
                q0 = MathF.FusedMultiplyAdd(wbi, e0, q0);
                q1 = MathF.FusedMultiplyAdd(wbi, e1, q1);
                q2 = MathF.FusedMultiplyAdd(wbi, e2, q2);
                q3 = MathF.FusedMultiplyAdd(wbi, e3, q3);
            }
            s0 = new(p0, q0);
            s1 = new(p1, q1);
            s2 = new(p2, q2);
            s3 = new(p3, q3);
        }
    }

    // Lane sums in the documented order: halves added until four lanes remain, then (l0 + l2) + (l1 + l3).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector512<float> v) => Reduce(v.GetLower() + v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> v)
    {
        var q = v.GetLower() + v.GetUpper();
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }
}
