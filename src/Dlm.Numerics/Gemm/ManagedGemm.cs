using System.Runtime.Intrinsics;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// Pure managed SGEMM in the Goto/BLIS style: op(A) is packed a block of rows × KC at a time
/// (in L3, reused by every column panel), op(B) a KC×NC panel at a time (kept in L2), and a
/// register-blocked micro-kernel (12×32 on Vector512, 6×16 on Vector256, 6×8 on Vector128,
/// fused multiply-add) sweeps each packed A sliver (kept in L1) across the B panel. Transposes
/// are absorbed by the packing. Row chunks of C are spread over a <see cref="WorkerPool"/>; tiny
/// products take the scalar reference loop. Packing buffers belong to the calling thread and are
/// reused: once warmed up, calls allocate nothing. Used when OpenBLAS is not installed or when
/// forced with <c>DLM_BLAS=managed</c>; see docs/numerics.md.
/// </summary>
public sealed unsafe class ManagedGemm : IGemm
{
    /// <summary>Largest micro-tile of any kernel (floats), for the on-stack edge tile.</summary>
    private const int MaxTile = GemmKernels.Mr512 * GemmKernels.Nr512;

    private readonly WorkerPool? _pool;
    private readonly int _mr, _nr, _kc, _nc, _mc;
    private readonly long _smallWork, _parallelWork;

    /// <summary>
    /// Largest A (k·lda floats) that a transposed-A product reads in place instead of packing (32 K floats,
    /// 128 KB: in L2). Step p of a 12-row sliver of op(A) = Aᵀ is 12 consecutive values of row p of A,
    /// which is the packed layout with a longer stride, so small products (attention's Pᵀ·dY and
    /// dSᵀ·Q blocks, 128 × 64 × 128) skip the copy, which there costs ~15 % of the product.
    /// </summary>
    private const long DirectALimit = 32 * 1024;

    /// <summary>MC chunks of op(A) packed at once (32: 3072 rows × KC = 4.7 MB by default, in L3).</summary>
    private readonly int _rowBlockChunks;

    /// <summary>The managed kernel on the shared <see cref="WorkerPool"/> (<c>DLM_THREADS</c> threads).</summary>
    public ManagedGemm() : this(null) { }

    /// <summary>The managed kernel on a given pool (null: <see cref="WorkerPool.Shared"/>).</summary>
    /// <param name="pool">Threads to split products over; a 1-thread pool runs single-threaded.</param>
    public ManagedGemm(WorkerPool? pool) : this(pool, DetectKernel()) { }

    /// <summary>A configurable instance for tests and benchmarks: kernel and block sizes.</summary>
    internal ManagedGemm(WorkerPool? pool, GemmKernel kernel, int kc = 384, int nc = 480, int mc = 96,
        long smallWork = 8 * 8 * 8, long parallelWork = 1 << 18, int rowBlockChunks = 32)
    {
        _pool = pool;
        Kernel = kernel;
        (_mr, _nr) = kernel switch
        {
            GemmKernel.Vector512 => (GemmKernels.Mr512, GemmKernels.Nr512),
            GemmKernel.Vector128 => (GemmKernels.Mr128, GemmKernels.Nr128),
            _ => (GemmKernels.Mr256, GemmKernels.Nr256),
        };
        if (kc < 1 || nc < _nr || nc % _nr != 0 || mc < _mr || mc % _mr != 0)
            throw new ArgumentException($"GEMM blocking kc={kc} nc={nc} mc={mc} must be positive multiples of the {_mr}x{_nr} tile");
        (_kc, _nc, _mc) = (kc, nc, mc);
        (_smallWork, _parallelWork) = (smallWork, parallelWork);
        _rowBlockChunks = Math.Max(1, rowBlockChunks);
    }

    /// <inheritdoc />
    public string Name => "managed";

    /// <summary>The inner loop in use, e.g. <c>vector512 12x32</c>.</summary>
    public string KernelDescription => Kernel switch
    {
        GemmKernel.Vector512 => $"vector512 {_mr}x{_nr}",
        GemmKernel.Vector256 => $"vector256 {_mr}x{_nr}",
        GemmKernel.Vector128 => $"vector128 {_mr}x{_nr}",
        _ => "scalar",
    };

    /// <summary>Threads a product can use.</summary>
    public int Threads => Pool.Threads;

    internal GemmKernel Kernel { get; }

    private WorkerPool Pool => _pool ?? WorkerPool.Shared;

