using System.Runtime.Intrinsics;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>The 16-bit conversions against the runtime's Half, and the matrix-vector kernels against the scalar float64 loop.</summary>
public sealed class MatVecTests
{
    [Fact]
    public void F16_widening_matches_Half_for_every_bit_pattern()
    {
        var bits = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var wide = new float[bits.Length];
        HalfBits.Widen(bits, wide, WeightFormat.F16);
        for (int i = 0; i < bits.Length; i++)
        {
            float want = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            if (float.IsNaN(want)) Assert.True(float.IsNaN(wide[i]), $"0x{i:x4}");
            else Assert.Equal(BitConverter.SingleToInt32Bits(want), BitConverter.SingleToInt32Bits(wide[i]));
        }
    }

    [Fact]
    public void Each_vector_widening_matches_the_scalar_one_for_every_bit_pattern()
    {
        var bits = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        for (int i = 0; i < bits.Length; i += 16)
        {
            var f16x8 = HalfBits.WidenF16(ref bits[i]);
            var bf16x8 = HalfBits.WidenBf16(ref bits[i]);
            for (int k = 0; k < 8; k++)
            {
                SameBits(HalfBits.F16ToSingle(bits[i + k]), f16x8.GetElement(k), i + k);
                SameBits(HalfBits.Bf16ToSingle(bits[i + k]), bf16x8.GetElement(k), i + k);
            }
            if (!MatVecPaths.IsSupported(MatVecPath.Vector512)) continue;
            var f16x16 = HalfBits.WidenF16x16(ref bits[i]);
            var bf16x16 = HalfBits.WidenBf16x16(ref bits[i]);
            for (int k = 0; k < 16; k++)
            {
                SameBits(HalfBits.F16ToSingle(bits[i + k]), f16x16.GetElement(k), i + k);
                SameBits(HalfBits.Bf16ToSingle(bits[i + k]), bf16x16.GetElement(k), i + k);
            }
        }
    }

