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
        var rounds = new Option<int>("--rounds")
        {
            Description = "Rounds of the whole measurement, each followed by the references; rates are medians over the rounds " +
                "and each ratio the median of its rounds' own ratios (a shared machine's speed drifts between runs minutes apart).",
            DefaultValueFactory = _ => 3,
        };
        var profile = new Option<bool>("--profile") { Description = "Also time one more decode run (in the last round) by phase (norm, qkv, attention, ..., head): milliseconds per step." };
        var cmd = new Command("decode",
            "Measure generation speed with the KV cache: prefill tokens/s (only the last position through the LM head), " +
            "decode tokens/s for one sequence and for a batch, and bytes of weights read per second against the machine's " +
            "read bandwidth, beside PyTorch with a KV cache and llama.cpp (same weights as GGUF, same bytes per weight) in the same run.")
        { preset, dtype, threads, promptTokens, newTokens, batch, rounds, reference, json, profile };
        cmd.SetAction(parse =>
        {
            var format = WeightFormats.Parse(parse.GetValue(dtype)!);
            var refs = parse.GetValue(reference)!;
            if (refs is not ("all" or "torch" or "llama.cpp" or "none")) throw new UsageException($"--reference must be all, torch, llama.cpp or none, not '{refs}'");
            int n = parse.GetValue(rounds);
            if (n < 1) throw new UsageException($"--rounds must be at least 1, not {n}");
            int t = parse.GetValue(threads) is > 0 and var th ? th : WorkerPool.ThreadsFromEnvironment();
            using var rig = DecodeBenchmark.Open(parse.GetValue(preset)!, format, t, parse.GetValue(promptTokens), parse.GetValue(newTokens),
                parse.GetValue(batch), msg => Console.Error.WriteLine(msg));
            var torch = new ReferenceRounds("torch", refs is "all" or "torch", RunTorch);
            var llama = new ReferenceRounds("llama_cpp", refs is "all" or "llama.cpp", RunLlamaCpp);
            var ours = new List<DecodeBenchmarkResult>();
            for (int i = 0; i < n; i++)
            {
                if (n > 1) Console.Error.WriteLine($"round {i + 1}/{n}");
                // Profiling adds two decode runs: once, in the last round, after its timed runs.
                var r = rig.Measure(parse.GetValue(profile) && i == n - 1);
                ours.Add(r);
                if (torch.Wanted) Console.Error.WriteLine("running the PyTorch reference");
                torch.RunAfter(r);
                if (llama.Wanted) Console.Error.WriteLine("running the llama.cpp reference (LLamaSharp; the first run builds tools/reference/llamacpp-decode)");
                llama.RunAfter(r);
            }
            var report = JsonSerializer.SerializeToNode(DecodeBenchmark.Median(ours), Json.Compact)!.AsObject();
            report["rounds"] = n;
            var perRound = new JsonObject();
            var oursJson = ours.Select(r => JsonSerializer.SerializeToNode(r, Json.Compact)!.AsObject()).ToArray();
            foreach (var key in PerRoundKeys)
                perRound[key] = new JsonArray([.. oursJson.Select(r => r[key]!.DeepClone())]);
            torch.Report(report, perRound, oursJson);
            llama.Report(report, perRound, oursJson);
            if (n > 1) report["per_round"] = perRound;
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

    // Our figures listed round by round in "per_round".
    private static readonly string[] PerRoundKeys =
        ["prefill_tokens_per_s", "decode_tokens_per_s", "batched_decode_tokens_per_s", "batched_speedup", "measured_read_bandwidth_gb_per_s"];

    private static double? Ratio(double ours, JsonNode? theirs) =>
        theirs?.GetValue<double>() is > 0 and var d ? Math.Round(ours / d, 3) : null;

    // One reference over the rounds: run after each of ours until it fails once (then it is skipped, with the reason).
    private sealed class ReferenceRounds(string name, bool wanted, ReferenceRounds.Runner run)
    {
        public delegate JsonObject? Runner(DecodeBenchmarkResult r, out string why);

        // Each rate compared, and the name of its ratio (<short>_vs_<reference>).
        private static readonly (string Rate, string Short)[] Rates =
            [("prefill_tokens_per_s", "prefill"), ("decode_tokens_per_s", "decode"), ("batched_decode_tokens_per_s", "batched")];
        private readonly List<JsonObject> _results = [];
        private string? _skipped;

        public bool Wanted => wanted && _skipped is null;

        public void RunAfter(DecodeBenchmarkResult ours)
        {
            if (!Wanted) return;
            var result = run(ours, out var why);
            if (result is null) _skipped = why;
            else _results.Add(result);
        }

        // The reference's medians under its name, the medians of the per-round ratios as <rate>_vs_<name>, each round's figures in perRound.
        public void Report(JsonObject report, JsonObject perRound, IReadOnlyList<JsonObject> ours)
        {
            if (!wanted) return;
            if (_skipped is not null) { report[name] = new JsonObject { ["skipped"] = _skipped }; return; }
            var summary = (JsonObject)_results[^1].DeepClone();
            foreach (var (rate, _) in Rates)
                if (_results.All(r => r[rate] is not null))
                {
                    summary[rate] = Math.Round(Statistics.Median(_results.Select(r => r[rate]!.GetValue<double>())), 3);
                    perRound[$"{name}_{rate}"] = new JsonArray([.. _results.Select(r => r[rate]!.DeepClone())]);
                }
            report[name] = summary;
            foreach (var (rate, key) in Rates)
            {
                var ratios = ours.Zip(_results, (o, r) => Ratio(o[rate]!.GetValue<double>(), r[rate])).ToArray();
                if (ratios.Any(x => x is null)) continue;
                report[$"{key}_vs_{name}"] = Math.Round(Statistics.Median(ratios.Select(x => x!.Value)), 3);
                perRound[$"{key}_vs_{name}"] = new JsonArray([.. ratios.Select(x => (JsonNode?)x!.Value)]);
            }
        }
    }

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