    /// <summary>The widest kernel the hardware runs natively; scalar where no vector width is accelerated.</summary>
    internal static GemmKernel DetectKernel() =>
        Vector512.IsHardwareAccelerated ? GemmKernel.Vector512
        : Vector256.IsHardwareAccelerated ? GemmKernel.Vector256
        : Vector128.IsHardwareAccelerated ? GemmKernel.Vector128
        : GemmKernel.Scalar;

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 || alpha == 0f) ReferenceGemm.Scale(m, n, beta, pc, ldc); // A and B are not read
            else if (Kernel == GemmKernel.Scalar || (long)m * n * k <= _smallWork)
                ReferenceGemm.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            else
                Tiled(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    private void Tiled(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        var pool = Pool;
        int threads = (long)m * n * k >= _parallelWork ? pool.Threads : 1;
        int rowBlock = _mc * _rowBlockChunks;
        int firstBlock = Math.Min(rowBlock, m);
        int aFloats = (firstBlock + _mc - 1) / _mc * _mc * Math.Min(_kc, k);
        int bFloats = Math.Min(_kc, k) * ((Math.Min(_nc, n) + _nr - 1) / _nr * _nr);
        // Two buffers each: while the workers compute on one step's packed operands, they pack the
        // next step's into the others, so every step is a single fork-join loop.
        float* aPack0 = PackBuffer.ForABlock.Get(aFloats), aPack1 = PackBuffer.ForABlock2.Get(aFloats);
        float* bPack0 = PackBuffer.ForB.Get(bFloats), bPack1 = PackBuffer.ForB2.Get(bFloats);
        // Aᵀ read in place: one k block and one row block, A small enough to stay in cache, and every
        // sliver 12 rows or the 8-row edge (a narrower edge would read past the rows of A).
        bool directA = transA && Kernel == GemmKernel.Vector512 && k <= _kc && m <= rowBlock
            && (long)k * lda <= DirectALimit && (m % _mr == 0 || m % _mr == GemmKernels.MrEdge512);
        var job = new Panel
        {
            A = a, B = b, C = c, Lda = lda, Ldb = ldb, Ldc = ldc,
            TransA = transA, TransB = transB, Alpha = alpha, DirectA = directA,
            Kernel = Kernel, Mr = _mr, Nr = _nr, Mc = _mc,
        };

        // The steps, in order: row block ib, k block pc, column panel jc. Step 0's operands are
        // packed first; each later loop computes step i and packs step i + 1.
        var cur = default(Step);
        bool have = false;
        int aSide = 1, bSide = 1;
        for (int ib = 0; ib < m; ib += rowBlock)
            for (int pc = 0; pc < k; pc += _kc)
                for (int jc = 0; jc < n; jc += _nc)
                {
                    var next = new Step
                    {
                        Ib = ib, Mb = Math.Min(rowBlock, m - ib), Pc = pc, Kc = Math.Min(_kc, k - pc),
                        Jc = jc, Nc = Math.Min(_nc, n - jc), Beta = pc == 0 ? beta : 1f, // later k blocks accumulate onto the first
                        NewA = jc == 0,
                    };
                    if (next.NewA) aSide ^= 1; // op(A) is packed once per k block and reused by every column panel
                    bSide ^= 1;
                    next.APack = aSide == 0 ? aPack0 : aPack1;
                    next.BPack = bSide == 0 ? bPack0 : bPack1;
                    next.Slivers = (next.Nc + _nr - 1) / _nr;
                    next.RowChunks = (next.Mb + _mc - 1) / _mc;
                    // Few row chunks: also split the panel's columns so every thread has work.
                    next.ColChunks = next.RowChunks >= 2 * threads ? 1
                        : Math.Min(next.Slivers, (2 * threads + next.RowChunks - 1) / next.RowChunks);
                    Launch(pool, threads, ref job, have ? cur : default, have, next, true);
                    cur = next;
                    have = true;
                }
        Launch(pool, threads, ref job, cur, true, default, false);
    }

    /// <summary>One fork-join loop: the compute tasks of <paramref name="cur"/>, then the packing of <paramref name="next"/>.</summary>
    private static void Launch(WorkerPool pool, int threads, ref Panel job, in Step cur, bool compute, in Step next, bool pack)
    {
        job.Cur = cur;
        job.Next = next;
        job.ComputeTasks = compute ? cur.RowChunks * cur.ColChunks : 0;
        job.PackATasks = pack && next.NewA && !job.DirectA ? next.RowChunks : 0;
        job.PackBTasks = pack ? Math.Min(threads, next.Slivers) : 0;
        int tasks = job.ComputeTasks + job.PackATasks + job.PackBTasks;
        if (threads == 1 || tasks == 1) for (int t = 0; t < tasks; t++) job.Invoke(t);
        else pool.For(tasks, job);
    }

    /// <summary>One step of the blocked product: a k block of a row block against one column panel.</summary>
    private struct Step
    {
        public float* APack, BPack;
        public int Ib, Mb, Pc, Kc, Jc, Nc, Slivers, RowChunks, ColChunks;
        public float Beta;
        public bool NewA;
    }

    /// <summary>A parallel-for body: compute tasks of the current step, then pack tasks of the next.</summary>
    private struct Panel : IParallelBody
    {
        public float* A, B, C;
        public nint Lda, Ldb, Ldc;
        public bool TransA, TransB, DirectA;
        public int Mr, Nr, Mc, ComputeTasks, PackATasks, PackBTasks;
        public float Alpha;
        public GemmKernel Kernel;
        public Step Cur, Next;

        public readonly void Invoke(int index)
        {
            if (index < ComputeTasks)
            {
                Compute(index / Cur.ColChunks, index % Cur.ColChunks);
                return;
            }
            index -= ComputeTasks;
            if (index < PackATasks)
            {
                int i0 = index * Mc;
                GemmPacking.PackA(TransA, A, Lda, Next.Ib + i0, Math.Min(Mc, Next.Mb - i0), Next.Pc, Next.Kc, Mr, Next.APack + (nint)i0 * Next.Kc);
                return;
            }
            index -= PackATasks;
            int s0 = (int)((long)index * Next.Slivers / PackBTasks), s1 = (int)((long)(index + 1) * Next.Slivers / PackBTasks);
            GemmPacking.PackB(TransB, B, Ldb, Next.Jc, Next.Nc, Next.Pc, Next.Kc, Nr, s0, s1, Next.BPack);
        }

        private readonly void Compute(int rowChunk, int colChunk)
        {
            int i0 = rowChunk * Mc, rows = Math.Min(Mc, Cur.Mb - i0), kc = Cur.Kc, nc = Cur.Nc;
            int s0 = (int)((long)colChunk * Cur.Slivers / Cur.ColChunks), s1 = (int)((long)(colChunk + 1) * Cur.Slivers / Cur.ColChunks);
            float* aPack = Cur.APack + (nint)i0 * kc;
            float beta = Cur.Beta;
            float* edge = stackalloc float[MaxTile];
            // A sliver's steps: packed (Mr apart) or, read in place from Aᵀ, a row of A apart.
            nint aStep = DirectA ? Lda : Mr;
            for (int ir = 0; ir < rows; ir += Mr)
            {
                int h = Math.Min(Mr, rows - ir);
                float* aSliver = DirectA ? A + (nint)Cur.Pc * Lda + Cur.Ib + i0 + ir : aPack + (nint)ir * kc;
                float* cRow = C + (Cur.Ib + i0 + ir) * Ldc + Cur.Jc;
                for (int s = s0; s < s1; s++)
                {
                    int jOff = s * Nr, w = Math.Min(Nr, nc - jOff);
                    float* bSliver = Cur.BPack + (nint)s * Nr * kc;
                    if (h == Mr && w == Nr) Tile(kc, aSliver, aStep, bSliver, cRow + jOff, Ldc, beta);
                    else if (h == GemmKernels.MrEdge512 && w == Nr && Kernel == GemmKernel.Vector512)
                        GemmKernels.Tile512x8(kc, aSliver, aStep, bSliver, cRow + jOff, Ldc, Alpha, beta);
                    else
                    {
                        // Edge: compute the tile aside (8 rows when that covers it), then merge only the valid h×w part.
                        if (h <= GemmKernels.MrEdge512 && Kernel == GemmKernel.Vector512)
                            GemmKernels.Tile512x8(kc, aSliver, aStep, bSliver, edge, Nr, Alpha, 0f);
                        else Tile(kc, aSliver, aStep, bSliver, edge, Nr, 0f);
                        for (int r = 0; r < h; r++)
                        {
                            float* cr = cRow + r * Ldc + jOff;
                            float* er = edge + r * Nr;
                            if (beta == 0f) for (int j = 0; j < w; j++) cr[j] = er[j];
                            else for (int j = 0; j < w; j++) cr[j] = er[j] + beta * cr[j];
                        }
                    }
                }
            }
        }

        private readonly void Tile(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float beta)
        {
            if (Kernel == GemmKernel.Vector512) GemmKernels.Tile512(kc, a, aStep, b, c, ldc, Alpha, beta);
            else if (Kernel == GemmKernel.Vector256) GemmKernels.Tile256(kc, a, b, c, ldc, Alpha, beta);
            else GemmKernels.Tile128(kc, a, b, c, ldc, Alpha, beta);
        }
    }
}
