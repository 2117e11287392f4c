using System.Collections.Concurrent;

namespace Dlm.Data.Build;

/// <summary>
/// Maps a stream in parallel while keeping its order: a reader thread gathers batches ahead (at most
/// two waiting), the batch is mapped on every thread, then handed over in input order. Tokenizing
/// is the only real cost of a cache build, so this is what makes builds run near the tokenizer's
/// all-cores rate while the writer stays sequential and the output byte-identical.
/// </summary>
internal static class OrderedParallel
{
    public static IEnumerable<(TIn Input, TOut Output)[]> Map<TIn, TOut>(IEnumerable<TIn> input, Func<TIn, TOut> map, Func<TIn, long> weight,
        long batchWeight, int threads, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var queue = new BlockingCollection<List<TIn>>(boundedCapacity: 2);
        Exception? readError = null;
        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                var batch = new List<TIn>();
                long w = 0;
                foreach (var item in input)
                {
                    batch.Add(item);
                    w += weight(item);
                    if (w >= batchWeight)
                    {
                        queue.Add(batch, cts.Token);
                        batch = [];
                        w = 0;
                    }
                }
                if (batch.Count > 0) queue.Add(batch, cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested) { }
#pragma warning disable CA1031 // the reader's failure is rethrown on the consuming thread below
            catch (Exception e) { readError = e; }
#pragma warning restore CA1031
            finally { queue.CompleteAdding(); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct };
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(ct))
            {
                var outputs = new (TIn, TOut)[batch.Count];
                var errors = new Exception?[batch.Count];
                void One(int i)
                {
#pragma warning disable CA1031 // kept per item and rethrown in input order, so the error does not depend on the thread count
                    try { outputs[i] = (batch[i], map(batch[i])); }
                    catch (Exception e) { errors[i] = e; }
#pragma warning restore CA1031
                }
                if (threads <= 1 || batch.Count == 1)
                    for (int i = 0; i < batch.Count; i++) One(i);
                else
                    Parallel.For(0, batch.Count, options, One);
                foreach (var e in errors)
                    if (e is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
                yield return outputs;
            }
            reader.Wait(CancellationToken.None);
            if (readError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readError).Throw();
        }
        finally
        {
            // Stopped early (targets full) or failed: stop the reader and let it finish.
            cts.Cancel();
            while (queue.TryTake(out _)) { }
            try { reader.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
    }
}
