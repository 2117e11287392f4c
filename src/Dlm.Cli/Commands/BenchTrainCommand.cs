using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Models.Training;
using Spectre.Console;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench train`: training-step speed of a preset model (compare with tools/reference/bench_torch.py).</summary>
internal static class BenchTrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model and batch: {string.Join(", ", TrainBenchmark.Presets)}.", DefaultValueFactory = _ => "niels-default" };
        var steps = new Option<int>("--steps") { Description = "Timed steps.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print progress to stderr and one JSON object as the last line." };
        var masked = new Option<bool>("--masked")
        {
            Description = "Give the first half of every sequence loss weight 0 (an SFT prompt); the LM head and cross-entropy skip those rows.",
        };
        var lora = new Option<bool>("--lora") { Description = "Train LoRA adapters only (r 8, alpha 16, dropout 0.05 on q/k/v/o_proj) on the frozen model." };
        var seq = new Option<int?>("--seq") { Description = "Sequence length instead of the preset's (the batch then keeps the preset's tokens per step unless --batch is given)." };
        var batch = new Option<int?>("--batch") { Description = "Sequences per step instead of the preset's." };
        var cmd = new Command("train",
            "Time training steps (forward, backward, clip, AdamW) of a preset model: tokens/s, GFLOP/s, MFU against the " +
            "GEMM rate, managed bytes allocated per step, and where the time goes per layer.")
        { preset, steps, warmup, json, lora, seq, batch, masked };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var r = TrainBenchmark.Run(parse.GetValue(preset)!, parse.GetValue(steps), parse.GetValue(warmup),
                msg => Console.Error.WriteLine(msg), parse.GetValue(lora), parse.GetValue(seq), parse.GetValue(batch), parse.GetValue(masked));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(r, Json.Compact));
                return CliApp.ExitOk;
            }
            var ci = CultureInfo.InvariantCulture;
            var t = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn("value");
            void Row(string k, string v) => t.AddRow(Markup.Escape(k), Markup.Escape(v));
            Row("preset", $"{r.Preset} (batch {r.Batch} x {r.SeqLen}, {r.Params:N0} parameters{(r.Masked ? ", first half of each sequence weight 0" : "")})");
            if (r.Lora.Length > 0) Row("lora", $"{r.Lora} ({r.TrainableParams:N0} trainable)");
            Row("step", string.Create(ci, $"{r.StepMs:F1} ms"));
            Row("tokens/s", string.Create(ci, $"{r.TokensPerSec:F0}"));
            Row("GFLOP/s", string.Create(ci, $"{r.Gflops:F1} (MFU {r.Mfu:P1} of {r.GemmGflops:F1} GFLOP/s {r.Gemm} GEMM)"));
            Row("allocated/step", string.Create(ci, $"{r.AllocBytesPerStep:F0} bytes"));
            Row("peak RSS", string.Create(ci, $"{r.PeakRssMb:F0} MB"));
            foreach (var (phase, ms) in r.PhaseMs.OrderByDescending(kv => kv.Value))
                Row("  " + phase, string.Create(ci, $"{ms:F1} ms ({ms / r.StepMs:P0})"));
            AnsiConsole.Write(t);
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
