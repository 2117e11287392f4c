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

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (rows, cols) in new[] { (1, 1), (7, 13), (37, 64), (130, 200) })
            foreach (int batch in new[] { 1, 2, 3, 4, 5, 8, 9 })
                data.Add(rows, cols, batch);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Kernel_matches_the_scalar_reference(int rows, int cols, int batch)
    {
        var (w, x) = Random(rows, cols, batch, 1);
        int ldx = cols + 3, ldy = rows + 2;
        var want = new float[batch * ldy];
        var got = new float[batch * ldy];
        MatVec.Reference(w, cols, x, ldx, batch, want, ldy, 0, rows);
        MatVec.F32(w, cols, x, ldx, batch, got, ldy, 0, rows);
        for (int b = 0; b < batch; b++)
            for (int r = 0; r < rows; r++)
                Assert.True(Math.Abs(want[b * ldy + r] - got[b * ldy + r]) <= 1e-5f * Math.Sqrt(cols) + 1e-6f, $"b={b} r={r}: {want[b * ldy + r]} vs {got[b * ldy + r]}");
    }

    public static TheoryData<MatVecPath> Paths() => new(Enum.GetValues<MatVecPath>());

    [Theory]
    [MemberData(nameof(Paths))]
    public void Each_path_equals_its_scalar_reference_bit_for_bit(MatVecPath path)
    {
        if (!MatVecPaths.IsSupported(path)) return; // this machine cannot run it; the path it does run is checked
        foreach (var (rows, cols) in new[] { (3, 1), (5, 7), (9, 8), (6, 16), (7, 31), (11, 48), (13, 64), (5, 100), (4, 576) })
            foreach (int batch in new[] { 1, 3, 4, 5, 8, 9 })
            {
                var (w, x) = Random(rows, cols, batch, rows * 1000 + cols + batch);
                int ldx = cols + 3, ldy = rows + 2;
                var want = new float[batch * ldy];
                var got = new float[batch * ldy];
                MatVec.F32(w, cols, x, ldx, batch, got, ldy, 1, rows, path);
                MatVec.Ordered(w, cols, x, ldx, batch, want, ldy, 1, rows, MatVecPaths.Lanes(path));
                for (int b = 0; b < batch; b++)
                {
                    Assert.Equal(0f, got[b * ldy]); // row 0 is outside the range: untouched
                    for (int r = 1; r < rows; r++)
                        Assert.True(BitConverter.SingleToInt32Bits(want[b * ldy + r]) == BitConverter.SingleToInt32Bits(got[b * ldy + r]),
                            $"{path} {rows}x{cols} batch {batch}: b={b} r={r}: {want[b * ldy + r]} vs {got[b * ldy + r]}");
                }
            }
    }

    [Fact]
    public void The_ordered_reference_is_within_rounding_of_the_float64_loop()
    {
        var (w, x) = Random(17, 333, 2, 5);
        var want = new float[2 * 17];
        var got = new float[2 * 17];
        MatVec.Reference(w, 333, x, 336, 2, want, 17, 0, 17);
        foreach (int lanes in new[] { 8, 16 })
        {
            MatVec.Ordered(w, 333, x, 336, 2, got, 17, 0, 17, lanes);
            for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-4f, $"{lanes} lanes, {i}: {want[i]} vs {got[i]}");
        }
    }

    private static (float[] W, float[] X) Random(int rows, int cols, int batch, int seed)
    {
        var rng = new Random(seed);
        var w = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var x = Enumerable.Range(0, batch * (cols + 3)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return (w, x);
    }
}
