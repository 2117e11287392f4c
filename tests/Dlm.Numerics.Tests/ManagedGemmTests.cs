using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;
using System.Runtime.Intrinsics;

namespace Dlm.Numerics.Tests;

/// <summary>
/// The tiled managed kernel against the float64 definition: shapes on both sides of every tile
/// and block boundary (small blockings make the boundaries cheap to cross), every transpose,
/// padded leading dimensions, both vector kernels, one thread and several.
/// </summary>
public sealed class ManagedGemmTests : IDisposable
{
    private readonly WorkerPool _pool3 = new(3);
    private readonly WorkerPool _pool1 = new(1);

    public void Dispose()
    {
        _pool3.Dispose();
        _pool1.Dispose();
    }

    /// <summary>Kernel names (the enum is internal); Vector512 only where the hardware has it.</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string> { nameof(GemmKernel.Vector256), nameof(GemmKernel.Scalar) };
        if (Vector512.IsHardwareAccelerated) data.Add(nameof(GemmKernel.Vector512));
        if (Vector128.IsHardwareAccelerated) data.Add(nameof(GemmKernel.Vector128));
        return data;
    }

    private static bool[] Bools => [false, true];

    private static (int Mr, int Nr) Tile(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Vector512 => (GemmKernels.Mr512, GemmKernels.Nr512),
        GemmKernel.Vector128 => (GemmKernels.Mr128, GemmKernels.Nr128),
        _ => (GemmKernels.Mr256, GemmKernels.Nr256),
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Small_blocking_crosses_every_boundary(string kernelName)
    {
        var kernel = Enum.Parse<GemmKernel>(kernelName);
        // kc=8, nc=2 slivers, mc=2 slivers: m, n, k below, at and past each multiple of MR, NR, KC, NC, MC.
        var (mr, nr) = Tile(kernel);
        foreach (var pool in new[] { _pool1, _pool3 })
        {
            // Row blocks of 2 chunks (4·MR rows) so the larger m cross those too.
            var g = new ManagedGemm(pool, kernel, kc: 8, nc: 2 * nr, mc: 2 * mr, smallWork: 0, parallelWork: 0, rowBlockChunks: 2);
            int[] ms = [1, mr - 1, mr, mr + 1, 2 * mr + 1, 4 * mr, 9 * mr + 3];
            int[] ns = [1, nr - 1, nr + 1, 2 * nr, 2 * nr + 1, 5 * nr + 7];
            int[] ks = [1, 7, 8, 9, 17, 33];
            int i = 0;
            foreach (int m in ms)
                foreach (int n in ns)
                {
                    int k = ks[i++ % ks.Length];
                    foreach (bool ta in Bools)
                        foreach (bool tb in Bools)
                            GemmCheck.Product(g, m, n, k, ta, tb, pad: i % 3);
                }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Default_blocking_crosses_kc_and_nc(string kernelName)
    {
        var kernel = Enum.Parse<GemmKernel>(kernelName);
        // 400 > KC=384 and 500 > NC=480, with row blocks of 96 plus an edge.
        if (kernel == GemmKernel.Scalar) return; // no blocking to cross
        foreach (var pool in new[] { _pool1, _pool3 })
        {
            var g = new ManagedGemm(pool, kernel);
            GemmCheck.Product(g, 100, 500, 400, false, true, pad: 3);
            GemmCheck.Product(g, 101, 481, 385, true, false);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Alpha_and_beta_follow_the_contract(string kernelName)
    {
        var kernel = Enum.Parse<GemmKernel>(kernelName);
        var (mr, nr) = Tile(kernel);
        var g = new ManagedGemm(_pool3, kernel, kc: 8, nc: 2 * nr, mc: 2 * mr, smallWork: 0, parallelWork: 0);
        foreach (bool ta in Bools)
            foreach (bool tb in Bools)
            {
                GemmCheck.Product(g, 29, 70, 19, ta, tb, alpha: 1f, beta: 0f, nanC: true);  // beta=0 overwrites NaN
                GemmCheck.Product(g, 29, 70, 19, ta, tb, alpha: 1f, beta: 1f, pad: 2);    // accumulate
                GemmCheck.Product(g, 29, 70, 19, ta, tb, alpha: -2f, beta: 0.5f, pad: 1); // both scales
                GemmCheck.Product(g, 29, 70, 19, ta, tb, alpha: 0.5f, beta: 0f, pad: 1, nanC: true);
            }
    }

    [Fact]
    public void Small_transposed_A_products_read_in_place_and_edge_rows_match_float64()
    {
        // Aᵀ read in place (one k block, A ≤ 32 K floats, rows a multiple of 12 or ending in an 8-row
        // sliver) and the 8-row edge kernel, at the attention block shapes and around them; NaN padding
        // beside A's rows must never be read.
        if (!Vector512.IsHardwareAccelerated) return;
        foreach (var pool in new[] { _pool1, _pool3 })
        {
            var g = new ManagedGemm(pool, GemmKernel.Vector512, smallWork: 0, parallelWork: 0);
            foreach (int m in new[] { 8, 12, 20, 24, 128, 132, 3, 17 })
                foreach (int n in new[] { 32, 64, 70 })
                    foreach (int k in new[] { 1, 5, 64, 128 })
                        foreach (bool tb in Bools)
                        {
                            GemmCheck.Product(g, m, n, k, true, tb, pad: (m + k) % 3);
                            GemmCheck.Product(g, m, n, k, true, tb, alpha: 1f, beta: 0f, nanC: true);
                            GemmCheck.Product(g, m, n, k, false, tb, beta: 1f, pad: 1);
                        }
        }
    }

    [Fact]
    public void Alpha_zero_or_empty_k_only_scales_C()
    {
        var g = new ManagedGemm(_pool1, ManagedGemm.DetectKernel());
        float[] a = [float.NaN, float.NaN, float.NaN, float.NaN], b = [float.NaN, float.NaN, float.NaN, float.NaN];
        float[] c = [1f, 2f, 3f, 4f];
        g.Sgemm(false, false, 2, 2, 2, 0f, a, 2, b, 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
        g.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, c, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
    }

    [Fact]
    public void Model_shapes_with_threads_match_reference_rows()
    {
        // The niels-default layer shapes (scaled down in m) on the real blocking, threaded.
        var g = new ManagedGemm(_pool3, ManagedGemm.DetectKernel());
        GemmCheck.Product(g, 40, 1152, 384, false, true);
        GemmCheck.Product(g, 40, 384, 1152, false, false);
        GemmCheck.Product(g, 1152, 40, 64, true, false);
    }

    [Fact]
    public void Results_are_bitwise_the_same_on_any_thread_count()
    {
        // Each element of C is one tile's k loop over the k blocks in order, whoever computes it.
        var rng = new Random(11);
        foreach (var (m, n, k, ta, tb) in new[] { (300, 200, 900, true, false), (130, 500, 400, false, true), (97, 61, 1000, false, false) })
        {
            var a = GemmCheck.Rand(rng, m * k);
            var b = GemmCheck.Rand(rng, k * n);
            var c1 = GemmCheck.Rand(rng, m * n);
            var c3 = (float[])c1.Clone();
            new ManagedGemm(_pool1).Sgemm(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 1f, c1, n);
            new ManagedGemm(_pool3).Sgemm(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 1f, c3, n);
            Assert.Equal(c1, c3);
        }
    }

    [Fact]
    public void Concurrent_callers_on_one_pool_get_correct_results()
    {
        // One caller owns the pool, the others run inline: all must be right.
        var g = new ManagedGemm(_pool3, ManagedGemm.DetectKernel(), kc: 16, nc: 64, mc: 24, smallWork: 0, parallelWork: 0);
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            try
            {
                for (int r = 0; r < 5; r++) GemmCheck.Product(g, 50 + t, 70 + r, 33, t % 2 == 0, r % 2 == 0, seed: t * 10 + r);
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(errors);
    }

    private readonly struct GemmInLoop(IGemm g, int[] failures) : IParallelBody
    {
        public void Invoke(int index)
        {
            try
            {
                GemmCheck.Product(g, 40 + index, 90, 50, index % 2 == 1, index % 3 == 0, seed: index);
            }
            catch (Xunit.Sdk.XunitException)
            {
                Interlocked.Increment(ref failures[0]);
            }
        }
    }

    [Fact]
    public void Gemm_inside_a_parallel_loop_runs_inline_and_is_correct()
    {
        // The engine's pattern: a loop over heads or batch rows, each calling GEMM on its own slice.
        var g = new ManagedGemm(_pool3, ManagedGemm.DetectKernel(), kc: 16, nc: 64, mc: 24, smallWork: 0, parallelWork: 0);
        var failures = new int[1];
        _pool3.For(6, new GemmInLoop(g, failures));
        Assert.Equal(0, failures[0]);
    }

    [Fact]
    public void Reference_path_matches_float64()
    {
        var g = new ManagedGemm(_pool1, GemmKernel.Scalar);
        foreach (bool ta in Bools)
            foreach (bool tb in Bools)
            {
                GemmCheck.Product(g, 7, 13, 5, ta, tb, pad: 2);
                GemmCheck.Product(g, 3, 4, 2, ta, tb, beta: 0f, nanC: true);
            }
    }

    [Fact]
    public void Bad_blocking_is_rejected() =>
        Assert.Throws<ArgumentException>(() => new ManagedGemm(_pool1, GemmKernel.Vector256, kc: 8, nc: 20, mc: 12));
}
