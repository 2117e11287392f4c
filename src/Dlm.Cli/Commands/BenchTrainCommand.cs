using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dlm.Cli.Output;
using Dlm.Core;
using Dlm.Models.Training;
using Dlm.Numerics.Threading;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>
/// `dlm bench train`: training-step speed of a preset model, with the same step on PyTorch
/// (tools/reference/bench_torch.py, bench_torch_llama.py) and on libtorch 2.10
/// (tools/reference/libtorch-train) timed in the same run when asked; or, with --masked-vs-full, the
/// fully weighted batch against the half-weighted one in alternating rounds.
/// </summary>
internal static class BenchTrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model and batch: {string.Join(", ", TrainBenchmark.Presets)}.", DefaultValueFactory = _ => "niels-default" };
        var steps = new Option<int?>("--steps") { Description = "Timed steps (default 10; with --masked-vs-full, steps of each kind per round, default 2)." };
        var warmup = new Option<int?>("--warmup") { Description = "Untimed steps first (default 2; with --masked-vs-full 1 of each kind)." };
        var json = new Option<bool>("--json") { Description = "Print progress to stderr and one JSON object as the last line." };
        var masked = new Option<bool>("--masked")
        {
            Description = "Give the first half of every sequence loss weight 0 (an SFT prompt); the LM head and cross-entropy skip those rows.",
        };
        var maskedVsFull = new Option<bool>("--masked-vs-full")
        {
            Description = "Time the full batch against the same batch with the first half of every sequence at weight 0, in alternating rounds in one process; report every round and the median ratio.",
        };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of --masked-vs-full.", DefaultValueFactory = _ => 7 };
        var lora = new Option<bool>("--lora") { Description = "Train LoRA adapters only (r 8, alpha 16, dropout 0.05 on q/k/v/o_proj) on the frozen model." };
        var seq = new Option<int?>("--seq") { Description = "Sequence length instead of the preset's (the batch then keeps the preset's tokens per step unless --batch is given)." };
        var batch = new Option<int?>("--batch") { Description = "Sequences per step instead of the preset's." };
        var threads = new Option<int?>("--threads") { Description = "Threads (default: DLM_THREADS or all cores); the references get the same." };
        var reference = new Option<string>("--reference")
        {
            Description = "Also time the same step on pytorch (Debian's PyTorch, tools/reference/bench_torch*.py), libtorch (2.10 through TorchSharp, " +
                "tools/reference/libtorch-train; its first run restores and builds it), both, or none.",
            DefaultValueFactory = _ => "none",
        };
        var cmd = new Command("train",
            "Time training steps (forward, backward, clip, AdamW) of a preset model: tokens/s, GFLOP/s, MFU against the " +
            "GEMM rate, managed bytes allocated per step, and where the time goes per layer; beside PyTorch and libtorch in the same run with --reference.")
        { preset, steps, warmup, json, lora, seq, batch, masked, maskedVsFull, rounds, threads, reference };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var refs = parse.GetValue(reference)!;
            if (refs is not ("none" or "pytorch" or "libtorch" or "both")) throw new UsageException($"--reference must be none, pytorch, libtorch or both, not '{refs}'");
            if (parse.GetValue(threads) is <= 0 and var bad) throw new UsageException($"--threads must be at least 1, not {bad}");
            int? t = parse.GetValue(threads);
            Action<string> log = msg => Console.Error.WriteLine(msg);
            if (parse.GetValue(maskedVsFull))
            {
                if (refs != "none") throw new UsageException("--masked-vs-full compares dlm with itself: leave out --reference");
                if (parse.GetValue(masked)) throw new UsageException("--masked-vs-full runs both kinds of batch: leave out --masked");
                var m = TrainBenchmark.RunMaskedVsFull(parse.GetValue(preset)!, Math.Max(1, parse.GetValue(rounds)), parse.GetValue(steps) ?? 2,
                    parse.GetValue(warmup) ?? 1, log, parse.GetValue(lora), parse.GetValue(seq), parse.GetValue(batch), t);
                PrintMasked(m, asJson);
                return CliApp.ExitOk;
            }
            var r = TrainBenchmark.Run(parse.GetValue(preset)!, parse.GetValue(steps) ?? 10, parse.GetValue(warmup) ?? 2,
                log, parse.GetValue(lora), parse.GetValue(seq), parse.GetValue(batch), parse.GetValue(masked), t);
            var report = JsonSerializer.SerializeToNode(r, Json.Compact)!.AsObject();
            if (refs is "pytorch" or "both")
            {
                Console.Error.WriteLine("running the PyTorch reference");
                AddReference(report, r, "pytorch", RunPyTorch(r, parse.GetValue(steps) ?? 10, parse.GetValue(warmup) ?? 2, out var why), why);
            }
            if (refs is "libtorch" or "both")
            {
                Console.Error.WriteLine("running the libtorch 2.10 reference (TorchSharp; the first run restores and builds tools/reference/libtorch-train)");
                AddReference(report, r, "libtorch", RunLibTorch(r, parse.GetValue(steps) ?? 10, parse.GetValue(warmup) ?? 2, out var why), why);
            }
            if (asJson)
            {
                Console.WriteLine(report.ToJsonString(Json.Compact));
                return CliApp.ExitOk;
            }
            PrintTable(r, report);
            return CliApp.ExitOk;
        });
        return cmd;
    }

    // The reference's result under its name, and the ratios: tokens/s (dlm / reference) and CPU
    // seconds per step (reference / dlm: above 1 when dlm needs less CPU).
    private static void AddReference(JsonObject report, TrainBenchmarkResult r, string name, JsonObject? result, string why)
    {
        if (result is null)
        {
            report[name] = new JsonObject { ["skipped"] = why };
            return;
        }
        report[name] = result;
        report["vs_" + name] = result["tokens_per_sec"]?.GetValue<double>() is > 0 and var tps ? Math.Round(r.TokensPerSec / tps, 3) : null;
        report["cpu_vs_" + name] = result["cpu_s_per_step"]?.GetValue<double>() is > 0 and var cpu && r.CpuSPerStep > 0 ? Math.Round(cpu / r.CpuSPerStep, 3) : null;
        if (result["flops_per_token"]?.GetValue<double>() is { } f && Math.Abs(f - r.FlopsPerToken) > 0.5)
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warning: {name} counts {f} FLOP per token, dlm {r.FlopsPerToken}: not the same model"));
    }

    private static int Threads(TrainBenchmarkResult r) => r.Threads > 0 ? r.Threads : WorkerPool.ThreadsFromEnvironment();

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    // Debian's PyTorch on the same preset, shape, threads and step counts (passive OpenMP waiting, set by the scripts).
    private static JsonObject? RunPyTorch(TrainBenchmarkResult r, int steps, int warmup, out string why)
    {
        bool llama = r.Preset == "smollm2-135m-shape";
        if (!llama && r.Lora.Length > 0) { why = "bench_torch.py trains the niels presets fully; LoRA is timed on smollm2-135m-shape"; return null; }
        var script = ReferenceRun.FindScript(llama ? "bench_torch_llama.py" : "bench_torch.py");
        if (script is null) { why = "tools/reference/bench_torch.py not found"; return null; }
        List<string> args = [script, "--threads", I(Threads(r)), "--steps", I(steps), "--warmup", I(warmup), "--seq", I(r.SeqLen), "--batch", I(r.Batch)];
        if (llama && r.Lora.Length > 0) args.Add("--lora");
        if (!llama) args.AddRange(["--preset", r.Preset]);
        return ReferenceRun.Json("/usr/bin/python3", args, "/usr/bin/python3 is not installed", out why);
    }

    // libtorch 2.10 (TorchSharp 0.107) on the same preset, shape, threads and step counts.
    private static JsonObject? RunLibTorch(TrainBenchmarkResult r, int steps, int warmup, out string why)
    {
        bool llama = r.Preset == "smollm2-135m-shape";
        if (!llama && r.Lora.Length > 0) { why = "libtorch-train trains the niels presets fully; LoRA is timed on smollm2-135m-shape"; return null; }
        var project = ReferenceRun.FindScript(Path.Combine("libtorch-train", "libtorch-train.csproj"));
        if (project is null) { why = "tools/reference/libtorch-train not found"; return null; }
        List<string> args = ["run", "-c", "Release", "--project", project, "--", "--preset", r.Preset, "--threads", I(Threads(r)),
            "--steps", I(steps), "--warmup", I(warmup), "--seq", I(r.SeqLen), "--batch", I(r.Batch)];
        if (r.Lora.Length > 0) args.Add("--lora");
        return ReferenceRun.Json("dotnet", args, "dotnet is not on PATH", out why);
    }

    private static void PrintTable(TrainBenchmarkResult r, JsonObject report)
    {
        var ci = CultureInfo.InvariantCulture;
        var t = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn("value");
        void Row(string k, string v) => t.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row("preset", $"{r.Preset} (batch {r.Batch} x {r.SeqLen}, {r.Params:N0} parameters{(r.Masked ? ", first half of each sequence weight 0" : "")})");
        if (r.Lora.Length > 0) Row("lora", $"{r.Lora} ({r.TrainableParams:N0} trainable)");
        Row("threads", r.Threads.ToString(ci));
        Row("step", string.Create(ci, $"{r.StepMs:F1} ms ({r.CpuSPerStep:F2} CPU s)"));
        Row("tokens/s", string.Create(ci, $"{r.TokensPerSec:F0}"));
        Row("GFLOP/s", string.Create(ci, $"{r.Gflops:F1} (MFU {r.Mfu:P1} of {r.GemmGflops:F1} GFLOP/s {r.Gemm} GEMM)"));
        Row("allocated/step", string.Create(ci, $"{r.AllocBytesPerStep:F0} bytes"));
        Row("peak RSS", string.Create(ci, $"{r.PeakRssMb:F0} MB"));
        foreach (var name in new[] { "pytorch", "libtorch" })
        {
            if (report[name] is not JsonObject o) continue;
            if (o["skipped"] is { } why) { Row(name, "skipped: " + why); continue; }
            Row(name, string.Create(ci,
                $"{o["torch"]}: {o["tokens_per_sec"]} tokens/s ({o["cpu_s_per_step"]} CPU s); dlm {report["vs_" + name]}x wall, {report["cpu_vs_" + name]}x CPU"));
        }
        foreach (var (phase, ms) in r.PhaseMs.OrderByDescending(kv => kv.Value))
            Row("  " + phase, string.Create(ci, $"{ms:F1} ms ({ms / r.StepMs:P0})"));
        AnsiConsole.Write(t);
    }

    private static void PrintMasked(MaskedVsFullResult m, bool asJson)
    {
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(m, Json.Compact));
            return;
        }
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ci, $"{m.Preset} (batch {m.Batch} x {m.SeqLen}, {m.Threads} threads{(m.Lora.Length > 0 ? ", LoRA " + m.Lora : "")}): " +
            $"masked steps {m.MedianRatio:F3}x as fast as full (median of {m.Rounds.Count} rounds; CPU {m.MedianCpuRatio:F3}x)"));
        Console.WriteLine(string.Create(ci, $"full {m.FullTokensPerSec:F0} tokens/s, masked {m.MaskedTokensPerSec:F0} tokens/s, {m.AllocBytesPerStep:F0} bytes allocated per step"));
        foreach (var (x, i) in m.Rounds.Select((x, i) => (x, i)))
            Console.WriteLine(string.Create(ci, $"  round {i + 1}: full {x.FullStepMs:F1} ms, masked {x.MaskedStepMs:F1} ms: {x.Ratio:F3}x (CPU {x.CpuRatio:F3}x){(x.FullFirst ? "" : ", masked first")}" +
                $"{(x.Full is { } f && x.Masked is { } k ? $"; JIT {f.JitMs:F0} / {k.JitMs:F0} ms" : "")}"));
    }
}
