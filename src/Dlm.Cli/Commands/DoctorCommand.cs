using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Numerics.Diagnostics;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>`dlm doctor`: what this machine offers dlm, measured.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var cmd = new Command("doctor",
            "Show the runtime, CPU and SIMD level, threads, memory, the GEMM backend in use " +
            "(OpenBLAS or managed, and why) with each backend's measured GFLOP/s, and DLM_HOME.")
        { json };
        cmd.SetAction(parse =>
        {
            var report = SystemReport.Collect();
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
        Row("managed kernel", r.ManagedKernel);
        Row("openblas", r.OpenBlasAvailable ? r.OpenBlasStatus : $"not available: {r.OpenBlasStatus}");
        foreach (var g in r.Gemm)
            Row($"gemm {g.Backend}", string.Create(ci, $"{g.Gflops:F1} GFLOP/s ({g.Size}x{g.Size}x{g.Size} fp32)"));
        Row("DLM_HOME", r.DlmHome);
        AnsiConsole.Write(t);
    }
}
