using System.Diagnostics;
using Dlm.Core;

namespace Dlm.Numerics.Gemm;

/// <summary>One product to time: <c>C[m×n] = op(A)[m×k]·op(B)[k×n]</c>.</summary>
/// <param name="Name">Short label, e.g. <c>square512</c> or <c>qkv.fwd</c>.</param>
/// <param name="TransA">Whether A is stored transposed.</param>
/// <param name="TransB">Whether B is stored transposed.</param>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="Beta">Scale of the previous C: 1 where the model accumulates (weight gradients), else 0.</param>
public sealed record GemmBenchShape(string Name, bool TransA, bool TransB, int M, int N, int K, float Beta = 0f)
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
    /// The products of one training step, as <c>TransformerModel</c> issues them (W stored out×in as
    /// PyTorch does): for each linear its forward Y = X·Wᵀ (NT), input gradient dX = dY·W (NN) and
    /// weight gradient dW += dYᵀ·X (TN, accumulating). niels-default: 8 × 256 = 2048 rows, width 384,
    /// q|k|v 1152, gate|up 2304, MLP 1152, vocabulary 16000 in LM-head chunks of 768 rows. SmolLM2-135M
    /// at 4 × 512: 2048 rows, width 576, q|k|v 960 (9 + 2·3 heads of 64), gate|up 3072, MLP 1536,
    /// vocabulary 49152 in chunks of 384 rows; its LoRA step (r 8 on q, k, v, o) runs only the
    /// forward and dX products of the frozen linears (the same shapes) plus the rank-8 adapter products.
    /// </summary>
    public static IReadOnlyList<GemmBenchShape> TrainingShapes { get; } =
    [
        .. Linear("niels.qkv", 2048, 384, 1152),
        .. Linear("niels.outproj", 2048, 384, 384),
        .. Linear("niels.mlpup", 2048, 384, 2304),
        .. Linear("niels.mlpdown", 2048, 1152, 384),
        .. Linear("niels.lmhead", 768, 384, 16000),
        .. Linear("smol.qkv", 2048, 576, 960),
        .. Linear("smol.outproj", 2048, 576, 576),
        .. Linear("smol.mlpup", 2048, 576, 3072),
        .. Linear("smol.mlpdown", 2048, 1536, 576),
        .. Linear("smol.lmhead", 384, 576, 49152),
        // LoRA on q_proj (576 outputs; k and v have 192) of the SmolLM2 shape, rank 8: x·Aᵀ, (x·Aᵀ)·Bᵀ,
        // dB = dYᵀ·xa, dxa = dY·B, dA = dxaᵀ·x, dX += dxa·A.
        new("smol.lora.xa", false, true, 2048, 8, 576),
        new("smol.lora.y", false, true, 2048, 576, 8, 1f),
        new("smol.lora.db", true, false, 576, 8, 2048, 1f),
        new("smol.lora.dxa", false, false, 2048, 8, 576),
        new("smol.lora.da", true, false, 8, 576, 2048, 1f),
        new("smol.lora.dx", false, false, 2048, 576, 8, 1f),
    ];

    private static GemmBenchShape[] Linear(string name, int rows, int inF, int outF) =>
    [
        new($"{name}.fwd", false, true, rows, outF, inF),
        new($"{name}.dx", false, false, rows, inF, outF),
        new($"{name}.dw", true, false, outF, inF, rows, 1f),
    ];

    /// <summary>
    /// Best rate of <paramref name="gemm"/> on <paramref name="shape"/> in GFLOP/s: one warm-up
    /// call, then repeated calls for at least <paramref name="seconds"/> (and at least 3 timed).
    /// </summary>
    public static double Measure(IGemm gemm, GemmBenchShape shape, double seconds) => MeasureWithCpu(gemm, shape, seconds).Gflops;

    /// <summary>
    /// As <see cref="Measure"/>, and also the best rate per second of process CPU time (all threads,
    /// GFLOP per CPU-second; NaN where the clock is unavailable). On a machine shared with other work
    /// the wall-time rate falls whenever the scheduler takes the cores away; the CPU-time rate does
    /// not, so the ratio of two backends' CPU-time rates is the steadier comparison there.
    /// </summary>
    public static (double Gflops, double CpuGflops) MeasureWithCpu(IGemm gemm, GemmBenchShape shape, double seconds)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentNullException.ThrowIfNull(shape);
        int lda = shape.TransA ? shape.M : shape.K, ldb = shape.TransB ? shape.K : shape.N;
        var a = Random((long)shape.M * shape.K, 1);
        var b = Random((long)shape.K * shape.N, 2);
        var c = new float[(long)shape.M * shape.N];
        void Run() => gemm.Sgemm(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, 1f, a, lda, b, ldb, shape.Beta, c, shape.N);
        Run();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int runs = 0; runs < 3 || (total.Elapsed.TotalSeconds < seconds && runs < 1000); runs++)
        {
            double c0 = CpuClock.ProcessSeconds();
            long t0 = Stopwatch.GetTimestamp();
            Run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            bestCpu = Math.Min(bestCpu, CpuClock.ProcessSeconds() - c0);
        }
        return (shape.Flops / best / 1e9, shape.Flops / bestCpu / 1e9);
    }

    private static float[] Random(long n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)rng.NextDouble() - 0.5f;
        return x;
    }
}
