using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// <see cref="PanelMatVec"/> for a <see cref="PanelMatrix"/> (one input or several), with the rows of W split over a
/// <see cref="WorkerPool"/>: each chunk of rows runs on one thread and the result does not depend on the thread count.
/// Takes pinned memory (pointers), because a loop body cannot carry spans; callers keep their inputs and outputs in
/// pinned arrays or pin them with <c>fixed</c> around the call.
/// </summary>
public static unsafe class ParallelMatVec
{
    /// <summary>Fewest multiply-adds worth a chunk of their own (about 10 µs of work).</summary>
    private const long MinChunkWork = 1 << 16;

    /// <summary>y[b, r] = Σ_i W[r, i]·x[b, i] for a matrix in panels, every row r and b &lt; <paramref name="batch"/>.</summary>
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
        int align = batch == 1 ? PanelMatVec.PanelRows : PanelMatVec.PanelRows * PanelMatVec.BatchTilePanels;
        int chunks = Chunks(pool, w.Rows, w.Cols, batch, align);
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

    /// <summary>
    /// <see cref="PanelMatVec.ReadTransposed(in PanelMatrix, int, int, Span{float})"/> with the panels split over
    /// <paramref name="pool"/>: rows [rowStart, rowStart + count) of W as Wᵀ (<c>destination[k·count + j]</c>), the block a
    /// prefill GEMM multiplies by. On one thread the copy took about a fifth of a float32 prefill.
    /// </summary>
    /// <param name="pool">Threads to split the panels over.</param>
    /// <param name="w">W.</param>
    /// <param name="rowStart">First row, a multiple of <see cref="PanelMatVec.PanelRows"/>.</param>
    /// <param name="count">Rows: a multiple of <see cref="PanelMatVec.PanelRows"/>, or up to the last row.</param>
    /// <param name="destination">count × Cols floats, pinned.</param>
    public static void ReadTransposed(WorkerPool pool, in PanelMatrix w, int rowStart, int count, float* destination)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (count <= 0 || w.Cols == 0) return;
        int chunks = Chunks(pool, count, w.Cols, 1, PanelMatVec.PanelRows);
        var body = new TransposeBody(w, rowStart, count, destination, chunks);
        if (chunks == 1) body.Invoke(0);
        else pool.For(chunks, body);
    }

    // A few chunks per thread balance uneven progress; each chunk keeps at least MinChunkWork multiply-adds (so a
    // small matrix stays on the caller instead of waking the workers) and at least one whole unit of `align` rows.
    private static int Chunks(WorkerPool pool, int rows, int cols, int batch, int align)
    {
        long work = (long)rows * cols * batch;
        int units = (rows + align - 1) / align;
        int chunks = (int)Math.Max(1, Math.Min(Math.Min(pool.Threads * 4, units), work / MinChunkWork));
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

    private readonly struct TransposeBody(PanelMatrix w, int rowStart, int count, float* destination, int chunks) : IParallelBody
    {
        public void Invoke(int index)
        {
            int start = Boundary(index, chunks, count, PanelMatVec.PanelRows), end = Boundary(index + 1, chunks, count, PanelMatVec.PanelRows);
            if (end > start)
                PanelMatVec.ReadTransposed(w, rowStart + start, end - start, new Span<float>(destination + start, checked((w.Cols - 1) * count + end - start)), count);
        }
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
}
