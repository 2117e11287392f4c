using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Diagnostics;

/// <summary>
/// The machine's read bandwidth as a decode step sees it: a buffer far larger than the caches is
/// summed by the pool's threads (each a contiguous slice, as the matrix-vector kernels read rows),
/// best of a few passes. Decoding a token reads every weight once, so this bounds tokens/s at
/// bandwidth / weight bytes.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>Read GB/s (10^9 bytes) over <paramref name="bytes"/> bytes on <paramref name="pool"/>, best of <paramref name="passes"/>.</summary>
    public static double MeasureRead(WorkerPool pool, long bytes = 512L << 20, int passes = 5)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int count = checked((int)(bytes / sizeof(float)));
        var data = GC.AllocateArray<float>(count, pinned: true);
        data.AsSpan().Fill(1f);
        float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(data));
        int chunks = pool.Threads * 8;
        double best = 0;
        var sums = new float[chunks];
        fixed (float* s = sums)
        {
            var body = new Body(p, count, chunks, s);
            for (int i = 0; i < passes; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                pool.For(chunks, body);
                double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                best = Math.Max(best, count * (double)sizeof(float) / sec / 1e9);
            }
        }
        GC.KeepAlive(data);
        return best;
    }

    private readonly struct Body(float* data, int count, int chunks, float* sums) : IParallelBody
    {
        public void Invoke(int index)
        {
            long start = (long)count * index / chunks, end = (long)count * (index + 1) / chunks;
            sums[index] = TensorPrimitives.Sum(new ReadOnlySpan<float>(data + start, (int)(end - start)));
        }
    }
}
