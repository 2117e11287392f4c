using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Matrix times a few vectors, the decode-step product: for a weight matrix W [rows, cols]
/// (row-major, the Hugging Face [out, in] layout) and a batch of input rows x[b],
/// <c>y[b, r] = Σ_i W[r, i]·x[b, i]</c>. Decoding is bound by the bytes of W read per step, so
/// each weight row is read once for every sequence of the batch (four at a time in registers)
/// and 16-bit weights are widened to float in registers, never in memory. Each output is summed
/// in one fixed order whatever the row range, so splitting rows over threads changes no bit.
/// <see cref="Reference"/> is the scalar loop the vector paths are tested against.
/// </summary>
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
    public static void F32(ReadOnlySpan<float> w, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
    {
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
        Rows<F32Weights, float>(ref MemoryMarshal.GetReference(w), cols, ref MemoryMarshal.GetReference(x), ldx, batch, ref MemoryMarshal.GetReference(y), ldy, rowStart, rowEnd);
    }

    /// <summary>Rows [rowStart, rowEnd) of y = W·x for 16-bit weights (<see cref="WeightFormat.Bf16"/> or <see cref="WeightFormat.F16"/> bits).</summary>
    /// <param name="w">W as 16-bit bits, rows × <paramref name="cols"/>.</param>
    /// <param name="format">The 16-bit format of <paramref name="w"/>.</param>
    /// <param name="cols">Columns of W.</param>
    /// <param name="x">Inputs: <paramref name="batch"/> rows of stride <paramref name="ldx"/>.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of input vectors.</param>
    /// <param name="y">Outputs, batch rows of stride <paramref name="ldy"/>.</param>
    /// <param name="ldy">Row stride of y.</param>
    /// <param name="rowStart">First row of W to use.</param>
    /// <param name="rowEnd">One past the last row.</param>
    public static void Half16(ReadOnlySpan<ushort> w, WeightFormat format, int cols, ReadOnlySpan<float> x, int ldx, int batch, Span<float> y, int ldy, int rowStart, int rowEnd)
    {
        Check(w.Length, cols, x.Length, ldx, batch, y.Length, ldy, rowStart, rowEnd);
        ref ushort wr = ref MemoryMarshal.GetReference(w);
        ref float xr = ref MemoryMarshal.GetReference(x), yr = ref MemoryMarshal.GetReference(y);
        switch (format)
        {
            case WeightFormat.Bf16: Rows<Bf16Weights, ushort>(ref wr, cols, ref xr, ldx, batch, ref yr, ldy, rowStart, rowEnd); break;
            case WeightFormat.F16: Rows<F16Weights, ushort>(ref wr, cols, ref xr, ldx, batch, ref yr, ldy, rowStart, rowEnd); break;
            default: throw new ArgumentException($"{format} is not a 16-bit format", nameof(format));
        }
    }

    /// <summary>The scalar loop (float64 sums): the reference for the vector paths. W is given widened to float.</summary>
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

    private static void Check(long wLength, int cols, int xLength, int ldx, int batch, int yLength, int ldy, int rowStart, int rowEnd)
    {
        if (cols < 0 || batch < 0 || rowStart < 0 || rowEnd < rowStart) throw new ArgumentException("negative size or empty row range");
        if (batch == 0 || rowEnd == rowStart) return;
        if ((long)rowEnd * cols > wLength) throw new ArgumentException($"W holds {wLength} values, rows up to {rowEnd} of {cols} need more");
        if (ldx < cols || (long)(batch - 1) * ldx + cols > xLength) throw new ArgumentException("x is too short for the batch");
        if (ldy < rowEnd || (long)(batch - 1) * ldy + rowEnd > yLength) throw new ArgumentException("y is too short for the batch");
    }

    private interface IWeights<T> where T : unmanaged
    {
        static abstract Vector256<float> Load8(ref T p);
        static abstract float Load1(T value);
    }

    private readonly struct F32Weights : IWeights<float>
    {
        public static Vector256<float> Load8(ref float p) => Vector256.LoadUnsafe(ref p);
        public static float Load1(float value) => value;
    }

    private readonly struct Bf16Weights : IWeights<ushort>
    {
        public static Vector256<float> Load8(ref ushort p) => HalfBits.WidenBf16(ref p);
        public static float Load1(ushort value) => HalfBits.Bf16ToSingle(value);
    }

    private readonly struct F16Weights : IWeights<ushort>
    {
        public static Vector256<float> Load8(ref ushort p) => HalfBits.WidenF16(ref p);
        public static float Load1(ushort value) => HalfBits.F16ToSingle(value);
    }

    private static void Rows<TW, T>(ref T w, int cols, ref float x, int ldx, int batch, ref float y, int ldy, int rowStart, int rowEnd)
        where TW : struct, IWeights<T> where T : unmanaged
    {
        if (batch == 1)
        {
            int r = rowStart;
            for (; r <= rowEnd - 4; r += 4) FourRows<TW, T>(ref w, cols, ref x, ref y, r);
            for (; r < rowEnd; r++) Unsafe.Add(ref y, r) = OneRow<TW, T>(ref Unsafe.Add(ref w, (nint)r * cols), cols, ref x);
            return;
        }
        for (int b0 = 0; b0 < batch; b0 += 4)
        {
            // Groups of four inputs; a short last group repeats its last input and drops the extra sums.
            int n = Math.Min(4, batch - b0);
            ref float x0 = ref Unsafe.Add(ref x, (nint)b0 * ldx);
            ref float x1 = ref Unsafe.Add(ref x, (nint)(b0 + Math.Min(1, n - 1)) * ldx);
            ref float x2 = ref Unsafe.Add(ref x, (nint)(b0 + Math.Min(2, n - 1)) * ldx);
            ref float x3 = ref Unsafe.Add(ref x, (nint)(b0 + Math.Min(3, n - 1)) * ldx);
            for (int r = rowStart; r < rowEnd; r++)
            {
                var (s0, s1, s2, s3) = RowFourInputs<TW, T>(ref Unsafe.Add(ref w, (nint)r * cols), cols, ref x0, ref x1, ref x2, ref x3);
                Unsafe.Add(ref y, (nint)b0 * ldy + r) = s0;
                if (n > 1) Unsafe.Add(ref y, (nint)(b0 + 1) * ldy + r) = s1;
                if (n > 2) Unsafe.Add(ref y, (nint)(b0 + 2) * ldy + r) = s2;
                if (n > 3) Unsafe.Add(ref y, (nint)(b0 + 3) * ldy + r) = s3;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float OneRow<TW, T>(ref T w, int cols, ref float x) where TW : struct, IWeights<T> where T : unmanaged
    {
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i <= cols - 8; i += 8)
            acc = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w, i)), Vector256.LoadUnsafe(ref x, (nuint)i), acc);
        float s = Vector256.Sum(acc);
        for (; i < cols; i++) s += TW.Load1(Unsafe.Add(ref w, i)) * Unsafe.Add(ref x, i);
        return s;
    }

    // One input, four weight rows in flight: four independent FMA chains and four memory streams.
    private static void FourRows<TW, T>(ref T w, int cols, ref float x, ref float y, int r) where TW : struct, IWeights<T> where T : unmanaged
    {
        ref T w0 = ref Unsafe.Add(ref w, (nint)r * cols);
        ref T w1 = ref Unsafe.Add(ref w0, cols);
        ref T w2 = ref Unsafe.Add(ref w1, cols);
        ref T w3 = ref Unsafe.Add(ref w2, cols);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i <= cols - 8; i += 8)
        {
            var xv = Vector256.LoadUnsafe(ref x, (nuint)i);
            a0 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w0, i)), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w1, i)), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w2, i)), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(TW.Load8(ref Unsafe.Add(ref w3, i)), xv, a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < cols; i++)
        {
            float xi = Unsafe.Add(ref x, i);
            s0 += TW.Load1(Unsafe.Add(ref w0, i)) * xi;
            s1 += TW.Load1(Unsafe.Add(ref w1, i)) * xi;
            s2 += TW.Load1(Unsafe.Add(ref w2, i)) * xi;
            s3 += TW.Load1(Unsafe.Add(ref w3, i)) * xi;
        }
        Unsafe.Add(ref y, r) = s0;
        Unsafe.Add(ref y, r + 1) = s1;
        Unsafe.Add(ref y, r + 2) = s2;
        Unsafe.Add(ref y, r + 3) = s3;
    }

    // One weight row, four inputs: the row is widened once and used four times.
    private static (float, float, float, float) RowFourInputs<TW, T>(ref T w, int cols, ref float x0, ref float x1, ref float x2, ref float x3)
        where TW : struct, IWeights<T> where T : unmanaged
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i <= cols - 8; i += 8)
        {
            var wv = TW.Load8(ref Unsafe.Add(ref w, i));
            a0 = Vector256.FusedMultiplyAdd(wv, Vector256.LoadUnsafe(ref x0, (nuint)i), a0);
            a1 = Vector256.FusedMultiplyAdd(wv, Vector256.LoadUnsafe(ref x1, (nuint)i), a1);
            a2 = Vector256.FusedMultiplyAdd(wv, Vector256.LoadUnsafe(ref x2, (nuint)i), a2);
            a3 = Vector256.FusedMultiplyAdd(wv, Vector256.LoadUnsafe(ref x3, (nuint)i), a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < cols; i++)
        {
            float wi = TW.Load1(Unsafe.Add(ref w, i));
            s0 += wi * Unsafe.Add(ref x0, i);
            s1 += wi * Unsafe.Add(ref x1, i);
            s2 += wi * Unsafe.Add(ref x2, i);
            s3 += wi * Unsafe.Add(ref x3, i);
        }
        return (s0, s1, s2, s3);
    }
}
