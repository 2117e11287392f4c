using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The multi-input float32 kernel gives every output the bits <see cref="MatVec"/> gives it: the same
/// lanes, chains and reduction, so a sequence's logits do not depend on the batch it decodes in.
/// </summary>
public sealed class MatVecBatchTests
{
    // Odd rows (tiles of three with one or two left), columns below, at and past whole 16- and
    // 32-column blocks (chain 0 taking the last whole block, leftover columns), the model's widths.
    private static readonly (int Rows, int Cols)[] Shapes =
        [(1, 1), (2, 7), (3, 15), (4, 16), (5, 17), (7, 31), (8, 32), (10, 33), (11, 48), (13, 63), (6, 100), (5, 576), (4, 1536)];

    [Fact]
    public void Every_output_has_the_bits_of_the_single_vector_kernel()
    {
        foreach (var (rows, cols) in Shapes)
            for (int batch = 1; batch <= 9; batch++)
            {
                var (w, x) = Random(rows, cols, batch, rows * 7919 + cols * 31 + batch);
                int ldx = cols + 5, ldy = rows + 3;
                var got = new float[batch * ldy];
                MatVecBatch.F32(w, cols, x, ldx, batch, got, ldy, 1, rows);
                for (int b = 0; b < batch; b++)
                {
                    Assert.Equal(0f, got[b * ldy]); // row 0 lies outside the range
                    // The single-vector kernel on input b alone.
                    var alone = new float[rows];
                    MatVec.F32(w, cols, x.AsSpan(b * ldx).ToArray(), ldx, 1, alone, rows, 1, rows);
                    for (int r = 1; r < rows; r++)
                        Assert.True(BitConverter.SingleToInt32Bits(alone[r]) == BitConverter.SingleToInt32Bits(got[b * ldy + r]),
                            $"{rows}x{cols} batch {batch}: b={b} r={r}: alone {alone[r]} vs batched {got[b * ldy + r]}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(MatVecTests.Paths), MemberType = typeof(MatVecTests))]
    public void Each_path_matches_the_single_kernel_on_that_path_and_the_chain_reference(MatVecPath path)
    {
        if (!MatVecPaths.IsSupported(path)) return; // this machine cannot run it; the paths it can are checked
        foreach (var (rows, cols) in Shapes)
            foreach (int batch in new[] { 2, 3, 5, 8, 11 })
            {
                var (w, x) = Random(rows, cols, batch, rows * 131 + cols + batch);
                int ldx = cols + 5, ldy = rows + 3;
                var got = new float[batch * ldy];
                var single = new float[batch * ldy];
                var chains = new float[batch * ldy];
                MatVecBatch.F32(w, cols, x, ldx, batch, got, ldy, 0, rows, path);
                // MatVec one input at a time, and the scalar chain-by-chain reference.
                var one = new float[rows];
                for (int b = 0; b < batch; b++)
                {
                    MatVec.F32(w, cols, x.AsSpan(b * ldx).ToArray(), ldx, 1, one, rows, 0, rows, path);
                    one.CopyTo(single.AsSpan(b * ldy));
                }
                MatVecBatch.Ordered(w, cols, x, ldx, batch, chains, ldy, 0, rows, MatVecPaths.Lanes(path));
                for (int i = 0; i < got.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(single[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"{path} {rows}x{cols} batch {batch} at {i}: MatVec {single[i]} vs batch {got[i]}");
                    Assert.True(BitConverter.SingleToInt32Bits(chains[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"{path} {rows}x{cols} batch {batch} at {i}: chains {chains[i]} vs batch {got[i]}");
                }
            }
    }

    [Fact]
    public void Parallel_batches_give_each_sequence_its_single_kernel_bits_on_any_thread_count()
    {
        const int rows = 500, cols = 200;
        foreach (int batch in new[] { 2, 8 })
        {
            var (w, x) = Random(rows, cols, batch, 3);
            int ldx = cols + 5;
            var alone = new float[rows];
            MatVec.F32(w, cols, x.AsSpan((batch - 1) * ldx).ToArray(), ldx, 1, alone, rows, 0, rows);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var pool = new WorkerPool(threads);
                var batched = new float[batch * rows];
                unsafe
                {
                    fixed (float* pw = w, px = x, py = batched)
                        ParallelMatVec.Run(pool, pw, rows, cols, px, ldx, batch, py, rows);
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
        Assert.Throws<ArgumentException>(() => MatVecBatch.Ordered(w, 3, x, 3, 1, y, 2, 0, 2, 4));
    }

    private static (float[] W, float[] X) Random(int rows, int cols, int batch, int seed)
    {
        var rng = new Random(seed);
        var w = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var x = Enumerable.Range(0, batch * (cols + 5)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return (w, x);
    }
}