    private static void SameBits(float want, float got, int pattern)
    {
        if (float.IsNaN(want)) Assert.True(float.IsNaN(got), $"0x{pattern:x4}");
        else Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(got), $"0x{pattern:x4}: {want} vs {got}");
    }

    [Fact]
    public void Bf16_round_trips_and_rounds_to_nearest_even()
    {
        var bits = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var wide = new float[bits.Length];
        HalfBits.Widen(bits, wide, WeightFormat.Bf16);
        for (int i = 0; i < bits.Length; i++)
        {
            Assert.Equal(i << 16, BitConverter.SingleToInt32Bits(wide[i]));
            if (!float.IsNaN(wide[i])) Assert.Equal(bits[i], HalfBits.SingleToBf16(wide[i]));
        }
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        Assert.Equal(HalfBits.SingleToBf16(1f), HalfBits.SingleToBf16(1f + 1f / 256));
        Assert.Equal(HalfBits.SingleToBf16(1f + 2f / 128), HalfBits.SingleToBf16(1f + 3f / 256));
        Assert.True(float.IsNaN(HalfBits.Bf16ToSingle(HalfBits.SingleToBf16(float.NaN))));
    }

    public static TheoryData<int, int, int, WeightFormat> Shapes()
    {
        var data = new TheoryData<int, int, int, WeightFormat>();
        foreach (var f in new[] { WeightFormat.F32, WeightFormat.Bf16, WeightFormat.F16 })
            foreach (var (rows, cols) in new[] { (1, 1), (7, 13), (37, 64), (130, 200) })
                foreach (int batch in new[] { 1, 2, 3, 4, 5, 8, 9 })
                    data.Add(rows, cols, batch, f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Kernel_matches_the_scalar_reference(int rows, int cols, int batch, WeightFormat format)
    {
        var (w, w16, x) = Random(rows, cols, batch, 1);
        int ldx = cols + 3, ldy = rows + 2;
        var want = new float[batch * ldy];
        var got = new float[batch * ldy];
        MatVec.Reference(w, cols, x, ldx, batch, want, ldy, 0, rows);
        if (format == WeightFormat.F32) MatVec.F32(w, cols, x, ldx, batch, got, ldy, 0, rows);
        else
        {
            HalfBits.Narrow(w, w16, format);
            HalfBits.Widen(w16, w, format);
            MatVec.Reference(w, cols, x, ldx, batch, want, ldy, 0, rows);
            MatVec.Half16(w16, format, cols, x, ldx, batch, got, ldy, 0, rows);
        }
        for (int b = 0; b < batch; b++)
            for (int r = 0; r < rows; r++)
                Assert.True(Math.Abs(want[b * ldy + r] - got[b * ldy + r]) <= 1e-5f * Math.Sqrt(cols) + 1e-6f, $"b={b} r={r}: {want[b * ldy + r]} vs {got[b * ldy + r]}");
    }

    public static TheoryData<MatVecPath, WeightFormat> Paths()
    {
        var data = new TheoryData<MatVecPath, WeightFormat>();
        foreach (var p in Enum.GetValues<MatVecPath>())
            foreach (var f in new[] { WeightFormat.F32, WeightFormat.Bf16, WeightFormat.F16 })
                data.Add(p, f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Each_path_equals_its_scalar_reference_bit_for_bit(MatVecPath path, WeightFormat format)
    {
        if (!MatVecPaths.IsSupported(path)) return; // this machine cannot run it; the path it does run is checked
        foreach (var (rows, cols) in new[] { (3, 1), (5, 7), (9, 8), (6, 16), (7, 31), (11, 48), (13, 64), (5, 100), (4, 576) })
            foreach (int batch in new[] { 1, 3, 4, 5, 8, 9 })
            {
                var (w, w16, x) = Random(rows, cols, batch, rows * 1000 + cols + batch);
                int ldx = cols + 3, ldy = rows + 2;
                var want = new float[batch * ldy];
                var got = new float[batch * ldy];
                if (format == WeightFormat.F32) MatVec.F32(w, cols, x, ldx, batch, got, ldy, 1, rows, path);
                else
                {
                    HalfBits.Narrow(w, w16, format);
                    HalfBits.Widen(w16, w, format);
                    MatVec.Half16(w16, format, cols, x, ldx, batch, got, ldy, 1, rows, path);
                }
                MatVec.Ordered(w, cols, x, ldx, batch, want, ldy, 1, rows, MatVecPaths.Lanes(path));
                for (int b = 0; b < batch; b++)
                {
                    Assert.Equal(0f, got[b * ldy]); // row 0 is outside the range: untouched
                    for (int r = 1; r < rows; r++)
                        Assert.True(BitConverter.SingleToInt32Bits(want[b * ldy + r]) == BitConverter.SingleToInt32Bits(got[b * ldy + r]),
                            $"{path} {format} {rows}x{cols} batch {batch}: b={b} r={r}: {want[b * ldy + r]} vs {got[b * ldy + r]}");
                }
            }
    }

    public static TheoryData<MatVecPath, string> HardF16Cases()
    {
        var data = new TheoryData<MatVecPath, string>();
        foreach (var p in Enum.GetValues<MatVecPath>())
            foreach (var c in new[] { "subnormal", "infinity", "nan", "large-input", "large-negative-input", "infinite-input", "wide" })
                data.Add(p, c);
        return data;
    }

    // One float16 input takes a path of its own (the widening's 2^112 moved onto the input,
    // MatVec.F16Scaled.cs) with fallbacks for inputs of 2^16 and more and for weights that are
    // infinity or NaN: each case must give the bits of the scalar reference all the same.
    [Theory]
    [MemberData(nameof(HardF16Cases))]
    public void F16_one_input_equals_the_scalar_reference_on_hard_inputs(MatVecPath path, string hard)
    {
        if (!MatVecPaths.IsSupported(path)) return;
        int[] widths = hard == "wide" ? [4097, 4111] : [1, 7, 8, 15, 16, 31, 32, 48, 100, 576];
        foreach (int cols in widths)
        {
            const int rows = 9;
            var rng = new Random(cols * 7 + hard.Length);
            // Weights across float16's whole range: subnormals (|w| < 2^-14), ±0, normals up to 2^15.
            var w16 = new ushort[rows * cols];
            for (int i = 0; i < w16.Length; i++)
            {
                int kind = rng.Next(4);
                w16[i] = kind switch
                {
                    0 => (ushort)rng.Next(0x0400) /* subnormal or +0 */,
                    1 => (ushort)(0x8000 | rng.Next(0x0400)) /* negative subnormal or -0 */,
                    _ => (ushort)(rng.Next(2) << 15 | rng.Next(0x0400, 0x7C00)) /* any normal */,
                };
            }
            var x = Enumerable.Range(0, cols).Select(_ => (float)(rng.NextDouble() * 2 - 1) * MathF.Pow(2, rng.Next(-140, 15))).ToArray();
            switch (hard)
            {
                case "infinity": w16[(rows / 2) * cols + cols / 2] = 0xFC00; break;               // -inf in one row
                case "nan": w16[(rows - 1) * cols + cols - 1] = 0x7E01; break;                     // NaN, last weight of the last row
                case "large-input": x[cols / 2] = 65536f; break;                                    // x·2^112 would overflow
                case "large-negative-input": x[cols / 2] = -65536f; break;                          // the same, below zero
                case "infinite-input": x[0] = float.PositiveInfinity; break;
            }
            var w = new float[w16.Length];
            HalfBits.Widen(w16, w, WeightFormat.F16);
            var want = new float[rows];
            var got = new float[rows];
            MatVec.Ordered(w, cols, x, cols, 1, want, rows, 1, rows, MatVecPaths.Lanes(path));
            MatVec.Half16(w16, WeightFormat.F16, cols, x, cols, 1, got, rows, 1, rows, path);
            Assert.Equal(0f, got[0]);
            for (int r = 1; r < rows; r++)
            {
                if (float.IsNaN(want[r])) Assert.True(float.IsNaN(got[r]), $"{path} {hard} cols={cols} r={r}: {got[r]}");
                else Assert.True(BitConverter.SingleToInt32Bits(want[r]) == BitConverter.SingleToInt32Bits(got[r]),
                    $"{path} {hard} cols={cols} r={r}: {want[r]} vs {got[r]}");
            }
        }
    }

    [Fact]
    public void The_ordered_reference_is_within_rounding_of_the_float64_loop()
    {
        var (w, _, x) = Random(17, 333, 2, 5);
        var want = new float[2 * 17];
        var got = new float[2 * 17];
        MatVec.Reference(w, 333, x, 336, 2, want, 17, 0, 17);
        foreach (int lanes in new[] { 8, 16 })
        {
            MatVec.Ordered(w, 333, x, 336, 2, got, 17, 0, 17, lanes);
            for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-4f, $"{lanes} lanes, {i}: {want[i]} vs {got[i]}");
        }
    }

    [Theory]
    [InlineData(WeightFormat.Bf16)]
    [InlineData(WeightFormat.F16)]
    public void A_sequence_gets_the_same_bits_alone_in_a_batch_and_on_any_thread_count(WeightFormat format)
    {
        const int rows = 300, cols = 96, batch = 7;
        var (w, w16, x) = Random(rows, cols, batch, 2);
        HalfBits.Narrow(w, w16, format);
        var alone = new float[rows];
        var batched = new float[batch * rows];
        MatVec.Half16(w16, format, cols, x.AsSpan(5 * cols), cols, 1, alone, rows, 0, rows);
        foreach (int threads in new[] { 1, 3 })
        {
            using var pool = new WorkerPool(threads);
            unsafe
            {
                fixed (ushort* pw = w16)
                fixed (float* px = x, py = batched)
                    ParallelMatVec.Run(pool, format, pw, rows, cols, px, cols, batch, py, rows);
            }
            Assert.Equal(alone, batched.AsSpan(5 * rows, rows).ToArray());
        }
    }

    private static (float[] W, ushort[] W16, float[] X) Random(int rows, int cols, int batch, int seed)
    {
        var rng = new Random(seed);
        var w = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var x = Enumerable.Range(0, batch * (cols + 3)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return (w, new ushort[w.Length], x);
    }
}
