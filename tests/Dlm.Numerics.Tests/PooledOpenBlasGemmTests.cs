using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>OpenBLAS single-threaded on row or column slices spread over dlm's own worker pool.</summary>
public sealed class PooledOpenBlasGemmTests : IDisposable
{
    private readonly WorkerPool _pool = new(3);

    public void Dispose() => _pool.Dispose();

    private static OpenBlasGemm Blas => GemmBackends.OpenBlas
        ?? throw new InvalidOperationException($"OpenBLAS is not available ({GemmBackends.OpenBlasStatus}); run tools/reference/setup.sh as root");

    public static TheoryData<int, int, int, bool, bool> Shapes() => new()
    {
        { 97, 40, 33, false, false },  // rows sliced, ragged last slice
        { 40, 97, 33, false, true },   // columns sliced
        { 130, 17, 64, true, false },  // rows, A stored transposed
        { 17, 130, 64, true, true },   // columns, B stored transposed
        { 8, 8, 500, true, false },    // one slice only (fewer than 16 rows per thread)
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Slices_match_float64_reference(int m, int n, int k, bool ta, bool tb)
    {
        var g = new PooledOpenBlasGemm(Blas, _pool);
        GemmCheck.Product(g, m, n, k, ta, tb, pad: 3);
        GemmCheck.Product(g, m, n, k, ta, tb, beta: 0f, nanC: true);
    }

    // OpenBLAS has one thread count per process and its bits depend on it. A training run on the
    // pooled slices (1 thread each) beside one on the default backend (OpenBLAS on 2 threads) once
    // computed a different step whenever a plain call had switched the count under a slice
    // (ScratchResumeTests failed in CI so); the slices must keep their bits whatever runs beside them.
    [Fact]
    public void Slices_keep_their_bits_while_plain_calls_on_more_threads_run_beside_them()
    {
        var blas = Blas;
        int before = blas.Threads;
        const int m = 256, n = 1024, k = 64;
        var rng = new Random(11);
        var a = new float[m * k];
        var b = new float[n * k];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);
        var pooled = new PooledOpenBlasGemm(blas, _pool);
        var expected = new float[m * n];
        pooled.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, expected, n);
        try
        {
            blas.SetThreads(2);
            var plainC = new float[m * n];
            // The plain product on 2 threads differs from the slices' (else this test shows nothing here).
            blas.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, plainC, n);
            bool countMatters = !plainC.AsSpan().SequenceEqual(expected);
            using var stop = new CancellationTokenSource();
            var plain = new Thread(() =>
            {
                var c = new float[m * n];
                while (!stop.IsCancellationRequested) blas.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
            });
            plain.Start();
            int differing = 0;
            var got = new float[m * n];
            for (int round = 0; round < 200; round++)
            {
                pooled.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, got, n);
                if (!got.AsSpan().SequenceEqual(expected)) differing++;
            }
            stop.Cancel();
            plain.Join();
            Assert.Equal(0, differing);
            Assert.True(countMatters || Environment.ProcessorCount < 2, "OpenBLAS on 2 threads gave the 1-thread bits: the library may be capped at 1 thread (OPENBLAS_NUM_THREADS)");
        }
        finally
        {
            if (before > 0) blas.SetThreads(before);
        }
    }
}
