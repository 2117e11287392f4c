using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

public sealed class WorkerPoolTests
{
    private struct CountBody(int[] hits) : IParallelBody
    {
        public readonly void Invoke(int index) => Interlocked.Increment(ref hits[index]);
    }

    private struct NestedBody(WorkerPool pool, int[] hits, int inner) : IParallelBody
    {
        public readonly void Invoke(int index)
        {
            var slice = new int[inner];
            pool.For(inner, new CountBody(slice));
            if (slice.All(h => h == 1)) Interlocked.Increment(ref hits[index]);
        }
    }

    // Records WorkerPool.InsideLoop as each index sees it.
    private struct InsideBody(bool[] seen) : IParallelBody
    {
        public readonly void Invoke(int index) => seen[index] = WorkerPool.InsideLoop;
    }

    // Index 0 holds the pool's loop open until released; the other indices return at once.
    private struct HoldingBody(ManualResetEventSlim started, ManualResetEventSlim release) : IParallelBody
    {
        public readonly void Invoke(int index)
        {
            if (index != 0) return;
            started.Set();
            release.Wait();
        }
    }

    private struct ThrowingBody(int bad) : IParallelBody
    {
        public readonly void Invoke(int index)
        {
            if (index == bad) throw new InvalidOperationException($"index {index}");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 10)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 1000)]
    [InlineData(4, 7)]
    public void Every_index_runs_exactly_once(int threads, int count)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[count];
        for (int round = 1; round <= 20; round++)
        {
            pool.For(count, new CountBody(hits));
            Assert.All(hits, h => Assert.Equal(round, h));
        }
    }

    [Fact]
    public void Nested_loops_run_inline_and_complete()
    {
        using var pool = new WorkerPool(3);
        var hits = new int[16];
        pool.For(hits.Length, new NestedBody(pool, hits, 9));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Body_exception_reaches_the_caller_and_the_pool_stays_usable()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<InvalidOperationException>(() => pool.For(50, new ThrowingBody(37)));
        Assert.Equal("index 37", e.Message);
        var hits = new int[50];
        pool.For(hits.Length, new CountBody(hits));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Concurrent_callers_all_finish()
    {
        using var pool = new WorkerPool(2);
        var all = Enumerable.Range(0, 4).Select(_ => new int[100]).ToArray();
        var threads = all.Select(hits => new Thread(() =>
        {
            for (int r = 0; r < 50; r++) pool.For(hits.Length, new CountBody(hits));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.All(all, hits => Assert.All(hits, h => Assert.Equal(50, h)));
    }

    [Fact]
    public void Zero_threads_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));

    [Fact]
    public void After_dispose_loops_run_inline()
    {
        var pool = new WorkerPool(2);
        pool.Dispose();
        var hits = new int[5];
        pool.For(hits.Length, new CountBody(hits));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_body_of_a_loop_sees_itself_inside_one_on_any_thread_count(int threads)
    {
        using var pool = new WorkerPool(threads);
        var seen = new bool[40];
        pool.For(seen.Length, new InsideBody(seen));
        Assert.All(seen, Assert.True);
        Assert.False(WorkerPool.InsideLoop);
        var alone = new bool[1];
        pool.For(1, new InsideBody(alone));
        Assert.False(alone[0]); // one index is no loop: a loop it starts may spread over the threads
    }

    [Fact]
    public void A_loop_run_inline_while_another_caller_holds_the_pool_is_inside_a_loop()
    {
        using var pool = new WorkerPool(2);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() => pool.For(2, new HoldingBody(started, release)));
        holder.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var seen = new bool[8];
        pool.For(seen.Length, new InsideBody(seen)); // the pool is busy: this loop runs here, inline
        release.Set();
        holder.Join();
        Assert.All(seen, Assert.True);
        Assert.False(WorkerPool.InsideLoop);
    }
}
