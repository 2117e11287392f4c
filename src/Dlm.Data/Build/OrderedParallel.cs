using System.Runtime.ExceptionServices;

namespace Dlm.Data.Build;

/// <summary>
/// Maps a stream in parallel while keeping its order. Tokenizing is the only real cost of a cache
/// build, so every thread should be tokenizing all the time, as <c>bench tokenize</c>'s threads do:
/// <list type="bullet">
/// <item>No thread only reads or only waits. Each worker takes the next batch from the input itself
/// (one at a time, under a lock), maps it, and leaves the result; the consuming thread (the writer)
/// is one of the workers and writes a result as soon as it is the next in order.</item>
/// <item>No barrier per batch: a worker goes on with the next batch while others finish theirs, so
/// no thread idles (or spins, as pool threads and <c>BlockingCollection</c> do while they wait)
/// waiting for the slowest item of a batch.</item>
/// <item>At most a few batches per thread are in flight, so memory stays flat on any input.</item>
/// </list>
/// Workers besides the consumer are thread-pool threads, whose per-thread tokenizer caches stay warm
/// from one build to the next. Errors of the map are kept per batch and rethrown in
/// input order, after every batch before them was handed over, so which error a build reports does
/// not depend on the thread count.
/// </summary>
internal static class OrderedParallel
{
    /// <summary>Batches in flight (read and not yet handed over) per thread.</summary>
    private const int BatchesPerThread = 3;

    /// <summary>Maps each item; a batch comes back as (item, result) pairs, in input order.</summary>
    public static IEnumerable<(TIn Input, TOut Output)[]> Map<TIn, TOut>(IEnumerable<TIn> input, Func<TIn, TOut> map, Func<TIn, long> weight,
        long batchWeight, int threads, CancellationToken ct) =>
        MapBatches(input, batch =>
        {
            var items = new (TIn, TOut)[batch.Count];
            for (int i = 0; i < batch.Count; i++) items[i] = (batch[i], map(batch[i]));
            return items;
        }, weight, batchWeight, threads, ct);

    /// <summary>
    /// Maps whole batches (items gathered up to <paramref name="batchWeight"/>), so a map can put a
    /// batch's results into one buffer instead of one allocation per item; results come back in
    /// input order. A batch whose map throws is not handed over: its error is rethrown in its place.
    /// </summary>
    public static IEnumerable<TOut> MapBatches<TIn, TOut>(IEnumerable<TIn> input, Func<IReadOnlyList<TIn>, TOut> map, Func<TIn, long> weight,
        long batchWeight, int threads, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        threads = Math.Max(1, threads);
        var run = new Run<TIn, TOut>(input.GetEnumerator(), map, weight, batchWeight, threads * BatchesPerThread + 1, ct);
        var workers = new Task[threads - 1];
        try
        {
            for (int i = 0; i < workers.Length; i++) workers[i] = Task.Run(run.Work, CancellationToken.None);
            while (run.Next(out var batch)) yield return batch;
        }
        finally
        {
            run.Stop();
            foreach (var w in workers) w?.Wait(CancellationToken.None);
            run.DisposeInput();
        }
    }

    private sealed class Done<TOut>(TOut result, Exception? error)
    {
        public TOut Result { get; } = result;
        public Exception? Error { get; } = error;
    }

    private sealed class Run<TIn, TOut>(IEnumerator<TIn> input, Func<IReadOnlyList<TIn>, TOut> map, Func<TIn, long> weight, long batchWeight, int window, CancellationToken ct)
    {
        private readonly object _read = new(); // held while taking a batch from the input
        private readonly object _gate = new(); // guards everything below, and is waited on
        private readonly Dictionary<long, Done<TOut>> _done = [];
        private long _taken;          // batches taken from the input so far (the next one's number)
        private long _handed;         // batches handed to the consumer so far
        private long _end = -1;       // number of batches once the input is exhausted or failed
        private Exception? _readError; // the input's failure, after batch _end - 1
        private Exception? _fatal;     // a worker's failure outside map (none expected)
        private bool _stopped;
        private long _version;        // counts changes, so the consumer never sleeps through one

