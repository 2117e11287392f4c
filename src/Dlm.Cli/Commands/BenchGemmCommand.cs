using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Numerics;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Threading;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench gemm`: SGEMM rates of the managed kernel and OpenBLAS, same run, same threads.</summary>
internal static class BenchGemmCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var backend = new Option<string>("--backend") { Description = "managed, openblas or all.", DefaultValueFactory = _ => "all" };
        var threads = new Option<int?>("--threads") { Description = "Threads for every backend (default: DLM_THREADS, else all processors)." };
        var shapes = new Option<string>("--shapes") { Description = "square, training, niels, smol or all.", DefaultValueFactory = _ => "all" };
        var seconds = new Option<double>("--seconds") { Description = "Timing per shape and backend, in 3 alternating rounds of at least 3 runs each.", DefaultValueFactory = _ => 0.6 };
        var cmd = new Command("gemm",
            "Time SGEMM in GFLOP/s on square products (256, 512, 1024) and on the products of a training " +
            "step (niels-default and the SmolLM2-135M shape at 4x512: each linear's forward NT, dX NN and dW TN, " +
            "the LM head per chunk, SmolLM2's rank-8 LoRA products), for the managed kernel and OpenBLAS " +
            "with the same thread count, and their ratio.")
        { json, backend, threads, shapes, seconds };
        cmd.SetAction(parse =>
        {
            var which = parse.GetValue(backend)?.Trim().ToLowerInvariant() ?? "all";
            if (which is not ("managed" or "openblas" or "all")) throw new UsageException($"--backend must be managed, openblas or all, not '{which}'");
            int n = parse.GetValue(threads) ?? WorkerPool.ThreadsFromEnvironment();
            if (n < 1) throw new UsageException($"--threads must be at least 1, not {n}");
            var shapeSet = (parse.GetValue(shapes)?.Trim().ToLowerInvariant() ?? "all") switch
            {
                "square" => GemmBench.SquareShapes,
                "training" => GemmBench.TrainingShapes,
                "niels" => [.. GemmBench.TrainingShapes.Where(x => x.Name.StartsWith("niels.", StringComparison.Ordinal))],
                "smol" => [.. GemmBench.TrainingShapes.Where(x => x.Name.StartsWith("smol.", StringComparison.Ordinal))],
                "all" => [.. GemmBench.SquareShapes, .. GemmBench.TrainingShapes],
                var s => throw new UsageException($"--shapes must be square, training, niels, smol or all, not '{s}'"),
            };
            double secs = parse.GetValue(seconds);
            if (!(secs >= 0)) throw new UsageException("--seconds must not be negative");

            OpenBlasGemm? openBlas = null;
            if (which is "openblas" or "all")
            {
                openBlas = GemmBackends.OpenBlas;
                if (openBlas is null && which == "openblas") throw new DlmException($"OpenBLAS is unavailable: {GemmBackends.OpenBlasStatus}");
                openBlas?.SetThreads(n);
            }
            using var pool = new WorkerPool(n);
            var managed = which is "managed" or "all" ? new ManagedGemm(pool) : null;
            bool asJson = parse.GetValue(json);

            var rows = new List<BenchRow>();
            foreach (var s in shapeSet)
            {
                // Alternate the backends in rounds and keep each one's best, so a burst of load from
                // other processes on the machine does not land on one backend only.
                double? mg = null, ob = null, mgc = null, obc = null;
                for (int round = 0; round < 3; round++)
                {
                    if (managed is not null)
                    {
                        var (w, c) = GemmBench.MeasureWithCpu(managed, s, secs / 3);
                        (mg, mgc) = (Math.Max(mg ?? 0, w), Math.Max(mgc ?? 0, c));
                    }
                    if (openBlas is not null)
                    {
                        var (w, c) = GemmBench.MeasureWithCpu(openBlas, s, secs / 3);
                        (ob, obc) = (Math.Max(ob ?? 0, w), Math.Max(obc ?? 0, c));
                    }
                }
                static double? R(double? v) => v is { } x && double.IsFinite(x) ? Math.Round(x, 2) : null;
                static double? Q(double? a, double? b) => a is { } x && b is { } y && y > 0 ? Math.Round(x / y, 3) : null;
                (mg, ob, mgc, obc) = (R(mg), R(ob), R(mgc), R(obc));
                var row = new BenchRow(s.Name, s.Trans, s.M, s.N, s.K, mg, ob, Q(mg, ob), mgc, obc, Q(mgc, obc));
                rows.Add(row);
                if (!asJson) PrintRow(row);
            }
            var ratios = rows.Where(r => r.Ratio is not null).Select(r => r.Ratio!.Value).ToList();
            var cpuRatios = rows.Where(r => r.CpuRatio is not null).Select(r => r.CpuRatio!.Value).ToList();
            var result = new BenchGemmReport(
                Threads: n,
                Cpu: CpuInfo.ModelName,
                Simd: CpuInfo.SimdLevel,
                ManagedKernel: managed?.KernelDescription,
                OpenblasStatus: GemmBackends.OpenBlasStatus,
                Results: rows,
                GeomeanRatio: ratios.Count == 0 ? null : Math.Round(Math.Exp(ratios.Average(Math.Log)), 3),
                GeomeanCpuRatio: cpuRatios.Count == 0 ? null : Math.Round(Math.Exp(cpuRatios.Average(Math.Log)), 3),
                LoadAvg1m: LoadAverage());
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(result, Json.Compact));
            else if (result.GeomeanRatio is { } g)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"managed/openblas geometric mean over {ratios.Count} shapes: {g:F3} wall time, {result.GeomeanCpuRatio:F3} per CPU-second ({n} threads, {result.ManagedKernel}, load {result.LoadAvg1m:F1})"));
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static void PrintRow(BenchRow r)
    {
        var ci = CultureInfo.InvariantCulture;
        string F(double? v) => v is { } x ? x.ToString("F1", ci) : "-";
        Console.WriteLine(string.Create(ci,
            $"{r.Shape,-20} {r.Trans} {r.M,5}x{r.N,5}x{r.K,5}  managed {F(r.ManagedGflops),7} GFLOP/s  openblas {F(r.OpenblasGflops),7} GFLOP/s  ratio {(r.Ratio is { } q ? q.ToString("F3", ci) : "-")}" +
            $"  per CPU-second {F(r.ManagedCpuGflops)} / {F(r.OpenblasCpuGflops)}, ratio {(r.CpuRatio is { } p ? p.ToString("F3", ci) : "-")}"));
    }

    private sealed record BenchRow(string Shape, string Trans, int M, int N, int K, double? ManagedGflops, double? OpenblasGflops, double? Ratio,
        double? ManagedCpuGflops, double? OpenblasCpuGflops, double? CpuRatio);

    private sealed record BenchGemmReport(int Threads, string Cpu, string Simd, string? ManagedKernel, string OpenblasStatus,
        IReadOnlyList<BenchRow> Results, double? GeomeanRatio, double? GeomeanCpuRatio, double? LoadAvg1m);

    // The 1-minute load average at the end (Linux), so a loaded run says so.
    private static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
