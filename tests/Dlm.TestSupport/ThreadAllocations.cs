using Dlm.Numerics.Threading;

namespace Dlm.TestSupport;

/// <summary>
/// Counts the managed bytes allocated by the calling thread and by every thread of a
/// <see cref="WorkerPool"/> between <see cref="Start"/> and <see cref="Stop"/>, with per-thread
/// counters. Unlike <c>GC.GetTotalAllocatedBytes</c> it does not see the test runner's own
/// threads, so it stays exact while other work runs in the process. Start and Stop allocate nothing.
/// </summary>
public sealed class ThreadAllocations
{
    private readonly WorkerPool _pool;
    private readonly Probe _probe;
    private readonly int[] _ids0, _ids1;
    private readonly long[] _bytes0, _bytes1;
    private long _caller0, _caller1;

    /// <summary>Prepares the per-thread buffers for <paramref name="pool"/>.</summary>
    public ThreadAllocations(WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        int n = pool.Threads;
        _probe = new Probe(n);
        _ids0 = new int[n]; _ids1 = new int[n];
        _bytes0 = new long[n]; _bytes1 = new long[n];
    }

    /// <summary>Reads every pool thread's counter, then the caller's.</summary>
    public void Start()
    {
        _pool.For(_ids0.Length, _probe);
        _probe.CopyTo(_ids0, _bytes0);
        _caller0 = GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>Reads the caller's counter, then every pool thread's again.</summary>
    public void Stop()
    {
        _caller1 = GC.GetAllocatedBytesForCurrentThread();
        _pool.For(_ids1.Length, _probe);
        _probe.CopyTo(_ids1, _bytes1);
    }

    /// <summary>Bytes the calling thread allocated between Start and Stop.</summary>
    public long Caller => _caller1 - _caller0;

    /// <summary>"thread N allocated B bytes" for every thread (caller included) that allocated; empty when none did.</summary>
    public IReadOnlyList<string> Allocating()
    {
        var found = new List<string>();
        if (Caller != 0) found.Add($"calling thread allocated {Caller} bytes");
        var before = new Dictionary<int, long>();
        for (int i = 0; i < _ids0.Length; i++) before[_ids0[i]] = _bytes0[i];
        for (int i = 0; i < _ids1.Length; i++)
        {
            if (!before.TryGetValue(_ids1[i], out var b)) { found.Add($"pool thread {_ids1[i]} was not seen at Start"); continue; }
            // The calling thread may take a probe index itself; its bytes then include Stop's reading only.
            if (_ids1[i] == Environment.CurrentManagedThreadId) continue;
            if (_bytes1[i] != b) found.Add($"pool thread {_ids1[i]} allocated {_bytes1[i] - b} bytes");
        }
        return found;
    }

    /// <summary>
    /// A loop of exactly one index per pool thread: each index waits until every thread holds one,
    /// so each thread records its own counter exactly once.
    /// </summary>
    private readonly struct Probe(int threads) : IParallelBody
    {
        private readonly int[] _ids = new int[threads];
        private readonly long[] _bytes = new long[threads];
        private readonly int[] _arrived = new int[1];

        public void Invoke(int index)
        {
            _ids[index] = Environment.CurrentManagedThreadId;
            _bytes[index] = GC.GetAllocatedBytesForCurrentThread();
            Interlocked.Increment(ref _arrived[0]);
            // If another loop holds the pool, For runs every index inline on one thread and the
            // others never arrive: fail with the reason instead of waiting forever.
            long deadline = Environment.TickCount64 + 30_000;
            var spin = new SpinWait();
            while (Volatile.Read(ref _arrived[0]) % _ids.Length != 0)
            {
                if (Environment.TickCount64 > deadline)
                    throw new InvalidOperationException(
                        "ThreadAllocations: the pool's threads did not all take a probe index (another loop held the pool?); " +
                        "run allocation tests in a collection with DisableParallelization = true.");
                spin.SpinOnce();
            }
        }

        public void CopyTo(int[] ids, long[] bytes)
        {
            _ids.CopyTo(ids, 0);
            _bytes.CopyTo(bytes, 0);
        }
    }
}
