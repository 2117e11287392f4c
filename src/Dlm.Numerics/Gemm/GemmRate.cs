using System.Diagnostics;

namespace Dlm.Numerics.Gemm;

/// <summary>Measures how fast a GEMM backend runs on this machine, in GFLOP/s.</summary>
public static class GemmRate
{
    /// <summary>
    /// Times square products of size <paramref name="size"/> for about <paramref name="seconds"/>
    /// and returns the best observed rate (2·n³ flops per product).
    /// </summary>
    public static double Measure(IGemm gemm, int size = 512, double seconds = 0.3)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        var a = new float[size * size];
        var b = new float[size * size];
        var c = new float[size * size];
        var rng = new Random(1);
        for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble() - 0.5f; b[i] = (float)rng.NextDouble() - 0.5f; }
        gemm.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size); // warm up
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        int runs = 0;
        while (runs < 3 || total.Elapsed.TotalSeconds < seconds)
        {
            var sw = Stopwatch.StartNew();
            gemm.Sgemm(false, false, size, size, size, 1f, a, size, b, size, 0f, c, size);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            runs++;
            if (runs >= 200) break;
        }
        return 2.0 * size * size * (double)size / best / 1e9;
    }
}
