using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;

namespace Dlm.Numerics.Tests;

[CollectionDefinition(nameof(SerialAllocationTests), DisableParallelization = true)]
public sealed class SerialAllocationTests;

/// <summary>
/// A warmed-up GEMM and parallel-for allocate nothing, on the calling thread and on every worker
/// (per-thread counters, <see cref="ThreadAllocations"/>).
/// </summary>
[Collection(nameof(SerialAllocationTests))]
public sealed class AllocationTests
{
    private struct CountBody(int[] hits) : IParallelBody
    {
        public readonly void Invoke(int index) => Interlocked.Increment(ref hits[index]);
    }

    private static readonly bool[] Bools = [false, true];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Warm_sgemm_allocates_nothing(int threads)
    {
        using var pool = new WorkerPool(threads);
        var g = new ManagedGemm(pool);
        var rng = new Random(3);
        var a = GemmCheck.Rand(rng, 200 * 400);
        var b = GemmCheck.Rand(rng, 400 * 500);
        var c = new float[200 * 500];
        void Calls()
        {
            foreach (bool ta in Bools)
                foreach (bool tb in Bools)
                    g.Sgemm(ta, tb, 200, 500, 400, 1f, a, ta ? 200 : 400, b, tb ? 400 : 500, 0.5f, c, 500);
            g.Sgemm(false, false, 3, 3, 3, 1f, a, 3, b, 3, 0f, c, 3); // scalar path
        }
        Calls(); // warm up: JIT, per-thread pack buffers

        Calls();
        var allocations = new ThreadAllocations(pool);
        allocations.Start();
        for (int r = 0; r < 3; r++) Calls();
        allocations.Stop();
        Assert.Empty(allocations.Allocating());
    }

    [Fact]
    public void Warm_parallel_for_allocates_nothing()
    {
        using var pool = new WorkerPool(2);
        var hits = new int[64];
        pool.For(hits.Length, new CountBody(hits));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 100; r++) pool.For(hits.Length, new CountBody(hits));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.All(hits, h => Assert.Equal(101, h));
    }
}
