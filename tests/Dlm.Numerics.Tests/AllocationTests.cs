using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

[CollectionDefinition(nameof(SerialAllocationTests), DisableParallelization = true)]
public sealed class SerialAllocationTests;

/// <summary>
/// A warmed-up GEMM and parallel-for allocate nothing, on the calling thread and (measured over
/// the process while no other test runs) on the workers.
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
        var probe = new ThreadProbe(threads);
        var ids0 = new int[threads];
        var bytes0 = new long[threads];
        pool.For(threads, probe);
        probe.CopyTo(ids0, bytes0); // no allocation between the two probes on any thread

        long thread0 = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 3; r++) Calls();
        long thread1 = GC.GetAllocatedBytesForCurrentThread();

        // The same threads again: what each worker allocated since the first probe.
        pool.For(threads, probe);
        Assert.Equal(0, thread1 - thread0); // asserts allocate: only after the last probe
        var before = Enumerable.Range(0, threads).ToDictionary(i => ids0[i], i => bytes0[i]);
        var ids1 = new int[threads];
        var bytes1 = new long[threads];
        probe.CopyTo(ids1, bytes1);
        for (int i = 0; i < threads; i++)
            Assert.True(bytes1[i] - before[ids1[i]] == 0, $"thread {ids1[i]} allocated {bytes1[i] - before[ids1[i]]} bytes during warm calls");
    }

    /// <summary>
    /// A loop of exactly one index per pool thread: each index waits until every thread holds one,
    /// so each thread records its own allocation counter exactly once.
    /// </summary>
    private readonly struct ThreadProbe(int threads) : IParallelBody
    {
        private readonly int[] _ids = new int[threads];
        private readonly long[] _bytes = new long[threads];
        private readonly int[] _arrived = new int[1];

        public void Invoke(int index)
        {
            _ids[index] = Environment.CurrentManagedThreadId;
            _bytes[index] = GC.GetAllocatedBytesForCurrentThread();
            Interlocked.Increment(ref _arrived[0]);
            var spin = new SpinWait();
            while (Volatile.Read(ref _arrived[0]) % _ids.Length != 0) spin.SpinOnce();
        }

        public void CopyTo(int[] ids, long[] bytes)
        {
            _ids.CopyTo(ids, 0);
            _bytes.CopyTo(bytes, 0);
        }
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
