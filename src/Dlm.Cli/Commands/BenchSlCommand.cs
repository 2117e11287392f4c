using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dlm.Cli.Output;
using Dlm.Models.Training;
using Dlm.Training.Benchmarks;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench sl`: the supervised loop's tokens/s on mixed-length datums against `bench train` on the same shape.</summary>
internal static class BenchSlCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape (a bench train preset): {string.Join(", ", TrainBenchmark.Presets)}.", DefaultValueFactory = _ => "niels-t512" };
        var datums = new Option<int>("--datums") { Description = "Datums per step, lengths spread over context/16..context.", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Timed loop steps (one more warms up).", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print progress to stderr and one JSON object as the last line." };
        var cmd = new Command("sl",
            "Time the supervised loop (packing, forward-backward, Adam, metrics) on mixed-length datums; compare its non-padding " +
            "tokens/s with bench train's for the same model shape and about the same tokens, in the same run.")
        { preset, datums, steps, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var r = await SupervisedLoopBenchmark.RunAsync(parse.GetValue(preset)!, parse.GetValue(datums), parse.GetValue(steps),
                m => Console.Error.WriteLine(m), ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(r, Json.Compact));
                return CliApp.ExitOk;
            }
            var ci = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(ci, $"{r.Preset}: {r.Datums} datums of {r.MinLength}..{r.MaxLength} tokens, {r.MicroBatches} micro-batches, padding {r.PaddingFraction:P1}"));
            Console.WriteLine(string.Create(ci, $"loop        {r.LoopTokensPerSec,10:F0} tokens/s ({r.LoopSteps} steps)"));
            Console.WriteLine(string.Create(ci, $"bench train {r.TrainTokensPerSec,10:F0} tokens/s ({r.TrainSteps} steps)"));
            Console.WriteLine(string.Create(ci, $"ratio       {r.Ratio,10:F3}  (load {string.Join(" -> ", r.LoadAvg1m.Select(x => x.ToString("F1", ci)))})"));
            return CliApp.ExitOk;
        });
        return cmd;
    }
}
