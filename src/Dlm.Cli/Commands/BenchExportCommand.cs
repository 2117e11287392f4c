using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Models.IO.Gguf;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench export`: GGUF export speed of a 135M-parameter model against a plain copy of the same bytes.</summary>
internal static class BenchExportCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var types = new Option<string>("--types") { Description = "Comma-separated types to time (f32, f16, bf16, q8_0).", DefaultValueFactory = _ => "f32,f16,bf16,q8_0" };
        var dir = new Option<string>("--dir") { Description = "Folder for the temporary files (default: the system temp folder)." };
        var shape = new Option<string>("--shape") { Description = "smollm2-135m, or tiny (a smoke test of the benchmark itself).", DefaultValueFactory = _ => "smollm2-135m" };
        var rounds = new Option<int>("--rounds") { Description = "Alternating rounds; each measurement keeps its best.", DefaultValueFactory = _ => 3 };
        var cmd = new Command("export",
            "Time GGUF export (encode, write, flush, rename) of an in-memory SmolLM2-135M-shaped model per type, " +
            "and a plain file copy of the f32 file's bytes in the same run; MB/s and the ratio.")
        { json, types, dir, shape, rounds };
        cmd.SetAction(parse =>
        {
            var list = parse.GetValue(types)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => GgmlTypes.Parse(t) ?? throw new UsageException($"--types: {t} is not one of f32, f16, bf16, q8_0")).ToList();
            var folder = Path.Combine(parse.GetValue(dir) ?? Path.GetTempPath(), $"dlm-bench-export-{Environment.ProcessId}");
            bool asJson = parse.GetValue(json);
            var (config, shapeName) = parse.GetValue(shape) switch
            {
                "smollm2-135m" => (GgufExportBenchmark.SmolLm2Shape, "SmolLM2-135M (30 layers, d 576, 9 heads, 3 kv heads, mlp 1536, vocab 49152, tied)"),
                "tiny" => (GgufExportBenchmark.TinyShape, "tiny (4 layers, d 128, 4 heads, 2 kv heads, mlp 256, vocab 4096, tied)"),
                var other => throw new UsageException($"--shape must be smollm2-135m or tiny, not '{other}'"),
            };
            int n = parse.GetValue(rounds);
            if (n < 1) throw new UsageException($"--rounds must be at least 1, not {n}");
            try
            {
                var r = GgufExportBenchmark.Run(config, folder, list, n, asJson ? null : Console.WriteLine);
                var report = new JsonObject
                {
                    ["shape"] = shapeName,
                    ["parameters"] = r.Parameters,
                    ["copy_mb_per_s"] = Math.Round(r.CopyMbPerS, 1),
                };
                foreach (var e in r.Exports)
                {
                    report[$"{GgmlTypes.Name(e.Type)}_mb_per_s"] = Math.Round(e.MbPerS, 1);
                    report[$"{GgmlTypes.Name(e.Type)}_bytes"] = e.Bytes;
                    report[$"{GgmlTypes.Name(e.Type)}_vs_copy"] = Math.Round(e.MbPerS / r.CopyMbPerS, 3);
                    report[$"{GgmlTypes.Name(e.Type)}_encode_mb_per_s"] = Math.Round(e.EncodeMbPerS, 1);
                }
                if (!asJson)
                    foreach (var e in r.Exports)
                        Console.WriteLine($"{GgmlTypes.Name(e.Type),-5} {e.MbPerS,8:F0} MB/s  {e.MbPerS / r.CopyMbPerS:F2}x a plain copy ({r.CopyMbPerS:F0} MB/s); encoding alone {e.EncodeMbPerS:F0} MB/s");
                Console.WriteLine(report.ToJsonString(Json.Compact));
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
