using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// <see cref="MatVec"/> (one input) or <see cref="MatVecBatch"/> (several), or <see cref="PanelMatVec"/> for a
/// <see cref="PanelMatrix"/>, with the rows of W split over a <see cref="WorkerPool"/>: each chunk of
/// rows runs on one thread and the result does not depend on the thread count. Takes pinned
/// memory (pointers), because a loop body cannot carry spans; callers keep their weights in
/// pinned arrays or pin them with <c>fixed</c> around the call.
/// </summary>
public static unsafe class ParallelMatVec
{
    /// <summary>Row-major chunks start on a multiple of this many rows (a panel's height, so panel chunks with one input align the same way).</summary>
    private const int RowAlign = PanelMatVec.PanelRows;

    /// <summary>Fewest multiply-adds worth a chunk of their own (about 10 µs of work).</summary>
    private const long MinChunkWork = 1 << 16;

    /// <summary>y[b, r] = Σ_i W[r, i]·x[b, i] for a row-major float32 W, every row r &lt; <paramref name="rows"/> and b &lt; <paramref name="batch"/>.</summary>
    /// <param name="pool">Threads to split the rows over.</param>
    /// <param name="w">W, rows × cols, pinned.</param>
    /// <param name="rows">Rows of W (outputs).</param>
    /// <param name="cols">Columns of W (inputs).</param>
    /// <param name="x">Inputs, batch rows of stride ldx, pinned.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of inputs.</param>
    /// <param name="y">Outputs, batch rows of stride ldy, pinned.</param>
    /// <param name="ldy">Row stride of y.</param>
    public static void Run(WorkerPool pool, float* w, int rows, int cols, float* x, int ldx, int batch, float* y, int ldy)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (rows <= 0 || batch <= 0) return;
        int chunks = Chunks(pool, rows, cols, batch, RowAlign, minUnits: 4);
        var body = new Body(w, rows, cols, x, ldx, batch, y, ldy, chunks);
        if (chunks == 1) body.Invoke(0);
        else pool.For(chunks, body);
    }

    /// <summary>y[b, r] = Σ_i W[r, i]·x[b, i] for a 16-bit matrix in panels, every row r and b &lt; <paramref name="batch"/>.</summary>
    /// <param name="pool">Threads to split the panels over.</param>
    /// <param name="w">W.</param>
    /// <param name="x">Inputs, batch rows of stride ldx, pinned.</param>
    /// <param name="ldx">Row stride of x.</param>
    /// <param name="batch">Number of inputs.</param>
    /// <param name="y">Outputs, batch rows of stride ldy, pinned.</param>
    /// <param name="ldy">Row stride of y.</param>
    public static void Run(WorkerPool pool, in PanelMatrix w, float* x, int ldx, int batch, float* y, int ldy)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (w.Rows <= 0 || batch <= 0) return;
        // Several inputs: chunks of whole tiles (three panels), so no chunk ends in a narrower tile (4-7 % faster on the
        // SmolLM2-135M matrices in paired rounds). One input: whole panels (tiles of four measured no better).
        int align = batch == 1 ? PanelMatVec.PanelRows : PanelMatVec.PanelRows * PanelMatVec.TilePanels(batch);
        int chunks = Chunks(pool, w.Rows, w.Cols, batch, align, minUnits: 1);
        // The inputs are packed (and scaled) once here, and every chunk reads the one copy.
        long need = Math.Max(1L, (long)batch * w.Cols);
        if (t_packed is null || t_packed.Length < need) t_packed = GC.AllocateArray<float>(checked((int)need), pinned: true);
        fixed (float* packed = t_packed)
        {
            var path = MatVecPaths.Best;
            bool scaled = PanelMatVec.PackInputs(w, x, ldx, batch, packed, path);
            var body = new PanelBody(w, packed, scaled, x, ldx, batch, y, ldy, chunks, align, path);
            if (chunks == 1) body.Invoke(0);
            else pool.For(chunks, body);
        }
    }

    [ThreadStatic]
    private static float[]? t_packed;

    // A few chunks per thread balance uneven progress; each chunk keeps at least MinChunkWork multiply-adds (so a
    // small matrix stays on the caller instead of waking the workers) and `minUnits` whole units of `align` rows.
    private static int Chunks(WorkerPool pool, int rows, int cols, int batch, int align, int minUnits)
    {
        long work = (long)rows * cols * batch;
        int units = (rows + align - 1) / align;
        int chunks = (int)Math.Max(1, Math.Min(Math.Min(pool.Threads * 4, units / minUnits), work / MinChunkWork));
        // A whole number of chunks per thread: 5 chunks on 2 threads would leave one idle for a fifth of the pass.
        if (chunks > pool.Threads) chunks -= chunks % pool.Threads;
        return chunks;
    }

    // Start of chunk k of `chunks` over `rows` rows: a whole number of `align` rows, the last chunk ending at rows.
    private static int Boundary(int k, int chunks, int rows, int align)
    {
        if (k >= chunks) return rows;
        int units = (rows + align - 1) / align;
        long b = ((long)units * k + chunks - 1) / chunks;
        return (int)Math.Min(rows, b * align);
    }

    private readonly struct PanelBody(PanelMatrix w, float* packed, bool scaled, float* x, int ldx, int batch, float* y, int ldy, int chunks, int align, MatVecPath path)
        : IParallelBody
    {
        public void Invoke(int index)
        {
            int start = Boundary(index, chunks, w.Rows, align), end = Boundary(index + 1, chunks, w.Rows, align);
            if (end > start) PanelMatVec.RunPacked(w, packed, scaled, x, ldx, batch, y, ldy, start, end, path);
        }
    }

    private readonly struct Body(float* w, int rows, int cols, float* x, int ldx, int batch, float* y, int ldy, int chunks) : IParallelBody
    {
        public void Invoke(int index)
        {
            int start = Boundary(index, chunks, rows, RowAlign), end = Boundary(index + 1, chunks, rows, RowAlign);
            if (end <= start) return;
            var ws = new ReadOnlySpan<float>(w, checked(rows * cols));
            var xs = new ReadOnlySpan<float>(x, (batch - 1) * ldx + cols);
            var ys = new Span<float>(y, (batch - 1) * ldy + rows);
            // One input: the single-vector kernel; several: the multi-input one (the same bits per output).
            if (batch == 1) MatVec.F32(ws, cols, xs, ldx, batch, ys, ldy, start, end);
            else MatVecBatch.F32(ws, cols, xs, ldx, batch, ys, ldy, start, end);
        }
    }
}
