using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Dlm.Core;

namespace Dlm.Numerics.Threading;

/// <summary>
/// A fixed set of worker threads running fork-join loops without allocating:
/// <see cref="For{TBody}(int, TBody)"/> hands a struct body to the workers by pointer, the caller
/// works too, and returns when every index is done. <see cref="System.Threading.Tasks.Parallel.For(int, int, Action{int})"/>
/// allocates a closure, tasks and a loop state per call; a training step issues thousands of loops.
/// </summary>
/// <remarks>
/// Indices are claimed one at a time from a shared counter, so uneven bodies balance themselves.
/// The loop runs inline on the caller when the pool has one thread, when the count is 1, when it
/// is called from inside another loop (nested), or when another thread is already using the pool.
/// Workers spin briefly after a loop (the next one usually follows within microseconds) and then sleep.
/// An exception thrown by a body is rethrown on the caller once the loop has drained.
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>
    /// How long a worker spins for the next loop before it sleeps (200 µs): long enough to bridge
    /// the gap between the loops of one layer, short enough not to starve other processes.
    /// </summary>
    private static readonly long SpinTicks = Math.Max(1, Stopwatch.Frequency / 5000);

    private static readonly Lazy<WorkerPool> SharedPool = new(() => new WorkerPool(ThreadsFromEnvironment()));

    [ThreadStatic] private static bool t_inLoop;

    private readonly Thread[] _workers;
    private readonly object _gate = new();

    // The published loop. Written by the owner before _open is set; read by workers after they check it.
    private void* _body;
    private delegate*<void*, int, void> _invoke;
    private int _count;
    private int _next;
    private int _done;
    private Exception? _error;

    private int _busy;        // 1 while a caller owns the pool
    private int _open;        // 1 while the published loop accepts workers
    private int _generation;  // bumped once per published loop
    private int _active;      // workers currently inside a loop
    private int _sleepers;    // workers blocked on _gate
    private volatile bool _disposed;

    /// <summary>Creates a pool that runs loops on <paramref name="threads"/> threads, the caller included.</summary>
    /// <param name="threads">Total threads, at least 1 (1 means every loop runs inline).</param>
    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"dlm-worker-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>
    /// The process-wide pool: <c>DLM_THREADS</c> threads when set (a positive integer), else
    /// <see cref="Environment.ProcessorCount"/>. Created on first use.
    /// </summary>
    public static WorkerPool Shared => SharedPool.Value;

    /// <summary>
    /// Whether the current thread is running a loop body of some pool (or is a pool worker): code
    /// that would start threads of its own, such as OpenBLAS, must not be called from here. True in the
    /// body of any loop of two or more indices, on the workers or on the caller alone (a one-thread pool,
    /// a nested loop, a pool busy with another caller), so that a body's choices do not depend on which.
    /// </summary>
    public static bool InsideLoop => t_inLoop;

    /// <summary>Threads a loop can use, the calling thread included.</summary>
    public int Threads { get; }

    /// <summary>
    /// The thread count <c>DLM_THREADS</c> asks for, or <see cref="Environment.ProcessorCount"/> when it is unset.
    /// </summary>
    /// <exception cref="DlmException">DLM_THREADS is set but is not a positive integer.</exception>
    public static int ThreadsFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("DLM_THREADS");
        if (string.IsNullOrWhiteSpace(text)) return Environment.ProcessorCount;
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 4096)
            throw new DlmException($"DLM_THREADS must be a positive integer, not '{text}'");
        return n;
    }

    /// <summary>
    /// Runs <c>body.Invoke(i)</c> for every i in [0, <paramref name="count"/>), spread over the pool's
    /// threads, and returns when all are done. Allocation-free. Each thread reads the same copy of
    /// <paramref name="body"/>; mutations a body makes to its own fields are not seen by the caller.
    /// </summary>
    /// <typeparam name="TBody">A struct implementing <see cref="IParallelBody"/>.</typeparam>
    /// <param name="count">Number of iterations; 0 or less does nothing.</param>
    /// <param name="body">The loop body and its state.</param>
    public void For<TBody>(int count, TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (count == 1)
        {
            body.Invoke(0); // a lone body is not inside a loop: a loop of its own may still spread
            return;
        }
        if (_workers.Length == 0 || t_inLoop || _disposed || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            RunInline(count, ref body);
            return;
        }

        t_inLoop = true;
        try
        {
            // body is a parameter: it lives in this frame, which outlives the loop, so its address is stable.
            _body = Unsafe.AsPointer(ref body);
            _invoke = &Trampoline<TBody>;
            _count = count;
            _next = 0;
            _done = 0;
            _error = null;
            Volatile.Write(ref _open, 1);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);

            RunIndices();

            // Every index is claimed; wait for the ones still running elsewhere, then close the
            // loop and wait until no worker still holds a pointer to this frame.
            WaitUntil(ref _done, count);
            Volatile.Write(ref _open, 0);
            WaitUntil(ref _active, 0);

            var error = _error;
            _error = null;
            _body = null;
            if (error is not null) ExceptionDispatchInfo.Capture(error).Throw();
        }
        finally
        {
            t_inLoop = false;
            Volatile.Write(ref _busy, 0);
        }
    }

    // A loop on the caller alone (one thread, nested, disposed, or the pool busy with another caller's loop) is still a loop:
    // its bodies see InsideLoop as they do on the workers, so what they choose by it (PerShapeGemm takes the managed kernel
    // inside a loop) does not depend on the thread count or on another thread's timing.
    private static void RunInline<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        bool outer = t_inLoop;
        t_inLoop = true;
        try
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
        }
        finally
        {
            t_inLoop = outer;
        }
    }

    /// <summary>Stops the worker threads once they finish their current loop. Loops run inline afterwards.</summary>
    public void Dispose()
    {
        _disposed = true;
        Interlocked.Increment(ref _generation);
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private static void Trampoline<TBody>(void* body, int index) where TBody : struct, IParallelBody =>
        Unsafe.AsRef<TBody>(body).Invoke(index);

    private void RunIndices()
    {
        int count = _count;
        var invoke = _invoke;
        var body = _body;
        while (true)
        {
            int i = Interlocked.Increment(ref _next) - 1;
            if (i >= count) return;
            try
            {
                invoke(body, i);
            }
#pragma warning disable CA1031 // any body failure is carried to the caller and rethrown there
            catch (Exception e)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            Interlocked.Increment(ref _done);
        }
    }

    private static void WaitUntil(ref int value, int target)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref value) != target) spin.SpinOnce(sleep1Threshold: -1);
    }

    private void WorkerLoop()
    {
        t_inLoop = true; // a body that starts a loop of its own runs it inline
        int seen = Volatile.Read(ref _generation);
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _generation) == seen && Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(8);
            if (Volatile.Read(ref _generation) == seen)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);

            // Join only if the loop of generation `seen` is still open; the owner waits for _active
            // to drop to zero before it reuses the fields, so they stay valid while we run.
            Interlocked.Increment(ref _active);
            if (Volatile.Read(ref _open) == 1 && Volatile.Read(ref _generation) == seen) RunIndices();
            Interlocked.Decrement(ref _active);
        }
    }
}
