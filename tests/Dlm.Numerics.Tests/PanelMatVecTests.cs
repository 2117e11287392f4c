using System.Runtime.InteropServices;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The panel kernels give every output the bits of <see cref="PanelMatVec.Ordered"/> (one FMA chain over the
/// columns in order) on every path, alone or in any batch, on any thread count, float16 specials and
/// unscalable inputs included; packing and the row readers put every element where <see cref="PanelMatVec.IndexOf"/> says.
/// </summary>
public sealed class PanelMatVecTests
{
    // Rows below, at and past whole panels and tiles (3 and 4 panels, the split tails), a partial last panel;
    // columns from 0 to the model's widths.
    private static readonly (int Rows, int Cols)[] Shapes =
        [(1, 1), (15, 7), (16, 1), (17, 33), (32, 16), (48, 5), (50, 64), (64, 3), (80, 100), (112, 576), (100, 17), (32, 0)];

    private static readonly int[] Batches = [1, 2, 3, 4, 5, 7, 8, 9, 11, 17];

    private static readonly WeightFormat[] Formats = [WeightFormat.F32, WeightFormat.Bf16, WeightFormat.F16];

    public static TheoryData<MatVecPath, WeightFormat> Paths()
    {
        var data = new TheoryData<MatVecPath, WeightFormat>();
        foreach (var path in new[] { MatVecPath.Scalar, MatVecPath.Vector256, MatVecPath.Vector512 })
            foreach (var format in Formats)
                data.Add(path, format);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_path_equals_the_ordered_chain_bit_for_bit(MatVecPath path, WeightFormat format)
    {
        if (!MatVecPaths.IsSupported(path)) return; // this machine cannot run it; the paths it can are checked
        foreach (var (rows, cols) in Shapes)
            foreach (int batch in Batches)
            {
                var (w, panels, x) = Random(rows, cols, batch, format, rows * 7919 + cols * 31 + batch);
                int ldx = cols + 3, ldy = rows + 5;
                var xs = Strided(x, batch, cols, ldx);
                // The whole matrix, and (past one panel) a range that starts on panel 1.
                foreach (int start in rows > 16 ? new[] { 0, 16 } : [0])
                {
                    var want = new float[batch * ldy];
                    var got = new float[batch * ldy];
                    PanelMatVec.Ordered(w, cols, xs, ldx, batch, want, ldy, start, rows);
                    Run(panels, rows, cols, format, xs, ldx, batch, got, ldy, start, rows, path);
                    AssertBits(want, got, $"{path} {format} {rows}x{cols} batch {batch} from row {start}");
                }
            }
    }

    [Fact]
    public void A_sequence_has_its_bits_alone_or_in_any_batch_on_any_thread_count()
    {
        const int rows = 500, cols = 200;
        foreach (var format in Formats)
        {
            var (_, panels, x) = Random(rows, cols, 8, format, 5);
            var alone = new float[rows];
            Run(panels, rows, cols, format, x.AsSpan(7 * cols, cols).ToArray(), cols, 1, alone, rows, 0, rows, MatVecPaths.Best);
            foreach (int threads in new[] { 1, 2, 3 })
                foreach (int batch in new[] { 1, 8 })
                {
                    using var pool = new WorkerPool(threads);
                    var y = new float[batch * rows];
                    unsafe
                    {
                        fixed (byte* p = panels)
                        fixed (float* px = x.AsSpan((8 - batch) * cols), py = y)
                            ParallelMatVec.Run(pool, new PanelMatrix(p, rows, cols, format, false), px, cols, batch, py, rows);
                    }
                    AssertBits(alone, y.AsSpan((batch - 1) * rows, rows).ToArray(), $"{format} threads {threads} batch {batch}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Float16_specials_subnormals_and_large_inputs_keep_the_ordered_bits(MatVecPath path, WeightFormat format)
    {
        if (!MatVecPaths.IsSupported(path) || format != WeightFormat.F16) return;
        const int rows = 48, cols = 40;
        var (w, _, x) = Random(rows, cols, 8, format, 11);
        var w16 = new ushort[w.Length];
        HalfBits.Narrow(w, w16, format);
        // Subnormals, the largest finite value and the smallest normal everywhere; infinities and a NaN in the second copy.
        for (int i = 0; i < w16.Length; i += 7) w16[i] = (ushort)(i % 3 == 0 ? 0x0001 : i % 3 == 1 ? 0x83FF : 0x7BFF);
        var special = (ushort[])w16.Clone();
        special[5] = 0x7C00;
        special[rows * cols - 1] = 0xFC00;
        special[300] = 0x7E00;
        foreach (var (bits, hasSpecials) in new[] { (w16, false), (special, true) })
        {
            Assert.Equal(hasSpecials, PanelMatVec.HasF16Specials(bits));
            var widened = new float[bits.Length];
            HalfBits.Widen(bits, widened, format);
            var panels = new ushort[bits.Length];
            PanelMatVec.Pack(bits, rows, cols, panels);
            // Ordinary inputs (the scaled widening where the matrix allows it), then one of 2^16 (never scaled).
            foreach (float big in new[] { 0f, 65536f })
            {
                var xs = (float[])x.Clone();
                if (big > 0) xs[3 * cols + 2] = big;
                var want = new float[8 * rows];
                var got = new float[8 * rows];
                PanelMatVec.Ordered(widened, cols, xs, cols, 8, want, rows, 0, rows);
                Run(panels, rows, cols, format, xs, cols, 8, got, rows, 0, rows, path, hasSpecials);
                AssertBits(want, got, $"{path} specials {hasSpecials} big {big}");
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

    // Float16 weights across the whole range (subnormals, ±0, normals up to 2^15) against inputs from 2^-140 to 2^15,
    // with one hard value: an infinity or NaN weight (the exact widening for the whole matrix), an input of ±2^16 or
    // infinity in the last input only (the exact widening for the product), or 4097+ columns. Every output keeps the
    // ordered chain's bits and its bits alone.
    [Theory]
    [MemberData(nameof(HardF16Cases))]
    public void Float16_hard_cases_keep_the_ordered_bits_alone_and_in_batches(MatVecPath path, string hard)
    {
        if (!MatVecPaths.IsSupported(path)) return;
        int[] widths = hard == "wide" ? [4097, 4111] : [1, 15, 16, 31, 48, 100, 576];
        const int rows = 40; // two whole panels and a partial one
        foreach (int cols in widths)
            foreach (int batch in new[] { 1, 2, 8, 11 })
            {
                var rng = new Random(cols * 13 + batch + hard.Length);
                var w16 = new ushort[rows * cols];
                for (int i = 0; i < w16.Length; i++)
                    w16[i] = rng.Next(4) switch
                    {
                        0 => (ushort)rng.Next(0x0400) /* subnormal or +0 */,
                        1 => (ushort)(0x8000 | rng.Next(0x0400)) /* negative subnormal or -0 */,
                        _ => (ushort)(rng.Next(2) << 15 | rng.Next(0x0400, 0x7C00)) /* any normal */,
                    };
                int ldx = cols + 3, ldy = rows + 1;
                var x = Enumerable.Range(0, batch * ldx).Select(_ => (float)(rng.NextDouble() * 2 - 1) * MathF.Pow(2, rng.Next(-140, 15))).ToArray();
                int last = (batch - 1) * ldx;
                switch (hard)
                {
                    case "infinity": w16[(rows / 2) * cols + cols / 2] = 0xFC00; break;
                    case "nan": w16[(rows - 1) * cols + cols - 1] = 0x7E01; break;
                    case "large-input": x[last + cols / 2] = 65536f; break;
                    case "large-negative-input": x[last + cols / 2] = -65536f; break;
                    case "infinite-input": x[last] = float.NegativeInfinity; break;
                }
                var w = new float[w16.Length];
                HalfBits.Widen(w16, w, WeightFormat.F16);
                var panels = new ushort[w16.Length];
                PanelMatVec.Pack(w16, rows, cols, panels);
                bool specials = PanelMatVec.HasF16Specials(w16);
                Assert.Equal(hard is "infinity" or "nan", specials);
                var want = new float[batch * ldy];
                var got = new float[batch * ldy];
                PanelMatVec.Ordered(w, cols, x, ldx, batch, want, ldy, 0, rows);
                Run(panels, rows, cols, WeightFormat.F16, x, ldx, batch, got, ldy, 0, rows, path, specials);
                AssertBits(want, got, $"{path} {hard} cols={cols} batch={batch}");
                var alone = new float[rows];
                Run(panels, rows, cols, WeightFormat.F16, x.AsSpan(last, cols).ToArray(), cols, 1, alone, rows, 0, rows, path, specials);
                AssertBits(want.AsSpan(last / ldx * ldy, rows).ToArray(), alone, $"{path} {hard} cols={cols} batch={batch}, the last input alone");
            }
    }

    [Fact]
    public void Pack_and_the_row_readers_agree_with_IndexOf()
    {
        foreach (var (rows, cols) in Shapes)
            foreach (var format in Formats)
            {
                var (w, panels, _) = Random(rows, cols, 1, format, rows + cols);
                var rowMajor = Stored(w, format);
                int size = format.BytesPerWeight();
                for (int r = 0; r < rows; r++)
                    for (int k = 0; k < cols; k++)
                        Assert.True(rowMajor.AsSpan((r * cols + k) * size, size).SequenceEqual(panels.AsSpan((int)PanelMatVec.IndexOf(rows, cols, r, k) * size, size)),
                            $"{format} {rows}x{cols}: element ({r}, {k})");
                // In place: the same panels.
                var inPlace = (byte[])rowMajor.Clone();
                Pack(inPlace, rows, cols, inPlace, format);
                Assert.Equal(panels, inPlace);
                unsafe
                {
                    fixed (byte* p = panels)
                    {
                        var m = new PanelMatrix(p, rows, cols, format, false);
                        var row = new float[cols];
                        for (int r = 0; r < rows; r++)
                        {
                            PanelMatVec.ReadRow(m, r, row);
                            Assert.Equal(w.AsSpan(r * cols, cols).ToArray(), row);
                        }
                        foreach (int start in rows > 16 ? new[] { 0, 16 } : [0])
                        {
                            int count = rows - start;
                            var t = new float[count * cols];
                            PanelMatVec.ReadTransposed(m, start, count, t);
                            for (int j = 0; j < count; j++)
                                for (int k = 0; k < cols; k++)
                                    Assert.Equal(w[(start + j) * cols + k], t[k * count + j]);
                            // Split over threads (each thread writes its panels' columns of the same Wᵀ): the same floats.
                            foreach (int threads in new[] { 1, 2, 3 })
                            {
                                using var pool = new WorkerPool(threads);
                                var split = new float[count * cols];
                                fixed (float* d = split) ParallelMatVec.ReadTransposed(pool, m, start, count, d);
                                Assert.Equal(t, split);
                            }
                        }
                        // Into rows of a wider stride: the gaps keep what they held.
                        if (rows >= 16 && cols > 0)
                        {
                            const int ld = 21;
                            var wide = new float[(cols - 1) * ld + 16];
                            Array.Fill(wide, -7f);
                            PanelMatVec.ReadTransposed(m, 0, 16, wide, ld);
                            for (int k = 0; k < cols; k++)
                                for (int j = 0; j < ld && k * ld + j < wide.Length; j++)
                                    Assert.Equal(j < 16 ? w[j * cols + k] : -7f, wide[k * ld + j]);
                        }
                    }
                }
            }
    }

    [Fact]
    public void HasF16Specials_looks_at_every_value()
    {
        foreach (int n in new[] { 1, 15, 16, 17, 40 })
            for (int at = 0; at < n; at++)
            {
                var v = new ushort[n];
                Array.Fill(v, (ushort)0x7BFF); // the largest finite value: not special
                Assert.False(PanelMatVec.HasF16Specials(v));
                v[at] = 0xFE01; // a negative NaN
                Assert.True(PanelMatVec.HasF16Specials(v));
            }
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        var panels = new ushort[40 * 3];
        var x = new float[3];
        var y = new float[40];
        unsafe
        {
            fixed (ushort* fp = panels)
            {
                ushort* p = fp;
                var m = new PanelMatrix(p, 40, 3, WeightFormat.Bf16, false);
                Assert.Throws<ArgumentException>(() => PanelMatVec.Run(m, x, 3, 1, y, 40, 8, 40)); // starts inside a panel
                Assert.Throws<ArgumentException>(() => PanelMatVec.Run(m, x, 3, 1, y, 40, 0, 20)); // ends inside a panel
                Assert.Throws<ArgumentException>(() => PanelMatVec.Run(m, x, 3, 1, y, 40, 0, 48)); // past the last row
                Assert.Throws<ArgumentException>(() => PanelMatVec.Run(m, x, 3, 2, y, 40, 0, 40)); // x holds one input
                Assert.Throws<ArgumentException>(() => PanelMatVec.Run(m, x, 3, 1, y.AsSpan(0, 30), 40, 0, 40)); // y too short
                Assert.Throws<ArgumentException>(() => PanelMatVec.ReadTransposed(m, 4, 16, new float[48]));
                Assert.Throws<ArgumentException>(() => PanelMatVec.ReadTransposed(m, 0, 16, new float[48], 15)); // stride below count
                Assert.Throws<ArgumentException>(() => PanelMatVec.ReadTransposed(m, 0, 16, new float[2 * 20 + 15], 20)); // one float short
                Assert.Throws<ArgumentOutOfRangeException>(() => PanelMatVec.ReadRow(m, 40, new float[3]));
            }
        }
        Assert.Throws<ArgumentException>(() => PanelMatVec.Pack(panels, 39, 3, panels.AsSpan(1))); // overlapping, not the same span
        Assert.Throws<ArgumentException>(() => PanelMatVec.Pack(panels, 41, 3, new ushort[123])); // too few values
    }

    private static void Run<T>(T[] panels, int rows, int cols, WeightFormat format, float[] x, int ldx, int batch, float[] y, int ldy, int start, int end,
        MatVecPath path, bool hasSpecials = false) where T : unmanaged
    {
        unsafe
        {
            fixed (T* p = panels)
                PanelMatVec.Run(new PanelMatrix(p, rows, cols, format, hasSpecials), x, ldx, batch, y, ldy, start, end, path);
        }
    }

    private static void AssertBits(float[] want, float[] got, string what)
    {
        for (int i = 0; i < want.Length; i++)
        {
            if (float.IsNaN(want[i]) && float.IsNaN(got[i])) continue; // NaN payloads may differ between widenings
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]), $"{what}: element {i}: want {want[i]}, got {got[i]}");
        }
    }

    // Weights as the format keeps them (row-major floats of the stored values, and those values packed into panels, as
    // bytes) and inputs.
    private static (float[] W, byte[] Panels, float[] X) Random(int rows, int cols, int batch, WeightFormat format, int seed)
    {
        var rng = new Random(seed);
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (rng.NextSingle() - 0.5f) * 4;
        if (format != WeightFormat.F32)
        {
            var w16 = new ushort[w.Length];
            HalfBits.Narrow(w, w16, format);
            HalfBits.Widen(w16, w, format);
        }
        var panels = new byte[w.Length * format.BytesPerWeight()];
        Pack(Stored(w, format), rows, cols, panels, format);
        var x = new float[batch * cols];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
        return (w, panels, x);
    }

    // The bytes a row-major matrix takes in the format: the floats themselves, or their 16-bit values.
    private static byte[] Stored(float[] w, WeightFormat format)
    {
        if (format == WeightFormat.F32) return MemoryMarshal.AsBytes(w.AsSpan()).ToArray();
        var w16 = new ushort[w.Length];
        HalfBits.Narrow(w, w16, format);
        return MemoryMarshal.AsBytes(w16.AsSpan()).ToArray();
    }

    // PanelMatVec.Pack on the bytes of the format's elements.
    private static void Pack(byte[] rowMajor, int rows, int cols, byte[] panels, WeightFormat format)
    {
        if (format == WeightFormat.F32) PanelMatVec.Pack(MemoryMarshal.Cast<byte, float>(rowMajor), rows, cols, MemoryMarshal.Cast<byte, float>(panels.AsSpan()));
        else PanelMatVec.Pack(MemoryMarshal.Cast<byte, ushort>(rowMajor), rows, cols, MemoryMarshal.Cast<byte, ushort>(panels.AsSpan()));
    }

    // batch rows of cols values laid out at stride ld (the gaps hold a value no output may read).
    private static float[] Strided(float[] x, int batch, int cols, int ld)
    {
        var s = new float[(batch - 1) * ld + cols];
        Array.Fill(s, float.NaN);
        for (int b = 0; b < batch; b++) x.AsSpan(b * cols, cols).CopyTo(s.AsSpan(b * ld));
        return s;
    }
}
