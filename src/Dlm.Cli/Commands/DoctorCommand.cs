using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Models.Training;
using Dlm.Numerics.Diagnostics;
using Dlm.Numerics.Gemm;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>`dlm doctor`: what this machine offers dlm, measured.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var shapes = new Option<string>("--gemm-shapes")
        {
            Description = "Training products to time both GEMM backends on and show the per-shape choice for: niels (niels-default), smol (the SmolLM2-135M shape), all or none.",
            DefaultValueFactory = _ => "niels",
        };
        var cmd = new Command("doctor",
            "Show the runtime, CPU and SIMD level, threads, memory, the GEMM backend in use " +
            "(OpenBLAS or managed, and why) with each backend's measured GFLOP/s, the backend training uses " +
            "(per-shape by default) and, per training product shape, which of managed and OpenBLAS the per-shape choice runs it on (timed now), and DLM_HOME.")
        { json, shapes };
        cmd.SetAction(parse =>
        {
            var which = parse.GetValue(shapes)?.Trim().ToLowerInvariant() ?? "niels";
            var shapeSet = which switch
            {
                "none" => [],
                "niels" or "smol" => GemmBench.TrainingShapes.Where(x => x.Name.StartsWith(which + ".", StringComparison.Ordinal)).ToList(),
                "all" => GemmBench.TrainingShapes,
                _ => throw new UsageException($"--gemm-shapes must be niels, smol, all or none, not '{which}'"),
            };
            var collected = SystemReport.Collect(); // the backends' rates first, each on its own threads
            var training = TrainingGemm.Default;
            var report = collected with
            {
                TrainingGemm = training.Name,
                TrainingGemmSelection = TrainingGemm.SelectionReason,
                // Decided by the same per-process instance per-shape training uses, so these are the
                // choices such a run started now would make (each class of shapes is timed once).
                TrainingGemmShapes = GemmBackends.PerShape is { } ps && shapeSet.Count > 0
                    ? [.. shapeSet.Select(x => ps.Decide(x.TransA, x.TransB, x.M, x.N, x.K, x.Beta != 0f) with { Shape = x.Name })]
                    : null,
            };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, Json.Indented));
            else PrintTable(report);
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static void PrintTable(SystemReport r)
    {
        var ci = CultureInfo.InvariantCulture;
        var t = new Table().Border(TableBorder.Rounded).AddColumn("check").AddColumn("value");
        void Row(string k, string v) => t.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row("runtime", r.Runtime);
        Row("os", $"{r.Os} ({r.Architecture})");
        Row("cpu", r.CpuModel);
        Row("simd", $"{r.Simd} ({r.VectorFloats} floats per Vector<float>)");
        Row("threads", r.Threads.ToString(ci));
        Row("memory", $"{r.MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB");
        Row("gemm backend", $"{r.GemmBackend} ({r.GemmSelection})");
        if (r.TrainingGemm is { } tg) Row("training gemm", $"{tg} ({r.TrainingGemmSelection})");
        Row("managed kernel", r.ManagedKernel);
        Row("openblas", r.OpenBlasAvailable ? r.OpenBlasStatus : $"not available: {r.OpenBlasStatus}");
        foreach (var g in r.Gemm)
            Row($"gemm {g.Backend}", string.Create(ci, $"{g.Gflops:F1} GFLOP/s ({g.Size}x{g.Size}x{g.Size} fp32)"));
        Row("DLM_HOME", r.DlmHome);
        AnsiConsole.Write(t);
        if (r.TrainingGemmShapes is not { Count: > 0 } choices) return;
        var s = new Table().Border(TableBorder.Rounded).Title("per-shape GEMM choice (training's default unless DLM_BLAS is set; training products, timed now or recorded earlier on this machine)")
            .AddColumn("product").AddColumn("trans").AddColumn("m x n x k").AddColumn("managed ms (cpu)").AddColumn("openblas ms (cpu)")
            .AddColumn("managed/openblas rate").AddColumn("backend");
        string F(double? v, string f) => v is { } x ? x.ToString(f, ci) : "-";
        foreach (var c in choices)
            s.AddRow(Markup.Escape(c.Shape ?? ""), c.Trans, string.Create(ci, $"{c.M}x{c.N}x{c.K}"), $"{F(c.ManagedMs, "F2")} ({F(c.ManagedCpuMs, "F2")})", $"{F(c.OpenblasMs, "F2")} ({F(c.OpenblasCpuMs, "F2")})",
                F(c.ManagedOverOpenblas, "F3"), Markup.Escape(c.Reason is "measured" or PerShapeGemm.RecordedReason ? c.Backend : $"{c.Backend} ({c.Reason})"));
        AnsiConsole.Write(s);
    }
}
