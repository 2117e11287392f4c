using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;
using Dlm.Numerics.Threading;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm bench decode`: prefill and decode speed with the KV cache on random weights of a preset
/// shape, the batched rate, and the weight bandwidth achieved against the machine's; with the
/// PyTorch reference (tools/reference/bench_decode_torch.py) timed in the same run.
/// </summary>
internal static class BenchDecodeCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", DecodeBenchmark.Presets)}.", DefaultValueFactory = _ => "smollm2-135m-shape" };
        var dtype = new Option<string>("--dtype") { Description = "Weights in memory: f32, bf16 or f16.", DefaultValueFactory = _ => "f32" };
        var threads = new Option<int>("--threads") { Description = "Threads (default: DLM_THREADS or all cores); the references get the same." };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length to prefill.", DefaultValueFactory = _ => 512 };
        var newTokens = new Option<int>("--new-tokens") { Description = "Tokens to decode per sequence.", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch") { Description = "Sequences in the batched measurement.", DefaultValueFactory = _ => 8 };
        var reference = new Option<string>("--reference") { Description = "References to run: all, torch, llama.cpp or none.", DefaultValueFactory = _ => "all" };
        var json = new Option<bool>("--json") { Description = "Progress on stderr; the last line is one JSON object." };
        var profile = new Option<bool>("--profile") { Description = "Also time one more decode run by phase (norm, qkv, attention, ..., head): milliseconds per step." };
        var cmd = new Command("decode",
            "Measure generation speed with the KV cache: prefill tokens/s (only the last position through the LM head), " +
            "decode tokens/s for one sequence and for a batch, and bytes of weights read per second against the machine's " +
            "read bandwidth, beside PyTorch with a KV cache and llama.cpp (same weights as GGUF, same bytes per weight) in the same run.")
        { preset, dtype, threads, promptTokens, newTokens, batch, reference, json, profile };
        cmd.SetAction(parse =>
        {
            var format = WeightFormats.Parse(parse.GetValue(dtype)!);
            var refs = parse.GetValue(reference)!;
            if (refs is not ("all" or "torch" or "llama.cpp" or "none")) throw new UsageException($"--reference must be all, torch, llama.cpp or none, not '{refs}'");
            int t = parse.GetValue(threads) is > 0 and var n ? n : WorkerPool.ThreadsFromEnvironment();
            var r = DecodeBenchmark.Run(parse.GetValue(preset)!, format, t, parse.GetValue(promptTokens), parse.GetValue(newTokens),
                parse.GetValue(batch), msg => Console.Error.WriteLine(msg), parse.GetValue(profile));
            var report = JsonSerializer.SerializeToNode(r, Json.Compact)!.AsObject();
            if (refs is "all" or "torch")
            {
                Console.Error.WriteLine("running the PyTorch reference");
                var torch = RunTorch(r, out var why);
                if (torch is null) report["torch"] = new JsonObject { ["skipped"] = why };
                else
                {
                    report["torch"] = torch;
                    report["prefill_vs_torch"] = Ratio(r.PrefillTokensPerS, torch["prefill_tokens_per_s"]);
                    report["decode_vs_torch"] = Ratio(r.DecodeTokensPerS, torch["decode_tokens_per_s"]);
                    report["batched_vs_torch"] = Ratio(r.BatchedDecodeTokensPerS, torch["batched_decode_tokens_per_s"]);
                }
            }
            if (refs is "all" or "llama.cpp")
            {
                Console.Error.WriteLine("running the llama.cpp reference (LLamaSharp; the first run builds tools/reference/llamacpp-decode)");
                var llama = RunLlamaCpp(r, out var why);
                if (llama is null) report["llama_cpp"] = new JsonObject { ["skipped"] = why };
                else
                {
                    report["llama_cpp"] = llama;
                    report["prefill_vs_llama_cpp"] = Ratio(r.PrefillTokensPerS, llama["prefill_tokens_per_s"]);
                    report["decode_vs_llama_cpp"] = Ratio(r.DecodeTokensPerS, llama["decode_tokens_per_s"]);
                    report["batched_vs_llama_cpp"] = Ratio(r.BatchedDecodeTokensPerS, llama["batched_decode_tokens_per_s"]);
                }
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(report.ToJsonString(Json.Compact));
                return CliApp.ExitOk;
            }
            foreach (var (k, v) in report)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-34} {v?.ToJsonString(Json.Compact)}"));
            return CliApp.ExitOk;
        });
        return cmd;
    }

    private static double? Ratio(double ours, JsonNode? theirs) =>
        theirs?.GetValue<double>() is > 0 and var d ? Math.Round(ours / d, 3) : null;

    private static string[] Shape(DecodeBenchmarkResult r) =>
        ["--preset", r.Preset, "--threads", r.Threads.ToString(CultureInfo.InvariantCulture),
         "--prompt-tokens", r.PromptTokens.ToString(CultureInfo.InvariantCulture), "--new-tokens", r.NewTokens.ToString(CultureInfo.InvariantCulture),
         "--batch", r.Batch.ToString(CultureInfo.InvariantCulture)];

    // The PyTorch reference on the same shape and threads, in float32 (torch 1.13 has no fast CPU 16-bit GEMM).
    private static JsonObject? RunTorch(DecodeBenchmarkResult r, out string why)
    {
        var script = ReferenceRun.FindScript("bench_decode_torch.py");
        if (script is null) { why = "tools/reference/bench_decode_torch.py not found"; return null; }
        return ReferenceRun.Json("/usr/bin/python3", [script, .. Shape(r), "--dtype", "f32"], "/usr/bin/python3 is not installed", out why);
    }

    // llama.cpp on the same random weights written as GGUF with the same bytes per weight: f32 for f32, f16 for bf16 and f16.
    private static JsonObject? RunLlamaCpp(DecodeBenchmarkResult r, out string why)
    {
        var project = ReferenceRun.FindScript(Path.Combine("llamacpp-decode", "llamacpp-decode.csproj"));
        if (project is null) { why = "tools/reference/llamacpp-decode not found"; return null; }
        string type = r.Dtype == "f32" ? "f32" : "f16";
        return ReferenceRun.Json("dotnet", ["run", "-c", "Release", "--project", project, "--", .. Shape(r), "--type", type], "dotnet is not on PATH", out why);
    }
}
