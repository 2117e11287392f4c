using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// OpenBLAS run single-threaded on slices of one product spread over dlm's own
/// <see cref="WorkerPool"/>: C is cut into as many row or column slices as the pool has threads
/// (along its longer side, 16-aligned), and each thread calls <c>cblas_sgemm</c> on its slice.
/// OpenBLAS's own threading is set to one thread while these products run (<see cref="OpenBlasGemm"/> keeps plain calls
/// on more threads from running at the same time: the count changes the bits), so no second set of threads spins after a call
/// and takes the cores from the pool (which is what made OpenBLAS's own threading lose to the
/// managed kernel on whole training steps). OpenBLAS 0.3.7 and later is safe to call concurrently
/// when it runs single-threaded (its buffer allocator locks). Where a slice boundary falls decides
/// which elements OpenBLAS computes in its edge tiles, so the last bits of C can depend on the
/// pool's thread count (as they can on which backend <see cref="PerShapeGemm"/> picks).
/// </summary>
public sealed unsafe class PooledOpenBlasGemm : IGemm
{
    private const int Align = 16;
    private readonly OpenBlasGemm _blas;
    private readonly WorkerPool? _pool;

    /// <summary>Wraps <paramref name="blas"/> on <paramref name="pool"/> (null: <see cref="WorkerPool.Shared"/>); its products run OpenBLAS on 1 thread per slice.</summary>
    public PooledOpenBlasGemm(OpenBlasGemm blas, WorkerPool? pool = null)
    {
        _blas = blas ?? throw new ArgumentNullException(nameof(blas));
        _pool = pool;
    }

    /// <inheritdoc />
    public string Name => "openblas";

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0 || k == 0)
        {
            _blas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); // its k == 0 contract
            return;
        }
        var pool = _pool ?? WorkerPool.Shared;
        bool byRows = m >= n;
        int side = byRows ? m : n;
        int slices = Math.Min(pool.Threads, (side + Align - 1) / Align);
        int step = ((side + slices - 1) / slices + Align - 1) / Align * Align;
        slices = (side + step - 1) / step;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var body = new Slice
            {
                Blas = _blas, A = pa, B = pb, C = pc, Lda = lda, Ldb = ldb, Ldc = ldc,
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                ByRows = byRows, Step = step,
            };
            if (slices == 1) body.Invoke(0);
            else pool.For(slices, body);
        }
    }

    private struct Slice : IParallelBody
    {
        public OpenBlasGemm Blas;
        public float* A, B, C;
        public int Lda, Ldb, Ldc, M, N, K, Step;
        public bool TransA, TransB, ByRows;
        public float Alpha, Beta;

        public readonly void Invoke(int index)
        {
            int start = index * Step;
            if (ByRows)
            {
                int rows = Math.Min(Step, M - start);
                // Row i of op(A) starts at A + i·lda when A is stored as is, at A + i when stored transposed.
                float* a = TransA ? A + start : A + (nint)start * Lda;
                Blas.SgemmSingleThreaded(TransA, TransB, rows, N, K, Alpha, a, Lda, B, Ldb, Beta, C + (nint)start * Ldc, Ldc);
            }
            else
            {
                int cols = Math.Min(Step, N - start);
                // Column j of op(B) starts at B + j when B is stored as is, at B + j·ldb when stored transposed.
                float* b = TransB ? B + (nint)start * Ldb : B + start;
                Blas.SgemmSingleThreaded(TransA, TransB, M, cols, K, Alpha, A, Lda, b, Ldb, Beta, C + start, Ldc);
            }
        }
    }
}