        /// <summary>A pool worker: maps batches until the input is exhausted or the run stops.</summary>
        public void Work()
        {
            try
            {
                while (TryTake(wait: true, out long seq, out var batch)) Finish(seq, batch);
            }
#pragma warning disable CA1031 // handed to the consumer, which rethrows it
            catch (Exception e)
            {
                lock (_gate) { _fatal ??= e; Changed(); }
            }
#pragma warning restore CA1031
        }

        /// <summary>The consumer: the next batch in order (mapping batches itself meanwhile); false at the end.</summary>
        public bool Next(out TOut result)
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                Done<TOut>? done;
                long version;
                lock (_gate)
                {
                    version = _version;
                    if (_fatal is not null) ExceptionDispatchInfo.Capture(_fatal).Throw();
                    if (_done.Remove(_handed, out done))
                    {
                        _handed++;
                        Changed(); // a slot of the window is free
                    }
                    else if (_handed == _end)
                    {
                        if (_readError is not null) ExceptionDispatchInfo.Capture(_readError).Throw();
                        result = default!;
                        return false;
                    }
                }
                if (done is not null)
                {
                    if (done.Error is not null) ExceptionDispatchInfo.Capture(done.Error).Throw();
                    result = done.Result;
                    return true;
                }
                // The next batch is not ready: map one more if the window allows, else wait for it.
                if (TryTake(wait: false, out long seq, out var batch)) Finish(seq, batch);
                else
                    lock (_gate)
                        if (_version == version) Monitor.Wait(_gate, 100); // the timeout only bounds how late a cancellation is seen
            }
        }

        // Takes the next batch from the input. A worker (wait) waits for room in the window; the
        // consumer (no wait) gives up at once when there is none or another thread is reading, and
        // then waits for its batch instead, so it never waits on a worker that waits on it.
        private bool TryTake(bool wait, out long seq, out List<TIn> batch)
        {
            seq = 0;
            batch = [];
            while (true)
            {
                lock (_gate)
                {
                    while (true)
                    {
                        if (_stopped || _end >= 0 || ct.IsCancellationRequested) return false;
                        if (_taken - _handed < window) break;
                        if (!wait) return false;
                        Monitor.Wait(_gate, 100);
                    }
                }
                if (wait) Monitor.Enter(_read);
                else if (!Monitor.TryEnter(_read)) return false;
                try
                {
                    lock (_gate)
                    {
                        if (_stopped || _end >= 0 || ct.IsCancellationRequested) return false;
                        if (_taken - _handed >= window) continue; // others took the room meanwhile
                    }
                    long w = 0;
                    bool more;
                    try
                    {
                        while ((more = input.MoveNext()))
                        {
                            batch.Add(input.Current);
                            w += weight(input.Current);
                            if (w >= batchWeight) break;
                        }
                    }
#pragma warning disable CA1031 // rethrown on the consuming thread after the batches read before it
                    catch (Exception e)
                    {
                        lock (_gate)
                        {
                            _readError = e;
                            _end = _taken;
                            Changed();
                        }
                        return false;
                    }
#pragma warning restore CA1031
                    lock (_gate)
                    {
                        if (batch.Count > 0) seq = _taken++;
                        if (!more) _end = _taken;
                        Changed(); // the input is free again: a waiting consumer may take the next batch
                    }
                    return batch.Count > 0;
                }
                finally
                {
                    Monitor.Exit(_read);
                }
            }
        }

        // Called under _gate after any change a waiting thread may be waiting for.
        private void Changed()
        {
            _version++;
            Monitor.PulseAll(_gate);
        }

        private void Finish(long seq, List<TIn> batch)
        {
            TOut result = default!;
            Exception? error = null;
#pragma warning disable CA1031 // kept and rethrown in input order, so the error does not depend on the thread count
            try { result = map(batch); }
            catch (Exception e) { error = e; }
#pragma warning restore CA1031
            lock (_gate)
            {
                _done[seq] = new Done<TOut>(result, error);
                Changed();
            }
        }

        /// <summary>Stops the workers after their current batch (the consumer stopped early, failed, or finished).</summary>
        public void Stop()
        {
            lock (_gate)
            {
                _stopped = true;
                Changed();
            }
        }

        public void DisposeInput()
        {
            lock (_read) input.Dispose();
        }
    }
}
