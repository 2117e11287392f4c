using System.Diagnostics;

namespace Dlm.Numerics.Gemm;

/// <summary>One product to time: <c>C[m×n] = op(A)[m×k]·op(B)[k×n]</c>.</summary>
/// <param name="Name">Short label, e.g. <c>square512</c> or <c>qkv.fwd</c>.</param>
/// <param name="TransA">Whether A is stored transposed.</param>
/// <param name="TransB">Whether B is stored transposed.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
public sealed record GemmBenchShape(string Name, bool TransA, bool TransB, int M, int N, int K)
{
    /// <summary>Floating-point operations of one product (2·m·n·k).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Transpose code in BLAS order, e.g. <c>NT</c> for A as is and B transposed.</summary>
    public string Trans => $"{(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')}";
}

/// <summary>Timings of the GEMM shapes dlm cares about, for <c>dlm bench gemm</c>.</summary>
public static class GemmBench
{
    /// <summary>Square products n×n×n, no transposes.</summary>
    public static IReadOnlyList<GemmBenchShape> SquareShapes { get; } =
    [
        new("square256", false, false, 256, 256, 256),
        new("square512", false, false, 512, 512, 512),
        new("square1024", false, false, 1024, 1024, 1024),
    ];

    /// <summary>
    /// The linear layers of the niels-default preset (B·T = 2048 rows, C = 384, outputs 384, 1152
    /// and the 16000-token head), each as its forward (Y = X·Wᵀ, NT), input gradient (dX = dY·W, NN)
    /// and weight gradient (dW = dYᵀ·X, TN), with W stored out×in as PyTorch does.
    /// </summary>
    public static IReadOnlyList<GemmBenchShape> ModelShapes { get; } = BuildModelShapes(rows: 2048, width: 384, outs: [384, 1152, 16000]);

    private static GemmBenchShape[] BuildModelShapes(int rows, int width, int[] outs)
    {
        var list = new List<GemmBenchShape>();
        foreach (int o in outs)
        {
            list.Add(new($"{width}->{o}.fwd", false, true, rows, o, width));
            list.Add(new($"{width}->{o}.dx", false, false, rows, width, o));
            list.Add(new($"{width}->{o}.dw", true, false, o, width, rows));
        }
        return [.. list];
    }

    /// <summary>
    /// Best rate of <paramref name="gemm"/> on <paramref name="shape"/> in GFLOP/s: one warm-up
    /// call, then repeated calls for at least <paramref name="seconds"/> (and at least 3 timed).
    /// </summary>
    public static double Measure(IGemm gemm, GemmBenchShape shape, double seconds)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentNullException.ThrowIfNull(shape);
        int lda = shape.TransA ? shape.M : shape.K, ldb = shape.TransB ? shape.K : shape.N;
        var a = Random((long)shape.M * shape.K, 1);
        var b = Random((long)shape.K * shape.N, 2);
        var c = new float[(long)shape.M * shape.N];
        void Run() => gemm.Sgemm(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, 1f, a, lda, b, ldb, 0f, c, shape.N);
        Run();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int runs = 0; runs < 3 || (total.Elapsed.TotalSeconds < seconds && runs < 1000); runs++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return shape.Flops / best / 1e9;
    }

    private static float[] Random(long n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)rng.NextDouble() - 0.5f;
        return x;
    }
}
