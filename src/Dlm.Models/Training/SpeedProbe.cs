using System.Diagnostics;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Models.Training;

/// <summary>
/// How fast one core runs a fixed product right now: the managed kernel on one thread, a 128³ product
/// whose operands stay in cache, the median of a few short runs, in GFLOP/s. Taken beside a timed
/// stretch it tells a stretch in which our own work grew from one in which the core itself ran slower
/// (a busy hyperthread sibling or frequency on the host: a guest's load average and steal do not show those).
/// </summary>
public sealed class SpeedProbe : IDisposable
{
    private const int Size = 128, Repeats = 16, Runs = 5;
    private readonly WorkerPool _pool = new(1);
    private readonly ManagedGemm _gemm;
    private readonly float[] _a = new float[Size * Size], _b = new float[Size * Size], _c = new float[Size * Size];
    private readonly double[] _rates = new double[Runs];

    /// <summary>Creates the probe's operands and its one-thread kernel.</summary>
    public SpeedProbe()
    {
        _gemm = new ManagedGemm(_pool);
        for (int i = 0; i < _a.Length; i++) (_a[i], _b[i]) = ((i % 17) * 0.01f, (i % 13) * 0.02f);
        Measure(); // JIT and packing buffers
    }

    /// <summary>The median rate of <c>Runs</c> runs of 16 products, GFLOP/s on the calling thread.</summary>
    public double Measure()
    {
        for (int r = 0; r < Runs; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Repeats; i++) _gemm.Sgemm(false, false, Size, Size, Size, 1f, _a, Size, _b, Size, 0f, _c, Size);
            _rates[r] = 2.0 * Size * Size * Size * Repeats / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }
        Array.Sort(_rates);
        return Math.Round(_rates[Runs / 2], 2);
    }

    /// <summary>Stops the probe's worker pool.</summary>
    public void Dispose() => _pool.Dispose();
}
