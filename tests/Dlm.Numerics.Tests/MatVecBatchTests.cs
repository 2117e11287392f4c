using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The multi-input kernel gives every output the bits <see cref="MatVec"/> gives it: the same
/// lanes, chains and reduction, so a sequence's logits do not depend on the batch it decodes in.
/// </summary>
public sealed class MatVecBatchTests
{
    // Odd rows (tiles of three with one or two left), columns below, at and past whole 16- and
    // 32-column blocks (chain 0 taking the last whole block, leftover columns), the model's widths.
    private static readonly (int Rows, int Cols)[] Shapes =
        [(1, 1), (2, 7), (3, 15), (4, 16), (5, 17), (7, 31), (8, 32), (10, 33), (11, 48), (13, 63), (6, 100), (5, 576), (4, 1536)];

    public static TheoryData<WeightFormat> Formats() => new(WeightFormat.F32, WeightFormat.Bf16, WeightFormat.F16);

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_output_has_the_bits_of_the_single_vector_kernel(WeightFormat format)
    {
        foreach (var (rows, cols) in Shapes)
            for (int batch = 1; batch <= 9; batch++)
            {
                var (w, w16, x) = Random(rows, cols, batch, rows * 7919 + cols * 31 + batch);
                if (format != WeightFormat.F32) HalfBits.Narrow(w, w16, format);
                int ldx = cols + 5, ldy = rows + 3;
                var got = new float[batch * ldy];
                Run(format, MatVecPaths.Best, w, w16, cols, x, ldx, batch, got, ldy, 1, rows, batched: true);
                for (int b = 0; b < batch; b++)
                {
                    Assert.Equal(0f, got[b * ldy]); // row 0 lies outside the range
                    // The single-vector kernel on input b alone.
                    var alone = new float[rows];
                    Run(format, MatVecPaths.Best, w, w16, cols, x.AsSpan(b * ldx).ToArray(), ldx, 1, alone, rows, 1, rows, batched: false);
                    for (int r = 1; r < rows; r++)
                        Assert.True(BitConverter.SingleToInt32Bits(alone[r]) == BitConverter.SingleToInt32Bits(got[b * ldy + r]),
                            $"{format} {rows}x{cols} batch {batch}: b={b} r={r}: alone {alone[r]} vs batched {got[b * ldy + r]}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(MatVecTests.Paths), MemberType = typeof(MatVecTests))]
    public void Each_path_matches_the_single_kernel_on_that_path_and_the_chain_reference(MatVecPath path, WeightFormat format)
    {
        if (!MatVecPaths.IsSupported(path)) return; // this machine cannot run it; the paths it can are checked
        foreach (var (rows, cols) in Shapes)
            foreach (int batch in new[] { 2, 3, 5, 8, 11 })
            {
                var (w, w16, x) = Random(rows, cols, batch, rows * 131 + cols + batch);
                if (format != WeightFormat.F32)
                {
                    HalfBits.Narrow(w, w16, format);
                    HalfBits.Widen(w16, w, format);
                }
                int ldx = cols + 5, ldy = rows + 3;
                var got = new float[batch * ldy];
                var single = new float[batch * ldy];
                var chains = new float[batch * ldy];
                Run(format, path, w, w16, cols, x, ldx, batch, got, ldy, 0, rows, batched: true);
                // MatVec one input at a time, and the scalar chain-by-chain reference.
                var one = new float[rows];
                for (int b = 0; b < batch; b++)
                {
                    Run(format, path, w, w16, cols, x.AsSpan(b * ldx).ToArray(), ldx, 1, one, rows, 0, rows, batched: false);
                    one.CopyTo(single.AsSpan(b * ldy));
                }
                MatVecBatch.Ordered(w, cols, x, ldx, batch, chains, ldy, 0, rows, MatVecPaths.Lanes(path));
                for (int i = 0; i < got.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(single[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"{path} {format} {rows}x{cols} batch {batch} at {i}: MatVec {single[i]} vs batch {got[i]}");
                    Assert.True(BitConverter.SingleToInt32Bits(chains[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"{path} {format} {rows}x{cols} batch {batch} at {i}: chains {chains[i]} vs batch {got[i]}");
                }
            }
    }

    public static TheoryData<MatVecPath, string> HardF16Cases() => MatVecTests.HardF16Cases();

    // Several float16 inputs take the scaled path too (2^112 on the packed inputs, MatVecBatch's
    // F16ScaledWeights), group by group, with the widening path for a group whose inputs reach 2^16 or
    // are not finite, or when a weight is infinity or NaN: every output must keep the scalar reference's
    // bits and the single kernel's. The hard value sits in one input of the last group only (11 inputs:
    // groups of 8 and 3), so the other group must not be disturbed by it.
    [Theory]
    [MemberData(nameof(HardF16Cases))]
    public void F16_batches_equal_the_scalar_reference_on_hard_inputs(MatVecPath path, string hard)
    {
        if (!MatVecPaths.IsSupported(path)) return;
        int[] widths = hard == "wide" ? [2100, 4111] : [1, 15, 16, 31, 32, 48, 100, 576];
        foreach (int cols in widths)
            foreach (int batch in new[] { 2, 8, 11 })
            {
                const int rows = 8;
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
                var want = new float[batch * ldy];
                var got = new float[batch * ldy];
                MatVecBatch.Ordered(w, cols, x, ldx, batch, want, ldy, 1, rows, MatVecPaths.Lanes(path));
                MatVecBatch.Half16(w16, WeightFormat.F16, cols, x, ldx, batch, got, ldy, 1, rows, path);
                var alone = new float[rows];
                for (int b = 0; b < batch; b++)
                {
                    MatVec.Half16(w16, WeightFormat.F16, cols, x.AsSpan(b * ldx).ToArray(), ldx, 1, alone, rows, 1, rows, path);
                    Assert.Equal(0f, got[b * ldy]);
                    for (int r = 1; r < rows; r++)
                    {
                        float g = got[b * ldy + r], e = want[b * ldy + r];
                        string at = $"{path} {hard} cols={cols} batch={batch} b={b} r={r}";
                        if (float.IsNaN(e)) Assert.True(float.IsNaN(g) && float.IsNaN(alone[r]), $"{at}: {g}, alone {alone[r]}");
                        else
                        {
                            Assert.True(BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(g), $"{at}: reference {e} vs batch {g}");
                            Assert.True(BitConverter.SingleToInt32Bits(alone[r]) == BitConverter.SingleToInt32Bits(g), $"{at}: alone {alone[r]} vs batch {g}");
                        }
                    }
                }
            }
    }

    [Fact]
    public void Parallel_batches_give_each_sequence_its_single_kernel_bits_on_any_thread_count()
    {
        const int rows = 500, cols = 200;
        foreach (var format in new[] { WeightFormat.F32, WeightFormat.F16 })
            foreach (int batch in new[] { 2, 8 })
            {
                var (w, w16, x) = Random(rows, cols, batch, 3);
                if (format != WeightFormat.F32) HalfBits.Narrow(w, w16, format);
                int ldx = cols + 5;
                var alone = new float[rows];
                Run(format, MatVecPaths.Best, w, w16, cols, x.AsSpan((batch - 1) * ldx).ToArray(), ldx, 1, alone, rows, 0, rows, batched: false);
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    using var pool = new WorkerPool(threads);
                    var batched = new float[batch * rows];
                    unsafe
                    {
                        fixed (float* pw = w, px = x, py = batched)
                        fixed (ushort* pw16 = w16)
                            ParallelMatVec.Run(pool, format, format == WeightFormat.F32 ? pw : pw16, rows, cols, px, ldx, batch, py, rows);
                    }
                    Assert.Equal(alone, batched.AsSpan((batch - 1) * rows, rows).ToArray());
                }
            }
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        var w = new float[6];
        var x = new float[3];
        var y = new float[2];
        Assert.Throws<ArgumentException>(() => MatVecBatch.F32(w, 3, x, 3, 2, y, 2, 0, 2)); // x holds one input, not two
        Assert.Throws<ArgumentException>(() => MatVecBatch.F32(w, 3, x, 3, 1, y, 2, 0, 3)); // W has two rows
        Assert.Throws<ArgumentException>(() => MatVecBatch.Half16(new ushort[6], WeightFormat.F32, 3, x, 3, 1, y, 2, 0, 2));
        Assert.Throws<ArgumentException>(() => MatVecBatch.Ordered(w, 3, x, 3, 1, y, 2, 0, 2, 4));
    }

    private static void Run(WeightFormat format, MatVecPath path, float[] w, ushort[] w16, int cols, float[] x, int ldx, int batch, float[] y, int ldy,
        int rowStart, int rowEnd, bool batched)
    {
        if (batched)
        {
            if (format == WeightFormat.F32) MatVecBatch.F32(w, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, path);
            else MatVecBatch.Half16(w16, format, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, path);
        }
        else
        {
            if (format == WeightFormat.F32) MatVec.F32(w, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, path);
            else MatVec.Half16(w16, format, cols, x, ldx, batch, y, ldy, rowStart, rowEnd, path);
        }
    }

    private static (float[] W, ushort[] W16, float[] X) Random(int rows, int cols, int batch, int seed)
    {
        var rng = new Random(seed);
        var w = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var x = Enumerable.Range(0, batch * (cols + 5)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return (w, new ushort[w.Length], x);
    }
}
