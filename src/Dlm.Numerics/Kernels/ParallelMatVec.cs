using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// <see cref="MatVec"/> (one input) or <see cref="MatVecBatch"/> (several) with the rows of W split over a <see cref="WorkerPool"/>: each chunk of
/// rows runs on one thread and the result does not depend on the thread count. Takes pinned
/// memory (pointers), because a loop body cannot carry spans; callers keep their weights in
/// pinned arrays or pin them with <c>fixed</c> around the call.
/// </summary>
public static unsafe class ParallelMatVec
{
    /// <summary>Rows per chunk are rounded to this many, so chunks start on whole cache lines of 16-bit rows.</summary>
    private const int RowAlign = 16;

    /// <summary>Fewest multiply-adds worth a chunk of their own (about 10 µs of work).</summary>
    private const long MinChunkWork = 1 << 16;

    /// <summary>y[b, r] = Σ_i W[r, i]·x[b, i] for every row r &lt; <paramref name="rows"/> and b &lt; <paramref name="batch"/>.</summary>
    /// <param name="pool">Threads to split the rows over.</param>
    /// <param name="format">Element type of W (float for F32, 16-bit bits otherwise).</param>
    /// <param name="w">W, rows × cols, pinned.</param>
    /// <param name="rows">Rows of W (outputs).</param>
    /// <param name="cols">Columns of W (inputs).</param>
    /// <param name="x">Inputs, batch rows of stride ldx, pinned.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of inputs.</param>
    /// <param name="y">Outputs, batch rows of stride ldy, pinned.</param>
    /// <param name="ldy">Row stride of y.</param>
    public static void Run(WorkerPool pool, WeightFormat format, void* w, int rows, int cols, float* x, int ldx, int batch, float* y, int ldy)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (rows <= 0 || batch <= 0) return;
        // A few chunks per thread balance uneven progress; each chunk keeps at least MinChunkWork
        // multiply-adds, so a small matrix stays on the caller instead of waking the workers.
        long work = (long)rows * cols * batch;
        int chunks = (int)Math.Max(1, Math.Min(Math.Min(pool.Threads * 4, rows / (RowAlign * 4)), work / MinChunkWork));
        // A whole number of chunks per thread: 5 chunks on 2 threads would leave one idle for a fifth of the pass.
        if (chunks > pool.Threads) chunks -= chunks % pool.Threads;
        var body = new Body(format, w, rows, cols, x, ldx, batch, y, ldy, chunks);
        if (chunks == 1) body.Invoke(0);
        else pool.For(chunks, body);
    }

    private readonly struct Body(WeightFormat format, void* w, int rows, int cols, float* x, int ldx, int batch, float* y, int ldy, int chunks) : IParallelBody
    {
        public void Invoke(int index)
        {
            int start = Boundary(index), end = Boundary(index + 1);
            if (end <= start) return;
            long wl = (long)rows * cols;
            var xs = new ReadOnlySpan<float>(x, (batch - 1) * ldx + cols);
            var ys = new Span<float>(y, (batch - 1) * ldy + rows);
            // One input: the single-vector kernel; several: the multi-input one (the same bits per output).
            if (format == WeightFormat.F32)
            {
                var ws = new ReadOnlySpan<float>(w, checked((int)wl));
                if (batch == 1) MatVec.F32(ws, cols, xs, ldx, batch, ys, ldy, start, end);
                else MatVecBatch.F32(ws, cols, xs, ldx, batch, ys, ldy, start, end);
            }
            else
            {
                var ws = new ReadOnlySpan<ushort>(w, checked((int)wl));
                if (batch == 1) MatVec.Half16(ws, format, cols, xs, ldx, batch, ys, ldy, start, end);
                else MatVecBatch.Half16(ws, format, cols, xs, ldx, batch, ys, ldy, start, end);
            }
        }

        private int Boundary(int k)
        {
            if (k >= chunks) return rows;
            long b = (long)rows * k / chunks;
            return (int)Math.Min(rows, (b + RowAlign - 1) / RowAlign * RowAlign);
        }
    }
}
